"""Inline SVG bar charts for the site: incidents per month by severity, and MTTR per month.

Drawn in Python, so the site needs no chart library and no network; every label is escaped;
colours are presentation attributes (the site's Content-Security-Policy allows no inline style).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from html import escape

from pmops.site.entries import Entry

CHART_MONTHS = 24
"""Months shown: two years of trend, still readable as bars (as on the index page)."""

SEVERITY_COLORS = {"SEV-1": "#d73a49", "SEV-2": "#f66a0a", "SEV-3": "#0366d6", "SEV-4": "#959da5"}

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 220, 64, 48, 12
"""Chart geometry in SVG units (it scales with the page)."""


def chart_months(entries: Sequence[Entry]) -> list[str]:
    """The last CHART_MONTHS months up to the latest incident, oldest first (gaps included)."""
    if not entries:
        return []
    last = max(e.month for e in entries)
    first = min(e.month for e in entries)
    year, month = int(last[:4]), int(last[5:])
    months = []
    for _ in range(CHART_MONTHS):
        months.append(f"{year:04d}-{month:02d}")
        if months[-1] <= first:
            break
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _frame(title: str, months: Sequence[str], top: float, unit: str) -> list[str]:
    plot = HEIGHT - BOTTOM - TOP
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot}" x2="{WIDTH}" y2="{TOP + plot}" stroke="#888"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 8}" text-anchor="end" font-size="11">'
        f"{escape(_number(top))}{escape(unit)}</text>",
        f'<text x="{LEFT - 6}" y="{TOP + plot}" text-anchor="end" font-size="11">0</text>',
    ]
    step = (WIDTH - LEFT) / max(len(months), 1)
    every = max(1, len(months) // 12)
    for i, month in enumerate(months):
        if i % every == 0:
            x = LEFT + step * i + step / 2
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'font-size="10">{escape(month)}</text>'
            )
    return parts


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def count_chart(entries: Sequence[Entry]) -> str:
    """Stacked bars: incidents per month, one colour per severity (legend in the page)."""
    months = chart_months(entries)
    counts = {m: Counter[str]() for m in months}
    for entry in entries:
        if entry.month in counts:
            counts[entry.month][entry.severity] += 1
    top = max((sum(c.values()) for c in counts.values()), default=0) or 1
    parts = _frame("Incidents per month by severity", months, top, "")
    step = (WIDTH - LEFT) / max(len(months), 1)
    plot = HEIGHT - BOTTOM - TOP
    for i, month in enumerate(months):
        base = float(TOP + plot)
        for severity, color in SEVERITY_COLORS.items():
            n = counts[month][severity]
            if n:
                h = plot * n / top
                base -= h
                parts.append(
                    f'<rect x="{LEFT + step * i + step * 0.15:.1f}" y="{base:.1f}" '
                    f'width="{step * 0.7:.1f}" height="{h:.1f}" fill="{color}">'
                    f"<title>{escape(month)}: {n} {escape(severity)}</title></rect>"
                )
    return "\n".join([*parts, "</svg>"])


def mttr_chart(entries: Sequence[Entry]) -> str:
    """Bars: mean time to resolve (minutes) of the incidents that started in each month."""
    months = chart_months(entries)
    minutes: dict[str, list[int]] = {m: [] for m in months}
    for entry in entries:
        if entry.month in minutes:
            minutes[entry.month].append(entry.duration_minutes)
    means = {m: statistics.fmean(v) if v else 0.0 for m, v in minutes.items()}
    top = max(means.values(), default=0) or 1
    parts = _frame("Mean time to resolve per month (minutes)", months, top, " min")
    step = (WIDTH - LEFT) / max(len(months), 1)
    plot = HEIGHT - BOTTOM - TOP
    for i, month in enumerate(months):
        if means[month]:
            h = plot * means[month] / top
            parts.append(
                f'<rect x="{LEFT + step * i + step * 0.15:.1f}" y="{TOP + plot - h:.1f}" '
                f'width="{step * 0.7:.1f}" height="{h:.1f}" fill="#6f42c1">'
                f"<title>{escape(month)}: {means[month]:.0f} min over "
                f"{len(minutes[month])} incidents</title></rect>"
            )
    return "\n".join([*parts, "</svg>"])
