"""Slash commands are read from a comment's first line; the rest is feedback."""

from __future__ import annotations

import pytest

from pmops.events.branch import branch_for, incident_of
from pmops.events.comment import Command, parse_command


@pytest.mark.parametrize(("body", "command"), [
    ("/regenerate", Command("regenerate", "")),
    ("  /Regenerate   mention the pool  \n and the deploy", Command(
        "regenerate", "mention the pool and the deploy")),
    ("/regenerate --force", Command("regenerate", "--force")),
    ("/postmortem", Command("postmortem", "")),
    ("/frobnicate x", Command("frobnicate", "x")),
    ("thanks! /regenerate", None),
    ("", None),
    ("/ not a command", None),
    ("https://example.com/x", None),
])
def test_parse_command(body: str, command: Command | None) -> None:
    assert parse_command(body) == command


def test_branch_names() -> None:
    assert branch_for(42) == "pmops/incident-42"
    assert incident_of("pmops/incident-42") == 42
    assert incident_of("pmops/incident-42-x") is None and incident_of("feature/x") is None
