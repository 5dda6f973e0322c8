"""The postmortem status machine (DESIGN §4) as pure functions: draft -> edited -> published.

A published postmortem stays published, whatever happens to it later; every refused
transition raises TransitionError with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from pmops.errors import TransitionError
from pmops.model import Postmortem, Status


class Event(StrEnum):
    """What can happen to a postmortem; also the `Pmops-Event` commit trailer."""

    GENERATE = "generate"
    REGENERATE = "regenerate"
    EDIT = "edited"
    PUBLISH = "publish"


FROZEN_AFTER_PUBLISH = ("id", "generated_at", "published_at", "published_by")
"""Frontmatter keys no change may touch once a postmortem is published."""

STAMP_FIELDS = ("status", "published_by", "published_at")
"""The only keys a publish stamp changes (and the only difference an approval tolerates)."""

_TRANSITIONS: dict[tuple[Status | None, Event], Status] = {
    (None, Event.GENERATE): Status.DRAFT,
    (Status.DRAFT, Event.GENERATE): Status.DRAFT,
    (Status.DRAFT, Event.REGENERATE): Status.DRAFT,
    (Status.EDITED, Event.REGENERATE): Status.EDITED,
    (Status.DRAFT, Event.EDIT): Status.EDITED,
    (Status.EDITED, Event.EDIT): Status.EDITED,
    (Status.PUBLISHED, Event.EDIT): Status.PUBLISHED,
    (Status.DRAFT, Event.PUBLISH): Status.PUBLISHED,
    (Status.EDITED, Event.PUBLISH): Status.PUBLISHED,
}

_REFUSALS: dict[tuple[Status | None, Event], str] = {
    (Status.EDITED, Event.GENERATE): "humans have edited this postmortem; use /regenerate",
    (Status.PUBLISHED, Event.GENERATE): "the postmortem is already published",
    (Status.PUBLISHED, Event.REGENERATE): "a published postmortem is never regenerated",
    (Status.PUBLISHED, Event.PUBLISH): "the postmortem is already published",
    (None, Event.REGENERATE): "there is no draft to regenerate yet",
    (None, Event.EDIT): "there is no postmortem to edit yet",
    (None, Event.PUBLISH): "there is no postmortem to publish yet",
}


def next_status(current: Status | None, event: Event) -> Status:
    """The status after `event`; TransitionError with the reason when it is not allowed."""
    try:
        return _TRANSITIONS[(current, event)]
    except KeyError:
        reason = _REFUSALS.get((current, event), "this transition is not defined")
        state = current.value if current else "no postmortem"
        raise TransitionError(f"cannot {event.value} ({state}): {reason}") from None


def mark_edited(pm: Postmortem, editors: list[str]) -> Postmortem:
    """Record a human edit: status edited (published stays published), editors added once."""
    status = next_status(pm.status, Event.EDIT)
    known = list(pm.edited_by)
    known.extend(login for login in editors if login not in known)
    return replace(pm, status=status, edited_by=tuple(known))


def mark_published(pm: Postmortem, by: str, at: datetime) -> Postmortem:
    """Stamp a postmortem as published by `by` at `at`."""
    status = next_status(pm.status, Event.PUBLISH)
    return replace(pm, status=status, published_by=by, published_at=at)


def stamp_fields(
    current: Status | None, by: str, at: datetime, *, restamp: bool = False
) -> dict[str, Any]:
    """The frontmatter a publish stamp writes (exactly STAMP_FIELDS).

    `restamp`: the file says published but no approval covers it any more (a human changed
    it after the stamp, or a writer typed the stamp): a code owner's approval stamps it again.
    Anything else that is not a PUBLISH transition raises TransitionError.
    """
    status = (
        Status.PUBLISHED
        if restamp and current is Status.PUBLISHED
        else next_status(current, Event.PUBLISH)
    )
    return {"status": status.value, "published_by": by, "published_at": at}


def frozen_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Frozen keys whose value differs between two frontmatters of a published postmortem."""
    if before.get("status") != Status.PUBLISHED.value:
        return []
    changed = [key for key in FROZEN_AFTER_PUBLISH if before.get(key) != after.get(key)]
    if after.get("status") != Status.PUBLISHED.value:
        changed.insert(0, "status")
    return changed
