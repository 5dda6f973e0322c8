"""Loki: LogQL queries over the padded incident window -> log patterns or anomalies.

`GET <url>/loki/api/v1/query_range` with `query`, `start`/`end` (Unix nanoseconds), `step`,
`limit` and `direction=forward`. The answer's `resultType` decides what a query gives:
`streams` (a log query such as `{app="api"} |= "error"`) is grouped into message patterns,
`matrix` (a metric query such as `sum(rate({app="api"}[1m]))`) becomes anomalies exactly as
with Prometheus. Log lines are untrusted text: patterns are cleaned and cut (see
observability.log_pattern).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pmops.config import BackendConfig, QueryConfig
from pmops.errors import SourceError
from pmops.model import Window
from pmops.safety.sanitize import clean_text
from pmops.sources.http import (
    MissingCredential,
    auth_headers,
    request_json,
)
from pmops.sources.observability import (
    ObservabilityResult,
    QueryRange,
    each_query,
    query_range,
    series_anomalies,
    summarize_logs,
    unavailable,
)
from pmops.sources.prometheus import check_success, parse_matrix

KIND = "loki"

LINE_LIMIT = 5000
"""Lines asked for per log query: Loki's default `max_entries_limit_per_query`."""

PATH = "/loki/api/v1/query_range"


def collect(window: Window, backend: BackendConfig, env: Mapping[str, str]) -> ObservabilityResult:
    """Run every query; a failed query costs only its own evidence. Never raises."""
    if not backend.url:
        return unavailable(KIND, "no url configured")
    try:
        headers = auth_headers(env, backend)
    except MissingCredential as exc:
        return unavailable(KIND, str(exc))
    span = query_range(window, backend)
    return each_query(KIND, backend.queries, lambda q: _run(backend, q, span, headers, window))


def _run(
    backend: BackendConfig,
    query: QueryConfig,
    span: QueryRange,
    headers: Mapping[str, str],
    window: Window,
) -> ObservabilityResult:
    params = {
        "query": query.query,
        "start": str(_nanoseconds(span.start)),
        "end": str(_nanoseconds(span.end)),
        "step": str(span.step_s),
        "limit": str(LINE_LIMIT),
        "direction": "forward",
    }
    url = (backend.url or "").rstrip("/") + PATH
    body = request_json("GET", url, params=params, headers=headers, timeout_s=backend.timeout_s)
    data = check_success(body)
    kind = data.get("resultType")
    if kind == "matrix":
        series = parse_matrix(data.get("result"))
        return ObservabilityResult(anomalies=series_anomalies(KIND, query, series, window))
    if kind != "streams":
        shown = clean_text(str(kind), 40) if kind else "nothing"
        raise SourceError(f"expected streams or a matrix, got {shown}")
    lines = parse_streams(data.get("result"))
    notes: tuple[str, ...] = ()
    if len(lines) >= LINE_LIMIT:
        notes = (
            f"{KIND}: query {query.name} reached the {LINE_LIMIT}-line limit; its pattern "
            "counts cover only the start of the window",
        )
    return ObservabilityResult(logs=summarize_logs(KIND, lines), unavailable=notes)


def parse_streams(result: Any) -> list[tuple[datetime, str]]:
    """`[{"stream": {...}, "values": [["<unix ns>", "<line>"], ...]}, ...]` -> (time, line)."""
    if not isinstance(result, list):
        raise SourceError("unexpected response shape")
    lines: list[tuple[datetime, str]] = []
    for stream in result:
        if not isinstance(stream, dict) or not isinstance(stream.get("values"), list):
            raise SourceError("unexpected response shape")
        for entry in stream["values"]:
            try:
                moment = datetime.fromtimestamp(int(entry[0]) / 1e9, UTC)
            except (TypeError, ValueError, IndexError, OverflowError, OSError):
                continue
            if isinstance(entry[1], str):
                lines.append((moment, entry[1]))
    return lines


def _nanoseconds(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000
