"""Infer a history postmortem's basic fields from a markdown postmortem written elsewhere.

Understood layouts: the Google SRE book's template (`# Title (incident #465)`, `**Date**:`
lines, a Timeline of `HH:MM` lines under a date with OUTAGE BEGINS / OUTAGE ENDS), and
Confluence or Google Docs exports (a `| Field | Value |` table or `Field: value` lines).
Each field comes from the first labeled line or table row that names it (labels in
`LABELS`), then from weaker hints (the Timeline, a severity word anywhere); what could not be
found is listed, never guessed silently.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil import parser as dateparser

from pmops.documents.fences import code_lines
from pmops.times import minutes_between

LABELS: Mapping[str, tuple[str, ...]] = {
    "started_at": ("start", "started", "start time", "started at", "incident start", "began",
                   "outage start", "impact start", "outage began", "impact began"),
    "date": ("date", "incident date", "date of incident", "outage date"),
    "resolved_at": ("end", "ended", "end time", "resolved", "resolved at", "resolution time",
                    "incident end", "outage end", "impact end", "recovered", "mitigated"),
    "detected_at": ("detected", "detected at", "detection time", "time detected"),
    "severity": ("severity", "sev", "incident severity", "priority", "impact level", "level"),
    "duration": ("duration", "outage duration", "impact duration", "time to resolve",
                 "time to recovery", "ttr", "downtime"),
    "services": ("services", "affected services", "services affected", "service",
                 "affected systems", "systems affected", "components", "affected components"),
    "id": ("incident", "incident id", "incident #", "incident number", "id", "ticket"),
    "title": ("title", "incident title", "incident name", "postmortem", "post mortem",
              "incident report"),
    "impact": ("impact", "customer impact", "user impact"),
}  # fmt: skip
"""Labels (lowercase, without punctuation or a trailing "(UTC)") that name each field."""

SEVERITY_WORDS: Mapping[str, str] = {
    "critical": "SEV-1", "blocker": "SEV-1", "emergency": "SEV-1",
    "major": "SEV-2", "high": "SEV-2", "severe": "SEV-2",
    "minor": "SEV-3", "medium": "SEV-3", "moderate": "SEV-3",
    "low": "SEV-4", "trivial": "SEV-4", "informational": "SEV-4",
}  # fmt: skip
"""Severity words in a Severity/Priority field; SEV-0 and P0 are folded into SEV-1."""

ZONES: Mapping[str, int] = {
    "UTC": 0, "GMT": 0, "Z": 0, "BST": 3600, "CET": 3600, "CEST": 7200,
    "EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
    "MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
}  # fmt: skip
"""Zone abbreviations read in times (offsets in seconds); others are refused, not guessed."""

_DEFAULT_DAY = datetime(2000, 1, 1, tzinfo=UTC)
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)")
_LABELED = re.compile(r"^\s*(?:[-*+]\s+)?([A-Za-z][\w #()/.&-]{0,40}?)\s*:\s+(.+?)\s*$")
_ROW = re.compile(r"^\s*\|\s*([^|]+?)\s*\|\s*([^|]*?)\s*\|")
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_TITLE_ID = re.compile(r"\s*[(\[]\s*(?:incident|inc)?\s*#?\s*([A-Za-z0-9][\w.-]*)\s*[)\]]\s*$",
                       re.IGNORECASE)  # fmt: skip
_SEV = re.compile(r"\b(?:sev(?:erity)?|s)\s*[-_ ]?\s*([0-5])\b", re.IGNORECASE)
_SEV_IN_TEXT = re.compile(r"\bSEV[- ]?([0-4])\b", re.IGNORECASE)
_PRIORITY = re.compile(r"\bp\s*([0-5])\b", re.IGNORECASE)
_DURATION_PART = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?)\b", re.IGNORECASE
)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_TIMELINE_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_TIMELINE_TIME = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|`)?(\d{1,2}):(\d{2})(?::\d{2})?\b")
_MARKER = re.compile(r"\b(OUTAGE|INCIDENT|IMPACT)\s+(BEGINS|STARTS|ENDS|MITIGATED)\b")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_UNIT_MINUTES = {"d": 1440, "h": 60, "m": 1}
_YEARS = (1970, 2999)
"""The years a postmortem's times may fall in (the schemas' own bound)."""
MAX_DURATION_MINUTES = 366 * 1440
"""A longer "duration" is no incident's length (a typo, a version number): not read."""


@dataclass
class Inferred:
    """Fields found in a document (frontmatter values), where each came from, what is missing."""

    meta: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def labeled_values(text: str) -> dict[str, str]:
    """Field -> first value of a `Label: value` line or `| Label | value |` row naming it."""
    by_label = {label: name for name, labels in LABELS.items() for label in labels}
    found: dict[str, str] = {}
    for raw, code in code_lines(text.split("\n")):
        line = _EMPHASIS.sub("", raw)
        match = None if code else (_ROW.match(line) or _LABELED.match(line))
        if not match or not match.group(2).strip(" -|"):
            continue
        label = re.sub(r"\(.*?\)|[^\w #&/]", " ", match.group(1)).lower()
        name = by_label.get(" ".join(label.split()))
        if name and name not in found:
            found[name] = match.group(2).strip()
    return found


def parse_severity(value: str) -> str | None:
    """SEV-n from `Sev 2`, `SEV-1`, `P1`, `S2` or a severity word; None when none fits."""
    for pattern in (_SEV, _PRIORITY):
        match = pattern.search(value)
        if match:
            return f"SEV-{min(max(int(match.group(1)), 1), 4)}"
    words = re.findall(r"[a-z]+", value.lower())
    return next((SEVERITY_WORDS[w] for w in words if w in SEVERITY_WORDS), None)


def parse_duration(value: str) -> int | None:
    """Minutes from `2h 15m`, `1 hour 30 minutes`, `45 min`, `1.5 hours` or `02:15`."""
    clock = _CLOCK.match(value.strip())
    if clock:
        return int(clock.group(1)) * 60 + int(clock.group(2))
    parts = _DURATION_PART.findall(value)
    if not parts:
        return None
    total = sum(float(n.replace(",", ".")) * _UNIT_MINUTES[unit[0].lower()] for n, unit in parts)
    return round(total) if total <= MAX_DURATION_MINUTES else None


def parse_moment(value: str) -> tuple[datetime, bool] | None:
    """(UTC time, whether a time of day was given) from a date or date-time; None if unclear.

    A time without a zone is taken as UTC (the SRE template says "all times UTC"); a zone
    abbreviation must be one of `ZONES`.
    """
    text = re.sub(r"\(.*?\)", " ", value).replace(" at ", " ").strip()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", dateparser.UnknownTimezoneWarning)
            moment = dateparser.parse(text, default=_DEFAULT_DAY, tzinfos=ZONES)
    except (ValueError, OverflowError, dateparser.UnknownTimezoneWarning):
        return None  # an unknown zone is no time at all: a wrong hour would be a silent lie
    if not _YEARS[0] <= moment.year <= _YEARS[1]:
        return None
    has_time = bool(re.search(r"\d:\d{2}", text))
    return moment.astimezone(UTC).replace(microsecond=0), has_time


def timeline_bounds(text: str) -> tuple[datetime | None, datetime | None, str]:
    """Start and end from a Timeline section's `HH:MM` lines under a date line.

    OUTAGE BEGINS / OUTAGE ENDS lines (the SRE template) win over the first and last entry.
    """
    day: datetime | None = None
    moments: list[tuple[datetime, str]] = []
    in_timeline = False
    for line in text.split("\n"):
        heading = _HEADING.match(line)
        if heading:
            in_timeline = "timeline" in heading.group(1).lower()
            continue
        date = _TIMELINE_DATE.search(line)
        if in_timeline and date:
            day = _day(date.group(1))
        clock = _TIMELINE_TIME.match(line)
        if in_timeline and day and clock and int(clock.group(1)) < 24 and int(clock.group(2)) < 60:
            at = day + timedelta(hours=int(clock.group(1)), minutes=int(clock.group(2)))
            moments.append((at, line.upper()))
    if not moments:
        return None, None, ""
    begins = [at for at, line in moments if _is_marker(line, ("BEGINS", "STARTS"))]
    ends = [at for at, line in moments if _is_marker(line, ("ENDS", "MITIGATED"))]
    if begins or ends:
        first = begins[0] if begins else None
        return first, ends[-1] if ends else None, "the Timeline's OUTAGE BEGINS/ENDS"
    return moments[0][0], moments[-1][0], "the Timeline's first and last entries"


def _day(text: str) -> datetime | None:
    """The UTC midnight of a YYYY-MM-DD date line; None when it names no day (2015-13-45)
    or a year out of `_YEARS`, as `parse_moment` reads dates."""
    try:
        day = datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        return None
    return day if _YEARS[0] <= day.year <= _YEARS[1] else None


def _is_marker(line: str, words: tuple[str, ...]) -> bool:
    match = _MARKER.search(line)
    return match is not None and match.group(2) in words


def title_and_id(text: str, labels: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The title (a Title field, else the first H1) and an id it carries, like `(incident #465)`."""
    heading = _H1.search(text)
    title = labels.get("title") or (heading.group(1) if heading else None)
    if not title:
        return None, None
    title = _EMPHASIS.sub("", title).strip()
    match = _TITLE_ID.search(title)
    if match and any(ch.isdigit() for ch in match.group(1)):
        return title[: match.start()].strip() or title, match.group(1)
    return title, None


def infer_times(text: str, labels: Mapping[str, str], found: Inferred) -> None:
    """started_at, resolved_at, detected_at and duration_minutes into `found`."""
    start_text = labels.get("started_at") or labels.get("date")
    start = parse_moment(start_text) if start_text else None
    end = parse_moment(labels["resolved_at"]) if "resolved_at" in labels else None
    detected = parse_moment(labels["detected_at"]) if "detected_at" in labels else None
    duration = parse_duration(labels["duration"]) if "duration" in labels else None
    first, last, how = timeline_bounds(text)
    if start and not start[1] and first and first.date() == start[0].date():
        start = (first, True)
        found.sources["started_at"] = how
    elif start:
        found.sources["started_at"] = "its date field" if not start[1] else "its start field"
    elif first:
        start = (first, True)
        found.sources["started_at"] = how
    if start is None:
        found.missing.append(
            f"started_at (no date or start time found, or a zone not in {', '.join(ZONES)})"
        )
        return
    if not start[1]:
        found.sources["started_at"] += " (no time of day: 00:00 UTC)"
    found.meta["started_at"] = start[0]
    if detected and detected[1] and detected[0] >= start[0]:
        found.meta["detected_at"] = detected[0]
    if end and end[1] and end[0] >= start[0]:
        found.meta["resolved_at"] = end[0]
    elif duration is not None:  # years to 2999 and a year at most: no overflow
        found.meta["resolved_at"] = start[0] + timedelta(minutes=duration)
        found.sources["resolved_at"] = "started_at + its duration"
    elif last and last > start[0]:
        found.meta["resolved_at"] = last
        found.sources["resolved_at"] = how
    else:
        found.missing.append("resolved_at and duration (no end time or duration found)")
        return
    found.meta["duration_minutes"] = minutes_between(start[0], found.meta["resolved_at"])


def infer(text: str, meta: Mapping[str, Any] | None = None) -> Inferred:
    """Everything `pmops import` can tell about a document; `meta` (its frontmatter) wins."""
    labels = labeled_values(text)
    found = Inferred()
    title, title_id = title_and_id(text, labels)
    ident = labels.get("id") and re.search(r"[A-Za-z]*[-#]?\d[\w.-]*", labels["id"])
    if title:
        found.meta["title"] = title[:200]
    if title_id or ident:
        found.meta["id"] = title_id or (ident.group(0).lstrip("#") if ident else None)
    severity = parse_severity(labels["severity"]) if "severity" in labels else None
    if severity is None and (word := _SEV_IN_TEXT.search(text)):
        severity = f"SEV-{max(int(word.group(1)), 1)}"
        found.sources["severity"] = f"{word.group(0)!r} in the text"
    if severity:
        found.meta["severity"] = severity
    else:
        found.missing.append("severity (no Severity/Priority field or SEV-n in the text)")
    infer_times(text, labels, found)
    services = [s.strip(" `*") for s in re.split(r"[,;]| and ", labels.get("services", ""))]
    if any(services):
        found.meta["services"] = [s for s in services if s]
    for key, value in (meta or {}).items():
        found.meta[key] = value
        found.sources.pop(key, None)
    found.missing = [m for m in found.missing if m.split(" ")[0] not in (meta or {})]
    return found
