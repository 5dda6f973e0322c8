"""Action items as commitments: the tracking issue each published item becomes, and its state
read back.

Pure functions over plain data; the GitHub calls are in `pmops.events.merged` (create) and
`pmops.follow.item_status` (read). An item's issue is found again by a hidden marker in its body
(`<!-- pmops:action-item:<incident>-<digest of the title> -->`), so re-runs and re-publishes
never open a second one. GitHub issues have no due date field: the date is a `Due: YYYY-MM-DD`
line of the issue body (a human may edit it there) and `due` in the postmortem's frontmatter.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from pmops.model import ActionItem, Priority

ITEM_LABEL = "postmortem:action-item"
"""Every tracking issue carries it: one paginated list by this label reads them all back."""

PRIORITY_LABELS: Mapping[Priority, tuple[str, str, str]] = {
    Priority.HIGH: ("priority: high", "b60205", "Action item: do first"),
    Priority.MEDIUM: ("priority: medium", "fbca04", "Action item: do soon"),
    Priority.LOW: ("priority: low", "c2e0c6", "Action item: do when there is time"),
}
"""(label, color, description) of each priority; created when the repository lacks it."""

_LOGIN = re.compile(r"^@?([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})$")
_TEAM = re.compile(r"^@([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9][A-Za-z0-9_.-]*)$")
_DUE = re.compile(r"^Due: (\d{4}-\d{2}-\d{2})\s*$", re.MULTILINE)
_KEY = re.compile(r"<!-- pmops:action-item:(\d+-[0-9a-f]{12}) -->")


class OwnerKind(StrEnum):
    """What an item's `owner` names."""

    LOGIN = "login"
    TEAM = "team"
    PROSE = "prose"


@dataclass(frozen=True)
class Owner:
    """An owner as written, and what it is."""

    text: str
    kind: OwnerKind
    name: str  # the login, org/team, or the text itself


def parse_owner(owner: str | None) -> Owner | None:
    """`@alice` or `alice` is a login, `@org/team` a team, anything else prose."""
    text = " ".join((owner or "").split())
    if not text:
        return None
    if match := _TEAM.match(text):
        return Owner(text, OwnerKind.TEAM, f"{match.group(1)}/{match.group(2)}")
    if match := _LOGIN.match(text):
        return Owner(text, OwnerKind.LOGIN, match.group(1))
    return Owner(text, OwnerKind.PROSE, text)


def item_key(incident: int, item: ActionItem) -> str:
    """A stable key of an action item: the incident and a digest of its title."""
    digest = hashlib.sha256(" ".join(item.title.lower().split()).encode()).hexdigest()[:12]
    return f"{incident}-{digest}"


def item_marker(key: str) -> str:
    """The hidden marker in a tracking issue's body."""
    return f"<!-- pmops:action-item:{key} -->"


def due_date(published: date, priority: Priority, due_days: Mapping[Priority, int]) -> date:
    """Publication day plus the priority's configured number of days."""
    return published + timedelta(days=due_days[priority])


class State(StrEnum):
    """An action item's state as its issue reports it."""

    OPEN = "open"
    CLOSED = "closed"
    OVERDUE = "overdue"  # open past its due date


@dataclass(frozen=True)
class TrackingIssue:
    """What the issue list says of one tracking issue (the state of an action item)."""

    number: int
    key: str
    title: str
    open: bool
    created_at: datetime
    closed_at: datetime | None
    due: date | None
    priority: Priority | None
    assignees: tuple[str, ...] = ()

    def state(self, today: date) -> State:
        """Closed, open, or overdue on `today`."""
        if not self.open:
            return State.CLOSED
        return State.OVERDUE if self.due is not None and today > self.due else State.OPEN

    @property
    def incident(self) -> int:
        """The incident whose postmortem the item belongs to."""
        return int(self.key.split("-", 1)[0])


def tracking_issue(
    number: int,
    title: str,
    body: str | None,
    state: str,
    created_at: datetime,
    closed_at: datetime | None,
    labels: Iterable[str],
    assignees: Iterable[str] = (),
) -> TrackingIssue | None:
    """Read one issue of the list; None when its body has no pmops marker (not ours)."""
    match = _KEY.search(body or "")
    if match is None:
        return None
    due = _DUE.search(body or "")
    by_label = {name: p for p, (name, _, _) in PRIORITY_LABELS.items()}
    priority = next((by_label[n] for n in labels if n in by_label), None)
    try:
        due_day = date.fromisoformat(due.group(1)) if due else None
    except ValueError:
        due_day = None  # a human typed an impossible date: treat as having none
    return TrackingIssue(
        number,
        match.group(1),
        title,
        state == "open",
        created_at,
        closed_at,
        due_day,
        priority,
        tuple(assignees),
    )


@dataclass(frozen=True)
class ItemCounts:
    """Action items by state, and the median days to close by priority."""

    open: int
    closed: int
    overdue: int
    close_days: Mapping[str, float]

    @property
    def total(self) -> int:
        """Every tracked item."""
        return self.open + self.closed + self.overdue


def count_items(issues: Sequence[TrackingIssue], today: date) -> ItemCounts:
    """Open (not yet due), closed and overdue items, and the median days to close per priority."""
    states = [i.state(today) for i in issues]
    days: dict[str, list[float]] = {}
    for issue in issues:
        if issue.closed_at is not None and not issue.open:
            name = issue.priority.value if issue.priority else "none"
            spent = (issue.closed_at - issue.created_at).total_seconds() / 86400
            days.setdefault(name, []).append(spent)
    order = [p.value for p in Priority] + ["none"]
    return ItemCounts(
        open=states.count(State.OPEN),
        closed=states.count(State.CLOSED),
        overdue=states.count(State.OVERDUE),
        close_days={p: round(statistics.median(days[p]), 1) for p in order if p in days},
    )
