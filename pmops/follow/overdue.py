"""What is overdue, as pure functions over facts read elsewhere: required postmortems past
their deadline (incidents with none, pull requests waiting for a review) and open action
items past their due date; and the reminder period, so that one run per period comments once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from pmops.follow.action_items import State, TrackingIssue
from pmops.follow.config import FollowConfig
from pmops.model import Severity

EPOCH = date(1970, 1, 5)
"""A Monday: reminder periods start on Mondays, so a 7-day period is a calendar week."""


def add_business_days(start: datetime, days: int) -> datetime:
    """`start` plus `days` working days (Monday to Friday, UTC); a weekend start counts from
    the next Monday."""
    when = start.astimezone(UTC)
    while when.weekday() >= 5:
        when = (when + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    left = days
    while left > 0:
        when += timedelta(days=1)
        if when.weekday() < 5:
            left -= 1
    return when


def period_of(now: datetime, period_days: int) -> int:
    """The number of the reminder period `now` falls in."""
    return (now.astimezone(UTC).date() - EPOCH).days // period_days


def period_start(period: int, period_days: int) -> datetime:
    """When period `period` begins (00:00 UTC)."""
    day = EPOCH + timedelta(days=period * period_days)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class Incident:
    """An incident issue as the issue list shows it."""

    number: int
    title: str
    severity: Severity | None
    resolved_at: datetime | None  # closed or labelled resolved; None while unresolved
    published: bool  # its postmortem is on the default branch
    assignees: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draft:
    """The open pmops pull request of an incident."""

    number: int
    incident: int
    last_activity_at: datetime  # the pull request's updated_at: reviews, pushes, comments
    reviewers: tuple[str, ...] = ()  # requested reviewers (logins)


class Kind(StrEnum):
    """What a reminder is about."""

    NO_POSTMORTEM = "no-postmortem"
    UNREVIEWED = "unreviewed"
    ACTION_ITEM = "action-item"


@dataclass(frozen=True)
class Reminder:
    """One comment `pmops remind` owes: where, about what, whom, and since when it is due."""

    kind: Kind
    target: int  # the issue or pull request to comment on
    incident: int
    title: str
    due: date
    people: tuple[str, ...]


def deadline(incident: Incident, config: FollowConfig) -> datetime | None:
    """When the postmortem must be published; None when the incident requires none."""
    if incident.resolved_at is None or incident.severity not in config.required_severities:
        return None
    return add_business_days(incident.resolved_at, config.business_days)


def overdue_postmortems(
    incidents: Iterable[Incident], drafts: Sequence[Draft], config: FollowConfig, now: datetime
) -> list[Reminder]:
    """Required, unpublished and past the deadline: on the incident when it has no pull
    request, on the pull request when it saw no activity (review, push, comment) for
    `review_days`."""
    by_incident = {d.incident: d for d in drafts}
    result = []
    for incident in incidents:
        due = deadline(incident, config)
        if due is None or incident.published or now <= due:
            continue
        draft = by_incident.get(incident.number)
        if draft is None:
            result.append(
                Reminder(
                    Kind.NO_POSTMORTEM,
                    incident.number,
                    incident.number,
                    incident.title,
                    due.date(),
                    incident.assignees,
                )
            )
            continue
        if now - draft.last_activity_at >= timedelta(days=config.review_days):
            result.append(
                Reminder(
                    Kind.UNREVIEWED,
                    draft.number,
                    incident.number,
                    incident.title,
                    due.date(),
                    draft.reviewers,
                )
            )
    return sorted(result, key=lambda r: (r.due, r.target))


def overdue_items(issues: Iterable[TrackingIssue], today: date) -> list[Reminder]:
    """Open tracking issues past their due date."""
    return sorted(
        (
            Reminder(Kind.ACTION_ITEM, i.number, i.incident, i.title, i.due, i.assignees)
            for i in issues
            if i.due is not None and i.state(today) is State.OVERDUE
        ),
        key=lambda r: (r.due, r.target),
    )


def reminder_key(reminder: Reminder, period: int) -> str:
    """The key of a reminder's hidden marker: one comment per target, kind and period."""
    return f"{reminder.kind.value}-{reminder.target}-p{period}"
