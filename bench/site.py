"""Static site of generated postmortems: full build, one-file rebuild, no-op rebuild, size.

Figures: docs (postmortem files), pages (published ones, each a page), build_s (full build
into an empty folder), update_ms (rebuild after one published file changed: stat every file,
render one page, rewrite the index and its search data), noop_ms (rebuild with nothing
changed), issue_ms and issue_pages (the site built with every tracking issue's state, then
rebuilt after one issue closed: only the page showing it is rendered), index_bytes
(index.html), search_bytes (search-index.js), site_bytes (everything),
workers (processes of the full build), load_avg (the machine's 1-minute load at the end).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.table import print_table
from pmops.documents.render import render_postmortem
from pmops.follow.action_items import TrackingIssue
from pmops.history.search_fields import MAX_WORKERS
from pmops.model import Status
from pmops.site.build import build_site
from pmops.site.entries import ItemStates
from tests.corpus import write_corpus


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _states(corpus: Any, closed: int | None) -> ItemStates:
    """Every action item's tracking issue, open but `closed`."""
    made = datetime(2026, 1, 1, tzinfo=UTC)
    numbers = {a.issue for d in corpus.docs for a in d.postmortem.action_items if a.issue}
    issues = {
        n: TrackingIssue(n, f"{n // 10}-0123456789ab", "x", n != closed, made, None, None, None)
        for n in numbers
    }
    return ItemStates(date(2026, 2, 1), issues)


def _issue_closed(root: Path, out: Path, corpus: Any) -> tuple[float, int]:
    """Build with the tracking issues' states (every page again: they were offline), then
    close one issue: (ms of the rebuild, pages it rendered)."""
    build_site(root, out, states=_states(corpus, None))
    shown = next(a.issue for d in corpus.docs for a in d.postmortem.action_items if a.issue)
    started = time.perf_counter()
    report = build_site(root, out, states=_states(corpus, shown))
    return (time.perf_counter() - started) * 1000, report.rendered


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Build the site of a generated corpus, then rebuild it after a one-file change."""
    parser = argparse.ArgumentParser(prog="python -m bench site")
    parser.add_argument("--docs", type=int, default=1_000 if quick else 10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pmops-bench-site-") as tmp:
        root, out = Path(tmp) / "repo", Path(tmp) / "site"
        corpus = write_corpus(root, args.docs, workers=os.cpu_count() or 1)
        started = time.perf_counter()
        report = build_site(root, out)
        build_s = time.perf_counter() - started
        doc = next(d for d in corpus.docs if d.postmortem.status is Status.PUBLISHED)
        changed = replace(doc.postmortem, title=f"{doc.postmortem.title} (revised)")
        (root / doc.path).write_text(render_postmortem(changed), encoding="utf-8")
        started = time.perf_counter()
        update = build_site(root, out)
        update_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        noop = build_site(root, out)
        noop_ms = (time.perf_counter() - started) * 1000
        assert update.rendered == 1 and noop.rendered == 0, (update, noop)
        issue_ms, issue_pages = _issue_closed(root, out, corpus)
        figures = {
            "docs": args.docs,
            "pages": report.pages,
            "build_s": round(build_s, 2),
            "update_ms": round(update_ms, 1),
            "noop_ms": round(noop_ms, 1),
            "issue_ms": round(issue_ms, 1),
            "issue_pages": issue_pages,
            "index_bytes": (out / "index.html").stat().st_size,
            "search_bytes": (out / "search-index.js").stat().st_size,
            "site_bytes": _size(out),
            "workers": min(os.cpu_count() or 1, MAX_WORKERS),
            "load_avg": round(os.getloadavg()[0], 2),
        }
    print_table("site figures", [figures])
    return figures
