"""The CI blamelist: the changes that landed after a workflow last passed on the default
branch, up to the change it failed on next. One of them broke it (or the failure is
flaky, or has nothing to do with the incident: the signal weighs a little, and it never
makes a change stand out on its own)."""

from __future__ import annotations

from collections.abc import Sequence

from pmops.analyze.learned import Scorable
from pmops.model import Evidence
from pmops.safety.sanitize import one_line

SIGNAL = "ci_red"


def score_ci(scored: Sequence[Scorable], evidence: Evidence) -> None:
    """Mark each workflow's blamelists among the candidates, each change with 1 / its
    length. A blamelist ends at a candidate the workflow failed on whose nearest older
    result was a pass: on a candidate, or on a commit older than the candidates (a run
    finished before the first failing candidate landed). A failure after a failure was
    inherited; a workflow never seen passing says nothing (its failure may have been there
    before the window); a commit it both failed and passed on (a re-run) counts as passed."""
    if not evidence.workflow_runs or not evidence.passed_runs:
        return
    order = sorted(scored, key=lambda s: (s.candidate.landed_at, s.candidate.change.sha))
    place = {sha: i for i, s in enumerate(order) for sha in s.candidate.shas}
    for name in sorted({r.name for r in evidence.workflow_runs}):
        passed = [r for r in evidence.passed_runs if r.name == name]
        green = {place[r.sha] for r in passed if r.sha in place}
        red = {place[r.sha] for r in evidence.workflow_runs if r.name == name and r.sha in place}
        red -= green
        if not red:
            continue
        landed = order[min(red)].candidate.landed_at
        last_green = -1 if any(r.sha not in place and r.at < landed for r in passed) else None
        for i in sorted(green | red):
            if i in green:
                last_green = i
            elif last_green is not None:
                _blame(order[last_green + 1 : i + 1], name, order, last_green, i)
                last_green = None


def _blame(
    blamelist: Sequence[Scorable], name: str, order: Sequence[Scorable], green: int, red: int
) -> None:
    since = "before the window" if green < 0 else f"on {order[green].candidate.change.sha[:7]}"
    reason = (
        f"in the CI blamelist of workflow \u201c{one_line(name, 60)}\u201d: it passed "
        f"{since} and failed on {order[red].candidate.change.sha[:7]}"
        + (f" ({len(blamelist)} changes in between)" if len(blamelist) > 1 else "")
    )
    for s in blamelist:
        s.add(SIGNAL, 1 / len(blamelist), reason)
