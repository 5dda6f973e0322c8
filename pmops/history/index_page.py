"""`pmops index`: write `<postmortems>/README.md`, a table of every postmortem and Mermaid
charts GitHub renders (incidents per month by severity, MTTR trend, top services, action
items done vs open).

The page is a pure function of the postmortem files: no "generated at" time, stable
ordering, and a chart window that ends at the latest incident rather than today, so the same
files always give byte-identical output and `pmops index --check` can run in CI. The one
exception is the action items' state, read from their tracking issues when a token is given
(`--github`): it sits between two markers, dated, and `--check` compares the page without it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pmops.documents.document import read_text
from pmops.documents.templating import render_template
from pmops.errors import InputError
from pmops.follow.item_status import ItemStatus
from pmops.history.search import Record, open_index
from pmops.history.search_fields import count_done, extract_errors, extract_paths
from pmops.history.stats import Stats, summarize
from pmops.model import Postmortem, Severity
from pmops.safety.files import write_atomic
from pmops.safety.sanitize import neutralize_mentions

PAGE_NAME = "README.md"
CHART_MONTHS = 24
"""Months shown in the per-month charts: two years of trend, still readable as bars."""

TOP_SERVICES = 10

SEVERITY_COLORS = {
    "SEV-1": ("#d73a49", "red"),
    "SEV-2": ("#f66a0a", "orange"),
    "SEV-3": ("#0366d6", "blue"),
    "SEV-4": ("#959da5", "grey"),
}
"""Bar colours; the page names them under the chart, as Mermaid's xychart has no legend."""

_UNSAFE = re.compile(r"[^\w ./@+:-]+")

STATUS_START = "<!-- pmops:item-status:start -->"
STATUS_END = "<!-- pmops:item-status:end -->"
STATUS_READ = "From the tracking issues on"
"""How the block read from the issues begins (templates/index.md.j2)."""
_STATUS_BLOCK = re.compile(rf"{re.escape(STATUS_START)}.*?{re.escape(STATUS_END)}\n?", re.S)


@dataclass(frozen=True)
class IndexPage:
    """The page's location and its full text."""

    path: Path
    text: str


def mermaid_label(text: str, size: int = 40) -> str:
    """A label safe inside a Mermaid double-quoted string: no quotes, brackets or newlines."""
    label = " ".join(_UNSAFE.sub(" ", text).split())[:size].strip()
    return f'"{label or "-"}"'


def _labels(values: Sequence[str]) -> str:
    return "[" + ", ".join(mermaid_label(v) for v in values) + "]"


def _numbers(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def _months_between(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    result = []
    while f"{year:04d}-{month:02d}" <= last:
        result.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def _axis_max(values: Iterable[float]) -> int:
    """The top of a y axis: the largest value rounded up, at least 1."""
    return max(1, math.ceil(max(values, default=0)))


def _duration(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _cell(text: str) -> str:
    """A table cell from file text (a title, service names): one line, no HTML, no notifying
    @mention, and no `|` or `\\` that would break the table."""
    cell = neutralize_mentions(" ".join(text.split()))  # the parse-tree policy, one line
    return re.sub(r"(\\*)\|", lambda m: m.group(1) * 2 + "\\|", cell)  # every `|` escaped


def _link(record: Record, folder: str) -> str:
    relative = record.path.removeprefix(f"{folder}/") if folder else record.path
    title = _cell(record.title).replace("[", "\\[").replace("]", "\\]")
    return f"[{title}]({quote(relative, safe='/')})"


def _charts(stats: Stats) -> dict[str, object]:
    """Chart data, already formatted as Mermaid values."""
    months = list(stats.by_month)
    window = _months_between(months[0], months[-1])[-CHART_MONTHS:] if months else []
    empty = dict.fromkeys((s.value for s in Severity), 0)
    counts = [stats.by_month.get(m, empty) for m in window]
    stacked = []  # tallest first: all severities, then without SEV-4, ... down to SEV-1 only
    for top in reversed(range(len(Severity))):
        keep = [s.value for s in Severity][: top + 1]
        stacked.append(_numbers([sum(c[s] for s in keep) for c in counts]))
    mttr_months = [m for m in window if m in stats.mttr_by_month]
    services = list(stats.by_service.items())[:TOP_SERVICES]
    return {
        "months": _labels(window),
        "month_max": _axis_max(sum(c.values()) for c in counts),
        "stacked": stacked,
        "palette": ", ".join(SEVERITY_COLORS[s.value][0] for s in reversed(Severity)),
        "legend": ", ".join(f"{sev} {name}" for sev, (_, name) in SEVERITY_COLORS.items()),
        "mttr_months": _labels(mttr_months),
        "mttr_values": _numbers([stats.mttr_by_month[m] for m in mttr_months]),
        "mttr_max": _axis_max(stats.mttr_by_month[m] for m in mttr_months),
        "services": _labels([s for s, _ in services]),
        "service_counts": _numbers([n for _, n in services]),
        "service_max": _axis_max(n for _, n in services),
        "window": f"{window[0]} to {window[-1]}" if window else "",
    }


def _status(
    status: ItemStatus | None, records: Sequence[Record], folder: str
) -> dict[str, object] | None:
    """The action items' state for the template: totals, days to close, rows, overdue."""
    if status is None:
        return None
    links = {r.id: _link(r, folder) for r in records}
    rows = [
        {
            "link": links.get(n, f"incident #{n}"),
            "open": c.open,
            "overdue": c.overdue,
            "closed": c.closed,
        }
        for n, c in status.by_incident().items()
    ]
    overdue = [
        {"number": i.number, "title": _cell(i.title), "due": i.due} for i in status.overdue()
    ]
    counts = status.counts()
    return {
        "today": status.today.isoformat(),
        "counts": counts,
        "close_days": dict(counts.close_days),
        "rows": rows,
        "overdue": overdue,
        "late": list(status.late_postmortems or ()),
    }


def without_status(text: str) -> str:
    """The page without its action-item state block (what `--check` compares)."""
    return _STATUS_BLOCK.sub("", text)


def keep_status(text: str, current: str | None) -> str:
    """`text` built without a token, with the state block of the `current` page kept when
    that one was read from the issues (it is dated): a refresh offline never erases it."""
    old = _STATUS_BLOCK.search(current or "")
    new = _STATUS_BLOCK.search(text)
    if old is None or new is None or STATUS_READ not in old.group(0):
        return text
    return text[: new.start()] + old.group(0) + text[new.end() :]


def render_index_page(
    records: Sequence[Record], folder: str, status: ItemStatus | None = None
) -> str:
    """The page's markdown for these postmortems (newest first, grouped by year)."""
    stats = summarize(records)
    ordered = sorted(records, key=lambda r: (r.started_at, r.path), reverse=True)
    years: dict[str, list[Mapping[str, str]]] = {}
    for record in ordered:
        years.setdefault(record.started_at.strftime("%Y"), []).append(
            {
                "date": record.started_at.strftime("%Y-%m-%d"),
                "severity": record.severity,
                "status": record.status,
                "duration": _duration(record.duration_minutes),
                "services": _cell(", ".join(record.services)) or "-",
                "link": _link(record, folder),
            }
        )
    return render_template(
        "index.md.j2",
        stats=stats,
        years=years,
        charts=_charts(stats),
        status=_status(status, records, folder),
        status_start=STATUS_START,
        status_end=STATUS_END,
    )


def build_index_page(repo: Path, status: ItemStatus | None = None) -> IndexPage:
    """The index page of `repo` as it should be now (updates the search index)."""
    with open_index(repo) as index:
        records = index.records()
        folder = index.folder
    return IndexPage(
        repo.resolve() / folder / PAGE_NAME, render_index_page(records, folder, status)
    )


def write_index_page(
    repo: Path, *, check: bool = False, status: ItemStatus | None = None
) -> tuple[IndexPage, bool]:
    """Write the page if it changed (with `check`, only compare, ignoring the action items'
    state, which only a token can read); return it and `stale`."""
    page = build_index_page(repo, status)
    try:
        current = read_text(page.path) if page.path.is_file() else None
    except InputError:
        current = None
    if status is None:
        page = IndexPage(page.path, keep_status(page.text, current))
    if check:
        stale = current is None or without_status(current) != without_status(page.text)
    else:
        stale = current != page.text
    if stale and not check:
        write_atomic(page.path, page.text, root=repo)
    return page, stale


def record_of(path: str, pm: Postmortem) -> Record:
    """The index record of a postmortem that is not in the working tree yet (a new draft)."""
    return Record(
        path=path,
        id=pm.id,
        title=pm.title,
        status=pm.status.value,
        severity=pm.severity.value,
        started_at=pm.started_at,
        resolved_at=pm.resolved_at,
        duration_minutes=pm.duration_minutes,
        services=pm.impact.affected_services,
        paths=extract_paths(pm),
        errors=extract_errors(pm.sections),
        actions_total=len(pm.action_items),
        actions_done=count_done(pm),
    )


def index_page_with(repo: Path, changes: Mapping[str, Postmortem]) -> tuple[str, str]:
    """(page path, page text) for `repo`'s postmortems with `changes` (path -> postmortem)
    added or replacing their old versions: what a postmortem PR's index page should say."""
    with open_index(repo) as index:
        folder = index.folder
        records = [r for r in index.records() if r.path not in changes]
    records += [record_of(path, pm) for path, pm in changes.items()]
    page = repo / folder / PAGE_NAME
    try:
        current = read_text(page) if page.is_file() else None
    except InputError:
        current = None
    return f"{folder}/{PAGE_NAME}", keep_status(render_index_page(records, folder), current)
