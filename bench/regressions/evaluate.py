"""Rank the culprit of every mined case with pmops and with the two baselines.

Each case runs in a scratch repository that borrows the clone's objects (git alternates)
and has no ref at all but a detached HEAD at the case's base commit: `git log HEAD` sees
the history up to the revert's parent and nothing after it. The incident file holds only
what a terse human report would: the sanitized reason as title and update, the times.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bench.regressions.baselines import rank_lexical, rank_recent
from bench.regressions.cases import Case
from bench.regressions.history import GitFailed, git, is_ancestor
from bench.regressions.sanitize import incident_title
from pmops.errors import SourceError

LOOKBACK = timedelta(hours=24)
"""Candidates are the commits that landed this long before the incident started."""

MIN_CANDIDATES = 5
"""Cases with fewer candidates say little about a ranker (any order finds the culprit)."""

RANKERS = ("pmops", "recent", "lexical")


@dataclass(frozen=True)
class Outcome:
    """The culprit's 1-based rank under each ranker (None: not ranked at all)."""

    case: Case
    candidates: int
    ranks: dict[str, int | None]
    seconds: float


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
        """The culprit itself, or a merge whose first-parent side brought the culprit in."""
        if sha == self.culprit:
            return True
        parents = self.parents.get(sha, ())
        if len(parents) < 2:
            return False
        if sha not in self.cache:
            self.cache[sha] = is_ancestor(self.repo, self.culprit, sha) and not is_ancestor(
                self.repo, self.culprit, parents[0]
            )
        return self.cache[sha]

    def rank(self, ranked: Sequence[str]) -> int | None:
        """The 1-based position of the first SHA that counts as the culprit."""
        self.learn(ranked)
        for position, sha in enumerate(ranked, 1):
            if self.is_culprit(sha):
                return position
        return None


def evaluate_case(scratch: Scratch, case: Case, number: int, workdir: Path) -> Outcome:
    """Check out the base, write the incident, rank with pmops and the baselines."""
    from pmops.pipeline import rank_local
    from pmops.sources.git import read_changes

    started = time.perf_counter()
    scratch.checkout(case.base)
    incident = workdir / f"incident-{number}.json"
    incident.write_text(json.dumps(incident_document(case, number), indent=1))
    suspects = rank_local(scratch.path, incident, limit=None)
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
    return Outcome(case, len(changes), ranks, time.perf_counter() - started)


def evaluate(
    cases: Sequence[Case],
    clones: Path,
    *,
    min_candidates: int = MIN_CANDIDATES,
    errors: list[Case] | None = None,
    progress: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> list[Outcome]:
    """Outcomes of the cases whose clone exists and that have >= `min_candidates` candidates.

    A case git cannot read (a snapshot without some large object) goes to `errors`.
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
                outcome = evaluate_case(scratches[case.clone_name], case, number, root)
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
            )
            if kept:
                outcomes.append(outcome)
    return outcomes


def figures(outcomes: Sequence[Outcome], ranker: str) -> dict[str, float | int]:
    """cases, top1, top3 (shares 0..1) and MRR of one ranker."""
    ranks = [o.ranks[ranker] for o in outcomes]
    n = len(ranks)
    if not n:
        return {"cases": 0, "top1": 0.0, "top3": 0.0, "mrr": 0.0}
    return {
        "cases": n,
        "top1": round(sum(r == 1 for r in ranks) / n, 4),
        "top3": round(sum(r is not None and r <= 3 for r in ranks) / n, 4),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
    }
