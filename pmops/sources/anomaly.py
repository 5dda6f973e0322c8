"""Find the onset, peak and recovery of one metric series against its own baseline (pure, no I/O).

The baseline is the series' own pre-incident part: its median, with a robust spread (MAD).
A point is *out* when it lies further than the band half-width from the median, on the side of
the peak. The anomaly episode is the stretch of out points around the most extreme one:

- onset: the first point of the episode from which the series stays out for >= MIN_RUN points;
- peak: the most extreme point;
- recovery: the first point after the peak from which the series stays back in the band for
  >= MIN_RUN points (None when it never does before the data ends).

Two stretches of out points separated by fewer than MIN_RUN in-band points are one episode:
a single point dipping back into the band is not a recovery.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import datetime

from pmops.model import Anomaly

K_SPREADS = 6.0
"""Band half-width in robust standard deviations. Six keeps Gaussian noise (even with the
spread underestimated by half on a short baseline) from ever producing two out points in a row."""

REL_FLOOR = 0.1
"""The band is never narrower than 10 % of the baseline: a 3 % wobble of a very steady
throughput is statistically odd but not incident evidence."""

MIN_RUN = 2
"""Consecutive points needed both for an onset and for a recovery."""

MIN_POINTS = 6
"""Fewer finite points than this say nothing."""

MIN_BASELINE = 5
"""Pre-window points needed to use the pre-window as the baseline."""

FALLBACK_SHARE = 0.2
"""Share of the series used as the baseline when the pre-window is too short."""

MAD_TO_SIGMA = 1.4826
"""Scales a median absolute deviation to a standard deviation for normal data."""

MEAN_ABS_TO_SIGMA = 1.2533
"""Scales a mean absolute deviation to a standard deviation for normal data (sqrt(pi/2))."""


def clean_points(points: Sequence[tuple[object, object]]) -> list[tuple[datetime, float]]:
    """Points with an aware datetime and a finite float value, sorted by time, one per time."""
    by_time: dict[datetime, float] = {}
    for item in points:
        try:
            moment, raw = item
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if not isinstance(moment, datetime) or moment.tzinfo is None or not math.isfinite(value):
            continue
        by_time[moment] = value
    return sorted(by_time.items())


def baseline_values(
    points: Sequence[tuple[datetime, float]], window_start: datetime
) -> list[float]:
    """The values before the window, or the first 20 % of the series when those are too few."""
    before = [v for t, v in points if t < window_start]
    if len(before) >= MIN_BASELINE:
        return before
    count = max(3, math.ceil(len(points) * FALLBACK_SHARE))
    return [v for _, v in points[:count]]


def robust_spread(values: Sequence[float]) -> float:
    """A robust standard deviation: the larger of the level MAD and the MAD of differences.

    The MAD of successive differences is insensitive to a slow drift; taking the larger of the
    two keeps the band wide enough for either kind of baseline. When more than half the values
    are equal (the MAD is 0), the mean absolute deviation is used instead.
    """
    center = statistics.median(values)
    level = MAD_TO_SIGMA * statistics.median(abs(v - center) for v in values)
    diffs = [b - a for a, b in zip(values, values[1:], strict=False)]
    step = 0.0
    if len(diffs) >= 2:
        mid = statistics.median(diffs)
        step = MAD_TO_SIGMA * statistics.median(abs(d - mid) for d in diffs) / math.sqrt(2)
    spread = max(level, step)
    if spread == 0.0:
        spread = MEAN_ABS_TO_SIGMA * statistics.fmean(abs(v - center) for v in values)
    return spread


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """(first, last) index pairs of the stretches where flags is True."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(flags) - 1))
    return runs


def _episodes(runs: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Runs merged into episodes when fewer than MIN_RUN in-band points separate them."""
    episodes: list[list[tuple[int, int]]] = []
    for run in runs:
        if episodes and run[0] - episodes[-1][-1][1] - 1 < MIN_RUN:
            episodes[-1].append(run)
        else:
            episodes.append([run])
    return episodes


def _peak_in(episode: list[tuple[int, int]], deviations: Sequence[float]) -> int:
    indices = [i for first, last in episode for i in range(first, last + 1)]
    return max(indices, key=lambda i: (abs(deviations[i]), -i))


def find_anomaly(
    name: str,
    points: Sequence[tuple[datetime, float]],
    *,
    window_start: datetime,
    unit: str = "",
    backend: str = "",
    service: str = "",
) -> Anomaly | None:
    """The most pronounced sustained departure of a series from its baseline, or None.

    NaN, infinite and non-numeric points are skipped. Rises and drops are both found; the
    direction with the larger sustained departure wins.
    """
    series = clean_points(points)
    if len(series) < MIN_POINTS:
        return None
    base = baseline_values(series, window_start)
    center = statistics.median(base)
    magnitude = max(abs(v) for _, v in series)
    half_width = max(
        K_SPREADS * robust_spread(base), REL_FLOOR * abs(center), 1e-9 * max(1.0, magnitude)
    )
    deviations = [v - center for _, v in series]
    best: tuple[float, int, list[tuple[int, int]], int] | None = None
    for sign in (1, -1):
        out = [sign * d > half_width for d in deviations]
        for episode in _episodes(_runs(out)):
            if all(last - first + 1 < MIN_RUN for first, last in episode):
                continue
            peak = _peak_in(episode, deviations)
            if best is None or abs(deviations[peak]) > best[0]:
                best = (abs(deviations[peak]), peak, episode, sign)
    if best is None:
        return None
    _, peak, episode, sign = best
    onset = next(first for first, last in episode if last - first + 1 >= MIN_RUN)
    onset = min(onset, peak)
    recovery = _recovery(deviations, peak, sign, half_width)
    return Anomaly(
        name=name,
        backend=backend,
        baseline=center,
        peak=series[peak][1],
        onset_at=series[onset][0],
        peak_at=series[peak][0],
        recovered_at=series[recovery][0] if recovery is not None else None,
        unit=unit,
        service=service,
    )


def _recovery(deviations: Sequence[float], peak: int, sign: int, half_width: float) -> int | None:
    inside = 0
    for i in range(peak + 1, len(deviations)):
        if sign * deviations[i] > half_width:
            inside = 0
            continue
        inside += 1
        if inside >= MIN_RUN:
            return i - MIN_RUN + 1
    return None


# ---------------------------------------------------------------- prose
