"""Parse and format times: every time pmops reads carries a zone, every time it writes is UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pmops.errors import InputError

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
"""Times pmops accepts: git's clock starts in 1970, and windows and durations computed from
a year-1 or year-9999 time would overflow."""


def parse_time(value: object, what: str = "time") -> datetime:
    """Return an aware UTC datetime; a naive time is an error, never a guess."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        raise InputError(f"{what}: {value.isoformat()} is a date without a time of day")
    elif isinstance(value, str):
        text = value.strip().replace(" ", "T", 1)
        if text.endswith(("z", "Z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise InputError(f"{what}: {value!r} is not an ISO-8601 time") from None
    else:
        raise InputError(f"{what}: expected an ISO-8601 time, got {type(value).__name__}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InputError(
            f"{what}: {value!s} has no time zone; write it in UTC with a trailing Z "
            "(e.g. 2026-03-20T14:23:00Z) or with an offset (+02:00)"
        )
    try:
        moment = parsed.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST <= moment < LATEST:
        raise InputError(
            f"{what}: {value!s} is out of range (from {EARLIEST.year} to {LATEST.year - 1})"
        )
    return moment


def format_time(moment: datetime) -> str:
    """ISO-8601 UTC with seconds and a trailing Z, e.g. 2026-03-20T14:23:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_clock(moment: datetime) -> str:
    """Short UTC time of day for prose, e.g. 14:23 UTC."""
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from start to end, rounded to the nearest minute (never negative)."""
    return max(0, round((end - start).total_seconds() / 60))
