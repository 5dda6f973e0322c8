"""Suspect ranking on real regressions: reverts with a human reason, mined from public history.

`python -m bench regressions --clones DIR [--cases FILE] [--repo NAME] [--limit N]` ranks
the culprit of every case in bench/regressions/cases.jsonl (mined by `mine.py` from clones
named `owner__name` under DIR) with pmops and two baselines (newest first, BM25), and reports
top-1, top-3 and MRR per repository and overall, on cases with >= 5 candidates.

To rerun from scratch, with full clones (bare is fine) of the repositories that
cases.jsonl names under DIR, one per repository, named `owner__name`:

    git clone --bare https://github.com/denoland/deno DIR/denoland__deno   # and so on
    python -m bench.regressions.mine --clones DIR          # rewrites cases.jsonl
    python -m bench regressions --clones DIR [--repo denoland/deno] [--limit 40]

A case whose objects a clone lacks (snapshots without files of 4 MiB and more) is reported
as an error and not counted.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any


def _spread(cases: list[Any], limit: int) -> list[Any]:
    """At most `limit` cases, taken in turn from each repository (a quick run sees them all)."""
    by_repo: dict[str, list[Any]] = {}
    for case in cases:
        by_repo.setdefault(case.repo, []).append(case)
    picked: list[Any] = []
    queues = [list(reversed(group)) for _, group in sorted(by_repo.items())]
    while len(picked) < limit and any(queues):
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop())
    return picked


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Evaluate the cases, print per-repository tables on stderr, return the figures."""
    from bench.regressions.cases import CASES_FILE, load_cases
    from bench.regressions.evaluate import MIN_CANDIDATES, RANKERS, evaluate, figures
    from bench.table import print_table

    parser = argparse.ArgumentParser(prog="python -m bench regressions")
    parser.add_argument("--clones", type=Path, required=True, help="directory of owner__name")
    parser.add_argument("--cases", type=Path, default=CASES_FILE, help="JSONL cases file")
    parser.add_argument("--repo", action="append", default=[], help="only this owner/name")
    parser.add_argument("--limit", type=int, default=40 if quick else 0, help="at most N cases")
    parser.add_argument("--min-candidates", type=int, default=MIN_CANDIDATES)
    args = parser.parse_args(argv)
    if not args.clones.is_dir():
        raise SystemExit(f"--clones {args.clones}: no such directory")
    cases = [
        c
        for c in load_cases(args.cases)
        if (not args.repo or c.repo in args.repo) and c.candidates >= args.min_candidates
    ]
    if args.limit:
        cases = _spread(cases, args.limit)
    started = time.perf_counter()
    errors: list[Any] = []
    outcomes = evaluate(cases, args.clones, min_candidates=args.min_candidates, errors=errors)
    seconds = time.perf_counter() - started
    repos = sorted({o.case.repo for o in outcomes})
    rows = []
    for repo in [*repos, "overall"]:
        chosen = [o for o in outcomes if repo in ("overall", o.case.repo)]
        row: dict[str, Any] = {"repo": repo, "cases": len(chosen)}
        for ranker in RANKERS:
            result = figures(chosen, ranker)
            row.update(
                {
                    f"{ranker} top1": result["top1"],
                    f"{ranker} top3": result["top3"],
                    f"{ranker} mrr": result["mrr"],
                }
            )
        rows.append(row)
    print_table(
        f"regressions: {len(outcomes)} cases with >= {args.min_candidates} candidates "
        f"in {seconds:.0f}s ({len(errors)} unreadable in the clones, not counted)",
        rows,
    )
    overall = figures(outcomes, "pmops")
    return {
        **overall,
        "errors": len(errors),
        "per_repo": {
            repo: figures([o for o in outcomes if o.case.repo == repo], "pmops") for repo in repos
        },
        "baselines": {
            name: {k: v for k, v in figures(outcomes, name).items() if k != "cases"}
            for name in RANKERS[1:]
        },
    }
