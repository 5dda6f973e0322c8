"""pmops.sources.prometheus against a real Prometheus serving planted series."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_server import (
    BASELINE,
    INCIDENT_END,
    INCIDENT_START,
    ONSET,
    PEAK,
    PEAK_VALUE,
    RECOVERY,
    planted_prometheus,
)

from pmops.analyze.anomaly import describe_anomaly
from pmops.config import BackendConfig, QueryConfig
from pmops.model import Window
from pmops.sources import prometheus
from pmops.sources.observability import collect_all, query_range

pytestmark = pytest.mark.slow

WINDOW = Window(since=INCIDENT_START - timedelta(hours=24), start=INCIDENT_START, end=INCIDENT_END)


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with planted_prometheus(Path(tmp_path_factory.mktemp("prometheus"))) as url:
        yield url


def _backend(url: str, *queries: QueryConfig, **kwargs: object) -> BackendConfig:
    return BackendConfig(kind="prometheus", queries=queries, url=url, **kwargs)  # type: ignore[arg-type]


def test_planted_incident_is_found_within_one_step(prometheus_url: str) -> None:
    query = QueryConfig("error_rate", 'http_error_rate{job="api"}', unit="%", service="api")
    backend = _backend(prometheus_url, query)
    step = timedelta(seconds=query_range(WINDOW, backend).step_s)

    result = prometheus.collect(WINDOW, backend, {})

    assert result.unavailable == ()
    (anomaly,) = result.anomalies
    assert anomaly.name == "error_rate"
    assert anomaly.backend == "prometheus" and anomaly.service == "api" and anomaly.unit == "%"
    assert abs(anomaly.onset_at - ONSET) <= step
    assert abs(anomaly.peak_at - PEAK) <= step
    assert anomaly.recovered_at is not None and abs(anomaly.recovered_at - RECOVERY) <= step
    assert anomaly.baseline == pytest.approx(BASELINE, abs=0.01)
    assert anomaly.peak == pytest.approx(PEAK_VALUE)
    assert describe_anomaly(anomaly).startswith("error_rate rose from 0.1 % to 6.2 % at 14:2")


def test_flat_series_yields_nothing(prometheus_url: str) -> None:
    backend = _backend(prometheus_url, QueryConfig("throughput", "http_requests_rate", "req/s"))

    result = prometheus.collect(WINDOW, backend, {})

    assert result.anomalies == () and result.unavailable == ()


def test_several_series_are_named_by_their_labels(prometheus_url: str) -> None:
    backend = _backend(prometheus_url, QueryConfig("error_rate", "http_error_rate"))

    result = prometheus.collect(WINDOW, backend, {})

    assert [a.name for a in result.anomalies] == ["error_rate{job=api}"]


def test_promql_error_is_an_unavailable_sentence(prometheus_url: str) -> None:
    backend = _backend(
        prometheus_url,
        QueryConfig("broken", "rate(http_error_rate[5m]"),
        QueryConfig("error_rate", 'http_error_rate{job="api"}'),
    )

    result = prometheus.collect(WINDOW, backend, {})

    (sentence,) = result.unavailable
    assert sentence.startswith("prometheus: query broken failed: HTTP 400: ")
    assert "parse error" in sentence
    assert [a.name for a in result.anomalies] == ["error_rate"]


def test_bearer_token_is_sent_and_never_shown(prometheus_url: str) -> None:
    secret = "s3cr3t-token-value"
    backend = _backend(
        prometheus_url,
        QueryConfig("error_rate", 'http_error_rate{job="api"}'),
        auth={"bearer_token_env": "PROM_TOKEN"},
    )

    result = prometheus.collect(WINDOW, backend, {"PROM_TOKEN": secret})

    assert len(result.anomalies) == 1  # Prometheus ignores an Authorization header it needn't check
    assert secret not in repr(result)


def test_collect_all_runs_backends_in_config_order(prometheus_url: str) -> None:
    first = _backend(prometheus_url, QueryConfig("error_rate", 'http_error_rate{job="api"}'))
    second = BackendConfig(kind="loki", queries=(QueryConfig("errors", '{job="api"}'),))

    result = collect_all(WINDOW, [first, second, first], {})

    assert [a.name for a in result.anomalies] == ["error_rate", "error_rate"]
    assert result.unavailable == ("loki: no url configured",)
