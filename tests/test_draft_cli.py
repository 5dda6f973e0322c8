"""`pmops draft`, `pmops suspects` and `pmops demo` end to end on real git repositories."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pmops.cli.main import cli
from pmops.documents.render import parse_postmortem
from pmops.setup.demo import START, build_demo
from tests.gitrepo import GitRepo

INCIDENT = """id: 42
title: Checkout failures
severity: SEV-2
started_at: 2026-03-20T14:23:00Z
detected_at: 2026-03-20T14:27:00Z
resolved_at: 2026-03-20T15:10:00Z
services: [payments]
"""


def invoke(*args: str, cwd: Path | None = None) -> Result:
    old = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, Path]:
    return build_demo(tmp_path / "demo")


def test_draft_writes_the_conventional_path_and_prints_it(demo: tuple[Path, Path]) -> None:
    repo, incident = demo
    result = invoke("draft", "--repo", str(repo), "--incident", str(incident))
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert (
        path
        == repo
        / "postmortems/2026/2026-03-20-42-checkout-failures-from-payments-connection-pool.md"
    )
    text = path.read_text()
    assert (repo / "postmortems/.drafts/2026" / path.name).read_text() == text
    pm = parse_postmortem(text)
    assert pm.suspects[0].subject.startswith("Lower payments pool size")
    assert "pmops: ranking" in result.stderr and "pmops: verifying claims" in result.stderr
    check = invoke("check", cwd=repo)
    assert check.exit_code == 0, check.output


def test_a_model_that_could_not_draft_is_said_on_stderr(
    demo: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, incident = demo
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    out = tmp_path / "pm.md"
    result = invoke("draft", "--repo", str(repo), "--incident", str(incident), "--out",
                    str(out), "--model", "gpt-4o-mini")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "pmops: the model's draft could not be used (OPENAI_API_KEY is not set, so the OpenAI "
        "API cannot be used); this is the deterministic draft"
    ) in result.stderr
    assert "model: deterministic" in out.read_text()


def test_quiet_and_out(demo: tuple[Path, Path], tmp_path: Path) -> None:
    repo, incident = demo
    out = tmp_path / "pm.md"
    result = invoke(
        "draft", "--repo", str(repo), "--incident", str(incident), "--out", str(out), "--quiet"
    )
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.strip() == str(out) and out.read_text().startswith("---\nid: 42\n")


def test_json_format(demo: tuple[Path, Path]) -> None:
    repo, incident = demo
    result = invoke(
        "draft", "--repo", str(repo), "--incident", str(incident), "--format", "json", "-q"
    )
    data = json.loads(result.stdout)
    assert data["frontmatter"]["id"] == 42 and data["verification"]["verified_share"] == 1.0
    assert data["markdown"].startswith("---\n") and len(data["suspects"][0]["sha"]) == 40
    assert not (repo / "postmortems").exists()


def test_suspects_json_shape(demo: tuple[Path, Path]) -> None:
    repo, incident = demo
    result = invoke("suspects", "--repo", str(repo), "--incident", str(incident), "--json")
    ranked = json.loads(result.stdout)
    assert [set(s) >= {"sha", "score", "reasons"} for s in ranked] == [True] * len(ranked)
    assert ranked[0]["score"] >= ranked[-1]["score"]
    assert "Lower payments pool size" in ranked[0]["subject"]


def test_not_a_git_repository(tmp_path: Path) -> None:
    incident = tmp_path / "incident.yml"
    incident.write_text(INCIDENT)
    result = invoke("draft", "--repo", str(tmp_path), "--incident", str(incident))
    assert result.exit_code == 2
    assert "is not a git repository" in result.stderr and "Traceback" not in result.output


def test_bad_incident_file_is_a_clear_error(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit({"a.txt": "a"}, "init", START - timedelta(hours=1))
    incident = tmp_path / "incident.yml"
    incident.write_text(INCIDENT.replace("14:23:00Z", "14:23:00"))
    result = invoke("draft", "--repo", str(git_repo.path), "--incident", str(incident))
    assert result.exit_code == 2 and "explicit zone" in result.stderr


def test_empty_window_says_so_with_low_confidence(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit({"a.txt": "a"}, "init", START - timedelta(days=5))
    incident = tmp_path / "incident.yml"
    incident.write_text(INCIDENT)
    result = invoke("draft", "--repo", str(git_repo.path), "--incident", str(incident), "-q")
    pm = parse_postmortem(Path(result.stdout.strip()).read_text())
    assert pm.confidence.value == "low" and pm.suspects == ()
    assert "No change landed" in pm.sections["Confidence"]
    assert "Undetermined" in pm.sections["Root cause"]


def test_unknown_deploy_sha_is_reported_not_fatal(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit({"app.py": "x = 1\n"}, "Change app", START - timedelta(minutes=30))
    incident = tmp_path / "incident.yml"
    incident.write_text(INCIDENT + "deploys:\n  - {at: 2026-03-20T14:20:00Z, sha: abcdef1234}\n")
    result = invoke("draft", "--repo", str(git_repo.path), "--incident", str(incident), "-q")
    assert result.exit_code == 0
    text = Path(result.stdout.strip()).read_text()
    assert "deploy of abcdef1234 (production) names a commit that is not in this repository" in text


def test_demo_runs_and_its_output_passes_check(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    result = invoke("demo", "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert "Postmortem:" in result.stdout and "1. " in result.stdout
    assert invoke("check", cwd=folder / "shop").exit_code == 0
    again = invoke("demo", "--dir", str(folder))
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_similar_past_incidents_join_the_draft(demo: tuple[Path, Path]) -> None:
    from dataclasses import replace

    from pmops.documents.render import render_postmortem
    from pmops.draft.compose import postmortem_path
    from pmops.model import Impact, Incident
    from tests.samples import sample_postmortem

    repo, incident = demo
    for number, days in ((7, 40), (19, 12)):
        started = START - timedelta(days=days)
        past = sample_postmortem(
            id=number,
            title="Payments connection pool exhausted",
            started_at=started,
            detected_at=None,
            resolved_at=started + timedelta(minutes=47),
            impact=Impact("Card payments failed", ("payments",), None),
        )
        past = replace(
            past,
            sections={
                **past.sections,
                "Timeline": f"- {started:%Y-%m-%dT%H:%M:%SZ} [alert] pool exhausted",
            },
        )
        path = repo / postmortem_path(Incident(number, past.title, started, past.resolved_at))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_postmortem(past))
    result = invoke("draft", "--repo", str(repo), "--incident", str(incident), "-q")
    pm = parse_postmortem(Path(result.stdout.strip()).read_text())
    factors = pm.sections["Contributing factors"]
    assert "third incident touching payments connection pool in 90 days" in factors
    assert "](2026-03-08-19-payments-connection-pool-exhausted.md)" in factors
    assert "unverified" not in pm.sections["Confidence"].split("Verification:")[1].split("\n")[0]
