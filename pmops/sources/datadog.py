"""Datadog: metric queries -> anomalies, log searches (`unit: logs`) -> log patterns.

- Metrics: `GET <url>/api/v1/query?from=&to=&query=` (Unix seconds) answers
  `{"status": "ok", "series": [{"pointlist": [[unix_ms, value|null], ...], "scope": ...}]}`;
  `status: error` carries an `error` text.
- Logs (a query whose `unit` is `logs`): `POST <url>/api/v2/logs/events/search` with
  `{"filter": {"query", "from", "to"}, "sort": "timestamp", "page": {"limit"}}`, following
  `meta.page.after` for at most MAX_PAGES pages; each event's `attributes` holds `timestamp`
  and `message`.

Both send `DD-API-KEY` and `DD-APPLICATION-KEY`, read from the variables named by
`auth.api_key_env` and `auth.app_key_env` (default `DD_API_KEY`, `DD_APP_KEY`). The base URL is
`url` (default https://api.datadoghq.com; use your site's, e.g. https://api.datadoghq.eu).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pmops.config import BackendConfig, QueryConfig
from pmops.errors import InputError, SourceError
from pmops.model import Window
from pmops.safety.sanitize import clean_text
from pmops.sources.http import (
    MissingCredential,
    credential,
    request_json,
)
from pmops.sources.observability import (
    ObservabilityResult,
    QueryRange,
    each_query,
    is_logs_query,
    query_range,
    series_anomalies,
    summarize_logs,
    unavailable,
)
from pmops.times import format_time, parse_time

KIND = "datadog"
DEFAULT_URL = "https://api.datadoghq.com"
DEFAULT_API_KEY_ENV = "DD_API_KEY"
DEFAULT_APP_KEY_ENV = "DD_APP_KEY"

PAGE_LIMIT = 1000
"""Log events per page: the most the search endpoint returns in one page."""

MAX_PAGES = 5
"""Pages of log events read per query (5,000 events): enough for patterns, bounded in time."""


def collect(window: Window, backend: BackendConfig, env: Mapping[str, str]) -> ObservabilityResult:
    """Run every query; a failed query costs only its own evidence. Never raises."""
    try:
        headers = {
            "DD-API-KEY": credential(env, backend, "api_key_env", DEFAULT_API_KEY_ENV),
            "DD-APPLICATION-KEY": credential(env, backend, "app_key_env", DEFAULT_APP_KEY_ENV),
        }
    except MissingCredential as exc:
        return unavailable(KIND, str(exc))
    base = (backend.url or DEFAULT_URL).rstrip("/")
    span = query_range(window, backend)

    def run(query: QueryConfig) -> ObservabilityResult:
        if is_logs_query(query):
            return _logs(base, backend, query, span, headers)
        return _metrics(base, backend, query, span, headers, window)

    return each_query(KIND, backend.queries, run)


def _metrics(
    base: str,
    backend: BackendConfig,
    query: QueryConfig,
    span: QueryRange,
    headers: Mapping[str, str],
    window: Window,
) -> ObservabilityResult:
    params = {
        "from": str(int(span.start.timestamp())),
        "to": str(int(span.end.timestamp())),
        "query": query.query,
    }
    body = request_json(
        "GET", base + "/api/v1/query", params=params, headers=headers, timeout_s=backend.timeout_s
    )
    if not isinstance(body, dict) or not isinstance(body.get("series", []), list):
        raise SourceError("unexpected response shape")
    if body.get("status", "ok") != "ok":
        raise SourceError(clean_text(str(body.get("error") or "status is not ok"), 200))
    series = [_series(item) for item in body.get("series", [])]
    return ObservabilityResult(anomalies=series_anomalies(KIND, query, series, window))


def _series(item: Any) -> tuple[dict[str, str], list[tuple[datetime, float]]]:
    if not isinstance(item, dict) or not isinstance(item.get("pointlist"), list):
        raise SourceError("unexpected response shape")
    points: list[tuple[datetime, float]] = []
    for pair in item["pointlist"]:
        try:
            points.append((datetime.fromtimestamp(float(pair[0]) / 1000, UTC), float(pair[1])))
        except (TypeError, ValueError, IndexError, OverflowError, OSError):
            continue  # a null value is a gap
    return scope_labels(item), points


def scope_labels(item: Mapping[str, Any]) -> dict[str, str]:
    """Labels of a series from its `tag_set` (or `scope`): "host:a,env:prod" -> {host: a, ...}.

    A scope of `*` (no grouping) has no labels.
    """
    tags = item.get("tag_set")
    if not isinstance(tags, list) or not tags:
        scope = item.get("scope")
        tags = str(scope).split(",") if scope and scope != "*" else []
    labels: dict[str, str] = {}
    for tag in tags:
        key, _, value = str(tag).strip().partition(":")
        if key:
            labels[key] = value
    return labels


def _logs(
    base: str,
    backend: BackendConfig,
    query: QueryConfig,
    span: QueryRange,
    headers: Mapping[str, str],
) -> ObservabilityResult:
    body: dict[str, Any] = {
        "filter": {
            "query": query.query,
            "from": format_time(span.start),
            "to": format_time(span.end),
        },
        "sort": "timestamp",
        "page": {"limit": PAGE_LIMIT},
    }
    lines: list[tuple[datetime, str]] = []
    notes: tuple[str, ...] = ()
    for page in range(MAX_PAGES):
        answer = request_json(
            "POST",
            base + "/api/v2/logs/events/search",
            body=body,
            headers=headers,
            timeout_s=backend.timeout_s,
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
            raise SourceError("unexpected response shape")
        lines.extend(_log_lines(answer["data"]))
        after = ((answer.get("meta") or {}).get("page") or {}).get("after")
        if not after:
            break
        if page == MAX_PAGES - 1:
            notes = (
                f"{KIND}: query {query.name} has more than {MAX_PAGES * PAGE_LIMIT} log events; "
                "its pattern counts cover only the start of the window",
            )
        body["page"] = {"limit": PAGE_LIMIT, "cursor": str(after)}
    return ObservabilityResult(logs=summarize_logs(KIND, lines), unavailable=notes)


def _log_lines(events: list[Any]) -> list[tuple[datetime, str]]:
    lines: list[tuple[datetime, str]] = []
    for event in events:
        attributes = event.get("attributes") if isinstance(event, dict) else None
        if not isinstance(attributes, dict) or not isinstance(attributes.get("message"), str):
            continue
        try:
            moment = parse_time(attributes.get("timestamp"), "log timestamp")
        except InputError:
            continue
        lines.append((moment, attributes["message"]))
    return lines
