"""The draft schema sent to servers that enforce one, bounded so a grammar closes the answer.

Servers that enforce a schema (llama.cpp) turn it into a grammar, and an unbounded grammar
lets a small model loop until its output limit: SmolLM2-135M repeated one timeline entry until
it was cut off at 900 tokens, every time. Here every array and string has a bound, scaled down
until even an answer that fills every one fits the output budget, and the timeline is held to
the evidence's events. The answer is still validated against the full schema.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pmops.documents.schemas import load_schema
from pmops.draft.prompts import LETTERS_PER_TOKEN
from pmops.model import TimelineEvent
from pmops.times import format_time


def response_schema(
    timeline: Sequence[TimelineEvent] = (), output_tokens: int = 4000, team_sections: int = 0
) -> dict[str, Any]:
    """The draft schema as sent in `response_format`, held to what a grammar can bound.

    Servers that enforce a schema (llama.cpp) turn it into a grammar, and an unbounded
    grammar lets a small model loop until its output limit: SmolLM2-135M repeated one
    timeline entry until it was cut off at 900 tokens, every time. So here every array and
    string has a bound, scaled down (`server_bounds`) until even an answer that fills every
    one fits `output_tokens`: the grammar then closes the answer before the limit. The
    timeline is held to the evidence: one entry per evidence event at most, each one of the
    events, with its time and source (the model words the timeline of record; it cannot add
    to it). Only the
    repository's `team_sections` may be written as `extra_sections`. llama.cpp expands a
    length bound into one rule per character and dies on the schema's own 4000, so bounds
    stay in the hundreds. The answer is still validated against the full schema. `\\d` in
    patterns becomes `[0-9]`, which llama.cpp's schema-to-grammar converter gets right."""
    bounds = server_bounds(len(timeline), output_tokens, team_sections)
    schema = {k: v for k, v in load_schema("draft").items() if not k.startswith("$")}
    schema = _for_servers(schema, bounds)
    if not team_sections:
        del schema["properties"]["extra_sections"]
    entry = schema["properties"]["timeline"]["items"]
    events = sorted({(format_time(e.at), e.source.value) for e in timeline})
    if events:  # each entry is one evidence event: its time and source, the model's words
        entry.pop("properties")
        text = _for_servers(load_schema("draft"), bounds)["properties"]["timeline"]["items"]
        entry["anyOf"] = [
            {
                **{k: v for k, v in text.items() if k != "properties"},
                "properties": {
                    "at": {"const": at},
                    "source": {"const": source},
                    "text": text["properties"]["text"],
                },
            }
            for at, source in events
        ]
        entry.pop("required")
        entry.pop("additionalProperties")
    return schema


SERVER_BOUNDS: dict[str, int] = {
    "summary": 600,
    "customer_impact": 400,
    "timeline[].text": 160,
    "root_cause.text": 600,
    "root_cause.suspects": 5,
    "resolution": 400,
    "contributing_factors": 5,
    "contributing_factors[]": 200,
    "went_well": 5,
    "went_well[]": 200,
    "went_poorly": 5,
    "went_poorly[]": 200,
    "action_items": 7,
    "action_items[].title": 160,
    "action_items[].owner": 60,
    "extra_sections.*": 600,
    "confidence.reason": 300,
}
"""The largest maxLength (strings) and maxItems (arrays) sent to servers, by field path
(`[]`: an array's items, `*`: an object's other properties): the prompt's own asks ("one
short sentence", "3 to 7 action items"). `timeline` (the evidence's event count) and
`extra_sections` (the team's sections) are added by `server_bounds`."""
MIN_LENGTH = 40
"""No string bound goes below this many characters, however small the output budget."""
_SCALES = tuple(step / 20 for step in range(20, 1, -1))
_ANSWER_TOKENS = 80
"""The answer's keys, braces and enums, filled or not."""
_ENTRY_TOKENS = 36
"""One timeline entry without its text: keys, the time (a token per digit), the source."""
_LISTS = ("contributing_factors", "went_well", "went_poorly")
_SCALARS = ("summary", "customer_impact", "root_cause.text", "resolution", "confidence.reason")


def server_bounds(events: int, output_tokens: int, team_sections: int = 0) -> dict[str, int]:
    """`SERVER_BOUNDS` with the timeline's and team sections' counts, all scaled by the
    largest factor (1, 0.95, ... 0.1) whose worst case fits `output_tokens`: every string
    filled to its bound at `LETTERS_PER_TOKEN`, every array full."""
    for scale in _SCALES:
        bounds = _scaled(scale, events, team_sections)
        if worst_tokens(bounds) <= output_tokens:
            return bounds
    return bounds  # the floors: an answer that fills them all may still be cut off


def _scaled(scale: float, events: int, team_sections: int) -> dict[str, int]:
    bounds = {"timeline": events, "extra_sections": team_sections, **SERVER_BOUNDS}
    for path, value in bounds.items():
        if path == "extra_sections":
            continue  # the team's sections: each may be written
        counted = path in ("timeline", "root_cause.suspects", "action_items", *_LISTS)
        floor = min(value, 1) if counted else MIN_LENGTH
        bounds[path] = max(floor, round(value * scale))
    return bounds


def worst_tokens(bounds: Mapping[str, int]) -> int:
    """Tokens of an answer that fills every bound (a model in a loop does)."""

    def text(path: str) -> float:
        return bounds[path] / LETTERS_PER_TOKEN + 3  # quotes, comma, a key

    tokens = _ANSWER_TOKENS + sum(text(path) for path in _SCALARS)
    tokens += sum(bounds[name] * text(f"{name}[]") for name in _LISTS)
    tokens += bounds["timeline"] * (_ENTRY_TOKENS + text("timeline[].text"))
    tokens += bounds["root_cause.suspects"] * 44  # up to 40 hex characters, a token each
    tokens += bounds["action_items"] * (
        text("action_items[].title") + text("action_items[].owner") + 10
    )
    tokens += bounds["extra_sections"] * (text("extra_sections.*") + 10)
    return math.ceil(tokens)


_BOUND_KEYS = {"string": "maxLength", "array": "maxItems", "object": "maxProperties"}


def _for_servers(value: Any, bounds: Mapping[str, int], path: str = "") -> Any:
    if isinstance(value, list):
        return [_for_servers(v, bounds, path) for v in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key in _BOUND_KEYS.values():
            continue
        if key == "pattern":
            result[key] = item.replace("\\d", "[0-9]")
        elif key == "properties":
            result[key] = {
                n: _for_servers(v, bounds, f"{path}.{n}".lstrip(".")) for n, v in item.items()
            }
        elif key == "items":
            result[key] = _for_servers(item, bounds, f"{path}[]")
        elif key == "additionalProperties" and isinstance(item, dict):
            result[key] = _for_servers(item, bounds, f"{path}.*")
        else:
            result[key] = _for_servers(item, bounds, path)
    bound = bounds.get(path)
    if bound is not None and value.get("type") in _BOUND_KEYS:
        result[_BOUND_KEYS[value["type"]]] = bound
    return result
