"""How an anomaly found in a metric series is said: its values with units, and one sentence.

The detection itself belongs to gathering (pmops/sources/anomaly.py): a backend's answer is
reduced to `Anomaly` records there, and the analysis only words them.
"""

from __future__ import annotations

import math

from pmops.model import Anomaly
from pmops.times import format_clock

_BYTE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def _number(value: float) -> str:
    """A short human number: thousands separators for large values, two significant digits
    for small ones."""
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    if size == 0:
        return "0"
    if size < 0.001:
        return f"{value:.1e}"
    decimals = 1 if size >= 10 else max(1, 1 - math.floor(math.log10(size)))
    return f"{value:.{decimals}f}".rstrip("0").rstrip(".")


def _bytes(value: float) -> str:
    size = abs(value)
    index = 0
    while size >= 1024 and index < len(_BYTE_UNITS) - 1:
        size /= 1024
        index += 1
    shown = size if value >= 0 else -size
    return f"{_number(shown)} {_BYTE_UNITS[index]}"


def format_value(value: float, unit: str) -> str:
    """A value with its unit for prose: "6.2 %", "230 ms", "1,240 req/s", "1.5 GiB"."""
    key = unit.strip().lower()
    if key in ("bytes", "byte", "b"):
        return _bytes(value)
    if key in ("ratio", "fraction"):
        return f"{_number(value * 100)} %"
    if not key:
        return _number(value)
    return f"{_number(value)} {unit.strip()}"


def describe_anomaly(anomaly: Anomaly) -> str:
    """One sentence, e.g. "error_rate rose from 0.1 % to 6.2 % at 14:24 UTC, peak 14:31 UTC,
    back to baseline 14:52 UTC"."""
    verb = "rose" if anomaly.peak >= anomaly.baseline else "fell"
    text = (
        f"{anomaly.name} {verb} from {format_value(anomaly.baseline, anomaly.unit)} to "
        f"{format_value(anomaly.peak, anomaly.unit)} at {format_clock(anomaly.onset_at)}, "
        f"peak {format_clock(anomaly.peak_at)}"
    )
    if anomaly.recovered_at is None:
        return text + ", not back to baseline by the end of the data"
    return text + f", back to baseline {format_clock(anomaly.recovered_at)}"
