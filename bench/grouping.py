"""Change grouping (analyze/candidates.group_changes) on a real merge-heavy history.

`python -m bench grouping --repo PATH [--commits N] [--calls K]` reads the newest N commits of
a local clone (bare is fine) with pmops's git source, then times `group_changes` over them
K times and reports the milliseconds per call, the candidates and how many merges were folded
or listed through their commits. Needs a clone: there is no synthetic default, since the cost
depends on how the history's branches interleave.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path
from typing import Any


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Time group_changes on the newest commits of `--repo`."""
    from bench.table import print_table
    from pmops.analyze.candidates import group_changes
    from pmops.sources.git import read_changes
    from pmops.sources.gitcmd import git_bytes

    parser = argparse.ArgumentParser(prog="python -m bench grouping")
    parser.add_argument("--repo", type=Path, required=True, help="a local clone")
    parser.add_argument("--commits", type=int, default=500 if quick else 2000)
    parser.add_argument("--calls", type=int, default=3 if quick else 10)
    args = parser.parse_args(argv)
    if not args.repo.is_dir():
        raise SystemExit(f"--repo {args.repo}: no such directory")
    stamps = git_bytes(args.repo, "log", "--format=%ct", f"-{args.commits}", "HEAD").split()
    newest, oldest = int(stamps[0]), int(stamps[-1])
    from datetime import UTC, datetime

    until = datetime.fromtimestamp(newest, UTC)
    since = datetime.fromtimestamp(oldest, UTC) - timedelta(seconds=1)
    changes = read_changes(args.repo, since, until)
    started = time.perf_counter()
    for _ in range(args.calls):
        candidates = group_changes(changes)
    ms = (time.perf_counter() - started) * 1000 / args.calls
    merges = sum(c.is_merge for c in changes)
    folded = sum(1 for c in candidates if c.change.is_merge and len(c.members) > 1)
    listed = len({c.group.sha for c in candidates if c.group is not None})
    row = {
        "repo": args.repo.name,
        "commits": len(changes),
        "merges": merges,
        "candidates": len(candidates),
        "folded merges": folded,
        "listed merges": listed,
        "ms per call": round(ms, 2),
    }
    print_table("group_changes on a real history", [row])
    return row
