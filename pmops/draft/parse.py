"""Read a model's answer: find the JSON, validate it against schemas/draft.schema.json, reject
empty, truncated and repetitive output, and turn what passes into a sanitized `Draft`."""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pmops.documents.schemas import describe, iter_errors
from pmops.errors import InputError
from pmops.model import (
    ActionItem,
    Analysis,
    Confidence,
    Draft,
    EventSource,
    Generator,
    Priority,
    TimelineEvent,
)
from pmops.safety.sanitize import sanitize_inline, sanitize_markdown
from pmops.times import parse_time

MIN_COMPRESSION = 0.08
"""zlib ratio below which long output is a loop: prose compresses to ~0.4, a JSON draft with
a long uniform timeline to ~0.13, a generation loop to ~0.01-0.05."""
LOOP_REPEATS = 4
"""A tail that is one chunk repeated this often is a generation loop."""
SENTENCE_REPEATS = 4
"""The same sentence (>= 20 characters) this often across the draft is a loop."""
MAX_ERRORS_SHOWN = 8

_FENCED_JSON = re.compile(r"```(?:json|JSON)?\s*\n(.*?)\n?```", re.DOTALL)
_SENTENCE = re.compile(r"[^.!?\n]{20,}[.!?]?")
_CONFIDENCE_ORDER = {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}


@dataclass(frozen=True)
class Problem:
    """Why an answer cannot be used: a short phrase and details for the repair prompt."""

    kind: str
    """empty, truncated, repetitive, no-json or invalid."""
    message: str
    detail: str = ""


@dataclass(frozen=True)
class Reading:
    """A validated draft object, or the problem that stops it."""

    data: dict[str, Any] | None
    problem: Problem | None


def read_answer(text: str, finish_reason: str | None) -> Reading:
    """Check one answer; the first problem found wins."""
    if not text.strip():
        return Reading(None, Problem("empty", "the answer was empty"))
    if finish_reason == "length":
        return Reading(
            None,
            Problem(
                "truncated",
                "the answer was cut off at the output token limit",
                "Write less: the previous answer was too long to finish.",
            ),
        )
    if is_repetitive(text, sentences=False):
        return Reading(None, Problem("repetitive", "the answer repeated itself in a loop"))
    data = extract_json(text)
    if data is None:
        return Reading(None, Problem("no-json", "the answer held no JSON object"))
    errors = [describe(e) for e in iter_errors("draft", data)]
    errors += _time_errors(data) if not errors else []
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f" (and {len(errors) - len(shown)} more)" if len(errors) > len(shown) else ""
        return Reading(
            None,
            Problem(
                "invalid",
                f"the JSON object does not match the schema: {len(errors)} problem"
                f"{'s' if len(errors) != 1 else ''}",
                "Fix these problems" + more + ":\n" + "\n".join(f"- {e}" for e in shown),
            ),
        )
    if is_repetitive("\n".join(_strings(data))):
        return Reading(None, Problem("repetitive", "the answer repeated the same sentences"))
    return Reading(data, None)


def extract_json(text: str) -> dict[str, Any] | None:
    """The JSON object in `text`: all of it, a ```json fenced block, or the first balanced
    `{...}` that parses. Raw control characters inside strings are accepted (llama.cpp's
    JSON grammars let a model write a newline unescaped); strict parsing would skip the
    whole answer and take an object nested in it instead."""
    candidates = [text.strip(), *(m.group(1) for m in _FENCED_JSON.finditer(text))]
    candidates += list(_balanced_objects(text))
    for candidate in candidates:
        try:
            value = json.loads(candidate, strict=False)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _balanced_objects(text: str) -> Iterator[str]:
    """Each `{...}` span with balanced braces outside JSON strings, outermost first."""
    start = text.find("{")
    while start != -1:
        depth = 0
        in_string = escaped = False
        for index in range(start, len(text)):
            char = text[index]
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    yield text[start : index + 1]
                    break
        start = text.find("{", start + 1)


def is_repetitive(text: str, sentences: bool = True) -> bool:
    """True for generation loops: very low compressibility, a repeating tail, or (with
    `sentences`, for prose rather than raw JSON) one sentence over and over."""
    if len(text) >= 400:
        raw = text.encode()
        if len(zlib.compress(raw, 9)) / len(raw) < MIN_COMPRESSION:
            return True
    stripped = text.rstrip()
    for period in range(1, 201):
        span = period * LOOP_REPEATS
        if span > len(stripped):
            break
        if span >= 40 and stripped[-span:] == stripped[-period:] * LOOP_REPEATS:
            return True
    if not sentences:
        return False
    counts = Counter(s.strip().lower() for s in _SENTENCE.findall(text))
    return any(n >= SENTENCE_REPEATS for n in counts.values())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _time_errors(data: dict[str, Any]) -> list[str]:
    errors = []
    for index, entry in enumerate(data["timeline"]):
        try:
            parse_time(entry["at"])
        except InputError:
            errors.append(f"timeline.{index}.at: {entry['at']!r} is not a valid UTC time")
    return errors


# ---------------------------------------------------------------- conversion


def to_draft(
    data: dict[str, Any],
    analysis: Analysis,
    *,
    fallback: Draft,
    generator: Generator,
    allowed_links: Sequence[str],
    notes: Sequence[str] = (),
    team_sections: Sequence[str] = (),
) -> Draft:
    """A sanitized Draft from a validated object. Severity stays the incident's; confidence
    never exceeds what the deterministic rating of the same evidence supports. Of
    `extra_sections`, only the repository's `team_sections` are kept."""
    notes = list(notes)
    severity = analysis.evidence.incident.severity
    if data["severity"] != severity.value:
        notes.append(
            f"The model proposed {data['severity']}; the incident record's {severity.value} "
            "was kept."
        )
    confidence = Confidence(data["confidence"]["level"])
    reason = sanitize_markdown(data["confidence"]["reason"], allowed_links)
    if _CONFIDENCE_ORDER[confidence] > _CONFIDENCE_ORDER[fallback.confidence]:
        notes.append(
            f"The model rated its confidence {confidence.value}; the evidence supports "
            f"{fallback.confidence.value}, which was kept."
        )
        confidence, reason = fallback.confidence, f"{reason} {fallback.confidence_reason}"

    def block(text: str) -> str:
        return sanitize_markdown(text, allowed_links)

    def items(values: Sequence[str]) -> tuple[str, ...]:
        cleaned = (sanitize_inline(v, allowed_links) for v in values)
        return tuple(v for v in cleaned if v)

    return Draft(
        summary=block(data["summary"]),
        severity=severity,
        customer_impact=block(data["customer_impact"]),
        timeline=_timeline(data["timeline"], allowed_links),
        root_cause=block(data["root_cause"]["text"]),
        root_cause_suspects=tuple(dict.fromkeys(data["root_cause"]["suspects"])),
        resolution=block(data["resolution"]),
        contributing_factors=items(data["contributing_factors"]),
        went_well=items(data["went_well"]),
        went_poorly=items(data["went_poorly"]),
        action_items=_action_items(data["action_items"], allowed_links),
        confidence=confidence,
        confidence_reason=reason,
        generator=generator,
        notes=(*fallback.notes, *notes),
        extra_sections=_team_texts(data.get("extra_sections", {}), team_sections, block),
    )


def _team_texts(
    written: dict[str, str], headings: Sequence[str], block: Callable[[str], str]
) -> tuple[tuple[str, str], ...]:
    """The model's text of each team section, sanitized, matched by heading (case and
    spacing aside); sections the layout does not have are dropped."""
    by_key = {" ".join(h.split()).lower(): text for h, text in written.items()}
    texts = ((h, block(by_key.get(h.lower(), ""))) for h in headings)
    return tuple((h, t) for h, t in texts if t.strip())


def _timeline(
    entries: Sequence[dict[str, Any]], allowed: Sequence[str]
) -> tuple[TimelineEvent, ...]:
    events = [
        TimelineEvent(
            parse_time(e["at"]), EventSource(e["source"]), sanitize_inline(e["text"], allowed, 500)
        )
        for e in entries
    ]
    events = [e for e in events if e.text]
    order = {source: i for i, source in enumerate(EventSource)}
    return tuple(sorted(dict.fromkeys(events), key=lambda e: (e.at, order[e.source])))


def _action_items(
    entries: Sequence[dict[str, Any]], allowed: Sequence[str]
) -> tuple[ActionItem, ...]:
    result = []
    for entry in entries:
        title = sanitize_inline(entry["title"], allowed, 300)
        owner = sanitize_inline(entry.get("owner", "").lstrip("@ "), allowed, 100) or None
        if title:
            result.append(ActionItem(title, Priority(entry["priority"]), owner))
    return tuple(result)
