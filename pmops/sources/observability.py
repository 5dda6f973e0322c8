"""Observability evidence: what every backend module shares, and `collect_all` to run them.

Each backend module (prometheus, loki, datadog, cloudwatch) answers
`collect(window, backend, env) -> ObservabilityResult` and never raises: a backend that is down,
slow, refuses the credentials or answers garbage costs only its own evidence, reported as a
sentence in `unavailable`. Credentials come from environment variables *named* in the config;
their values never appear in a message.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pmops.config import BACKENDS, BackendConfig, QueryConfig
from pmops.errors import SourceError
from pmops.model import Anomaly, LogSummary, Window
from pmops.safety.sanitize import clean_text
from pmops.sources.anomaly import find_anomaly

TARGET_POINTS = 400
"""Points per series aimed at: within the 200-600 that describe an incident well."""

MIN_STEP_S = 15
"""The smallest query step: the usual scrape interval."""

MAX_SERIES = 5
"""Anomalous series kept per query: those with the largest departure from their baseline."""

MAX_PATTERNS = 10
"""Log message patterns kept per query, by count."""

MAX_PATTERN_CHARS = 300
"""Log lines are untrusted text: a pattern longer than this is cut."""

LOGS_UNIT = "logs"
"""`unit: logs` marks a Datadog or CloudWatch query as a log search (DESIGN §6)."""

_MAX_WORKERS = 4


@dataclass(frozen=True)
class ObservabilityResult:
    """What one backend (or all of them) found; `unavailable` says in sentences what failed."""

    anomalies: tuple[Anomaly, ...] = ()
    logs: tuple[LogSummary, ...] = ()
    unavailable: tuple[str, ...] = ()


# ---------------------------------------------------------------- running the backends


def collect_all(
    window: Window, backends: Sequence[BackendConfig], env: Mapping[str, str]
) -> ObservabilityResult:
    """Run every configured backend concurrently; merge in config order, whatever finishes first."""
    if not backends:
        return ObservabilityResult()
    with ThreadPoolExecutor(max_workers=min(_MAX_WORKERS, len(backends))) as pool:
        futures = [pool.submit(_collect_one, window, backend, env) for backend in backends]
        results = [future.result() for future in futures]
    return merge_results(results)


def _collect_one(
    window: Window, backend: BackendConfig, env: Mapping[str, str]
) -> ObservabilityResult:
    if backend.kind not in BACKENDS:
        return unavailable(backend.kind, "this backend kind is not supported")
    module = importlib.import_module(f"pmops.sources.{backend.kind}")
    collect: Callable[..., ObservabilityResult] = module.collect
    try:
        return collect(window, backend, env)
    except Exception as exc:  # noqa: BLE001 - a bug in one backend must not lose the others;
        # it is reported (type only: the message might quote a response) rather than swallowed.
        return unavailable(backend.kind, f"failed unexpectedly ({type(exc).__name__})")


def merge_results(results: Iterable[ObservabilityResult]) -> ObservabilityResult:
    """Concatenate results, keeping their order."""
    anomalies: list[Anomaly] = []
    logs: list[LogSummary] = []
    missing: list[str] = []
    for result in results:
        anomalies.extend(result.anomalies)
        logs.extend(result.logs)
        missing.extend(result.unavailable)
    return ObservabilityResult(tuple(anomalies), tuple(logs), tuple(missing))


def unavailable(kind: str, sentence: str) -> ObservabilityResult:
    """A result with nothing but one sentence about why, prefixed with the backend kind."""
    return ObservabilityResult(unavailable=(f"{kind}: {sentence}",))


def query_failed(kind: str, query: QueryConfig, reason: str) -> str:
    """The sentence for one failed query, e.g. "prometheus: query error_rate failed: HTTP 503"."""
    return f"{kind}: query {query.name} failed: {reason}"


def each_query(
    kind: str,
    queries: Iterable[QueryConfig],
    run: Callable[[QueryConfig], ObservabilityResult],
) -> ObservabilityResult:
    """Run every query; one that fails (SourceError) costs only its own evidence."""
    results = []
    for query in queries:
        try:
            results.append(run(query))
        except SourceError as exc:
            results.append(ObservabilityResult(unavailable=(query_failed(kind, query, str(exc)),)))
    return merge_results(results)


def is_logs_query(query: QueryConfig) -> bool:
    """True when the query's unit says it is a log search (`unit: logs`)."""
    return query.unit.strip().lower() == LOGS_UNIT


# ---------------------------------------------------------------- time range


@dataclass(frozen=True)
class QueryRange:
    """The padded span queried and the step between points, in seconds."""

    start: datetime
    end: datetime
    step_s: int


def query_range(window: Window, backend: BackendConfig, multiple_of: int = 1) -> QueryRange:
    """The incident window plus `padding_minutes` on both sides, with a step giving
    about TARGET_POINTS points (at least MIN_STEP_S, a whole multiple of `multiple_of`)."""
    padding = timedelta(minutes=backend.padding_minutes)
    start, end = window.start - padding, window.end + padding
    span = max(1.0, (end - start).total_seconds())
    unit = math.lcm(MIN_STEP_S, multiple_of)
    step = max(unit, unit * math.ceil(span / TARGET_POINTS / unit))
    return QueryRange(start, end, step)


# ---------------------------------------------------------------- credentials


def series_label(name: str, labels: Mapping[str, str]) -> str:
    """`name{label=value,...}` for one series among several, labels sorted."""
    if not labels:
        return name
    inner = ",".join(f"{k}={clean_text(str(v), 80)}" for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def series_anomalies(
    kind: str,
    query: QueryConfig,
    series: Sequence[tuple[Mapping[str, str], Sequence[tuple[datetime, float]]]],
    window: Window,
) -> tuple[Anomaly, ...]:
    """One anomaly per anomalous series, at most MAX_SERIES with the largest departure.

    A query answering one series names its anomaly after the query; several series are
    told apart as `name{label=value}`.
    """
    found: list[Anomaly] = []
    for labels, points in series:
        name = query.name if len(series) == 1 else series_label(query.name, labels)
        anomaly = find_anomaly(
            name,
            points,
            window_start=window.start,
            unit=query.unit,
            backend=kind,
            service=query.service,
        )
        if anomaly is not None:
            found.append(anomaly)
    found.sort(key=lambda a: (-abs(a.peak - a.baseline), a.name))
    return tuple(sorted(found[:MAX_SERIES], key=lambda a: (a.onset_at, a.name)))


# ---------------------------------------------------------------- log patterns


_PLACEHOLDERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"),
        "<time>",
    ),
    (re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b"), "<uuid>"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"), "<time>"),
    (
        re.compile(
            r"(?<![\w:])(?=[0-9a-fA-F:]*\d)(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?![\w:])"
        ),
        "<ip>",
    ),
    (
        re.compile(
            r"\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"
        ),
        "<hex>",
    ),
    (re.compile(r'(?<!\\)"(?:[^"\\\n]|\\.)*"'), '"<str>"'),
    (re.compile(r"(?<!\w)'[^'\n]*'"), "'<str>'"),
    (re.compile(r"\d+(?:\.\d+)?"), "<num>"),
)

_MESSAGE_KEYS = ("msg", "message", "log", "error", "err")


def log_pattern(line: str) -> str:
    """A message pattern: variable parts (times, UUIDs, IPs, hex ids, quoted values, numbers)
    replaced by placeholders, control characters removed, at most MAX_PATTERN_CHARS long.

    A JSON object line is reduced to its message field (`msg`, `message`, ...) first.
    """
    text = line.strip()
    if text.startswith("{"):
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if isinstance(record, dict):
            for key in _MESSAGE_KEYS:
                if isinstance(record.get(key), str):
                    text = record[key]
                    break
    text = clean_text(text, 4 * MAX_PATTERN_CHARS)
    for pattern, placeholder in _PLACEHOLDERS:
        text = pattern.sub(placeholder, text)
    return clean_text(text, MAX_PATTERN_CHARS)


def summarize_logs(kind: str, lines: Iterable[tuple[datetime, str]]) -> tuple[LogSummary, ...]:
    """The MAX_PATTERNS most frequent patterns with count and first/last time seen; ties go
    to the pattern seen first."""
    groups: dict[str, list[Any]] = {}
    for moment, line in lines:
        pattern = log_pattern(line)
        if not pattern:
            continue
        group = groups.get(pattern)
        if group is None:
            groups[pattern] = [1, moment, moment]
        else:
            group[0] += 1
            group[1] = min(group[1], moment)
            group[2] = max(group[2], moment)
    ranked = sorted(groups.items(), key=lambda item: (-item[1][0], item[1][1], item[0]))
    return tuple(
        LogSummary(message=p, count=c, first_seen=f, last_seen=last, backend=kind)
        for p, (c, f, last) in ranked[:MAX_PATTERNS]
    )
