"""Loki and Datadog against contract-shaped fakes (pytest-httpserver), CloudWatch against moto,
and the failure isolation every backend promises: no exception, one sentence, no secret."""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import socket
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pmops.config import BackendConfig, QueryConfig
from pmops.errors import SourceError
from pmops.model import Window
from pmops.sources import cloudwatch, datadog, loki, prometheus
from pmops.sources.http import (
    request_json,
)
from pmops.sources.observability import (
    collect_all,
    log_pattern,
    query_range,
    series_anomalies,
    summarize_logs,
)

START = datetime(2024, 3, 20, 14, 20, tzinfo=UTC)
END = datetime(2024, 3, 20, 15, 0, tzinfo=UTC)
WINDOW = Window(since=START - timedelta(hours=24), start=START, end=END)
ONSET = datetime(2024, 3, 20, 14, 24, tzinfo=UTC)
RECOVERY = datetime(2024, 3, 20, 14, 52, tzinfo=UTC)
SECRET = "sk-very-secret-value-123"
PASSWORD = "hunter2-but-longer"


def _rate(moment: datetime) -> float:
    return 6.0 if ONSET <= moment < RECOVERY else 0.1 + 0.002 * math.sin(moment.timestamp())


def _grid(step_s: int = 20) -> list[datetime]:
    moment, times = START - timedelta(minutes=30), []
    while moment <= END + timedelta(minutes=30):
        times.append(moment)
        moment += timedelta(seconds=step_s)
    return times


def _ns(moment: datetime) -> str:
    return str(int(moment.timestamp()) * 1_000_000_000)


# ---------------------------------------------------------------- Loki


LOKI_LINES = [
    (ONSET + timedelta(seconds=i), line)
    for i, line in enumerate(
        [
            'level=error msg="upstream timeout" upstream=10.0.3.4:8080 after=3000ms',
            'level=error msg="upstream timeout" upstream=10.0.3.9:8080 after=3012ms',
            'level=error msg="upstream timeout" upstream=10.0.4.1:8080 after=2998ms',
            "payment 4f9a2c1e-1b2c-4d5e-8f90-123456789abc failed: card declined",
            "payment 0b1c2d3e-aaaa-4bbb-8ccc-0123456789ab failed: card declined",
            "\x1b[31mpanic\x1b[0m: nil pointer at 0x7ffe12 \u202e" + "x" * 600,
        ]
    )
]


def _loki_streams() -> dict[str, object]:
    return {
        "status": "success",
        "data": {
            "resultType": "streams",
            "result": [
                {
                    "stream": {"app": "api", "level": "error"},
                    "values": [[_ns(t), line] for t, line in LOKI_LINES],
                }
            ],
            "stats": {"summary": {"totalEntriesReturned": len(LOKI_LINES)}},
        },
    }


def _loki_backend(url: str, *queries: QueryConfig, **kwargs: object) -> BackendConfig:
    return BackendConfig(kind="loki", queries=queries, url=url, **kwargs)  # type: ignore[arg-type]


def test_loki_log_query_gives_patterns_and_sends_a_documented_request(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/loki/api/v1/query_range", method="GET").respond_with_json(
        _loki_streams()
    )
    backend = _loki_backend(
        httpserver.url_for("/"),
        QueryConfig("api_errors", '{app="api"} |= "error"'),
        auth={"username_env": "LOKI_USER", "password_env": "LOKI_PASSWORD"},
    )

    result = loki.collect(WINDOW, backend, {"LOKI_USER": "tenant1", "LOKI_PASSWORD": PASSWORD})

    assert result.unavailable == () and result.anomalies == ()
    assert [(s.message, s.count) for s in result.logs[:2]] == [
        ('level=error msg="<str>" upstream=<ip> after=<num>ms', 3),
        ("payment <uuid> failed: card declined", 2),
    ]
    first = result.logs[0]
    assert (first.first_seen, first.last_seen, first.backend) == (
        ONSET,
        ONSET + timedelta(seconds=2),
        "loki",
    )
    panic = result.logs[2].message
    assert panic.startswith("panic: nil pointer at <hex>") and len(panic) <= 300
    assert "\x1b" not in panic and "\u202e" not in panic
    (request, _), *_ = httpserver.log
    assert request.args["query"] == '{app="api"} |= "error"'
    assert request.args["start"] == _ns(START - timedelta(minutes=30))
    assert request.args["end"] == _ns(END + timedelta(minutes=30))
    assert request.args["direction"] == "forward" and request.args["limit"] == "5000"
    assert request.args["step"] == str(query_range(WINDOW, backend).step_s)
    expected = base64.b64encode(f"tenant1:{PASSWORD}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


def test_loki_metric_query_gives_anomalies(httpserver: HTTPServer) -> None:
    matrix = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {
                    "metric": {"app": "api"},
                    "values": [[t.timestamp(), f"{_rate(t):.4f}"] for t in _grid()],
                }
            ],
        },
    }
    httpserver.expect_request("/loki/api/v1/query_range").respond_with_json(matrix)
    query = QueryConfig("error_lines", 'sum(rate({app="api"} |= "error" [1m]))', "req/s", "api")

    result = loki.collect(WINDOW, _loki_backend(httpserver.url_for("/"), query), {})

    (anomaly,) = result.anomalies
    assert (anomaly.name, anomaly.backend, anomaly.service) == ("error_lines", "loki", "api")
    assert anomaly.onset_at == ONSET and anomaly.recovered_at == RECOVERY


def test_loki_error_status_is_reported(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loki/api/v1/query_range").respond_with_json(
        {"status": "error", "errorType": "bad_data", "error": "parse error at line 1, col 5"},
        status=400,
    )
    backend = _loki_backend(httpserver.url_for("/"), QueryConfig("bad", "{app="))

    result = loki.collect(WINDOW, backend, {})

    assert result.unavailable == ("loki: query bad failed: HTTP 400: parse error at line 1, col 5",)


def test_log_patterns_group_and_rank() -> None:
    lines = [
        (START, "user 'bob' logged in from 192.168.1.20"),
        (END, "user 'al' logged in from ::1"),
    ]
    lines += [(START + timedelta(minutes=i), f"job {i} done") for i in range(3)]
    lines.append((START, json.dumps({"level": "warn", "msg": "slow query took 1.5s"})))

    summaries = summarize_logs("loki", lines)

    assert [(s.message, s.count) for s in summaries] == [
        ("job <num> done", 3),
        ("user '<str>' logged in from <ip>", 2),
        ("slow query took <num>s", 1),
    ]
    assert summaries[1].first_seen == START and summaries[1].last_seen == END
    assert (
        len(summarize_logs("loki", [(START, f"distinct{chr(97 + i)} x") for i in range(20)])) == 10
    )
    assert log_pattern("trace deadbeefcafe1234 at 2024-03-20T14:24:00Z") == "trace <hex> at <time>"


# ---------------------------------------------------------------- Datadog


def _dd_backend(url: str, *queries: QueryConfig) -> BackendConfig:
    auth = {"api_key_env": "DD_KEY", "app_key_env": "DD_APP"}
    return BackendConfig(kind="datadog", queries=queries, url=url, auth=auth)


DD_ENV = {"DD_KEY": SECRET, "DD_APP": "app-key-secret-456"}


def _dd_series(scope: str, tag_set: list[str], flat: bool = False) -> dict[str, object]:
    points = [[t.timestamp() * 1000, 0.1 if flat else _rate(t)] for t in _grid()]
    points[5][1] = None  # a gap
    return {
        "metric": "trace.http.request.errors",
        "display_name": "trace.http.request.errors",
        "aggr": "sum",
        "scope": scope,
        "tag_set": tag_set,
        "expression": f"sum:trace.http.request.errors{{{scope}}}",
        "interval": 20,
        "length": len(points),
        "pointlist": points,
        "unit": None,
        "query_index": 0,
    }


def test_datadog_metrics_request_and_series_names(httpserver: HTTPServer) -> None:
    body = {
        "status": "ok",
        "res_type": "time_series",
        "query": "sum:trace.http.request.errors{service:api} by {host}",
        "from_date": 0,
        "to_date": 0,
        "message": "",
        "group_by": ["host"],
        "series": [
            _dd_series("service:api,host:web-1", ["host:web-1"]),
            _dd_series("service:api,host:web-2", ["host:web-2"], flat=True),
        ],
    }
    httpserver.expect_request("/api/v1/query", method="GET").respond_with_json(body)
    query = QueryConfig("errors", "sum:trace.http.request.errors{service:api} by {host}")

    result = datadog.collect(WINDOW, _dd_backend(httpserver.url_for("/"), query), DD_ENV)

    assert result.unavailable == ()
    (anomaly,) = result.anomalies
    assert anomaly.name == "errors{host=web-1}" and anomaly.onset_at == ONSET
    (request, _), *_ = httpserver.log
    assert request.args["query"] == query.query
    assert request.args["from"] == str(int((START - timedelta(minutes=30)).timestamp()))
    assert request.args["to"] == str(int((END + timedelta(minutes=30)).timestamp()))
    assert request.headers["DD-API-KEY"] == SECRET
    assert request.headers["DD-APPLICATION-KEY"] == "app-key-secret-456"


def test_datadog_logs_follow_the_cursor(httpserver: HTTPServer) -> None:
    def event(i: int, message: str) -> dict[str, object]:
        return {
            "id": f"AAAAAXGLdD0AAABPV-5whqgB{i}",
            "type": "log",
            "attributes": {
                "timestamp": (ONSET + timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
                "message": message,
                "service": "api",
                "status": "error",
                "host": "i-0abc",
                "tags": ["env:prod"],
                "attributes": {"http": {"status_code": 503}},
            },
        }

    def handler(request: Request) -> Response:
        cursor = request.get_json()["page"].get("cursor")
        if cursor is None:
            data, meta = (
                [event(0, "GET /orders/123 503"), event(1, "GET /orders/9 503")],
                {"page": {"after": "eyJhZnRlciI6IkFRQUFBWE"}},
            )
        else:
            data, meta = [event(2, "GET /orders/77 503")], {}
        meta.update({"elapsed": 12, "request_id": "pddv1ChZ", "status": "done"})
        return Response(json.dumps({"data": data, "meta": meta}), content_type="application/json")

    httpserver.expect_request("/api/v2/logs/events/search", method="POST").respond_with_handler(
        handler
    )
    query = QueryConfig("api_errors", "service:api status:error", unit="logs")

    result = datadog.collect(WINDOW, _dd_backend(httpserver.url_for("/"), query), DD_ENV)

    assert [(s.message, s.count) for s in result.logs] == [("GET /orders/<num> <num>", 3)]
    assert result.logs[0].last_seen == ONSET + timedelta(seconds=2)
    first, second = (request.get_json() for request, _ in httpserver.log)
    assert first == {
        "filter": {
            "query": "service:api status:error",
            "from": "2024-03-20T13:50:00Z",
            "to": "2024-03-20T15:30:00Z",
        },
        "sort": "timestamp",
        "page": {"limit": 1000},
    }
    assert second["page"] == {"limit": 1000, "cursor": "eyJhZnRlciI6IkFRQUFBWE"}


def test_datadog_error_body_is_reported(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/query").respond_with_json(
        {"errors": ["Forbidden"]}, status=403
    )
    backend = _dd_backend(httpserver.url_for("/"), QueryConfig("errors", "sum:x{*}"))

    result = datadog.collect(WINDOW, backend, DD_ENV)

    assert result.unavailable == ("datadog: query errors failed: HTTP 403: Forbidden",)


# ---------------------------------------------------------------- CloudWatch (moto)


@pytest.fixture
def aws() -> Iterator[dict[str, str]]:
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        yield {"AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKE", "AWS_SECRET_ACCESS_KEY": SECRET}


def test_cloudwatch_metrics_and_insights(aws: dict[str, str]) -> None:
    import boto3

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start, end = now - timedelta(hours=2), now - timedelta(hours=1)
    onset = start + timedelta(minutes=10)
    recovery = start + timedelta(minutes=30)
    client = boto3.client("cloudwatch", region_name="eu-west-1")
    data, moment = [], start - timedelta(minutes=40)
    while moment < end + timedelta(minutes=40):
        value = 300.0 if onset <= moment < recovery else 2.0 + (moment.minute % 3)
        data.append(
            {
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Dimensions": [{"Name": "LoadBalancer", "Value": "app/web/1"}],
                "Timestamp": moment,
                "Value": value,
            }
        )
        moment += timedelta(minutes=1)
    client.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=data)
    logs = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName="/ecs/api")
    logs.create_log_stream(logGroupName="/ecs/api", logStreamName="task-1")
    events = [
        {"timestamp": int((onset + timedelta(seconds=i)).timestamp() * 1000), "message": m}
        for i, m in enumerate([f"ERROR pool exhausted size={i}" for i in range(4)] + ["INFO ok"])
    ]
    logs.put_log_events(logGroupName="/ecs/api", logStreamName="task-1", logEvents=events)
    stat = {
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/ApplicationELB",
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Dimensions": [{"Name": "LoadBalancer", "Value": "app/web/1"}],
            },
            "Stat": "Sum",
        }
    }
    backend = BackendConfig(
        kind="cloudwatch",
        region="eu-west-1",
        queries=(
            QueryConfig(
                "5xx", "AWS/ApplicationELB HTTPCode_Target_5XX_Count LoadBalancer=app/web/1 Sum"
            ),
            QueryConfig("5xx_json", json.dumps(stat)),
            QueryConfig("errors", "/ecs/api | sort @timestamp asc", unit="logs"),
            QueryConfig("missing", "/ecs/none", unit="logs"),
        ),
    )
    window = Window(since=start - timedelta(days=1), start=start, end=end)

    result = cloudwatch.collect(window, backend, aws)

    assert [a.name for a in result.anomalies] == ["5xx", "5xx_json"]
    for anomaly in result.anomalies:
        assert (anomaly.onset_at, anomaly.recovered_at, anomaly.peak) == (onset, recovery, 300.0)
    assert [(s.message, s.count) for s in result.logs] == [
        ("ERROR pool exhausted size=<num>", 4),
        ("INFO ok", 1),
    ]
    assert result.unavailable == (
        "cloudwatch: query missing failed: ResourceNotFoundException: "
        "The specified log group does not exist.",
    )


def test_cloudwatch_query_forms() -> None:
    (simple,) = cloudwatch.metric_queries("AWS/EC2 CPUUtilization InstanceId=i-1 Maximum", 60)
    assert simple["MetricStat"] == {
        "Metric": {
            "Namespace": "AWS/EC2",
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}],
        },
        "Period": 60,
        "Stat": "Maximum",
    }
    math_query = cloudwatch.metric_queries('[{"Id": "e", "Expression": "m1/m2*100"}]', 120)
    assert math_query == [{"Id": "e", "Expression": "m1/m2*100", "Period": 120}]
    with pytest.raises(SourceError):
        cloudwatch.metric_queries("JustOneToken", 60)
    assert cloudwatch.insights_request("/a,/b | filter @message like /x|y/") == (
        ["/a", "/b"],
        "fields @timestamp, @message | filter @message like /x|y/",
    )
    assert query_range(WINDOW, BackendConfig("cloudwatch", ()), multiple_of=60).step_s % 60 == 0


def test_cloudwatch_without_region(aws: dict[str, str]) -> None:
    query = (QueryConfig("cpu", "AWS/EC2 CPUUtilization"),)
    no_region = cloudwatch.collect(WINDOW, BackendConfig("cloudwatch", query), {})
    assert no_region.unavailable == ("cloudwatch: no region configured (region, or AWS_REGION)",)


def test_cloudwatch_unreachable_endpoint_and_missing_boto3(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("boto3")
    backend = BackendConfig(
        "cloudwatch",
        (QueryConfig("cpu", "AWS/EC2 CPUUtilization"),),
        url=_closed_port_url(),
        region="eu-west-1",
        timeout_s=0.5,
    )
    env = {"AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKE", "AWS_SECRET_ACCESS_KEY": SECRET}
    result = cloudwatch.collect(WINDOW, backend, env)
    assert result.unavailable == ("cloudwatch: query cpu failed: connection failed",)
    monkeypatch.setitem(sys.modules, "boto3", None)
    assert cloudwatch.collect(WINDOW, backend, env).unavailable == (
        "cloudwatch: boto3 is not installed (pip install 'pmops[cloudwatch]')",
    )


def test_several_series_keep_the_five_largest_departures() -> None:
    times = _grid()
    series = [({"pod": f"api-{i}"}, [(t, (1 + i) * _rate(t)) for t in times]) for i in range(7)]
    series.append(({"pod": "flat"}, [(t, 0.1) for t in times]))

    found = series_anomalies("prometheus", Q, series, WINDOW)

    assert sorted(a.name for a in found) == [f"error_rate{{pod=api-{i}}}" for i in range(2, 7)]


# ---------------------------------------------------------------- failures


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel does) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(params=["headers", "body"])
def trickling_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """Answers one byte every 0.1 s, in the headers or in a 100 KB body: every socket read
    gets data in time, so only a deadline on the whole exchange ends it."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n"
    head += b"X-Padding: " + b"x" * 60000 + b"\r\n\r\n"
    stop = threading.Event()

    def serve(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            conn, _ = sock.accept()
            with conn:
                conn.recv(65536)
                if request.param == "body":
                    conn.sendall(head + b"[")
                for byte in head if request.param == "headers" else b" " * 100000:
                    if stop.wait(0.1):
                        return
                    conn.sendall(bytes([byte]))

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        thread = threading.Thread(target=serve, args=(sock,), daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        stop.set()


Q = QueryConfig("error_rate", "rate(errors[1m])")
MODULES = {"prometheus": prometheus, "loki": loki, "datadog": datadog}


def _failing(kind: str, url: str, timeout_s: float = 2) -> BackendConfig:
    auth = {"bearer_token_env": "DD_KEY"}
    if kind == "datadog":
        auth = {"api_key_env": "DD_KEY", "app_key_env": "DD_APP"}
    return BackendConfig(kind=kind, queries=(Q,), url=url, auth=auth, timeout_s=timeout_s)


def _assert_one_failure(result: object, kind: str, reason: str) -> None:
    assert result.anomalies == () and result.logs == ()  # type: ignore[attr-defined]
    assert result.unavailable == (f"{kind}: query error_rate failed: {reason}",)  # type: ignore[attr-defined]
    assert SECRET not in repr(result) and "app-key-secret" not in repr(result)


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_connection_refused(kind: str) -> None:
    result = MODULES[kind].collect(WINDOW, _failing(kind, _closed_port_url()), DD_ENV)
    _assert_one_failure(result, kind, "connection refused")


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_timeout(kind: str, silent_server: str) -> None:
    result = MODULES[kind].collect(WINDOW, _failing(kind, silent_server, 0.5), DD_ENV)
    _assert_one_failure(result, kind, "timed out after 0.5 s")


def test_a_trickling_server_times_out_at_the_deadline(trickling_server: str) -> None:
    result = prometheus.collect(WINDOW, _failing("prometheus", trickling_server, 0.5), DD_ENV)
    _assert_one_failure(result, "prometheus", "timed out after 0.5 s")


def _echo_secret(request: Request) -> Response:
    leaked = request.headers.get("Authorization") or request.headers.get("DD-API-KEY")
    return Response(json.dumps({"error": f"bad credentials {leaked}"}), status=500)


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_http_500_echoing_the_credential_is_redacted(kind: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request(re.compile(".*")).respond_with_handler(_echo_secret)

    result = MODULES[kind].collect(WINDOW, _failing(kind, httpserver.url_for("/")), DD_ENV)

    assert result.unavailable[0].startswith(f"{kind}: query error_rate failed: HTTP 500: ")
    _assert_one_failure(result, kind, result.unavailable[0].split("failed: ", 1)[1])
    assert "***" in result.unavailable[0]


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_non_json_body(kind: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request(re.compile(".*")).respond_with_data(
        "<html>502 Bad Gateway</html>", content_type="text/html"
    )
    result = MODULES[kind].collect(WINDOW, _failing(kind, httpserver.url_for("/")), DD_ENV)
    _assert_one_failure(result, kind, "response is not JSON")


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_wrong_json_shape(kind: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request(re.compile(".*")).respond_with_json(
        {"status": "success", "data": {"resultType": "matrix", "result": "nope"}, "series": 3}
    )
    result = MODULES[kind].collect(WINDOW, _failing(kind, httpserver.url_for("/")), DD_ENV)
    _assert_one_failure(result, kind, "unexpected response shape")


def test_missing_credential_variables_are_named_not_shown() -> None:
    env = {"DD_KEY": SECRET}  # DD_APP is missing
    result = datadog.collect(WINDOW, _failing("datadog", "http://127.0.0.1:9"), env)
    assert result.unavailable == (
        "datadog: environment variable DD_APP (auth.app_key_env) is not set",
    )
    basic = BackendConfig(
        "prometheus", (Q,), url="http://127.0.0.1:9", auth={"username_env": "PROM_USER"}
    )
    assert prometheus.collect(WINDOW, basic, env).unavailable == (
        "prometheus: auth.username_env and auth.password_env go together",
    )
    bearer = BackendConfig(
        "loki", (Q,), url="http://127.0.0.1:9", auth={"bearer_token_env": "LOKI_TOKEN"}
    )
    assert loki.collect(WINDOW, bearer, env).unavailable == (
        "loki: environment variable LOKI_TOKEN (auth.bearer_token_env) is not set",
    )
    default = BackendConfig("datadog", (Q,))
    assert datadog.collect(WINDOW, default, {}).unavailable == (
        "datadog: environment variable DD_API_KEY (auth.api_key_env) is not set",
    )


def test_body_size_cap(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"[" + b"1," * 4000 + b"1]")
    with pytest.raises(SourceError, match="response larger than"):
        request_json("GET", httpserver.url_for("/big"), timeout_s=2, max_bytes=1024)


def test_redirects_are_not_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/moved").respond_with_data(
        "", status=302, headers={"Location": "http://elsewhere.invalid/"}
    )
    with pytest.raises(SourceError, match="HTTP 302"):
        request_json("GET", httpserver.url_for("/moved"), timeout_s=2, headers={"X": SECRET})


def test_collect_all_isolates_failures_and_keeps_config_order(
    httpserver: HTTPServer, silent_server: str
) -> None:
    httpserver.expect_request("/loki/api/v1/query_range").respond_with_json(_loki_streams())
    backends = [
        _failing("prometheus", silent_server, 0.5),
        _loki_backend(httpserver.url_for("/"), QueryConfig("api_errors", '{app="api"}')),
        _failing("datadog", _closed_port_url()),
        BackendConfig("nosuch", (Q,)),
    ]

    result = collect_all(WINDOW, backends, DD_ENV)

    assert result.unavailable == (
        "prometheus: query error_rate failed: timed out after 0.5 s",
        "datadog: query error_rate failed: connection refused",
        "nosuch: this backend kind is not supported",
    )
    assert result.logs and all(s.backend == "loki" for s in result.logs)
    assert collect_all(WINDOW, [], {}).anomalies == ()
