"""Hostile text: how every regular expression in pmops scales on repetitive input.

Issue bodies, comments, commit messages and postmortem files are untrusted, and a pattern that
backtracks turns a 100 KB comment ("a.a.a.a...", a line of backticks) into minutes of CPU.
This benchmark finds every module-level compiled pattern in `pmops`, runs it over strings
made of one or two repeated characters from a set of markdown, URL and code punctuation,
keeps each pattern's slowest string, and times that string again at four times the length.
A linear pattern takes about 4x as long; a quadratic one 16x. The figures: the worst ratio
and the worst time for a 100,000-character input (extrapolated linearly from the long run).
The functions that read untrusted text whole (sanitizers, tokenizer, secret redaction, form
and section parsers) are timed the same way on every repeated string, since a loop can be
quadratic where no pattern is.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from bench.table import print_table

PIECES = tuple("a.-@<`1x /:#\n_+\"'\\A=[(%*~|\t,${") + ("0x",)
SHORT, GROWTH = 5_000, 4


def patterns() -> Iterator[tuple[str, re.Pattern[Any]]]:
    """(module.name, pattern) for every compiled pattern at module level (also inside tuples,
    lists and dicts), each pattern once."""
    import pmops

    seen: set[tuple[Any, int]] = set()
    for info in pkgutil.walk_packages(pmops.__path__, "pmops."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            for pattern in _compiled(value):
                key = (pattern.pattern, pattern.flags)
                if key not in seen:
                    seen.add(key)
                    yield f"{info.name}.{name}", pattern


def _compiled(value: Any, depth: int = 0) -> Iterator[re.Pattern[Any]]:
    if isinstance(value, re.Pattern):
        yield value
    elif depth < 2 and isinstance(value, tuple | list):
        for item in value:
            yield from _compiled(item, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for item in value.values():
            yield from _compiled(item, depth + 1)


def functions() -> dict[str, Callable[[str], object]]:
    """The entry points for untrusted text, by name."""
    from pmops.analyze.mentions import link_paths
    from pmops.analyze.text import words
    from pmops.documents.document import split_sections
    from pmops.draft.blameless import blameless
    from pmops.history.search_fields import extract_errors, fts_query
    from pmops.safety.joblog import inert
    from pmops.safety.markdown_policy import Policy, enforce
    from pmops.safety.outbound import outbound_markdown
    from pmops.safety.redact import redact_secrets
    from pmops.safety.sanitize import (
        neutralize_mentions,
        one_line,
        sanitize_inline,
        sanitize_markdown,
    )
    from pmops.sources.github_issue import parse_form

    return {
        "sanitize_markdown": sanitize_markdown,
        "one_line": lambda text: one_line(text, len(text)),
        "one_line_strict": lambda text: one_line(text, len(text), allowed=()),
        "sanitize_inline": lambda text: sanitize_inline(text, (), len(text)),
        "neutralize_mentions": neutralize_mentions,
        "enforce_document": lambda text: enforce(text, Policy(markers=True)),
        "outbound_markdown": lambda text: outbound_markdown(text, ()),
        "inert": inert,
        "words": words,
        "link_paths": link_paths,
        "blameless": blameless,
        "redact_secrets": redact_secrets,
        "parse_form": parse_form,
        "split_sections": split_sections,
        "extract_errors": lambda text: extract_errors({"Timeline": text, "Root cause": text}),
        "fts_query": fts_query,
    }


def _call_seconds(function: Callable[[str], object], unit: str, length: int) -> float:
    text = unit * (length // len(unit))
    started = time.perf_counter()
    function(text)
    return time.perf_counter() - started


def _seconds(pattern: re.Pattern[Any], unit: str, length: int) -> float:
    text: Any = unit * (length // len(unit))
    if isinstance(pattern.pattern, bytes):
        text = text.encode()
    started = time.perf_counter()
    for _ in pattern.finditer(text):
        pass
    return time.perf_counter() - started


def _scaling(
    kind: str, name: str, seconds: Callable[[str, int], float], units: list[str]
) -> dict[str, Any]:
    """One row: the slowest unit (by its first, uncached run) and how its time grows."""
    first = {unit: seconds(unit, SHORT) for unit in units}
    worst = max(units, key=first.__getitem__)
    long = min(seconds(worst, SHORT * GROWTH) for _ in range(3))  # a pause is not a trend
    return {
        kind: name,
        "input": repr(worst),
        "ratio": round(long / max(first[worst], 1e-6), 1),
        "s_per_100k": round(long * 100_000 / (SHORT * GROWTH), 4),
    }


def _slowest_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: -r["s_per_100k"])


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Time each pattern and function on its slowest repeated string, short and 4x as long."""
    units = list(PIECES)
    if not quick:
        units += [a + b for a, b in itertools.product(PIECES, repeat=2)]
    rows = _slowest_first(
        [
            _scaling("pattern", name, partial(_seconds, pattern), units)
            for name, pattern in patterns()
        ]
    )
    print_table(f"{len(rows)} patterns, {len(units)} inputs each; slowest first", rows[:15])
    calls = _slowest_first(
        [
            _scaling("function", name, partial(_call_seconds, function), units)
            for name, function in functions().items()
        ]
    )
    print_table("functions reading untrusted text; slowest first", calls)
    return {
        "patterns": len(rows),
        "inputs": len(units),
        "worst_s_per_100k": rows[0]["s_per_100k"] if rows else 0.0,
        "worst_ratio": max((r["ratio"] for r in rows), default=0.0),
        "slowest": rows[0]["pattern"] if rows else None,
        "functions": len(calls),
        "functions_worst_s_per_100k": calls[0]["s_per_100k"] if calls else 0.0,
        "functions_worst_ratio": max((r["ratio"] for r in calls), default=0.0),
        "slowest_function": calls[0]["function"] if calls else None,
    }
