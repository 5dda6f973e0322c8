"""The CI blamelist: the changes that landed after a workflow last passed on the default
branch and up to the first change it failed on. One of them broke it (or the failure is
flaky, or has nothing to do with the incident: the signal weighs a little, and it never
makes a change stand out on its own)."""

from __future__ import annotations

from collections.abc import Sequence

from pmops.analyze.learned import Scorable
from pmops.model import Evidence, WorkflowRun
from pmops.safety.sanitize import one_line

SIGNAL = "ci_red"


def score_ci(scored: Sequence[Scorable], evidence: Evidence) -> None:
    """Mark each workflow's blamelist among the candidates, each change with 1 / its length:
    a workflow that failed on a candidate and passed on an older one (or, before the oldest
    failing candidate landed, on a commit older than the candidates). A workflow never seen
    passing says nothing: its failure may have been there before the window."""
    if not evidence.workflow_runs or not evidence.passed_runs:
        return
    order = sorted(scored, key=lambda s: (s.candidate.landed_at, s.candidate.change.sha))
    place = {sha: i for i, s in enumerate(order) for sha in s.candidate.shas}
    for name in sorted({r.name for r in evidence.workflow_runs}):
        red = [place[r.sha] for r in evidence.workflow_runs if r.name == name and r.sha in place]
        if not red:
            continue
        first = min(red)
        green = _last_green(evidence.passed_runs, name, place, order, first)
        if green is None:
            continue
        blamelist = order[green + 1 : first + 1]
        since = "before the window" if green < 0 else f"on {order[green].candidate.change.sha[:7]}"
        reason = (
            f"in the CI blamelist of workflow \u201c{one_line(name, 60)}\u201d: it passed "
            f"{since} and failed on {order[first].candidate.change.sha[:7]}"
            + (f" ({len(blamelist)} changes in between)" if len(blamelist) > 1 else "")
        )
        for s in blamelist:
            s.add(SIGNAL, 1 / len(blamelist), reason)


def _last_green(
    passed: Sequence[WorkflowRun],
    name: str,
    place: dict[str, int],
    order: Sequence[Scorable],
    first: int,
) -> int | None:
    """The place of the newest candidate older than `first` the workflow passed on; -1 when
    it passed only on an older commit (a run finished before the first failing candidate
    landed); None when it was not seen passing before it."""
    mine = [r for r in passed if r.name == name]
    older = [place[r.sha] for r in mine if place.get(r.sha, first) < first]
    if older:
        return max(older)
    landed = order[first].candidate.landed_at
    return -1 if any(r.sha not in place and r.at < landed for r in mine) else None
