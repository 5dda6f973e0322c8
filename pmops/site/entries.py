"""What the site knows of one postmortem: its index entry, timeline rows and action-item status."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

from pmops.follow.action_items import State, TrackingIssue
from pmops.model import ActionItem, Postmortem
from pmops.site.markdown import to_text
from pmops.times import format_time, parse_time

SEARCH_CHARS = 800
"""Characters of each postmortem in the client-side index: title, services, then the Summary,
the Root cause and the other sections. Enough to find an incident by what it was about, small
enough that 10,000 load at once."""

SUMMARY_CHARS = 240

_TIMELINE = re.compile(
    r"^[-*+]\s+`?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?Z)`?\s+"
    r"(?:(?:\[|\(|\*\*|__)([\w -]{1,20})(?:\]|\)|\*\*|__):?\s+)?(.+)$"
)
"""`- TIME [source] text` (also `**source**` or `(source)`, the time possibly backticked)."""


@dataclass(frozen=True)
class Entry:
    """One published postmortem as the index lists it (also stored in the build manifest)."""

    source: str
    page: str
    id: str
    title: str
    status: str
    severity: str
    started_at: str
    duration_minutes: int
    services: tuple[str, ...]
    summary: str
    text: str
    actions_total: int
    actions_closed: int | None  # None: the tracking issues were not read (offline)
    actions_overdue: int | None

    @property
    def year(self) -> str:
        """The incident's year (UTC)."""
        return self.started_at[:4]

    @property
    def month(self) -> str:
        """The incident's month, `YYYY-MM` (UTC)."""
        return self.started_at[:7]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (the manifest's form)."""
        return {**asdict(self), "services": list(self.services)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Entry:
        """The entry `to_json` wrote."""
        return cls(**{**data, "services": tuple(data["services"])})


UNKNOWN = "unknown"
"""The state of an item whose tracking issue was not read (built offline, or not an
action-item issue): the ticked boxes of the file are not trusted as its state."""
UNTRACKED = "untracked"
"""An item with no tracking issue (its postmortem is not merged yet, or it was added later)."""


@dataclass(frozen=True)
class ItemStates:
    """The tracking issues read from GitHub (`pmops site --github`), by number, on `today`."""

    today: date
    issues: Mapping[int, TrackingIssue]

    def of(self, item: ActionItem) -> str:
        """`open`, `closed` or `overdue` from the item's issue; `unknown`, `untracked`."""
        if item.issue is None:
            return UNTRACKED
        issue = self.issues.get(item.issue)
        return UNKNOWN if issue is None else issue.state(self.today).value


@dataclass(frozen=True)
class ActionStatus:
    """An action item and its state: from its tracking issue, or unknown (offline)."""

    item: ActionItem
    status: str


@dataclass(frozen=True)
class TimelineRow:
    """One timeline line: its time, source word and text (markdown)."""

    at: datetime
    source: str
    text: str


def page_path(source: str, folder: str) -> str:
    """Where the page of a postmortem file goes in the site: `pm/<path under folder>.html`."""
    relative = PurePosixPath(source.removeprefix(folder.rstrip("/") + "/"))
    return f"pm/{relative.with_suffix('.html').as_posix()}"


def action_statuses(pm: Postmortem, states: ItemStates | None = None) -> list[ActionStatus]:
    """Each action item's state from its tracking issue; offline, `unknown` (`untracked`
    without an issue)."""
    return [
        ActionStatus(
            item,
            states.of(item) if states else UNKNOWN if item.issue is not None else UNTRACKED,
        )
        for item in pm.action_items
    ]


def timeline_rows(text: str) -> list[TimelineRow] | None:
    """The Timeline's list as rows; None when a list line is not `- TIME [source] text`."""
    rows = []
    for line in text.split("\n"):
        if not re.match(r"^[-*+]\s", line):
            continue
        match = _TIMELINE.match(line)
        if not match:
            return None
        rows.append(TimelineRow(parse_time(match.group(1)), match.group(2) or "", match.group(3)))
    return rows or None


def entry_of(source: str, folder: str, pm: Postmortem, states: ItemStates | None = None) -> Entry:
    """The index entry of a published postmortem (item counts only when `states` were read)."""
    summary = to_text(pm.sections.get("Summary", "") or pm.impact.description, SUMMARY_CHARS)
    if not summary:
        summary = to_text(next(iter(pm.sections.values()), ""), SUMMARY_CHARS)
    first = ("Summary", "Root cause")
    body = [pm.sections.get(h, "") for h in first]
    body += [t for h, t in pm.sections.items() if h not in first]
    words = " ".join([pm.title, str(pm.id), *pm.impact.affected_services])
    words += " " + to_text("\n\n".join(body), SEARCH_CHARS)
    statuses = [a.status for a in action_statuses(pm, states)]
    return Entry(
        source=source,
        page=page_path(source, folder),
        id=str(pm.id),
        title=pm.title,
        status=pm.status.value,
        severity=pm.severity.value,
        started_at=format_time(pm.started_at),
        duration_minutes=pm.duration_minutes,
        services=tuple(dict.fromkeys(pm.impact.affected_services)),
        summary=summary,
        text=words[:SEARCH_CHARS].lower(),
        actions_total=len(statuses),
        actions_closed=statuses.count(State.CLOSED.value) if states else None,
        actions_overdue=statuses.count(State.OVERDUE.value) if states else None,
    )
