"""Prometheus: each configured PromQL query over the padded incident window -> anomalies.

`GET <url>/api/v1/query_range?query=&start=&end=&step=`; auth is a bearer token or basic auth
from the variables named in `auth`. A query answering several series gives one anomaly per
anomalous series, `name{label=value}`, at most MAX_SERIES of them.
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
    unavailable,
)

KIND = "prometheus"

Series = tuple[dict[str, str], list[tuple[datetime, float]]]


def collect(window: Window, backend: BackendConfig, env: Mapping[str, str]) -> ObservabilityResult:
    """Run every query; a failed query costs only its own anomalies. Never raises."""
    if not backend.url:
        return unavailable(KIND, "no url configured")
    try:
        headers = auth_headers(env, backend)
    except MissingCredential as exc:
        return unavailable(KIND, str(exc))
    span = query_range(window, backend)
    url = backend.url

    def run(query: QueryConfig) -> ObservabilityResult:
        series = fetch_matrix(url, "/api/v1/query_range", query, span, headers, backend)
        return ObservabilityResult(anomalies=series_anomalies(KIND, query, series, window))

    return each_query(KIND, backend.queries, run)


def fetch_matrix(
    base_url: str,
    path: str,
    query: QueryConfig,
    span: QueryRange,
    headers: Mapping[str, str],
    backend: BackendConfig,
    extra: Mapping[str, str] | None = None,
) -> list[Series]:
    """One range query against a Prometheus-compatible API, as (labels, points) per series."""
    params = {
        "query": query.query,
        "start": _epoch(span.start),
        "end": _epoch(span.end),
        "step": str(span.step_s),
        **(extra or {}),
    }
    body = request_json(
        "GET",
        base_url.rstrip("/") + path,
        params=params,
        headers=headers,
        timeout_s=backend.timeout_s,
    )
    data = check_success(body)
    if data.get("resultType") != "matrix":
        raise SourceError(f"expected a matrix result, got {_type_name(data.get('resultType'))}")
    return parse_matrix(data.get("result"))


def check_success(body: Any) -> dict[str, Any]:
    """The `data` of a Prometheus-style answer; its `status: error` becomes a SourceError."""
    if not isinstance(body, dict):
        raise SourceError("unexpected response shape")
    if body.get("status") != "success":
        error = body.get("error") or body.get("errorType") or "status is not success"
        raise SourceError(clean_text(str(error), 200))
    data = body.get("data")
    if not isinstance(data, dict):
        raise SourceError("unexpected response shape")
    return data


def parse_matrix(result: Any) -> list[Series]:
    """`[{"metric": {...}, "values": [[unix_s, "value"], ...]}, ...]` -> (labels, points).

    Values are strings ("NaN" and "+Inf" included); unusable points are left to the anomaly
    finder, which skips them.
    """
    if not isinstance(result, list):
        raise SourceError("unexpected response shape")
    series: list[Series] = []
    for item in result:
        if not isinstance(item, dict) or not isinstance(item.get("values"), list):
            raise SourceError("unexpected response shape")
        metric = item.get("metric")
        if not isinstance(metric, dict):
            metric = {}
        labels = {str(k): str(v) for k, v in metric.items() if k != "__name__"}
        points: list[tuple[datetime, float]] = []
        for pair in item["values"]:
            try:
                moment = datetime.fromtimestamp(float(pair[0]), UTC)
                points.append((moment, float(pair[1])))
            except (TypeError, ValueError, IndexError, OverflowError, OSError):
                continue
        series.append((labels, points))
    return series


def _epoch(moment: datetime) -> str:
    return f"{moment.timestamp():.3f}".rstrip("0").rstrip(".")


def _type_name(value: Any) -> str:
    return clean_text(str(value), 40) if value else "nothing"
