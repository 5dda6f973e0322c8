"""Suspect ranking on the scenario suite: share of incidents whose culprit ranks 1st / top 3.

Builds every scenario of tests/scenarios (real git repositories with a known culprit) in a
temporary directory and ranks each with `pmops.pipeline.rank_local`. `--quick` is the same
run: the suite takes a few seconds.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.table import print_table


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Build, rank, print one row per scenario on stderr; return scenarios, top1, top3."""
    try:
        from pmops.pipeline import rank_local
    except ImportError as error:
        raise RuntimeError(
            f"the suspects benchmark needs pmops.pipeline.rank_local: {error}"
        ) from error
    try:
        from tests.scenarios.build import build_all, culprit_rank
    except ImportError as error:
        raise RuntimeError(f"run from the repository root (tests/scenarios): {error}") from error
    rows = []
    with tempfile.TemporaryDirectory(prefix="pmops-bench-suspects-") as tmp:
        started = time.perf_counter()
        built = build_all(Path(tmp))
        build_s = time.perf_counter() - started
        for scenario in built:
            suspects = rank_local(scenario.repo, scenario.incident_file)
            rank = culprit_rank(scenario, [s.sha for s in suspects])
            top = suspects[0] if suspects else None
            margin = suspects[0].score - suspects[1].score if len(suspects) > 1 else None
            rows.append(
                {
                    "scenario": scenario.name + (" (hard)" if scenario.scenario.hard else ""),
                    "rank": rank if rank is not None else "-",
                    "suspects": len(suspects),
                    "top": f"{top.sha[:7]} {top.subject[:38]}" if top else "-",
                    "margin": margin if margin is not None else "-",
                }
            )
    print_table(f"suspects: {len(rows)} scenarios (built in {build_s:.1f}s)", rows)
    ranks = [r["rank"] for r in rows]
    total = len(rows)
    return {
        "scenarios": total,
        "top1": sum(r == 1 for r in ranks) / total if total else 0.0,
        "top3": sum(isinstance(r, int) and r <= 3 for r in ranks) / total if total else 0.0,
    }
