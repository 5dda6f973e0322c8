"""Rank the culprit of every mined case with pmops and with the two baselines.

Each case runs in a scratch repository that borrows the clone's objects (git alternates)
and has no ref at all but a detached HEAD at the case's base commit: `git log HEAD` sees
the history up to the revert's parent and nothing after it. The incident file holds only
what a terse human report would: the sanitized reason as title and update, the times.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.regressions.baselines import rank_lexical, rank_recent
from bench.regressions.cases import Case
from bench.regressions.history import GitFailed, git, is_ancestor
from bench.regressions.sanitize import incident_title
from bench.regressions.scores import rank_figures
from pmops.draft.rerank import RERANK_TOP, fuse_orders
from pmops.errors import SourceError

LOOKBACK = timedelta(hours=24)
"""Candidates are the commits that landed this long before the incident started."""

MIN_CANDIDATES = 5
"""Cases with fewer candidates say little about a ranker (any order finds the culprit)."""

RANKERS = ("pmops", "recent", "lexical")
RERANKERS = ("pmops+rerank", "model-order")
"""With `--rerank`: pmops's order fused with SmolLM2's rerank of its top 5 (what pmops ships),
and the model's own order of those 5 without the fusion (what trusting it would give)."""


@dataclass(frozen=True)
class Reranker:
    """The model server the rerank rankers ask, and how."""

    url: str
    model: str = "smollm2-135m"
    n_ctx: int = 4096
    max_output_tokens: int = 400
    timeout_s: float = 300

    def config(self, base: Any) -> Any:
        """`base` (a pmops Config) with the rerank turned on against this server."""
        model = replace(
            base.model,
            name=self.model,
            base_url=self.url,
            rerank=True,
            timeout_s=self.timeout_s,
            max_output_tokens=self.max_output_tokens,
            prompt_token_budget=self.n_ctx - self.max_output_tokens - PROMPT_MARGIN,
        )
        return replace(base, model=model)


PROMPT_MARGIN = 100
"""Tokens of the model's context kept free beyond prompt and answer (chat template)."""


@dataclass(frozen=True)
class Outcome:
    """The culprit's 1-based rank under each ranker (None: not ranked at all)."""

    case: Case
    candidates: int
    ranks: dict[str, int | None]
    seconds: float
    rerank_fallback: str | None = None
    """Why the model's rerank was not used (None: used, or not asked for)."""
    top: tuple[str, ...] = ()
    """pmops's top suspects, as many as the rerank shows a model (for `simulate_rerank`)."""
    newest: tuple[str, ...] = ()
    """The same, newest first: what a model biased to recency would answer."""


class Scratch:
    """A repository with no refs that reads a clone's objects; HEAD moves from case to case."""

    def __init__(self, clone: Path, root: Path) -> None:
        common = git(clone, "rev-parse", "--path-format=absolute", "--git-common-dir")
        objects = Path(common.decode().strip()) / "objects"
        self.path = root / clone.name
        self.path.mkdir(parents=True)
        git(self.path, "init", "-q")
        git(self.path, "config", "core.logAllRefUpdates", "false")
        alternates = self.path / ".git" / "objects" / "info" / "alternates"
        alternates.write_text(f"{objects}\n")

    def checkout(self, sha: str) -> None:
        """Point the detached HEAD at `sha`; no branch or tag exists to reach past it."""
        git(self.path, "update-ref", "--no-deref", "HEAD", sha)


def _iso_parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def incident_document(case: Case, number: int) -> dict[str, object]:
    """The incident file of a case (schemas/incident.schema.json)."""
    return {
        "id": f"regression-{number}",
        "title": incident_title(case.reason),
        "started_at": case.started_at,
        "detected_at": case.started_at,
        "resolved_at": case.resolved_at,
        "services": [],
        "updates": [{"at": case.started_at, "text": case.reason}],
        "deploys": [],
        "alerts": [],
    }


class _Judge:
    """Whether a ranked SHA is the culprit: the SHA itself, or a merge that folds it in."""

    def __init__(self, repo: Path, culprit: str) -> None:
        self.repo = repo
        self.culprit = culprit
        self.parents: dict[str, tuple[str, ...]] = {}
        self.cache: dict[str, bool] = {}

    def learn(self, shas: Sequence[str]) -> None:
        """Read the parents of `shas` in one git call."""
        wanted = [s for s in dict.fromkeys(shas) if s not in self.parents]
        if not wanted:
            return
        out = git(
            self.repo,
            "log",
            "--no-walk=unsorted",
            "--stdin",
            "--format=%H %P",
            input="\n".join(wanted).encode(),
        )
        for line in out.decode().split("\n"):
            if line.strip():
                sha, *parents = line.split()
                self.parents[sha] = tuple(parents)

    def is_culprit(self, sha: str) -> bool:
        """The culprit itself, a merge whose first-parent side brought the culprit in, or a
        commit that a culprit merge brought in (pmops lists a non-PR merge's commits)."""
        if sha == self.culprit:
            return True
        if sha not in self.cache:
            self.cache[sha] = self._brought_in(self.culprit, sha) or self._brought_in(
                sha, self.culprit
            )
        return self.cache[sha]

    def _brought_in(self, commit: str, merge: str) -> bool:
        """Whether the merge `merge` brought `commit` onto its first-parent line."""
        self.learn([merge])
        parents = self.parents.get(merge, ())
        return (
            len(parents) >= 2
            and is_ancestor(self.repo, commit, merge)
            and not is_ancestor(self.repo, commit, parents[0])
        )

    def rank(self, ranked: Sequence[str]) -> int | None:
        """The 1-based position of the first SHA that counts as the culprit."""
        self.learn(ranked)
        for position, sha in enumerate(ranked, 1):
            if self.is_culprit(sha):
                return position
        return None


def evaluate_case(
    scratch: Scratch, case: Case, number: int, workdir: Path, reranker: Reranker | None = None
) -> Outcome:
    """Check out the base, write the incident, rank with pmops and the baselines (and with
    the model's rerank when `reranker` is given)."""
    from pmops.pipeline import rank_local
    from pmops.sources.git import read_changes

    started = time.perf_counter()
    scratch.checkout(case.base)
    incident = workdir / f"incident-{number}.json"
    incident.write_text(json.dumps(incident_document(case, number), indent=1))
    suspects: Sequence[Any]
    if reranker is None:
        suspects = rank_local(scratch.path, incident, limit=None)
        reranked: dict[str, list[str]] = {}
        fallback = None
    else:
        suspects, reranked, fallback = _rank_and_rerank(scratch.path, incident, reranker)
    start = _iso_parse(case.started_at)
    changes = [
        c
        for c in read_changes(scratch.path, start - LOOKBACK, start)
        if start - LOOKBACK <= c.committed_at <= start
    ]
    judge = _Judge(scratch.path, case.culprit)
    ranks = {
        "pmops": judge.rank([s.sha for s in suspects]),
        "recent": judge.rank(rank_recent(changes)),
        "lexical": judge.rank(rank_lexical(changes, case.reason)),
    }
    ranks.update({name: judge.rank(order) for name, order in reranked.items()})
    top = tuple(s.sha for s in suspects[:RERANK_TOP])
    landed = {c.sha: c.committed_at.timestamp() for c in changes}
    newest = tuple(sorted(top, key=lambda sha: -landed.get(sha, 0.0)))
    seconds = time.perf_counter() - started
    return Outcome(case, len(changes), ranks, seconds, fallback, top, newest)


def _rank_and_rerank(
    repo: Path, incident: Path, reranker: Reranker
) -> tuple[Sequence[Any], dict[str, list[str]], str | None]:
    """pmops's ranking and the two rerank orders, from one gather."""
    from pmops.config import load_config
    from pmops.pipeline import rank_and_rerank_local

    config = reranker.config(load_config(repo))
    suspects, result = rank_and_rerank_local(repo, incident, limit=None, config=config, env={})
    shas = [s.sha for s in suspects]
    model = [*result.model_order, *shas[len(result.model_order) :]]
    orders = {"pmops+rerank": [s.sha for s in result.suspects], "model-order": model}
    return suspects, orders, (result.note if result.fell_back else None)


def evaluate(
    cases: Sequence[Case],
    clones: Path,
    *,
    min_candidates: int = MIN_CANDIDATES,
    errors: list[Case] | None = None,
    progress: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
    reranker: Reranker | None = None,
) -> list[Outcome]:
    """Outcomes of the cases whose clone exists and that have >= `min_candidates` candidates.

    A case git cannot read (a snapshot without some large object) goes to `errors`. With a
    `reranker`, the rerank rankers (RERANKERS) are measured too.
    """
    errors = errors if errors is not None else []
    outcomes = []
    scratches: dict[str, Scratch] = {}
    with tempfile.TemporaryDirectory(prefix="pmops-bench-regressions-") as tmp:
        root = Path(tmp)
        for number, case in enumerate(cases, 1):
            clone = clones / case.clone_name
            if not clone.exists():
                progress(f"[{number}/{len(cases)}] {case.repo}: no clone at {clone}, skipped")
                continue
            if case.clone_name not in scratches:
                scratches[case.clone_name] = Scratch(clone, root / "repos")
            try:
                outcome = evaluate_case(scratches[case.clone_name], case, number, root, reranker)
            except (SourceError, GitFailed) as error:  # snapshots lack objects of >= 4 MiB
                errors.append(case)
                progress(f"[{number}/{len(cases)}] {case.repo} {case.revert[:10]}: {error}")
                continue
            shown = " ".join(f"{k}={v if v else '-'}" for k, v in outcome.ranks.items())
            kept = outcome.candidates >= min_candidates
            progress(
                f"[{number}/{len(cases)}] {case.repo} {case.revert[:10]} "
                f"candidates={outcome.candidates} {shown} {outcome.seconds:.1f}s"
                + ("" if kept else " (too few candidates, not counted)")
                + (
                    f" rerank fell back: {outcome.rerank_fallback}"
                    if outcome.rerank_fallback
                    else ""
                )
            )
            if kept:
                outcomes.append(outcome)
    return outcomes


def figures(outcomes: Sequence[Outcome], ranker: str) -> dict[str, float | int]:
    """cases, top1, top3 (shares 0..1) and MRR of one ranker."""
    return rank_figures([o.ranks[ranker] for o in outcomes])


# ---------------------------------------------------------------- simulated rerank

SIMULATED_MODELS = ("perfect", "half right", "random", "newest first", "reversed")
"""Orders of pmops's top 5 a model might answer: the culprit first (else pmops's order), that
or a random order with even odds, a random order, newest first, pmops's order reversed."""
FUSIONS = ("trust the model", "rrf k=60", "pmops+rerank")
"""How a model's order of the top 5 could be used: as it is, by reciprocal rank fusion with
pmops's (Cormack et al. 2009), or as pmops does (`pmops.draft.rerank.fuse_orders`)."""
SIMULATION_SEEDS = 20
RRF_K = 60


def simulate_rerank(
    outcomes: Sequence[Outcome],
) -> dict[str, dict[str, dict[str, float | int]]]:
    """top1/top3/MRR per simulated model and fusion, without any model: why pmops fuses as
    it does. Random orders are averaged over SIMULATION_SEEDS seeded runs."""
    ranks: dict[tuple[str, str], list[int | None]] = {}
    for seed in range(SIMULATION_SEEDS):
        rng = random.Random(seed)
        for outcome in outcomes:
            for model, order in _simulated_orders(outcome, rng).items():
                for fusion in FUSIONS:
                    fused = _fuse(fusion, list(outcome.top), order)
                    ranks.setdefault((model, fusion), []).append(_culprit_rank(outcome, fused))
    return {
        model: {fusion: _shares(ranks[(model, fusion)]) for fusion in FUSIONS}
        for model in SIMULATED_MODELS
    }


def _simulated_orders(outcome: Outcome, rng: random.Random) -> dict[str, list[str]]:
    top = list(outcome.top)
    culprit = _culprit(outcome)
    perfect = ([culprit] if culprit else []) + [s for s in top if s != culprit]
    shuffled = rng.sample(top, len(top))
    half = perfect if rng.random() < 0.5 else shuffled
    orders = (perfect, half, shuffled, list(outcome.newest), top[::-1])
    return dict(zip(SIMULATED_MODELS, orders, strict=True))


def _culprit(outcome: Outcome) -> str | None:
    rank = outcome.ranks["pmops"]
    return outcome.top[rank - 1] if rank is not None and rank <= len(outcome.top) else None


def _fuse(fusion: str, pmops: list[str], model: list[str]) -> list[str]:
    if fusion == "trust the model":
        return model
    if fusion == "pmops+rerank":
        return fuse_orders(pmops, model)
    mine = {sha: rank for rank, sha in enumerate(pmops, 1)}
    theirs = {sha: rank for rank, sha in enumerate(model, 1)}

    def fused(sha: str) -> float:
        return 1 / (RRF_K + mine[sha]) + 1 / (RRF_K + theirs[sha])

    return sorted(pmops, key=lambda sha: (-fused(sha), mine[sha]))


def _culprit_rank(outcome: Outcome, fused: list[str]) -> int | None:
    culprit = _culprit(outcome)
    return fused.index(culprit) + 1 if culprit else outcome.ranks["pmops"]


def _shares(ranks: Sequence[int | None]) -> dict[str, float | int]:
    return {k: v for k, v in rank_figures(ranks).items() if k != "cases"}
