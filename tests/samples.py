"""Sample postmortems for tests: one valid document and small ways to break it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pmops.documents.render import render_postmortem
from pmops.model import (
    SECTIONS,
    ActionItem,
    Confidence,
    Generator,
    Impact,
    Postmortem,
    Priority,
    Severity,
    Status,
    Suspect,
)

START = datetime(2026, 3, 20, 14, 23, tzinfo=UTC)
END = datetime(2026, 3, 20, 15, 10, tzinfo=UTC)
NAME = "postmortems/2026/2026-03-20-42-api-gateway-5xx.md"

TIMELINE = (
    "- 2026-03-20T14:21:00Z [deploy] Deployed abc1234 to production (api-gateway)\n"
    "- 2026-03-20T14:23:00Z [issue] Incident started\n"
    "- 2026-03-20T15:10:00Z [issue] Incident resolved\n\n"
    "```mermaid\ntimeline\n  14:21 : deploy\n```"
)


def sample_postmortem(**changes: Any) -> Postmortem:
    """A valid postmortem; keyword arguments replace fields."""
    sections = {heading: f"Text of {heading.lower()}." for heading in SECTIONS}
    sections["Timeline"] = TIMELINE
    pm = Postmortem(
        id=42,
        title="API gateway 5xx errors",
        status=Status.DRAFT,
        severity=Severity.SEV2,
        started_at=START,
        detected_at=datetime(2026, 3, 20, 14, 25, tzinfo=UTC),
        resolved_at=END,
        duration_minutes=47,
        impact=Impact("Requests failed", ("api-gateway", "auth-service"), 2300),
        confidence=Confidence.MEDIUM,
        generated_at=datetime(2026, 3, 20, 16, 0, tzinfo=UTC),
        generator=Generator("0.1.0", "deterministic", 1),
        sections=sections,
        suspects=(Suspect("a" * 40, 0.82, ("deployed 2 min before the start",), 118),),
        action_items=(ActionItem("Validate config/pool.yaml in CI", Priority.HIGH, "@team-auth"),),
    )
    pm = replace(pm, **changes)
    if "sections" not in changes:  # the section lists the frontmatter's items, as drafts do
        listed = "\n".join(f"- [ ] **{a.priority.value}** {a.title}" for a in pm.action_items)
        pm = replace(pm, sections={**pm.sections, "Action items": listed or "None."})
    return pm


def sample_text(**changes: Any) -> str:
    """The sample rendered as markdown."""
    return render_postmortem(sample_postmortem(**changes))


BILLION_LAUGHS = (
    "---\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))
    + "id: 1\n---\n## Summary\n"
).encode()
"""1 KB of YAML whose nested aliases read as a billion strings."""
