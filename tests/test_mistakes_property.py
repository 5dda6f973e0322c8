"""Any line of a postmortem, an incident file or a config typed wrong is a message, never a
traceback: each test puts a hostile YAML value (an impossible date, a tag YAML cannot build,
NaN, a huge number...) in place of one line's value and reads the file as pmops does."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pmops.config import parse_config
from pmops.documents.check import check_text
from pmops.errors import PmopsError
from pmops.history.importer import plan_one
from pmops.setup.init import InitOptions, render_config
from pmops.sources.incident_file import load_incident_file
from tests.samples import NAME, sample_text

VALUES = st.sampled_from([
    "2026-13-20T15:10:00Z", "2026-02-30T10:00:00Z", "2026-03-20T24:00:00Z", "2026-12-01",
    "!!int x", "!!float x", "!!binary ?", "!!timestamp 2026-99-01", ".nan", "-.inf", "1e309",
    "~", "[]", "{}", "[1, {a: 2}]", "''", "0x1F", "-1", "0", "true", "9" * 400, "SEV-9",
    "'@everyone [x](https://evil.example)'", "&a x", "*a", "|\n  block",
])  # fmt: skip
"""Values a hurried or hostile writer puts where another was expected."""

INCIDENT = """\
id: INC-7
title: Checkout requests time out
started_at: 2026-12-01T09:40:00Z
detected_at: 2026-12-01T09:44:00Z
resolved_at: 2026-12-01T10:25:00Z
severity: SEV-2
services: [checkout]
impact:
  description: Checkout failed for some users
  users_affected: 120
updates:
  - at: 2026-12-01T09:45:00Z
    text: Pool exhausted errors
deploys:
  - at: 2026-12-01T09:00:00Z
    sha: abc1234
    service: checkout
alerts:
  - at: 2026-12-01T09:41:00Z
    name: CheckoutErrors
"""

_KEY = re.compile(r"^(\s*(?:- )?[\w.]+:)\s*(.*)$")


def _replaced(text: str, line: int, value: str) -> str:
    """`text` with the value of its `line` (or the whole line, if it has no key) replaced."""
    lines = text.split("\n")
    line %= len(lines)
    match = _KEY.match(lines[line])
    lines[line] = f"{match.group(1)} {value}" if match else value
    return "\n".join(lines)


CHECKED = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


_RESOLVED = next(
    i for i, line in enumerate(sample_text().split("\n")) if line.startswith("resolved_at")
)


@CHECKED
@given(st.integers(0, 200), VALUES)
@example(1, "!!int x")  # raised ValueError inside YAML
@example(_RESOLVED, "2026-13-20T15:10:00Z")  # raised ValueError building the timestamp
def test_a_mistyped_postmortem_line_is_a_problem(line: int, value: str) -> None:
    problems, _ = check_text(_replaced(sample_text(), line, value), NAME)
    assert all(p.line >= 1 and p.message for p in problems)


@CHECKED
@given(st.integers(0, 200), VALUES)
def test_a_mistyped_incident_file_line_is_a_message(
    tmp_path_factory: pytest.TempPathFactory, line: int, value: str
) -> None:
    path = tmp_path_factory.mktemp("incident") / "incident.yml"
    path.write_text(_replaced(INCIDENT, line, value), encoding="utf-8")
    try:
        load_incident_file(path)
    except PmopsError as error:
        assert str(error)


@CHECKED
@given(st.integers(0, 200), VALUES)
def test_a_mistyped_config_line_is_a_message(line: int, value: str) -> None:
    try:
        parse_config(_replaced(render_config(InitOptions()), line, value))
    except PmopsError as error:
        assert str(error)


SOURCE_LINES = st.sampled_from([
    "# Outage (incident #465)", "**Date**: 2015-10-21", "**Date**: 2015-13-45",
    "Start: 2021-03-04 14:00 UTC", "Start: 2021-03-04 25:00 UTC", "End: 2021-03-04 13:00 UTC",
    "Start: 9999-12-31 23:59 UTC", "Duration: 2h 15m", "Duration: 99999999999 hours",
    "Severity: Sev 2", "Priority: P0", "| Field | Value |", "|---|---|",
    "| Start | 2021-03-04 14:00 PST |", "| Incident | INC-2041 |", "## Timeline",
    "2015-10-21 (all times UTC)", "14:51 OUTAGE BEGINS", "25:99 OUTAGE ENDS", "```", "---",
    "id: 5", "started_at: 2026-13-01T00:00:00Z", "",
])  # fmt: skip
"""Lines of exported postmortems, some of them mistyped."""


@CHECKED
@given(st.lists(SOURCE_LINES, max_size=12))
@example(["Duration: 99999999999 hours", "| Start | 2021-03-04 14:00 PST |"])  # overflowed
@example(["## Timeline", "**Date**: 2015-13-45", "14:51 OUTAGE BEGINS"])  # no such day
@example(["## Timeline", "9999-12-31", "23:59 OUTAGE BEGINS", "Duration: 300 days"])  # past 9999
def test_a_mistyped_source_is_imported_or_said_why_not(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    root = tmp_path_factory.mktemp("import")
    (root / "src").mkdir()
    source = root / "src" / "outage.md"
    source.write_text("\n".join(lines), encoding="utf-8")
    planned = plan_one(source, root / "src", root, "postmortems", None)
    assert planned.problem or planned.dest
