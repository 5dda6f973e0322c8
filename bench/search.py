"""Search index on generated postmortems: build, one-file update, query latency, recall@5, size.

Figures: docs, build_s (full build from an empty cache), update_ms (incremental update after
one file changed: scan every file's stat, re-index the one), p50_ms / p95_ms (one query on an
up-to-date index, limit 10, with snippets), recall_at_5 (mean over the judged queries of
tests/corpus.py of |relevant in top 5| / min(5, |relevant|)), index_bytes. Extra:
update_path_ms (update told which file changed, as the Action can be), noop_update_ms,
p95_cpu_ms (query CPU time), similar_ms (one find-similar on the open index), load_avg (the
machine's 1-minute load at the end: wall times on a shared machine need it);
restored_update_s and restored_one_changed_s: the corpus committed to git, the index built
in a checkout and saved, then a fresh clone at the same path with the saved index put back
(what the workflow's actions/cache step does) brought up to date, with nothing or one
postmortem changed since (compare with build_s, what every fresh checkout paid before).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.table import print_table
from pmops.documents.render import render_postmortem
from pmops.history.search import SearchIndex, cache_path
from pmops.history.similar import similar_in
from tests.corpus import SERVICES, Corpus, write_corpus

EXTRA_QUERIES = (
    "timeout",
    "rollback",
    "deploy",
    "latency spike",
    "no healthy upstream",
    "pool",
    "certificate",
    "OOMKilled",
    "database",
    "retry storm",
    "error rate above 5%",
    "migration",
    "redis",
    "kafka",
    "flag",
    "429",
    "dns",
    "disk",
    "config push",
)
"""Unjudged queries added to the latency sample: single common words and short phrases."""


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _recall(index: SearchIndex, corpus: Corpus) -> tuple[float, list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    for query in corpus.queries:
        if not query.relevant:
            continue
        found = [hit.record.path for hit in index.search(query.text, limit=5)]
        recall = len(set(found) & query.relevant) / min(5, len(query.relevant))
        rows.append({"query": query.text, "relevant": len(query.relevant), "recall@5": recall})
    return statistics.fmean(r["recall@5"] for r in rows), rows


def _latencies(index: SearchIndex, corpus: Corpus, samples: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per query (CPU time shows what a busy machine hides)."""
    rng = random.Random(1)
    texts = [q.text for q in corpus.queries] + list(EXTRA_QUERIES)
    for text in texts:  # warm the page cache and the statement cache
        index.search(text)
    wall, cpu = [], []
    for _ in range(samples):
        text = rng.choice(texts)
        services = [rng.choice(SERVICES)] if rng.random() < 0.2 else []
        start, start_cpu = time.perf_counter(), time.thread_time()
        index.search(text, services=services, limit=10)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def _touch_one(root: Path, corpus: Corpus, number: int) -> Path:
    doc = corpus.docs[len(corpus.docs) // 2]
    pm = replace(doc.postmortem, title=f"{doc.postmortem.title} (edit {number})")
    path = root / doc.path
    path.write_text(render_postmortem(pm), encoding="utf-8")
    return path


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _restored(origin: Path, checkout: Path, saved: Path) -> float:
    """Seconds to bring a saved index up to date in a fresh clone of `origin` at `checkout`."""
    shutil.rmtree(checkout, ignore_errors=True)
    _git(origin.parent, "clone", "-q", str(origin), str(checkout))
    cache_path(checkout).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(saved, cache_path(checkout))
    start = time.perf_counter()
    with SearchIndex(checkout, folder="postmortems") as index:
        report = index.update()
        seconds = time.perf_counter() - start
        assert report.added == 0 and report.changed + report.unchanged == len(index), report
    return seconds


def restored_updates(root: Path, corpus: Corpus) -> tuple[float, float]:
    """(restored_update_s, restored_one_changed_s): see the module docstring."""
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "postmortems")
    _git(root, "commit", "-q", "-m", "postmortems")
    checkout = root.parent / "checkout"
    _git(root.parent, "clone", "-q", str(root), str(checkout))
    with SearchIndex(checkout, folder="postmortems") as index:
        index.update()
    saved = root.parent / "saved.sqlite3"
    shutil.copy(cache_path(checkout), saved)
    nothing = _restored(root, checkout, saved)
    _touch_one(root, corpus, 3)
    _git(root, "commit", "-q", "-am", "edit one postmortem")
    return nothing, _restored(root, checkout, saved)


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Generate the corpus, build, update, query; return the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench search")
    parser.add_argument("--docs", type=int, default=1000 if quick else 10_000)
    parser.add_argument("--samples", type=int, default=300 if quick else 1000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pmops-bench-search-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        start = time.perf_counter()
        corpus = write_corpus(root, args.docs, workers=os.cpu_count() or 1)
        print(
            f"generated {args.docs} postmortems in {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
        db = root / "index.sqlite3"
        with SearchIndex(root, db) as index:
            start = time.perf_counter()
            report = index.update()
            build_s = time.perf_counter() - start
            assert report.added == args.docs, report
            start = time.perf_counter()
            index.update()
            noop_ms = (time.perf_counter() - start) * 1000
            path = _touch_one(root, corpus, 1)
            start = time.perf_counter()
            report = index.update()
            update_ms = (time.perf_counter() - start) * 1000
            assert report.changed == 1, report
            path = _touch_one(root, corpus, 2)
            start = time.perf_counter()
            index.update([path])
            update_path_ms = (time.perf_counter() - start) * 1000
            recall, rows = _recall(index, corpus)
            times, cpu = _latencies(index, corpus, args.samples)
            pool = corpus.docs[0].postmortem
            start = time.perf_counter()
            similar_in(
                index,
                services=pool.impact.affected_services,
                paths=["auth/db/pool.py"],
                text=pool.title,
                errors=["could not obtain connection from pool"],
            )
            similar_ms = (time.perf_counter() - start) * 1000
        restored_s, restored_one_s = restored_updates(root, corpus)
        figures = {
            "docs": args.docs,
            "build_s": round(build_s, 2),
            "update_ms": round(update_ms, 1),
            "update_path_ms": round(update_path_ms, 2),
            "noop_update_ms": round(noop_ms, 1),
            "p50_ms": round(_percentile(times, 0.5), 2),
            "p95_ms": round(_percentile(times, 0.95), 2),
            "p95_cpu_ms": round(_percentile(cpu, 0.95), 2),
            "recall_at_5": round(recall, 3),
            "index_bytes": db.stat().st_size,
            "similar_ms": round(similar_ms, 1),
            "restored_update_s": round(restored_s, 3),
            "restored_one_changed_s": round(restored_one_s, 3),
            "load_avg": round(os.getloadavg()[0], 1),
        }
    print_table("recall@5 per judged query", rows)
    print_table("search figures", [figures])
    return figures
