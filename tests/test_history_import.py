"""`pmops import`: postmortems written elsewhere become history files pmops reads and checks."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pmops.cli.main import cli
from pmops.documents.document import parse_document, plain
from pmops.history.infer import parse_duration, parse_moment, parse_severity

FIXTURES = Path(__file__).parent / "fixtures" / "history"


@pytest.fixture(autouse=True)
def _cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _meta(path: Path) -> dict[str, Any]:
    return dict(plain(parse_document(path.read_text()).meta))


def test_import_infers_fields_from_common_layouts(repo: Path) -> None:
    code, out, err = _run("import", str(FIXTURES), "--repo", str(repo))
    assert code == 1  # the offsite notes are no postmortem
    assert "offsite-notes.md: not imported: severity" in out and "started_at" in out
    assert "sre-book-template.md: not imported: severity" in out
    assert err.strip() == "3 wrote, 0 already there, 2 not imported"
    base = repo / "postmortems"
    confluence = _meta(
        base / "2021/2021-03-04-INC-2041-checkout-outage-payment-provider-timeouts.md"
    )
    assert confluence["severity"] == "SEV-2" and confluence["services"] == ["checkout", "payments"]
    assert (confluence["started_at"], confluence["resolved_at"]) == (
        "2021-03-04T09:12:00Z",
        "2021-03-04T11:27:00Z",
    )
    gdocs = _meta(
        base / "2022/2022-06-01-gdocs-export-login-failures-after-certificate-rotation.md"
    )
    assert gdocs["title"] == "Login failures after certificate rotation"
    assert gdocs["severity"] == "SEV-1"  # P1
    assert gdocs["started_at"] == "2022-06-01T17:05:00Z"  # PDT
    assert gdocs["detected_at"] == "2022-06-01T17:20:00Z"
    assert gdocs["duration_minutes"] == 90
    assert gdocs["services"] == ["auth-service", "login-web"]
    partial = _meta(base / "2023/2023-02-14-partial-frontmatter-queue-backlog-in-billing.md")
    assert partial["severity"] == "SEV-4" and partial["tags"] == ["billing"]
    assert partial["duration_minutes"] == 90 and partial["status"] == "published"
    secret = (base / "2021").glob("*.md").__next__().read_text()
    assert "ghp_" not in secret and "[REDACTED" in secret


def test_imported_files_pass_check_and_are_found(repo: Path) -> None:
    code, out, _ = _run("import", str(FIXTURES), "--repo", str(repo), "--severity", "SEV-3")
    assert "sre-book-template.md: wrote postmortems/2015/2015-10-21-465-" in out
    assert "started_at from the Timeline's OUTAGE BEGINS/ENDS" in out
    sre = next((repo / "postmortems/2015").glob("*.md"))
    meta = _meta(sre)
    assert (meta["id"], meta["duration_minutes"]) == (465, 66)
    assert sre.read_text().count("# Shakespeare Sonnet++ Postmortem\n") == 1
    files = sorted((repo / "postmortems").rglob("*.md"))
    code, out, _ = _run("check", *map(str, files))
    assert code == 0, out
    code, out, _ = _run("search", "cascading failure sonnet", "--repo", str(repo), "--json")
    assert [hit["id"] for hit in json.loads(out)] == [465]


def test_import_never_overwrites_and_dry_run_writes_nothing(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(FIXTURES, source)
    (source / "offsite-notes.md").unlink()
    code, out, _ = _run("import", str(source), "--repo", str(repo), "--dry-run", "--severity", "3")
    assert code == 0 and "would write" in out and not (repo / "postmortems").exists()
    _run("import", str(source), "--repo", str(repo), "--severity", "3")
    target = next((repo / "postmortems/2015").glob("*.md"))
    target.write_text(target.read_text() + "\nEdited by hand.\n")
    code, out, err = _run("import", str(source), "--repo", str(repo), "--severity", "3")
    assert code == 0 and "left as it is" in out and err.strip().startswith("0 wrote, 4 already")
    assert target.read_text().endswith("Edited by hand.\n")
    assert not [p for p in (repo / "postmortems").rglob(".*") if p.is_file()]  # no temp files


@pytest.mark.parametrize(
    ("text", "severity"),
    [("Sev 2", "SEV-2"), ("SEV-1 (critical)", "SEV-1"), ("P0", "SEV-1"), ("P3", "SEV-3"),
     ("Minor", "SEV-3"), ("critical", "SEV-1"), ("unknown", None)],
)  # fmt: skip
def test_severity_words(text: str, severity: str | None) -> None:
    assert parse_severity(text) == severity


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("2h 15m", 135), ("1 hour 30 minutes", 90), ("45 min", 45), ("1.5 hours", 90),
     ("02:15", 135), ("1 day", 1440), ("a while", None)],
)  # fmt: skip
def test_durations(text: str, minutes: int | None) -> None:
    assert parse_duration(text) == minutes


def test_a_time_in_an_unknown_zone_is_not_guessed() -> None:
    assert parse_moment("2022-06-01 10:05 XYZT") is None
    assert parse_moment("2022-06-01 10:05 CEST") is not None
