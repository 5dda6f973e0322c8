"""Fit the suspect-ranking weights on real regressions, evaluated leave-one-repository-out.

    python -m bench.regressions.learn --clones DIR [--features FILE] [--refresh]

Step 1 (slow, cached in --features): for every mined case with >= 5 candidates, and every
synthetic scenario, the signal values pmops computes for each candidate
(`pmops.analyze.suspects.score_candidates`) and which candidate is the culprit.
Step 2: a pairwise logistic regression (culprit above each other candidate) over those
values. For each repository, weights fitted on all the other repositories rank its cases
(leave-one-repository-out), so the figures are not fitted to the cases they report on.
Step 3: the weights fitted on everything, to copy into `WEIGHTS` in suspects.py.

`bench.regressions.travel` builds on this fit (its `fit`, `ranks` and `gather_cases`): it adds
the change traits and the bridge, bootstrap intervals and a held-out slice, and is what the
shipped no-deploy weights come from.

numpy is used here only (a benchmark tool), never by pmops itself.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.regressions.scores import rank_figures

FEATURES_FILE = Path(tempfile.gettempdir()) / "pmops-regression-features.jsonl"
L2 = 0.01
SCENARIO_WEIGHT = 0.0
"""How much a synthetic scenario counts in the fit, against one real case. Zero: the fitted
weights serve evidence without deploy records, and most scenarios have deploys (they are
ranked with the hand-set weights, which `python -m bench suspects` checks)."""
STEPS = 400
RATE = 0.5


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _case_rows(evidence: Any, is_culprit: Any) -> list[dict[str, Any]]:
    from pmops.analyze.suspects import score_candidates

    rows = []
    for scored in score_candidates(evidence):
        members = [m.sha for m in scored.candidate.members]
        rows.append(
            {
                "values": scored.values,
                "culprit": any(is_culprit(sha) for sha in members),
                "landed": scored.candidate.landed_at.timestamp(),
            }
        )
    return rows


def gather_cases(clones: Path, cases: Sequence[Any], prefix: str) -> Iterator[tuple[Any, ...]]:
    """(number, case, scratch, evidence, judge) for each case whose clone exists, its history
    checked out and its evidence gathered as `pmops draft` would; failures are logged."""
    from bench.regressions.evaluate import Scratch, _Judge, incident_document
    from bench.regressions.history import GitFailed
    from pmops.config import default_config
    from pmops.errors import PmopsError
    from pmops.pipeline import gather_local
    from pmops.sources.incident_file import load_incident_file

    config = default_config()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        root = Path(tmp)
        scratches: dict[str, Scratch] = {}
        for number, case in enumerate(cases, 1):
            clone = clones / case.clone_name
            if not clone.exists():
                continue
            if case.clone_name not in scratches:
                scratches[case.clone_name] = Scratch(clone, root / "repos")
            scratch = scratches[case.clone_name]
            try:
                scratch.checkout(case.base)
                incident = root / f"incident-{number}.json"
                incident.write_text(json.dumps(incident_document(case, number)))
                evidence = gather_local(scratch.path, load_incident_file(incident), config)
                judge = _Judge(scratch.path, case.culprit)
                judge.learn([c.sha for c in evidence.changes])
            except (PmopsError, GitFailed) as error:
                _log(f"[{number}/{len(cases)}] {case.repo}: {error}")
                continue
            yield number, case, scratch, evidence, judge


def extract_regressions(clones: Path) -> Iterator[dict[str, Any]]:
    """Feature rows of every mined case that has a clone and >= 5 candidates."""
    from bench.regressions.cases import CASES_FILE, load_cases
    from bench.regressions.evaluate import MIN_CANDIDATES

    cases = [c for c in load_cases(CASES_FILE) if c.candidates >= MIN_CANDIDATES]
    for number, case, _, evidence, judge in gather_cases(clones, cases, "pmops-learn-"):
        rows = _case_rows(evidence, judge.is_culprit)
        _log(f"[{number}/{len(cases)}] {case.repo} {len(rows)} candidates")
        yield {"repo": case.repo, "case": case.revert, "rows": rows}


def extract_scenarios() -> Iterator[dict[str, Any]]:
    """Feature rows of the synthetic scenario suite (tests/scenarios)."""
    from pmops.config import load_config
    from pmops.pipeline import gather_local
    from pmops.sources.incident_file import load_incident_file
    from tests.scenarios.build import build_all

    with tempfile.TemporaryDirectory(prefix="pmops-learn-scenarios-") as tmp:
        for built in build_all(Path(tmp)):
            config = load_config(built.repo)
            evidence = gather_local(built.repo, load_incident_file(built.incident_file), config)
            from pmops.analyze.suspects import score_candidates

            rows = []
            for scored in score_candidates(evidence, config.services):
                members = {m.sha for m in scored.candidate.members}
                rows.append(
                    {
                        "values": scored.values,
                        "culprit": bool(members & set(built.accepted_shas)),
                        "landed": scored.candidate.landed_at.timestamp(),
                    }
                )
            yield {"repo": "scenarios", "case": built.scenario.name, "rows": rows}


def _matrix(case: dict[str, Any], names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[row["values"].get(n, 0.0) for n in names] for row in case["rows"]])
    y = np.array([row["culprit"] for row in case["rows"]], dtype=bool)
    return x.reshape(len(case["rows"]), len(names)), y


LEARNED = (
    "recent",
    "time",
    "text",
    "text_message",
    "text_paths",
    "text_diff",
    "risky",
    "noise",
    "size",
)
"""Signals that vary in real history (what a terse report and git show): fitted here.
The others (deploys, reverts, mentions, services...) never fire on the mined cases, so
they keep their hand-set weights, which the scenario suite checks."""


def fit(
    cases: Sequence[dict[str, Any]], names: Sequence[str], frozen: dict[str, float] | None = None
) -> np.ndarray:
    """Weights minimizing the pairwise logistic loss (culprit above each other candidate);
    the weights named in `frozen` keep their values."""
    frozen = frozen or {}
    w = np.array([frozen.get(n, 0.0) for n in names])
    free = np.array([n not in frozen for n in names])
    diffs = []
    for case in cases:
        x, y = _matrix(case, names)
        if y.any() and (~y).any():
            culprit = x[y][0]
            others = x[~y]
            # every case weighs the same, however many candidates it has
            share = SCENARIO_WEIGHT if case["repo"] == "scenarios" else 1.0
            diffs.append((culprit - others, np.full(len(others), share / len(others))))
    if not diffs:
        return w
    d = np.concatenate([a for a, _ in diffs])
    weights = np.concatenate([b for _, b in diffs])
    weights /= weights.sum()
    for _ in range(STEPS):
        margin = d @ w
        grad = -(d * (weights / (1 + np.exp(margin)))[:, None]).sum(axis=0) + L2 * w
        w -= RATE * len(names) * np.where(free, grad, 0.0)
    return w


def ranks(cases: Sequence[dict[str, Any]], names: Sequence[str], w: np.ndarray) -> list[int | None]:
    """The culprit's rank in each case under weights `w` (ties: newest first)."""
    result: list[int | None] = []
    for case in cases:
        x, y = _matrix(case, names)
        if not y.any():
            result.append(None)
            continue
        scores = x @ w
        landed = np.array([row["landed"] for row in case["rows"]])
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], -landed[i]))
        result.append(next(pos for pos, i in enumerate(order, 1) if y[i]))
    return result


def main(argv: list[str] | None = None) -> int:
    """Extract (or load) features, evaluate leave-one-repository-out, print the weights."""
    from pmops.analyze.suspects import WEIGHTS, WEIGHTS_WITHOUT_DEPLOYS

    parser = argparse.ArgumentParser(prog="python -m bench.regressions.learn")
    parser.add_argument("--clones", type=Path, required=True)
    parser.add_argument("--features", type=Path, default=FEATURES_FILE)
    parser.add_argument("--refresh", action="store_true", help="extract the features again")
    args = parser.parse_args(argv)
    if args.refresh or not args.features.exists():
        partial = args.features.with_suffix(".partial")
        with partial.open("w") as out:
            for case in [*extract_scenarios(), *extract_regressions(args.clones)]:
                out.write(json.dumps(case) + "\n")
        partial.replace(args.features)
    cases = [json.loads(line) for line in args.features.read_text().splitlines()]
    names = sorted({n for c in cases for row in c["rows"] for n in row["values"]} | set(WEIGHTS))
    current = np.array([WEIGHTS_WITHOUT_DEPLOYS.get(n, 0.0) for n in names])
    frozen = {n: WEIGHTS.get(n, 0.0) for n in names if n not in LEARNED}
    repos = sorted({c["repo"] for c in cases})
    loro: list[int | None] = []
    hand: list[int | None] = []
    for repo in repos:
        held = [c for c in cases if c["repo"] == repo]
        w = fit([c for c in cases if c["repo"] != repo], names, frozen)
        found = ranks(held, names, w)
        mine = ranks(held, names, current)
        _log(f"{repo:36} learned {rank_figures(found)}  current {rank_figures(mine)}")
        if repo != "scenarios":
            loro += found
            hand += mine
    everything = fit(cases, names, frozen)
    _log(f"{'real cases, leave-one-repo-out':36} {rank_figures(loro)}")
    _log(f"{'real cases, current weights':36} {rank_figures(hand)}")
    for name, value, now in zip(names, everything, current, strict=True):
        _log(
            f"  {name:14} {'learned' if name in LEARNED else 'kept   '} {value:6.2f}   "
            f"current {now:5.2f}"
        )
    print(
        json.dumps(
            {
                "loro": rank_figures(loro),
                "current": rank_figures(hand),
                "weights": {n: round(float(v), 2) for n, v in zip(names, everything, strict=True)},
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
