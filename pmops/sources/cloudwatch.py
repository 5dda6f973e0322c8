"""CloudWatch: metrics (GetMetricData) -> anomalies, Logs Insights (`unit: logs`) -> patterns.

boto3 is imported only when a CloudWatch backend is configured (extra `pmops[cloudwatch]`).

Query forms (`query` in the config):

- simple metric: `Namespace MetricName [Dim=Value ...] [Stat]`, whitespace-separated, e.g.
  `AWS/ApplicationELB HTTPCode_Target_5XX_Count LoadBalancer=app/web/50dc6c495c0c9188 Sum`;
  the statistic defaults to `Average`; dimension values cannot hold spaces (use JSON).
- JSON metric: one MetricDataQuery object (`{"MetricStat": {...}}` or `{"Expression": ...}`),
  or a list of them for metric math; `Id` defaults to `m0`, `m1`...; a missing `Period` is the
  query step (a multiple of 60 s). Every returned result is a series.
- logs (`unit: logs`): `group[,group...] | <Logs Insights query>`, e.g.
  `/ecs/api | filter @message like /ERROR/`. Without a `fields` command,
  `fields @timestamp, @message` is put first. A query not complete within `timeout_s` is
  stopped and reported.

Region: `region`, else AWS_REGION / AWS_DEFAULT_REGION. Credentials: AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the environment, else boto3's default chain
(profile, web identity, instance role). `url` overrides the endpoint (VPC endpoints, LocalStack).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pmops.config import BackendConfig, QueryConfig
from pmops.errors import SourceError
from pmops.model import LogSummary, Window
from pmops.safety.sanitize import clean_text
from pmops.sources.http import (
    redact,
)
from pmops.sources.observability import (
    ObservabilityResult,
    QueryRange,
    is_logs_query,
    merge_results,
    query_failed,
    query_range,
    series_anomalies,
    summarize_logs,
    unavailable,
)

KIND = "cloudwatch"

PERIOD_MULTIPLE_S = 60
"""Standard-resolution metrics have periods in whole minutes."""

INSIGHTS_LIMIT = 10_000
"""The most rows a Logs Insights query returns."""

MAX_METRIC_PAGES = 10
"""GetMetricData pages read per query (each holds up to 100,800 points)."""

POLL_S = 0.5

_FIELDS = re.compile(r"(?:^|\|)\s*fields\s")

_CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def collect(window: Window, backend: BackendConfig, env: Mapping[str, str]) -> ObservabilityResult:
    """Run every query; a failed query costs only its own evidence. Never raises."""
    try:
        import boto3
        import botocore.config
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return unavailable(KIND, "boto3 is not installed (pip install 'pmops[cloudwatch]')")
    region = backend.region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if not region:
        return unavailable(KIND, "no region configured (region, or AWS_REGION)")
    session = boto3.session.Session(
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
        aws_session_token=env.get("AWS_SESSION_TOKEN") or None,
        region_name=region,
    )
    settings = botocore.config.Config(
        connect_timeout=backend.timeout_s,
        read_timeout=backend.timeout_s,
        retries={"max_attempts": 2, "mode": "standard"},
    )
    secrets = [env[name] for name in _CREDENTIAL_VARIABLES if env.get(name)]
    span = query_range(window, backend, multiple_of=PERIOD_MULTIPLE_S)
    results = []
    for query in backend.queries:
        service = "logs" if is_logs_query(query) else "cloudwatch"
        try:
            client = session.client(service, endpoint_url=backend.url or None, config=settings)
            if is_logs_query(query):
                logs, notes = _insights(client, query, span, backend.timeout_s)
                results.append(ObservabilityResult(logs=logs, unavailable=notes))
            else:
                series = _metric_series(client, query, span)
                anomalies = series_anomalies(KIND, query, series, window)
                results.append(ObservabilityResult(anomalies=anomalies))
        except SourceError as exc:
            reason = redact(str(exc), secrets)
            results.append(ObservabilityResult(unavailable=(query_failed(KIND, query, reason),)))
        except (BotoCoreError, ClientError) as exc:
            reason = redact(_aws_reason(exc, backend.timeout_s), secrets)
            results.append(ObservabilityResult(unavailable=(query_failed(KIND, query, reason),)))
    return merge_results(results)


def _aws_reason(exc: Exception, timeout_s: float) -> str:
    """A short sentence for a botocore error, without its (possibly long) details."""
    from botocore import exceptions as aws

    if isinstance(exc, aws.ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "error")
        message = clean_text(str(error.get("Message", "")), 200)
        return f"{code}: {message}" if message else str(code)
    if isinstance(exc, aws.ConnectTimeoutError | aws.ReadTimeoutError):
        return f"timed out after {timeout_s:g} s"
    if isinstance(exc, aws.EndpointConnectionError):
        return "connection failed"
    if isinstance(exc, aws.NoCredentialsError):
        return "no AWS credentials found (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a role)"
    return f"request failed ({type(exc).__name__})"


# ---------------------------------------------------------------- metrics


def metric_queries(query: str, period_s: int) -> list[dict[str, Any]]:
    """MetricDataQueries from the simple form or from JSON; SourceError when neither parses."""
    text = query.strip()
    if text.startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise SourceError("query is not valid JSON") from None
        items = parsed if isinstance(parsed, list) else [parsed]
        if not items or not all(isinstance(i, dict) for i in items):
            raise SourceError("a JSON query is a MetricDataQuery object or a list of them")
        result = []
        for index, item in enumerate(items):
            item = dict(item)
            item.setdefault("Id", f"m{index}")
            if "MetricStat" in item and isinstance(item["MetricStat"], dict):
                item["MetricStat"] = {"Period": period_s, **item["MetricStat"]}
            elif "Expression" in item:
                item.setdefault("Period", period_s)
            else:
                raise SourceError("a MetricDataQuery needs MetricStat or Expression")
            result.append(item)
        return result
    return [_simple_query(text, period_s)]


def _simple_query(text: str, period_s: int) -> dict[str, Any]:
    tokens = text.split()
    if len(tokens) < 2 or "=" in tokens[0] or "=" in tokens[1]:
        raise SourceError("expected 'Namespace MetricName [Dim=Value ...] [Stat]' or JSON")
    namespace, metric, rest = tokens[0], tokens[1], tokens[2:]
    stat = "Average"
    if rest and "=" not in rest[-1]:
        stat = rest.pop()
    if any("=" not in token for token in rest):
        raise SourceError("dimensions are written Name=Value, the statistic last")
    dimensions = [dict(zip(("Name", "Value"), t.split("=", 1), strict=True)) for t in rest]
    return {
        "Id": "m0",
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
            "Period": period_s,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def _metric_series(
    client: Any, query: QueryConfig, span: QueryRange
) -> list[tuple[dict[str, str], list[tuple[datetime, float]]]]:
    request: dict[str, Any] = {
        "MetricDataQueries": metric_queries(query.query, span.step_s),
        "StartTime": span.start,
        "EndTime": span.end,
        "ScanBy": "TimestampAscending",
    }
    by_id: dict[str, tuple[dict[str, str], list[tuple[datetime, float]]]] = {}
    for _ in range(MAX_METRIC_PAGES):
        answer = client.get_metric_data(**request)
        for item in answer.get("MetricDataResults", []):
            key = str(item.get("Id", ""))
            labels = {"label": str(item.get("Label") or key)}
            points = list(zip(item.get("Timestamps", []), item.get("Values", []), strict=False))
            by_id.setdefault(key, (labels, []))[1].extend(
                (t.astimezone(UTC), float(v)) for t, v in points
            )
        token = answer.get("NextToken")
        if not token:
            break
        request["NextToken"] = token
    return list(by_id.values())


# ---------------------------------------------------------------- logs


def insights_request(query: str) -> tuple[list[str], str]:
    """(log groups, Insights query) from `group[,group] | query`."""
    groups_text, _, rest = query.partition("|")
    groups = [g.strip() for g in groups_text.split(",") if g.strip()]
    if not groups:
        raise SourceError("a logs query starts with its log group names: 'group | query'")
    rest = rest.strip()
    if not _FIELDS.search(rest):
        rest = "fields @timestamp, @message" + (f" | {rest}" if rest else "")
    return groups, rest


def _insights(
    client: Any, query: QueryConfig, span: QueryRange, timeout_s: float
) -> tuple[tuple[LogSummary, ...], tuple[str, ...]]:
    groups, text = insights_request(query.query)
    started = client.start_query(
        logGroupNames=groups,
        startTime=int(span.start.timestamp()),
        endTime=int(span.end.timestamp()),
        queryString=text,
        limit=INSIGHTS_LIMIT,
    )
    query_id = started["queryId"]
    deadline = time.monotonic() + timeout_s
    while True:
        answer = client.get_query_results(queryId=query_id)
        status = answer.get("status")
        if status == "Complete":
            break
        if status not in ("Scheduled", "Running"):
            raise SourceError(f"Logs Insights query ended {clean_text(str(status), 30)}")
        if time.monotonic() > deadline:
            client.stop_query(queryId=query_id)
            raise SourceError(f"Logs Insights query not complete after {timeout_s:g} s")
        time.sleep(POLL_S)
    rows = answer.get("results", [])
    lines = [line for row in rows if (line := _row_line(row)) is not None]
    notes: tuple[str, ...] = ()
    if len(rows) >= INSIGHTS_LIMIT:
        notes = (
            f"{KIND}: query {query.name} reached the {INSIGHTS_LIMIT}-row limit; its pattern "
            "counts cover only part of the window",
        )
    return summarize_logs(KIND, lines), notes


def _row_line(row: Any) -> tuple[datetime, str] | None:
    """(time, message) from `[{"field": "@timestamp", "value": ...}, ...]`, or None."""
    fields = {f.get("field"): f.get("value") for f in row if isinstance(f, dict)}
    message, stamp = fields.get("@message"), fields.get("@timestamp")
    if not isinstance(message, str) or stamp is None:
        return None
    return (moment, message) if (moment := insights_time(stamp)) else None


def insights_time(value: Any) -> datetime | None:
    """Insights writes `2024-03-20 14:24:00.123` (UTC); epoch milliseconds are accepted too."""
    text = str(value).strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
