"""top-1, top-3 and MRR of a ranker, from the rank it gave each case's culprit."""

from __future__ import annotations

from collections.abc import Sequence


def rank_figures(ranks: Sequence[int | None]) -> dict[str, float | int]:
    """cases, top1, top3 (shares 0..1) and MRR of culprit ranks (None: not ranked at all)."""
    n = len(ranks) or 1
    return {
        "cases": len(ranks),
        "top1": round(sum(r == 1 for r in ranks) / n, 4),
        "top3": round(sum(r is not None and r <= 3 for r in ranks) / n, 4),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
    }
