"""pmops.sources.anomaly (and its wording, pmops.analyze.anomaly): onset, peak and recovery
against the series' own baseline."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pmops.analyze.anomaly import describe_anomaly, format_value
from pmops.model import Anomaly
from pmops.sources.anomaly import find_anomaly

T0 = datetime(2026, 3, 20, 13, 50, tzinfo=UTC)
STEP = timedelta(seconds=15)
WINDOW_START = T0 + 120 * STEP  # 14:20


def at(i: int) -> datetime:
    return T0 + i * STEP


def series(values: list[float]) -> list[tuple[datetime, float]]:
    return [(at(i), v) for i, v in enumerate(values)]


def noisy(n: int, mean: float, sigma: float, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [mean + rng.gauss(0, sigma) for _ in range(n)]


def test_rise_has_onset_peak_and_recovery() -> None:
    values = noisy(400, 0.1, 0.005)
    for i in range(136, 248):  # 14:24 .. 14:52
        values[i] = 6.0 + 0.05 * math.sin(i)
    values[164] = 6.2  # 14:31

    anomaly = find_anomaly(
        "error_rate", series(values), window_start=WINDOW_START, unit="%", backend="prometheus"
    )

    assert anomaly is not None
    assert (anomaly.onset_at, anomaly.peak_at, anomaly.recovered_at) == (at(136), at(164), at(248))
    assert abs(anomaly.baseline - 0.1) < 0.005 and anomaly.peak == 6.2
    assert anomaly.unit == "%" and anomaly.backend == "prometheus"
    assert describe_anomaly(anomaly) == (
        "error_rate rose from 0.1 % to 6.2 % at 14:24 UTC, peak 14:31 UTC, "
        "back to baseline 14:52 UTC"
    )


def test_drop_to_zero_is_found() -> None:
    values = noisy(400, 1200, 30)
    for i in range(150, 200):
        values[i] = 0.0

    anomaly = find_anomaly("throughput", series(values), window_start=WINDOW_START, unit="req/s")

    assert anomaly is not None
    assert anomaly.peak == 0.0 and anomaly.onset_at == at(150) and anomaly.recovered_at == at(200)
    assert describe_anomaly(anomaly).startswith("throughput fell from 1,2")
    assert " req/s to 0 req/s at " in describe_anomaly(anomaly)


def test_flat_series_yields_nothing() -> None:
    assert find_anomaly("flat", series([5.0] * 300), window_start=WINDOW_START) is None
    assert find_anomaly("zero", series([0.0] * 300), window_start=WINDOW_START) is None


def test_single_spike_is_not_sustained() -> None:
    values = noisy(300, 50, 1)
    values[200] = 500
    assert find_anomaly("latency", series(values), window_start=WINDOW_START) is None


def test_one_point_back_in_the_band_is_not_a_recovery() -> None:
    values = noisy(300, 100, 2)
    for i in range(150, 220):
        values[i] = 400
    values[180] = 100  # a scrape that happened to look normal

    anomaly = find_anomaly("latency", series(values), window_start=WINDOW_START)

    assert anomaly is not None
    assert anomaly.onset_at == at(150) and anomaly.recovered_at == at(220)


def test_zero_baseline_with_errors_appearing() -> None:
    values = [0.0] * 300
    for i in range(140, 160):
        values[i] = 3.0
    anomaly = find_anomaly("errors", series(values), window_start=WINDOW_START)
    assert anomaly is not None and anomaly.onset_at == at(140) and anomaly.recovered_at == at(160)


def test_nan_inf_and_garbage_points_are_skipped() -> None:
    points: list[tuple[object, object]] = list(series(noisy(300, 10, 0.2)))
    for i in range(150, 180):
        points[i] = (at(i), 40.0)
    points[151] = (at(151), float("nan"))
    points[152] = (at(152), float("inf"))
    points[153] = (at(153), "garbage")
    points[154] = (at(154), None)
    points[155] = ("not a time", 40.0)
    points.append((at(1000), float("-inf")))

    anomaly = find_anomaly("queue", points, window_start=WINDOW_START)  # type: ignore[arg-type]

    assert anomaly is not None and anomaly.peak == 40.0
    assert anomaly.onset_at == at(150) and anomaly.recovered_at == at(180)
    assert find_anomaly("all nan", series([math.nan] * 50), window_start=WINDOW_START) is None


def test_short_pre_window_falls_back_to_the_first_fifth() -> None:
    values = noisy(200, 20, 0.5)
    for i in range(100, 140):
        values[i] = 80
    points = series(values)

    # The window starts with the data: no pre-window points at all.
    anomaly = find_anomaly("cpu", points, window_start=at(0))

    assert anomaly is not None
    assert abs(anomaly.baseline - 20) < 0.5
    assert anomaly.onset_at == at(100) and anomaly.recovered_at == at(140)


def test_no_recovery_within_the_data() -> None:
    values = noisy(300, 0.2, 0.01)
    for i in range(250, 300):
        values[i] = 0.9

    anomaly = find_anomaly("saturation", series(values), window_start=WINDOW_START, unit="ratio")

    assert anomaly is not None and anomaly.recovered_at is None
    assert describe_anomaly(anomaly) == (
        "saturation rose from 20 % to 90 % at 14:52 UTC, peak 14:52 UTC, "
        "not back to baseline by the end of the data"
    )


def test_too_few_points_say_nothing() -> None:
    assert find_anomaly("short", series([1, 1, 50, 50, 50]), window_start=WINDOW_START) is None


def test_units_are_humanized() -> None:
    assert format_value(0.1, "%") == "0.1 %"
    assert format_value(230.4, "ms") == "230 ms"
    assert format_value(1.25, "s") == "1.2 s"
    assert format_value(1240, "req/s") == "1,240 req/s"
    assert format_value(1.5 * 1024**3, "bytes") == "1.5 GiB"
    assert format_value(512, "bytes") == "512 B"
    assert format_value(0.062, "ratio") == "6.2 %"
    assert format_value(3.0, "") == "3"


def test_describe_a_drop_in_bytes() -> None:
    anomaly = Anomaly(
        name="free_memory",
        backend="prometheus",
        baseline=2 * 1024**3,
        peak=300 * 1024**2,
        onset_at=at(10),
        peak_at=at(20),
        recovered_at=at(30),
        unit="bytes",
    )
    assert describe_anomaly(anomaly) == (
        "free_memory fell from 2 GiB to 300 MiB at 13:52 UTC, peak 13:55 UTC, "
        "back to baseline 13:57 UTC"
    )


@settings(derandomize=True, max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    mean=st.floats(-1e6, 1e6, allow_nan=False),
    sigma=st.floats(1e-6, 1e4, allow_nan=False),
    length=st.integers(60, 600),
    shape=st.sampled_from(["gauss", "uniform", "laplace"]),
)
def test_pure_noise_never_yields_an_anomaly(
    seed: int, mean: float, sigma: float, length: int, shape: str
) -> None:
    rng = random.Random(seed)
    draw = {
        "gauss": lambda: rng.gauss(0, sigma),
        "uniform": lambda: rng.uniform(-sigma, sigma),
        "laplace": lambda: rng.choice((-1, 1)) * rng.expovariate(1 / sigma),
    }[shape]
    values = [mean + draw() for _ in range(length)]
    start = at(int(length * 0.3))

    assert find_anomaly("noise", series(values), window_start=start) is None
