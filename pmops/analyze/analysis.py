"""The analysis step: every fact later stages need, worked out once from the evidence.

`analyze` groups the changes into candidates, follows the deploys (rollout and rollbacks),
ranks the suspects, builds the timeline, derives the findings and decides whether a change
stands out; drafters and the verifier read the resulting `Analysis` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pmops.analyze.candidates import Candidate, build_candidates
from pmops.analyze.deploys import Rollout, analyze_rollout
from pmops.analyze.findings import derive_findings
from pmops.analyze.rollbacks import mask_targets, with_rollbacks
from pmops.analyze.standout import decide_standout
from pmops.analyze.suspects import MAX_SUSPECTS, rank_scored, score_pool
from pmops.analyze.timeline import build_timeline
from pmops.errors import InputError
from pmops.model import Analysis, Evidence, Landed, Suspect
from pmops.times import format_time


def analyze(
    evidence: Evidence,
    service_globs: Mapping[str, tuple[str, ...]] | None = None,
    *,
    limit: int | None = MAX_SUSPECTS,
) -> Analysis:
    """Candidates, rollout, suspects (the best `limit`; None: all), timeline, findings and
    the standout decision, each computed once. The analysis's evidence records the rollbacks
    the evidence implies (pmops.analyze.rollbacks) as deploys."""
    incident = evidence.incident
    if incident.resolved_at < incident.started_at:
        raise InputError(
            f"incident {incident.id} was resolved ({format_time(incident.resolved_at)}) before "
            f"it started ({format_time(incident.started_at)}); correct its start or resolution "
            "time before drafting"
        )
    globs = service_globs or {}
    evidence = with_rollbacks(evidence)
    pool, fixes = build_candidates(evidence.changes, evidence.window)
    rollout = analyze_rollout(pool, evidence, globs)
    scored = score_pool(mask_targets(evidence), pool, fixes, rollout, globs)
    suspects = rank_scored(scored, limit=limit)
    candidates = tuple(_landed(c, i, rollout) for i, c in enumerate(pool))
    remediation = tuple(_landed(c, None, rollout) for c in fixes)
    return _complete(evidence, suspects, candidates, remediation)


def reorder(analysis: Analysis, suspects: Sequence[Suspect]) -> Analysis:
    """The analysis with the suspects in another order (a model's rerank): the timeline,
    findings and standout decision follow; candidates and rollout stay as they were."""
    if tuple(suspects) == analysis.suspects:
        return analysis
    return _complete(analysis.evidence, tuple(suspects), analysis.candidates, analysis.remediation)


def _complete(
    evidence: Evidence,
    suspects: tuple[Suspect, ...],
    candidates: tuple[Landed, ...],
    remediation: tuple[Landed, ...],
) -> Analysis:
    standout = decide_standout(evidence, suspects)
    return Analysis(
        evidence=evidence,
        timeline=build_timeline(evidence, suspects, candidates, remediation),
        suspects=suspects,
        findings=derive_findings(evidence, suspects, candidates, remediation, standout),
        standout=standout,
        candidates=candidates,
        remediation=remediation,
    )


def _landed(candidate: Candidate, index: int | None, rollout: Rollout) -> Landed:
    live = rollout.live.get(index) if index is not None else None
    return Landed(
        change=candidate.change,
        landed_at=candidate.landed_at,
        members=tuple(m.sha for m in candidate.members),
        pr=candidate.pr,
        live=live,
        batch=rollout.batch.get(index, 0) if index is not None else 0,
        bounded=index in rollout.bounded,
        rolled_back=rollout.rolled_back.get(index) if index is not None else None,
    )
