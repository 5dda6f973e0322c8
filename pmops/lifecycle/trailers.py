"""Commit trailers: the audit log of every commit pmops makes (DESIGN §4).

`Pmops-Incident: 42`, `Pmops-Event: generate|regenerate|edited|publish`, `Pmops-Model: ...`
and `Pmops-Generated-At: <first generation>` (so quota can place an incident in the month of
its first generate even from a later commit). Trailers are the audit log, not the only
record: squash merges may drop them, so the same facts are also in the file's frontmatter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pmops.errors import InputError
from pmops.times import format_time, parse_time

INCIDENT = "Pmops-Incident"
EVENT = "Pmops-Event"
MODEL = "Pmops-Model"
GENERATED_AT = "Pmops-Generated-At"

EVENTS = ("generate", "regenerate", "edited", "publish", "action-items")
"""Values of the `Pmops-Event` trailer (the lifecycle events that make a commit)."""

_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")
_SAFE_VALUE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PmopsTrailers:
    """The pmops trailers of one commit (all None for a human's commit)."""

    incident: str | None = None
    event: str | None = None
    model: str | None = None
    generated_at: datetime | None = None

    @property
    def is_pmops(self) -> bool:
        """True when the commit was made by pmops (it names a known event)."""
        return self.event in EVENTS


def format_message(subject: str, body: str, trailers: Mapping[str, str]) -> str:
    """A commit message: one-line subject, optional body, then a trailer block."""
    subject = " ".join(subject.split())
    if not subject:
        raise InputError("a commit message needs a subject")
    lines = [subject, ""]
    if body.strip():
        lines += [body.strip(), ""]
    for key, value in trailers.items():
        if not _TRAILER.match(f"{key}: x"):
            raise InputError(f"invalid trailer key {key!r}")
        lines.append(f"{key}: {_SAFE_VALUE.sub(' ', str(value)).strip()}")
    return "\n".join(lines) + "\n"


def pmops_trailers(
    incident: int | str, event: str, model: str | None = None, generated_at: datetime | None = None
) -> dict[str, str]:
    """The trailers pmops puts on a commit, in a fixed order."""
    if event not in EVENTS:
        raise InputError(f"unknown pmops event {event!r}; known: {', '.join(EVENTS)}")
    result = {INCIDENT: str(incident), EVENT: event}
    if model:
        result[MODEL] = model
    if generated_at is not None:
        result[GENERATED_AT] = format_time(generated_at)
    return result


def parse_trailers(message: str) -> dict[str, list[str]]:
    """Trailers of a commit message: the last paragraph, if every line of it is `Key: value`.

    Keys are matched case-insensitively as git does and returned as written first.
    """
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return {}
    result: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line)
        if not match:
            return {}
        key = names.setdefault(match.group(1).lower(), match.group(1))
        result.setdefault(key, []).append(match.group(2))
    return result


def read_pmops(message: str) -> PmopsTrailers:
    """The pmops trailers of a commit message (last value wins for a repeated key)."""
    trailers = {k.lower(): v[-1] for k, v in parse_trailers(message).items() if v}
    return from_values(
        trailers.get(INCIDENT.lower()),
        trailers.get(EVENT.lower()),
        trailers.get(MODEL.lower()),
        trailers.get(GENERATED_AT.lower()),
    )


def from_values(
    incident: str | None, event: str | None, model: str | None, generated_at: str | None
) -> PmopsTrailers:
    """Build PmopsTrailers from raw trailer values (as `git log %(trailers)` prints them)."""
    when = None
    if generated_at:
        try:
            when = parse_time(generated_at)
        except InputError:
            when = None
    return PmopsTrailers(
        incident=(incident or "").strip() or None,
        event=(event or "").strip() or None,
        model=(model or "").strip() or None,
        generated_at=when,
    )
