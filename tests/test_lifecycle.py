"""The status machine: every allowed transition, every refused one with its reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pmops.errors import TransitionError
from pmops.lifecycle.status import (
    STAMP_FIELDS,
    Event,
    frozen_changes,
    mark_edited,
    mark_published,
    next_status,
    stamp_fields,
)
from pmops.model import Status
from tests.samples import sample_postmortem

ALLOWED = [
    (None, Event.GENERATE, Status.DRAFT),
    (Status.DRAFT, Event.GENERATE, Status.DRAFT),
    (Status.DRAFT, Event.REGENERATE, Status.DRAFT),
    (Status.EDITED, Event.REGENERATE, Status.EDITED),
    (Status.DRAFT, Event.EDIT, Status.EDITED),
    (Status.EDITED, Event.EDIT, Status.EDITED),
    (Status.PUBLISHED, Event.EDIT, Status.PUBLISHED),
    (Status.DRAFT, Event.PUBLISH, Status.PUBLISHED),
    (Status.EDITED, Event.PUBLISH, Status.PUBLISHED),
]


@pytest.mark.parametrize(("current", "event", "after"), ALLOWED)
def test_allowed_transitions(current: Status | None, event: Event, after: Status) -> None:
    assert next_status(current, event) is after


REFUSED = [
    (Status.EDITED, Event.GENERATE, "use /regenerate"),
    (Status.PUBLISHED, Event.GENERATE, "already published"),
    (Status.PUBLISHED, Event.REGENERATE, "never regenerated"),
    (Status.PUBLISHED, Event.PUBLISH, "already published"),
    (None, Event.REGENERATE, "no draft"),
    (None, Event.EDIT, "no postmortem"),
    (None, Event.PUBLISH, "no postmortem"),
]


@pytest.mark.parametrize(("current", "event", "reason"), REFUSED)
def test_refused_transitions(current: Status | None, event: Event, reason: str) -> None:
    with pytest.raises(TransitionError, match=reason):
        next_status(current, event)


def test_every_pair_is_either_allowed_or_refused_with_a_reason() -> None:
    for current in [None, *Status]:
        for event in Event:
            try:
                next_status(current, event)
            except TransitionError as exc:
                assert "not defined" not in str(exc), (current, event)


def test_mark_edited_records_editors_once() -> None:
    pm = mark_edited(sample_postmortem(), ["alice"])
    assert pm.status is Status.EDITED and pm.edited_by == ("alice",)
    pm = mark_edited(pm, ["bob", "alice"])
    assert pm.edited_by == ("alice", "bob")


def test_published_stays_published_when_edited() -> None:
    at = datetime(2026, 3, 21, 9, tzinfo=UTC)
    pm = mark_published(sample_postmortem(), "carol", at)
    assert (pm.status, pm.published_by, pm.published_at) == (Status.PUBLISHED, "carol", at)
    assert mark_edited(pm, ["dave"]).status is Status.PUBLISHED
    with pytest.raises(TransitionError):
        mark_published(pm, "erin", at)


def test_frozen_changes() -> None:
    before = {
        "status": "published",
        "id": 1,
        "generated_at": "a",
        "published_at": "b",
        "published_by": "c",
    }
    assert frozen_changes(before, dict(before)) == []
    assert frozen_changes(before, {**before, "id": 2}) == ["id"]
    assert frozen_changes(before, {**before, "status": "draft"}) == ["status"]
    assert frozen_changes({**before, "status": "draft"}, {"id": 9}) == []


def test_stamp_fields_are_exactly_the_stamp() -> None:
    at = datetime(2026, 3, 21, 9, tzinfo=UTC)
    fields = stamp_fields(Status.EDITED, "carol", at)
    assert tuple(fields) == STAMP_FIELDS and fields["status"] == "published"
    with pytest.raises(TransitionError, match="already published"):
        stamp_fields(Status.PUBLISHED, "carol", at)
    # a published file no approval covers any more is stamped again, on purpose only
    assert stamp_fields(Status.PUBLISHED, "dave", at, restamp=True)["published_by"] == "dave"
    with pytest.raises(TransitionError):
        stamp_fields(None, "carol", at, restamp=True)
