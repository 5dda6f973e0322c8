"""`pmops check`: every rule with a failing and a passing case; bad input never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmops.cli.main import cli
from pmops.documents.check import check_files, check_text
from pmops.documents.document import rewrite_frontmatter
from pmops.draft.compose import drafts_path
from tests.samples import BILLION_LAUGHS, NAME, sample_text


def problems_of(text: str, name: str = NAME) -> list[str]:
    found, _ = check_text(text, name)
    return [f"{p.line}: {p.message}" for p in found]


def test_valid_postmortem_passes() -> None:
    assert problems_of(sample_text()) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"severity": "SEV-5"}, "severity: 'SEV-5' is not one of"),
        ({"confidence": "certain"}, "confidence: 'certain' is not one of"),
        ({"status": "approved"}, "status: 'approved' is not one of"),
        ({"action_items": [{"title": "x", "priority": "urgent"}]}, "action_items.0.priority"),
        ({"suspects": [{"sha": "xyz", "score": 0.5, "reasons": []}]}, "suspects.0.sha"),
        ({"title": None}, "'title' is a required property"),
        ({"started_at": "2026-03-20 14:23"}, "started_at"),
        ({"started_at": "0001-01-01T00:00:00Z"}, "from 1970 to 2999"),
    ],
)
def test_schema_rules(change: dict, expected: str) -> None:
    text = rewrite_frontmatter(sample_text(), change)
    found = problems_of(text)
    assert any(expected in p for p in found), found


def test_schema_error_points_at_the_key_line() -> None:
    text = rewrite_frontmatter(sample_text(), {"severity": "SEV-0"})
    line = text.split("\n").index("severity: SEV-0") + 1
    assert f"{line}: severity: 'SEV-0' is not one of ['SEV-1', 'SEV-2', 'SEV-3', 'SEV-4']" in (
        problems_of(text)
    )


def test_missing_section() -> None:
    text = sample_text().replace("## What went well\n", "## What went fine\n")
    assert any("missing section '## What went well'" in p for p in problems_of(text))


def test_misordered_sections() -> None:
    text = sample_text()
    summary = "## Summary\n\nText of summary.\n\n"
    text = text.replace(summary, "").replace("## Confidence\n", summary + "## Confidence\n")
    found = problems_of(text)
    assert any("section 'Summary' must come before 'Action items'" in p for p in found), found


def test_duplicate_section() -> None:
    text = sample_text() + "\n## Summary\n\nAgain.\n"
    assert any("section 'Summary' appears twice" in p for p in problems_of(text))


def test_empty_required_section() -> None:
    text = sample_text().replace("Text of resolution.", "")
    assert any("section 'Resolution' is empty" in p for p in problems_of(text))


def test_extra_sections_are_allowed() -> None:
    assert problems_of(sample_text() + "\n## Appendix\n\nGraphs.\n") == []


def test_timeline_line_without_utc_time() -> None:
    text = sample_text().replace("- 2026-03-20T14:23:00Z [issue]", "- 14:23 [issue]")
    assert any("does not start with a UTC time" in p for p in problems_of(text))
    text = sample_text().replace(
        "- 2026-03-20T14:23:00Z [issue]", "- 2026-03-20T14:23:00+02:00 [issue]"
    )
    assert any("does not start with a UTC time" in p for p in problems_of(text))


def test_timeline_out_of_order() -> None:
    text = sample_text().replace("2026-03-20T15:10:00Z [issue]", "2026-03-20T14:00:00Z [issue]")
    found = problems_of(text)
    assert any("out of order" in p for p in found), found


def test_timeline_code_block_is_not_checked() -> None:
    assert "```mermaid" in sample_text()
    assert problems_of(sample_text()) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("postmortems/2026/2026-03-21-42-api-gateway-5xx.md", "does not match started_at"),
        ("postmortems/2026/2026-03-20-43-api-gateway-5xx.md", "does not carry frontmatter id 42"),
        ("postmortems/2026/2026-03-20-4-api-gateway-5xx.md", "expected 2026-03-20-42-<slug>.md"),
        ("postmortems/2025/2026-03-20-42-api-gateway-5xx.md", "folder 2025/"),
        ("postmortems/2026/api gateway.md", "file name must be"),
        ("postmortems/2026/2026-03-20-42-API.md", "file name must be"),
    ],
)
def test_file_name_rules(name: str, expected: str) -> None:
    assert any(expected in p for p in problems_of(sample_text(), name))


@pytest.mark.parametrize("ident", ["INC-7", "sev-2-db", "2026.1"])
def test_an_id_with_dashes_or_dots_names_its_file(ident: str) -> None:
    text = rewrite_frontmatter(sample_text(), {"id": ident})
    assert problems_of(text, f"postmortems/2026/2026-03-20-{ident}-api-gateway-5xx.md") == []
    wrong = problems_of(text, "postmortems/2026/2026-03-20-INC-8-api-gateway-5xx.md")
    assert any("does not carry frontmatter id" in p for p in wrong)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"resolved_at": "2026-13-20T15:10:00Z"}, "resolved_at: '2026-13-20T15:10:00Z' is invalid"),
        ({"resolved_at": "2026-02-30T15:10:00Z"}, "'2026-02-30T15:10:00Z' is invalid: no such"),
        ({"started_at": "2026-03-20T24:00:00Z"}, "started_at: '2026-03-20T24:00:00Z' is invalid"),
    ],
)
def test_a_time_that_is_no_date_is_a_problem_at_its_key(change: dict, expected: str) -> None:
    text = sample_text()
    for key, value in change.items():  # unquoted, as a human types it: YAML reads a timestamp
        text = re.sub(rf"^{key}: .*$", f"{key}: {value}", text, count=1, flags=re.M)
    found = problems_of(text)
    line = text.split("\n").index(f"{key}: {value}") + 1
    assert any(p.startswith(f"{line}: ") and expected in p for p in found), found


@pytest.mark.parametrize("value", ["!!int x", "!!float x", "!!binary ?"])
def test_a_tagged_value_yaml_cannot_build_is_a_problem_not_a_traceback(value: str) -> None:
    text = re.sub(r"^id: .*$", f"id: {value}", sample_text(), count=1, flags=re.M)
    assert any("invalid YAML" in p for p in problems_of(text))


def test_a_timeline_time_that_is_no_date_is_a_problem_at_its_line() -> None:
    text = sample_text()
    first = re.search(r"^- (\d{4}-\d{2}-\d{2}T\S+)", text, re.M)
    assert first is not None
    text = text.replace(first.group(0), "- 2026-13-20T14:23:00Z", 1)
    line = text.split("\n").index(next(ln for ln in text.split("\n") if "2026-13-20T" in ln)) + 1
    assert f"{line}: timeline entry time 2026-13-20T14:23:00Z is no valid time" in (
        problems_of(text)
    )


def test_time_rules() -> None:
    text = rewrite_frontmatter(sample_text(), {"duration_minutes": 10})
    assert any("duration_minutes is 10" in p for p in problems_of(text))
    text = rewrite_frontmatter(
        sample_text(), {"resolved_at": "2026-03-20T14:00:00Z", "duration_minutes": 0}
    )
    assert any("resolved_at is before started_at" in p for p in problems_of(text))
    text = rewrite_frontmatter(sample_text(), {"detected_at": "2026-03-20T14:00:00Z"})
    assert any("detected_at is before started_at" in p for p in problems_of(text))


def test_status_rules() -> None:
    published = rewrite_frontmatter(sample_text(), {"status": "published"})
    assert any("published_at/published_by are missing" in p for p in problems_of(published))
    stamped = rewrite_frontmatter(
        published, {"published_at": "2026-03-21T09:00:00Z", "published_by": "carol"}
    )
    assert problems_of(stamped) == []
    draft = rewrite_frontmatter(stamped, {"status": "draft"})
    assert any("published_at is set but status is draft" in p for p in problems_of(draft))
    edited = rewrite_frontmatter(sample_text(), {"status": "edited"})
    assert any("edited_by names nobody" in p for p in problems_of(edited))
    assert problems_of(rewrite_frontmatter(edited, {"edited_by": ["alice"]})) == []


def _write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_duplicate_ids(tmp_path: Path) -> None:
    a = _write(tmp_path, NAME, sample_text())
    b = _write(tmp_path, "postmortems/2026/2026-03-20-42-again.md", sample_text())
    found = [str(p) for p in check_files([a, b], tmp_path, None)]
    assert any("duplicate id 42" in p for p in found), found


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_frozen_fields_of_published_postmortem(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "-b", "main")
    published = rewrite_frontmatter(
        sample_text(),
        {"status": "published", "published_at": "2026-03-21T09:00:00Z", "published_by": "carol"},
    )
    path = _write(tmp_path, NAME, published)
    _write(tmp_path, drafts_path(NAME), sample_text())  # the AI draft, kept as pmops does
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "publish")
    _git(tmp_path, "checkout", "-qb", "later-edit")
    # editing the text of a published postmortem is fine, and it stays published
    path.write_text(published.replace("Text of summary.", "Better summary."), encoding="utf-8")
    assert check_files([path], tmp_path, "main") == []
    # frozen fields may not change, and the status may not leave published
    path.write_text(rewrite_frontmatter(published, {"generated_at": "2026-01-01T00:00:00Z"}))
    assert any(
        "generated_at of a published postmortem cannot change" in str(p)
        for p in check_files([path], tmp_path, "main")
    )
    path.write_text(
        rewrite_frontmatter(
            published,
            {"status": "edited", "edited_by": ["x"], "published_at": None, "published_by": None},
        )
    )
    found = [str(p) for p in check_files([path], tmp_path, "main")]
    assert any("status of a published postmortem cannot change" in p for p in found), found


def test_cli_refuses_deleting_or_moving_a_published_postmortem(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "-b", "main")
    published = rewrite_frontmatter(
        sample_text(),
        {"status": "published", "published_at": "2026-03-21T09:00:00Z", "published_by": "carol"},
    )
    path = _write(tmp_path, NAME, published)
    draft_name = NAME.replace("-42-", "-43-")
    # a draft whose body has a line `status: published` is still a draft
    draft = sample_text().replace("Text of summary.", "status: published\n\nText.")
    _write(tmp_path, draft_name, rewrite_frontmatter(draft, {"id": 43}))
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "publish")
    _git(tmp_path, "checkout", "-qb", "tidy")
    _git(tmp_path, "rm", "-q", draft_name)
    _git(tmp_path, "mv", str(path.relative_to(tmp_path)), "moved.md")
    code, out, _ = run_check(tmp_path)
    assert code == 1
    assert f"{NAME}:1: a published postmortem on main is deleted or moved" in out
    assert draft_name not in out


# ---------------------------------------------------------------- CLI and bad input


def run_check(root: Path, *args: str) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_cli_clean_repository(tmp_path: Path) -> None:
    _write(tmp_path, NAME, sample_text())
    code, out, err = run_check(tmp_path)
    assert (code, out) == (0, "")
    assert "1 postmortem(s) OK" in err


def test_cli_reports_path_line_message(tmp_path: Path) -> None:
    _write(tmp_path, NAME, sample_text().replace("severity: SEV-2", "severity: SEV-7"))
    code, out, _ = run_check(tmp_path)
    assert code == 1
    assert out.startswith(f"{NAME}:5: severity: 'SEV-7' is not one of")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary file"),
        (b"", "empty file"),
        (b"---\n- a\n- b\n---\n# x\n", "not a list"),
        (b"---\ntitle: caf\xe9\n---\n", "not UTF-8"),
        (b"---\n" + b"x" * (10 * 1024 * 1024) + b"\n---\n", "the limit is"),
        (b"---\nid: [\n---\n", "invalid YAML"),
        (BILLION_LAUGHS, ":3: YAML aliases (*a0) are not allowed"),
        (b"---\nid: " + b"[" * 3000 + b"]" * 3000 + b"\n---\n", ":1: YAML nested too deeply"),
        (b"---\nid: " + b"[" * 200 + b"]" * 200 + b"\n---\n", "nested more than 32 levels"),
    ],
    ids=[
        "binary",
        "empty",
        "list-frontmatter",
        "latin-1",
        "10MB",
        "bad-yaml",
        "aliases",
        "deeper-than-the-parser",
        "deep",
    ],
)
def test_cli_bad_input_is_a_message_not_a_traceback(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "postmortems" / "2026" / "2026-03-20-42-x.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    code, out, _ = run_check(tmp_path)
    assert code == 1
    assert out.startswith("postmortems/2026/2026-03-20-42-x.md:") and message in out


def test_a_title_with_emphasis_is_not_taken_for_an_alias() -> None:
    text = rewrite_frontmatter(sample_text(), {"title": "Fix *very* slow *checkout*"})
    assert problems_of(text) == []


def test_cli_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run_check(tmp_path, "nope.md")
    assert code == 2 and "no such file" in err


def test_cli_no_postmortems(tmp_path: Path) -> None:
    code, _, err = run_check(tmp_path)
    assert code == 0 and "no postmortems found" in err


def test_drafts_and_index_are_skipped(tmp_path: Path) -> None:
    _write(tmp_path, NAME, sample_text())
    _write(tmp_path, "postmortems/.drafts/2026/2026-03-20-42-api-gateway-5xx.md", sample_text())
    _write(tmp_path, "postmortems/README.md", "# Index\n")
    code, out, _ = run_check(tmp_path)
    assert (code, out) == (0, "")
