"""An evaluation whose number travels: every figure leave-one-repository-out, with a paired
bootstrap against lexical, per repository and per text type, a held-out slice last.

    python -m bench.regressions.travel --clones DIR [--cases FILE ...] [--features FILE]
        [--refresh] [--fit] [--holdout]

Step 1 (slow, cached in --features): for every case with >= 5 candidates, pmops's signal
values for each candidate, its code tokens (bridge.code_tokens), the report's words, and the
culprit's rank under the baselines (lexical BM25, newest first).
Step 2: for each development repository R, the bridge table and the weights are fitted on
the other development repositories only, then R's cases are ranked. Held-out repositories
(`HOLDOUT`, picked by a hash of their names, never looked at while developing) are ranked
with everything fitted on the development repositories, and reported last, only with
`--holdout`.
Step 3 (`--fit`): the bridge table and weights fitted on all development repositories,
written to pmops/analyze/bridge.tsv and printed for suspects.py.

Text types: a report is content-poor when it has fewer than `RICH_WORDS` words once symptom
words ("broke", "failing", "revert"...) are left out (the lexical query pmops builds), else
descriptive.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.regressions.evaluate import MIN_CANDIDATES
from bench.regressions.learn import LEARNED, fit, gather_cases, ranks
from bench.regressions.scores import rank_figures
from pmops.analyze.learned import TRAIT_REASONS

FEATURES_FILE = Path(tempfile.gettempdir()) / "pmops-travel-features.jsonl"
RICH_WORDS = 5
"""A report with fewer query words than this is content-poor ("the roll broke it", a link)."""

BOOTSTRAP = 2000
"""Bootstrap resamples for the 95 % intervals."""

HOLDOUT_SHARE = 4
"""One repository in this many of those added after issue 11 (hash of the name) is held out."""

ORIGINAL = frozenset(
    """denoland/deno microsoft/playwright angular/components emscripten-core/emscripten
    jax-ml/jax openstack/nova openstack/neutron astral-sh/ruff rust-lang/cargo
    rust-lang/rust-clippy facebook/buck2 hashicorp/terraform tailscale/tailscale
    aosp-mirror/platform_bionic aosp-mirror/platform_system_core protocolbuffers/protobuf
    KhronosGroup/SPIRV-Tools WebAssembly/binaryen iree-org/iree python/mypy astral-sh/uv
    electron/electron getsentry/sentry-javascript""".split()
)
"""The repositories of issue 11's set: developed against already, so never held out."""

MIN_PAIR_CASES = 3
MIN_PAIR_REPOS = 3
"""A (word, token) pair enters the bridge when seen in this many culprits, from this many
repositories: a pair only one project (or two sharing exported commits) shows does not
travel."""
MIN_WORD_CASES = 8
"""Report words seen in fewer cases than this say too little to learn from."""
MIN_ASSOCIATION = 0.5
"""Pairs whose log-lift is below this (culprits have the token less than 1.65 times as
often as all culprits do) are left out: noise, and a smaller file."""
SMOOTHING = 5.0
"""Pseudo-cases at the prior: a pair seen twice among 3 reports counts less than one seen
20 times among 30."""
MAX_TOKENS = 400
"""Code tokens kept per candidate in the features file (in sorted order)."""

TRAITS = tuple(TRAIT_REASONS)
SIGNALS = (*LEARNED, *TRAITS, "bridge")
"""Signals fitted here (what a terse report and git history show); the others keep their
hand-set weights, which the scenario suite checks."""


def is_holdout(repo: str) -> bool:
    """Held out: a repository added after issue 11 whose name hashes into the held slice."""
    digest = hashlib.sha256(repo.lower().encode()).digest()
    return repo not in ORIGINAL and digest[0] % HOLDOUT_SHARE == 0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def extract(
    clones: Path, case_files: Sequence[Path], done: Mapping[tuple[str, str], str] | None = None
) -> Iterator[dict[str, Any]]:
    """Feature records of every case with a clone and >= 5 candidates, but those in `done`
    ((repo, revert) -> the report text already extracted, which ends with the reason: a case
    whose reason the sanitizer changed since is extracted again). A case that cannot be read
    yields a record marked "failed", so it is not tried again."""
    done = done or {}
    from bench.regressions.cases import load_cases
    from bench.regressions.history import GitFailed

    cases = [c for f in case_files for c in load_cases(f) if c.candidates >= MIN_CANDIDATES]
    cases = [c for c in cases if not done.get((c.repo, c.revert), "\0").endswith(c.reason)]
    for number, case, _, evidence, judge in gather_cases(clones, cases, "pmops-travel-"):
        try:
            record = _features(case, evidence, judge)
        except GitFailed as error:
            _log(f"[{number}/{len(cases)}] {case.repo}: {error}")
            yield {"repo": case.repo, "case": case.revert, "failed": True, "text": case.reason}
            continue
        _log(f"[{number}/{len(cases)}] {case.repo} {len(record['rows'])} candidates")
        yield record


def _features(case: Any, evidence: Any, judge: Any) -> dict[str, Any]:
    """One case's record: signal values and code tokens per candidate, the report's words,
    the baselines' ranks of the culprit."""
    from bench.regressions.baselines import rank_lexical, rank_recent
    from pmops.analyze.bridge import code_tokens, report_words
    from pmops.analyze.mentions import SYMPTOM_WORDS, incident_text
    from pmops.analyze.ranker import candidate_inputs, report_query
    from pmops.analyze.suspects import score_candidates
    from pmops.analyze.text import words

    window = evidence.window
    changes = [c for c in evidence.changes if window.since <= c.committed_at <= window.start]
    text = incident_text(evidence)
    query = [w for w in report_words(text) if w not in SYMPTOM_WORDS]
    rows = [
        {
            "values": {k: v for k, v in s.values.items() if k != "bridge"},
            "culprit": any(judge.is_culprit(sha) for sha in s.candidate.shas),
            "landed": s.candidate.landed_at.timestamp(),
            "tokens": sorted(code_tokens(s.candidate))[:MAX_TOKENS],
            "inputs": candidate_inputs(s.candidate),
        }
        for s in score_candidates(evidence)
    ]
    return {
        "repo": case.repo,
        "ecosystem": case.ecosystem,
        "case": case.revert,
        "words": sorted(set(report_words(text))),
        "text": text,
        "query": report_query(text, words(" ".join(evidence.incident.services))),
        "poor": len(set(query)) < RICH_WORDS,
        "commits": len(changes),
        "lexical": judge.rank(rank_lexical(changes, case.reason)),
        "recent": judge.rank(rank_recent(changes)),
        "rows": rows,
    }


def load_features(path: Path) -> list[dict[str, Any]]:
    """The records extracted so far (a line cut short by an interrupted run is dropped)."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


# ---------------------------------------------------------------- the bridge


class PairCounts:
    """Per repository: cases whose report has word w (`words`), whose culprit has token t
    (`tokens`), both (`seen`), and the case count: the bridge's pointwise mutual
    information, log(P(t in culprit | w in report) / P(t in culprit)), compares the culprits
    of reports saying w with all culprits, so neither a token every big change has nor a
    word every report has ("revert", "broke") makes a pair."""

    def __init__(self, records: Sequence[dict[str, Any]]) -> None:
        self.seen: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
        self.words: dict[str, Counter[str]] = defaultdict(Counter)
        self.tokens: dict[str, Counter[str]] = defaultdict(Counter)
        self.cases: Counter[str] = Counter()
        for record in records:
            culprits = [r for r in record["rows"] if r["culprit"]]
            if not culprits or len(record["rows"]) < 2:
                continue
            repo = record["repo"]
            tokens = set(culprits[0]["tokens"])
            self.cases[repo] += 1
            self.words[repo].update(set(record["words"]))
            self.tokens[repo].update(tokens)
            seen = self.seen[repo]
            for word in set(record["words"]):
                for token in tokens:
                    seen[(word, token)] += 1

    def table(self, exclude: frozenset[str] = frozenset()) -> dict[str, dict[str, float]]:
        """The bridge fitted on every repository but `exclude`."""
        if not hasattr(self, "_pairs"):
            self._totals()
        kept = [r for r in self.cases if r not in exclude]
        cases = sum(self.cases[r] for r in kept)
        words: Counter[str] = Counter()
        tokens: Counter[str] = Counter()
        for repo in kept:
            words.update(self.words[repo])
            tokens.update(self.tokens[repo])
        table: dict[str, dict[str, float]] = {}
        for pair, (count, repos) in self._pairs.items():
            for repo in exclude & repos:
                count -= self.seen[repo][pair]
            if count < MIN_PAIR_CASES or len(repos - exclude) < MIN_PAIR_REPOS:
                continue
            if words[pair[0]] < MIN_WORD_CASES:
                continue
            prior = tokens[pair[1]] / cases
            value = float(
                np.log((count + SMOOTHING * prior) / (words[pair[0]] + SMOOTHING) / prior)
            )
            if value >= MIN_ASSOCIATION:
                table.setdefault(pair[0], {})[pair[1]] = round(value, 3)
        return table

    def _totals(self) -> None:
        """Pairs that could enter some table (enough culprits and repositories over all),
        with their totals: each table then only subtracts what it leaves out."""
        seen: Counter[tuple[str, str]] = Counter()
        repos: dict[tuple[str, str], set[str]] = defaultdict(set)
        for repo, counts in self.seen.items():
            seen.update(counts)
            for pair in counts:
                repos[pair].add(repo)
        self._pairs: dict[tuple[str, str], tuple[int, frozenset[str]]] = {
            pair: (count, frozenset(repos[pair]))
            for pair, count in seen.items()
            if count >= MIN_PAIR_CASES and len(repos[pair]) >= MIN_PAIR_REPOS
        }


def add_loro_bridge(records: Sequence[dict[str, Any]]) -> None:
    """Each record's bridge values from a table fitted without its repository."""
    counts = PairCounts(records)
    for repo in sorted({r["repo"] for r in records}):
        add_bridge([r for r in records if r["repo"] == repo], counts.table(frozenset({repo})))


def add_bridge(records: Sequence[dict[str, Any]], table: dict[str, dict[str, float]]) -> None:
    """Set each row's "bridge" value from `table` (in place)."""
    from pmops.analyze.bridge import bridge_values

    for record in records:
        found = bridge_values(table, record["words"], [r["tokens"] for r in record["rows"]])
        for row, (value, _) in zip(record["rows"], found, strict=True):
            row["values"]["bridge"] = value


# ---------------------------------------------------------------- figures


def _top1(ranks_: Sequence[int | None]) -> np.ndarray:
    return np.array([1.0 if r == 1 else 0.0 for r in ranks_])


def _rr(ranks_: Sequence[int | None]) -> np.ndarray:
    return np.array([1.0 / r if r else 0.0 for r in ranks_])


def paired_interval(
    ours: Sequence[int | None], base: Sequence[int | None], groups: Sequence[str], seed: int = 0
) -> dict[str, Any]:
    """top-1 ratio and MRR difference against `base`, with 95 % intervals from a paired
    bootstrap over repositories (cluster resampling: a repository's cases move together)."""
    a1, b1, ar, br = _top1(ours), _top1(base), _rr(ours), _rr(base)
    names = sorted(set(groups))
    index = {n: np.array([i for i, g in enumerate(groups) if g == n]) for n in names}
    rng = np.random.default_rng(seed)
    ratios, diffs = [], []
    for _ in range(BOOTSTRAP):
        picked = np.concatenate([index[names[i]] for i in rng.integers(0, len(names), len(names))])
        if b1[picked].sum() > 0:
            ratios.append(a1[picked].sum() / b1[picked].sum())
        diffs.append(ar[picked].mean() - br[picked].mean())
    return {
        "top1_ratio": round(float(a1.sum() / max(b1.sum(), 1)), 3),
        "top1_ratio_95": [round(float(q), 3) for q in np.percentile(ratios, [2.5, 97.5])],
        "mrr_diff": round(float(ar.mean() - br.mean()), 3),
        "mrr_diff_95": [round(float(q), 3) for q in np.percentile(diffs, [2.5, 97.5])],
    }


def _summary(records: Sequence[dict[str, Any]], found: Sequence[int | None]) -> dict[str, Any]:
    lexical = [r["lexical"] for r in records]
    recent = [r["recent"] for r in records]
    return {
        "cases": len(records),
        "repos": len({r["repo"] for r in records}),
        "pmops": rank_figures(found),
        "lexical": rank_figures(lexical),
        "recent": rank_figures(recent),
        **paired_interval(found, lexical, [r["repo"] for r in records]),
    }


def evaluate(
    records: list[dict[str, Any]], names: Sequence[str], frozen: dict[str, float]
) -> tuple[list[int | None], dict[str, np.ndarray]]:
    """Leave-one-repository-out over the development records: the culprit's rank in each
    case with the weights fitted without its repository (the bridge values must come from
    `add_loro_bridge`), and those weights."""
    repos = sorted({r["repo"] for r in records})
    loro: list[int | None] = [None] * len(records)
    weights: dict[str, np.ndarray] = {}
    for repo in repos:
        held = [i for i, r in enumerate(records) if r["repo"] == repo]
        w = fit([r for r in records if r["repo"] != repo], names, frozen)
        weights[repo] = w
        for i, rank in zip(held, ranks([records[i] for i in held], names, w), strict=True):
            loro[i] = rank
    return loro, weights


def trait_lift(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per trait: culprits with it, against what picking a candidate at random would give
    (the share of candidates with it, summed over cases), and their ratio (lift)."""
    lift = {}
    for trait in TRAITS:
        seen = expected = 0.0
        for record in records:
            rows = record["rows"]
            if not any(r["culprit"] for r in rows):
                continue
            seen += any(r["culprit"] and r["values"].get(trait) for r in rows)
            expected += sum(1 for r in rows if r["values"].get(trait)) / len(rows)
        lift[trait] = {
            "culprits": seen,
            "chance": round(expected, 1),
            "lift": round(seen / expected, 2) if expected else 0.0,
        }
    return lift


def scored_records(
    records: Sequence[dict[str, Any]], case_files: Sequence[Path]
) -> list[dict[str, Any]]:
    """The records scored: a case of `case_files` (its last extraction), read without
    failing, with at least `MIN_CANDIDATES` candidates (as `bench regressions` scores)."""
    from bench.regressions.cases import load_cases

    wanted = {(c.repo, c.revert) for f in case_files for c in load_cases(f)}
    latest = {(r["repo"], r["case"]): r for r in records}
    return [
        r
        for k, r in latest.items()
        if k in wanted and not r.get("failed") and r["commits"] >= MIN_CANDIDATES
    ]


def main(argv: list[str] | None = None) -> int:
    """Extract (or load) the features, report leave-one-repository-out figures."""
    from bench.regressions.cases import CASES_FILE
    from bench.regressions.rankfit import model_ranks
    from pmops.analyze.ranker import shipped_model
    from pmops.analyze.suspects import WEIGHTS

    parser = argparse.ArgumentParser(prog="python -m bench.regressions.travel")
    parser.add_argument("--clones", type=Path, required=True)
    parser.add_argument("--cases", type=Path, action="append", default=[])
    parser.add_argument("--features", type=Path, default=FEATURES_FILE)
    parser.add_argument("--refresh", action="store_true", help="extract the features again")
    parser.add_argument(
        "--no-extract", action="store_true", help="only the cases already in --features"
    )
    parser.add_argument("--fit", action="store_true", help="write bridge.tsv, print weights")
    parser.add_argument("--fit-ranker", action="store_true", help="write pmops/analyze/ranker.tsv")
    parser.add_argument("--holdout", action="store_true", help="also rank the held-out slice")
    args = parser.parse_args(argv)
    if args.refresh and args.features.exists():
        args.features.unlink()
    records = load_features(args.features)
    if not args.no_extract:
        done = {(r["repo"], r["case"]): r.get("text", "") for r in records}
        with args.features.open("a") as out:  # appended case by case: an interrupted run resumes
            for record in extract(args.clones, args.cases or [CASES_FILE], done):
                out.write(json.dumps(record) + "\n")
                out.flush()
                records.append(record)
    records = scored_records(records, args.cases or [CASES_FILE])
    dev = [r for r in records if not is_holdout(r["repo"])]
    held = [r for r in records if is_holdout(r["repo"])]
    names = sorted(
        {n for r in records for row in r["rows"] for n in row["values"]} | set(WEIGHTS) | {"bridge"}
    )
    frozen = {n: WEIGHTS.get(n, 0.0) for n in names if n not in SIGNALS}
    if args.fit_ranker:
        _write_ranker(dev)
        shipped_model.cache_clear()
    report = _report(dev, held, names, frozen, args.holdout)
    shipped = shipped_model().weights
    report["development"]["shipped_model_in_sample"] = rank_figures(model_ranks(dev, shipped))
    if args.fit:
        _fit_and_write(dev, names, frozen)
    print(json.dumps(report, sort_keys=True))
    return 0


def _report(
    dev: list[dict[str, Any]],
    held: list[dict[str, Any]],
    names: Sequence[str],
    frozen: dict[str, float],
    with_holdout: bool,
) -> dict[str, Any]:
    from bench.regressions.rankfit import fit_model, leave_one_out, model_ranks

    loro = leave_one_out(dev)
    report: dict[str, Any] = {"development": _summary(dev, loro)}
    lexical = [r["lexical"] for r in dev]
    groups = [r["repo"] for r in dev]
    add_loro_bridge(dev)
    ablations = {
        "signal weights only (no learned ranker)": frozen,
        "signal weights, issue-11 signals": {
            **frozen,
            "bridge": 0.0,
            **dict.fromkeys(TRAITS, 0.0),
        },
    }
    report["ablations"] = {}
    for name, fixed in ablations.items():
        found, _ = evaluate(dev, names, fixed)
        report["ablations"][name] = {
            **rank_figures(found),
            **paired_interval(found, lexical, groups),
        }
    report["trait_lift"] = trait_lift(dev)
    for kind, poor in (("descriptive", False), ("content_poor", True)):
        chosen = [i for i, r in enumerate(dev) if r["poor"] is poor]
        report["development"][kind] = _summary([dev[i] for i in chosen], [loro[i] for i in chosen])
    per_repo = {}
    for repo in sorted({r["repo"] for r in dev}):
        chosen = [i for i, r in enumerate(dev) if r["repo"] == repo]
        found = [loro[i] for i in chosen]
        per_repo[repo] = {
            "cases": len(chosen),
            "pmops_top1": rank_figures(found)["top1"],
            "lexical_top1": rank_figures([dev[i]["lexical"] for i in chosen])["top1"],
        }
    report["per_repo"] = per_repo
    _print(report)
    if with_holdout and held:
        found = model_ranks(held, fit_model(dev))
        report["holdout"] = _summary(held, found)
        for kind, poor in (("descriptive", False), ("content_poor", True)):
            chosen = [i for i, r in enumerate(held) if r["poor"] is poor]
            report["holdout"][kind] = _summary(
                [held[i] for i in chosen], [found[i] for i in chosen]
            )
        _log(f"HELD-OUT ({len(held)} cases): {json.dumps(report['holdout'])}")
    return report


def _print(report: dict[str, Any]) -> None:
    for repo, row in report["per_repo"].items():
        _log(
            f"  {repo:44} {row['cases']:4} pmops {row['pmops_top1']:.3f} "
            f"lexical {row['lexical_top1']:.3f}"
        )
    for key in ("descriptive", "content_poor"):
        _log(f"{key}: {json.dumps(report['development'][key])}")
    for name, figures in report["ablations"].items():
        _log(f"ablation {name}: {json.dumps(figures)}")
    _log(f"trait lift: {json.dumps(report['trait_lift'])}")
    overall = {
        k: v for k, v in report["development"].items() if k not in ("descriptive", "content_poor")
    }
    _log(f"development, leave-one-repository-out: {json.dumps(overall)}")


def _fit_and_write(
    dev: list[dict[str, Any]], names: Sequence[str], frozen: dict[str, float]
) -> None:
    from pmops.analyze.bridge import TABLE_FILE, write_table

    table = PairCounts(dev).table()
    pairs = write_table(
        TABLE_FILE,
        table,
        "pmops symptom->code bridge: report word, code token, log((culprits with the token + 1)"
        " / (expected by chance + 1)).\nFitted by `python -m bench.regressions.travel --fit` on "
        f"{len(dev)} mined regressions from {len({r['repo'] for r in dev})} repositories.",
    )
    _log(f"wrote {pairs} pairs to {TABLE_FILE} ({TABLE_FILE.stat().st_size:,} bytes)")
    w = fit(dev, names, frozen)  # on the leave-one-repository-out bridge values of _report
    for name, value in zip(names, w, strict=True):
        if name in SIGNALS:
            _log(f'    "{name}": {value:.2f},')


def _write_ranker(dev: list[dict[str, Any]]) -> None:
    from bench.regressions.rankfit import fit_model
    from pmops.analyze.ranker import MODEL_FILE, write_model

    count = write_model(
        MODEL_FILE,
        fit_model(dev),
        "pmops learned ranker (no deploy records): feature<TAB>weight; features in ranker.py.\n"
        "Fitted by `python -m bench.regressions.travel --fit-ranker` (listwise logistic, "
        f"bench/regressions/rankfit.py)\non {len(dev)} mined regressions from "
        f"{len({r['repo'] for r in dev})} repositories.",
    )
    _log(f"wrote {count} weights to {MODEL_FILE} ({MODEL_FILE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    sys.exit(main())
