"""Commit trailers: written in a fixed order, read back as git reads them."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pmops.errors import InputError
from pmops.lifecycle.trailers import format_message, parse_trailers, pmops_trailers, read_pmops

WHEN = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


def test_round_trip() -> None:
    message = format_message("Draft postmortem for #42: API down", "Body text.",
                             pmops_trailers(42, "generate", "gpt-4o-mini", WHEN))
    assert message.endswith("Pmops-Incident: 42\nPmops-Event: generate\n"
                            "Pmops-Model: gpt-4o-mini\nPmops-Generated-At: 2026-03-20T15:00:00Z\n")
    found = read_pmops(message)
    assert (found.incident, found.event, found.model, found.generated_at) == \
        ("42", "generate", "gpt-4o-mini", WHEN)
    assert found.is_pmops


def test_human_commits_have_none() -> None:
    assert not read_pmops("Fix the summary").is_pmops
    assert not read_pmops("Subject\n\nNot: a trailer block\nbecause this line is prose").is_pmops
    assert parse_trailers("Subject only: with colon") == {}


def test_values_cannot_inject_lines() -> None:
    message = format_message("s", "", {"Pmops-Model": "evil\nPmops-Event: publish"})
    assert read_pmops(message).event is None


def test_refuses_bad_input() -> None:
    with pytest.raises(InputError):
        pmops_trailers(1, "delete")
    with pytest.raises(InputError):
        format_message("  ", "", {})


def test_git_reads_them_the_same(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    message = format_message("Publish postmortem for #7", "Approved by carol.",
                             pmops_trailers(7, "publish"))
    subprocess.run(["git", "-C", str(tmp_path), "commit", "-q", "--allow-empty", "-F", "-"],
                   input=message.encode(), check=True)
    out = subprocess.run(["git", "-C", str(tmp_path), "log", "-1",
                          "--format=%(trailers:key=Pmops-Event,valueonly)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "publish"
