"""History postmortems (written by hand or imported) are searched, counted and shown."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmops.cli.main import cli
from pmops.errors import InputError
from pmops.history.hand_written import HAND_WRITTEN_MODEL, read_postmortem
from pmops.history.search import open_index
from pmops.model import Status
from tests.samples import NAME, sample_text

HAND_WRITTEN = """---
id: INC-7
title: Search cluster ran out of disk
severity: SEV-1
started_at: 2019-05-02T09:00:00Z
resolved_at: 2019-05-02T11:30:00Z
services: [search]
---

# Search cluster ran out of disk

## What happened

The elasticsearch nodes filled their disks with old snapshots; every query failed.

## Lessons

Alert on disk usage before it is too late.
"""

DURATION_ONLY = """---
id: 12
title: Login page slow for mobile users
severity: SEV-3
started_at: 2020-11-10T20:00:00Z
duration_minutes: 95
status: edited
---
## Summary
Slow logins from a cold cache after the CDN purge.
"""

NOT_A_POSTMORTEM = "# Notes from the offsite\n\nNothing to see.\n"


@pytest.fixture(autouse=True)
def _cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    files = {
        NAME: sample_text(),
        "postmortems/2019/2019-05-02-INC-7-search-disk.md": HAND_WRITTEN,
        "postmortems/2020/2020-11-10-12-login-slow.md": DURATION_ONLY,
    }
    files |= {f"postmortems/notes/note-{n}.md": NOT_A_POSTMORTEM for n in range(6)}
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def test_history_file_reads_with_defaults() -> None:
    pm = read_postmortem(HAND_WRITTEN, "x.md")
    assert (pm.id, pm.duration_minutes, pm.status) == ("INC-7", 150, Status.PUBLISHED)
    assert pm.impact.affected_services == ("search",)
    assert pm.generator.model == HAND_WRITTEN_MODEL
    assert list(pm.sections) == ["What happened", "Lessons"]  # the H1 is no overview
    pm = read_postmortem(DURATION_ONLY, "y.md")
    assert (pm.status, pm.resolved_at.isoformat()) == (Status.EDITED, "2020-11-10T21:35:00+00:00")


def test_history_file_without_basic_fields_says_which() -> None:
    text = HAND_WRITTEN.replace("severity: SEV-1\n", "").replace("resolved_at", "ended")
    with pytest.raises(InputError) as error:
        read_postmortem(text, "x.md")
    message = str(error.value)
    assert "'severity' is a required property" in message
    assert "resolved_at" in message and "duration_minutes" in message


def test_search_stats_and_index_include_history_with_one_warning(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = CliRunner()
    found = runner.invoke(
        cli, ["search", "elasticsearch snapshots", "--repo", str(repo), "--json"],
        catch_exceptions=False,
    )  # fmt: skip
    hits = json.loads(found.stdout)
    assert [h["id"] for h in hits] == ["INC-7"] and hits[0]["status"] == "published"
    warnings = [line for line in found.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "6 files skipped" in warnings[0]
    assert "and 3 more" in warnings[0] and "pmops check" in warnings[0]
    stats = runner.invoke(cli, ["stats", "--repo", str(repo), "--json"], catch_exceptions=False)
    figures = json.loads(stats.stdout)
    assert figures["incidents"] == 3
    assert figures["by_severity"] == {"SEV-1": 1, "SEV-2": 1, "SEV-3": 1, "SEV-4": 0}
    assert figures["by_service"]["search"] == 1
    assert set(figures["by_month"]) == {"2019-05", "2020-11", "2026-03"}
    runner.invoke(cli, ["index", "--repo", str(repo)], catch_exceptions=False)
    page = (repo / "postmortems/README.md").read_text()
    assert "Search cluster ran out of disk" in page and "Login page slow" in page


def test_an_unchanged_index_warns_again_only_about_unreadable_files(repo: Path) -> None:
    with open_index(repo) as index:
        assert len(index) == 3
        report = index.update()
        assert report.unchanged == 3 and len(report.skipped) == 6


def test_check_holds_history_files_to_their_basic_fields(repo: Path) -> None:
    bad = repo / "postmortems/2021/2021-01-01-9-bad.md"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "---\nid: 9\ntitle: Bad\nseverity: SEV-9\nstarted_at: 2021-01-01T10:00:00Z\n"
        "resolved_at: 2021-01-01T09:00:00Z\n---\n## Anything\ntext\n"
    )
    files = [
        repo / "postmortems/2020/2020-11-10-12-login-slow.md",
        repo / "postmortems/2019/2019-05-02-INC-7-search-disk.md",
        bad,
    ]
    result = CliRunner().invoke(cli, ["check", *map(str, files)], catch_exceptions=False)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1
    assert not [line for line in lines if "login-slow" in line]  # duration only: fine
    assert any("bad.md:4: severity" in line for line in lines)
    bad.write_text(bad.read_text().replace("SEV-9", "SEV-2"))
    result = CliRunner().invoke(cli, ["check", str(bad)], catch_exceptions=False)
    assert "bad.md:6: resolved_at is before started_at" in result.output
