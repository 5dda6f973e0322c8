"""The job-log writer: no line the runner would take as a workflow command, no secret."""

from __future__ import annotations

import pytest

from pmops.safety.joblog import command_value, inert

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("label ##[error]pwned", "label ## [error]pwned"),
        ("##[group]x\n  ::warning::y", "## [group]x\n|   ::warning::y"),
        ("###[x] and ##[set-output name=a]b", "### [x] and ## [set-output name=a]b"),
        ("pmops: fine", "pmops: fine"),
    ],
)
def test_inert_lines_are_no_commands(text: str, shown: str) -> None:
    assert inert(text) == shown


def test_log_and_command_values_are_redacted() -> None:
    assert TOKEN not in inert(f"pushed with {TOKEN}")
    value = command_value(f"failed: {TOKEN}\n##[error]x 100%")
    assert TOKEN not in value and "##[" not in value and "%0A" in value and "100%25" in value
