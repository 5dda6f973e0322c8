"""Rank the changes most likely to have caused an incident: deterministic, explained, blameless.

Each candidate change gets a value in 0..1 per signal (DESIGN §6); its raw score is the
weighted sum, shown as `raw / (raw + SCALE)` in 0..1. Every signal that contributes adds a
human-readable reason. Who wrote a change is never looked at.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pmops.analyze.candidates import Candidate, build_candidates
from pmops.analyze.ci import score_ci
from pmops.analyze.deploys import Rollout, analyze_rollout
from pmops.analyze.learned import score_bridge, score_learned, score_traits
from pmops.analyze.mentions import find_mentions, incident_text, match_text
from pmops.analyze.paths import (
    RISKY_KINDS,
    component_of,
    incident_kinds,
    is_noise,
    path_kinds,
    services_of,
)
from pmops.model import Evidence, Suspect
from pmops.times import format_clock
from pmops.wording import ordinal

WEIGHTS: Mapping[str, float] = {
    "mention": 3.0,  # named by SHA or PR number in a human update or alert: people saw it
    "revert": 2.5,  # reverted or rolled back during the incident, near the resolution
    "deploy": 1.5,  # deployed shortly before the start
    "text": 2.0,  # the incident's words in its message, paths and diff together (best = 1)
    "text_message": 0.0,  # ... in the commit messages alone
    "text_paths": 0.0,  # ... in the changed paths alone
    "text_diff": 0.0,  # ... in the identifiers of the diff alone
    "time": 1.0,  # live (deployed, else landed) shortly before the start
    "recent": 0.0,  # newest-first rank among the candidates (1, 1/2, 1/3...)
    "service": 1.0,  # touches an affected service
    "fix_overlap": 1.0,  # a fix during the incident touched the same files
    "ci_red": 1.0,  # in a workflow's blamelist: landed after it last passed, by its first failure
    "risky": 0.6,  # config, dependency, migration, feature-flag, infra or build files
    "api_break": 0.8,  # errors like "is not a function" and the change touches dependencies
    "major_bump": 0.6,  # a dependency's major version changes (its API may break)
    "size": 0.3,  # larger changes break more (log-scaled churn)
    "noise": -1.5,  # only docs, tests or CI
    "other_service": -0.8,  # only touches services other than the affected ones
    "not_live": -1.2,  # the deploy records show it was not in production at the start
    "ruled_out": -2.5,  # the updates say reverting or checking it did not help
    # what kind of change it is (priors.py); fitted without deploys only, so 0 here keeps
    # the deploy-aware ranking as the scenario suite set it
    "dependency_only": 0.0,
    "roll": 0.0,
    "is_revert": 0.0,
    "test_only": 0.0,
    "docs_only": 0.0,
    "reland": 0.0,
    "largest": 0.0,
    "bridge": 0.0,  # report words -> code tokens learned from real regressions (bridge.py)
}
"""Weights when the evidence has deploy records (production incidents): set by hand on the
scenario suite (`python -m bench suspects`), where deploys, rollbacks and services carry
the signal."""

WEIGHTS_WITHOUT_DEPLOYS: Mapping[str, float] = {
    **WEIGHTS,
    # fitted by `python -m bench.regressions.travel --fit` (pairwise logistic regression on
    # 646 real reverts from 63 repositories, evaluated leave-one-repository-out; README);
    # the other signals never fire on that history and keep their hand-set weights
    "text": 0.88,
    "text_message": 1.08,
    "text_paths": 0.80,
    "text_diff": 0.51,
    "time": 0.43,
    "recent": 1.22,
    "risky": 0.35,
    "size": 0.04,
    "noise": -0.18,
    # change traits: culprits had them 0.99x (dependency-only), 0.69x (roll subject), 0.60x
    # (revert), 0.92x (tests only), 0.74x (docs only), 0.57x (re-land), 1.25x (largest) as
    # often as chance; the fit folds them with the signals above (size, noise)
    "dependency_only": -0.17,
    "roll": -0.26,
    "is_revert": -0.46,
    "test_only": 0.12,
    "docs_only": -0.26,
    "reland": -0.03,
    "largest": -0.03,
    "bridge": 0.0,  # fitted 0.03 and no gain leave-one-repository-out: off (README)
}
"""Weights when no deploy records exist (a terse report and git history): then how recent a
change is among the candidates, and where the report's words appear, say the most."""

SCALE = 3.0
"""The raw score shown as 0.5: about a recent deploy of a change that touches the service."""

TIME_HALF_LIFE = timedelta(hours=2)
DEPLOY_HALF_LIFE = timedelta(minutes=30)
REVERT_HALF_LIFE = timedelta(minutes=30)
BATCH_FREE = 3
"""A deploy shipping up to this many changes gives each its full deploy signal; a bigger
batch divides it by the square root of (size / BATCH_FREE)."""

SCHEDULE_TIME_FLOOR = 0.5
"""Time value a schedule (cron) change keeps however long ago it landed."""

MAX_SUSPECTS = 10
MAX_REASONS = 6
"""Reasons listed per suspect, strongest first: more would bury the ones that matter."""

_API_BREAK = re.compile(
    r"is not a function|has no attribute|undefined method|cannot find module|no module named|"
    r"ModuleNotFoundError|ImportError|NoSuchMethod|NoClassDefFound|undefined symbol|"
    r"unresolved import|no member named|is not exported|cannot import name|"
    r"incompatible (version|types?)|ABI",
    re.IGNORECASE,
)
"""Error text that points at a library whose API changed under the code."""

_MAJOR_BUMP = re.compile(
    r"\bfrom\s+v?(\d+)\.[\w.+-]*\s+to\s+v?(\d+)\.|\bto\s+v(\d+)\b.*\(major\)|\bmajor\b.*\bupdate",
    re.IGNORECASE,
)


@dataclass
class Scored:
    """A candidate with the value (0..1) of every signal that fired and the reasons."""

    candidate: Candidate
    weights: Mapping[str, float] = field(default_factory=lambda: WEIGHTS)
    values: dict[str, float] = field(default_factory=dict)
    reasons: list[tuple[float, str]] = field(default_factory=list)
    learned: float | None = None
    """The learned ranker's verdict (learned.score_learned), as a raw score: when set, it
    stands for the weighted sum."""

    def add(self, signal: str, value: float, reason: str | None) -> None:
        """Record a signal's value; its reason is shown when the signal carries weight."""
        if value <= 0:
            return
        self.values[signal] = max(self.values.get(signal, 0.0), min(1.0, value))
        if reason is not None and self.weights[signal]:
            self.reasons.append((self.weights[signal] * value, reason))

    @property
    def raw(self) -> float:
        if self.learned is not None:
            return self.learned
        return sum(self.weights[s] * v for s, v in self.values.items())


def _half_life(delta: timedelta, half_life: timedelta) -> float:
    return 0.5 ** (max(delta.total_seconds(), 0.0) / half_life.total_seconds())


def _ago(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes / 60:.1f} h".replace(".0 h", " h")


def score_candidates(
    evidence: Evidence, service_globs: Mapping[str, tuple[str, ...]] | None = None
) -> list[Scored]:
    """Every candidate change with its signal values, in candidate order (not ranked)."""
    globs = service_globs or {}
    pool, remediation = build_candidates(evidence.changes, evidence.window)
    return score_pool(evidence, pool, remediation, analyze_rollout(pool, evidence, globs), globs)


def score_pool(
    evidence: Evidence,
    pool: Sequence[Candidate],
    remediation: Sequence[Candidate],
    rollout: Rollout,
    globs: Mapping[str, tuple[str, ...]],
) -> list[Scored]:
    """`score_candidates` over a pool, remediation and rollout already worked out."""
    weights = WEIGHTS if evidence.deploys else WEIGHTS_WITHOUT_DEPLOYS
    scored = [Scored(c, weights) for c in pool]
    if not pool:
        return scored
    _score_time_and_deploys(scored, evidence, rollout)
    _score_reverts(scored, remediation, evidence, rollout)
    _score_mentions(scored, evidence)
    for s, match in zip(scored, match_text(pool, evidence), strict=True):
        if match is not None:
            s.add("text", match.value, f"matches the incident text ({', '.join(match.terms)})")
            for field, value in match.fields.items():
                s.add(f"text_{field}", value, None)  # explained by the reason above
    _score_recency(scored)
    score_ci(scored, evidence)
    _score_files(scored, evidence, globs)
    score_traits(scored, evidence)
    if weights["bridge"]:
        score_bridge(scored, evidence)
    if not evidence.deploys:
        score_learned(scored, evidence)
    return scored


def rank_suspects(
    evidence: Evidence,
    service_globs: Mapping[str, tuple[str, ...]] | None = None,
    *,
    limit: int | None = MAX_SUSPECTS,
) -> tuple[Suspect, ...]:
    """The candidate changes ranked best first with their reasons (`limit` None: all)."""
    return rank_scored(score_candidates(evidence, service_globs), limit=limit)


def rank_scored(scored: Sequence[Scored], *, limit: int | None) -> tuple[Suspect, ...]:
    """Scored candidates best first, as suspects (`limit` None: all)."""
    ranked = sorted(
        scored, key=lambda s: (-s.raw, -s.candidate.landed_at.timestamp(), s.candidate.change.sha)
    )
    return tuple(_suspect(s) for s in ranked[:limit])


def display_score(raw: float) -> float:
    """Raw weighted sum to a 0..1 score that keeps the order (no ties from clipping)."""
    return round(max(raw, 0.0) / (max(raw, 0.0) + SCALE), 3)


def _suspect(scored: Scored) -> Suspect:
    change = scored.candidate.change
    reasons = [r for _, r in sorted(scored.reasons, key=lambda x: -abs(x[0]))]
    if (group := scored.candidate.group) is not None:
        reasons.append(f"landed with the merge {group.sha[:7]} ({group.subject[:80]})")
    return Suspect(
        sha=change.sha,
        score=display_score(scored.raw),
        reasons=_fold_fixes(list(dict.fromkeys(reasons)))[:MAX_REASONS],
        pr=scored.candidate.pr,
        repo=change.repo,
        subject=change.subject,
        signals=frozenset(s for s, v in scored.values.items() if v > 0),
    )


def _fold_fixes(reasons: list[str]) -> tuple[str, ...]:
    """One reason for every fix that touched the suspect's files, where the first stood."""
    fixes = [r for r in reasons if r.startswith(_FIX_REASON)]
    if len(fixes) < 2:
        return tuple(reasons)
    shas = [r.removeprefix(_FIX_REASON).split(" ", 1)[0] for r in fixes]
    folded = f"{len(fixes)} fixes during the incident ({', '.join(shas)}) touched the same files"
    first = reasons.index(fixes[0])
    rest = [r for r in reasons if r not in fixes]
    return (*rest[:first], folded, *rest[first:])


_FIX_REASON = "the fix "


def _score_time_and_deploys(scored: list[Scored], evidence: Evidence, rollout: Rollout) -> None:
    start = evidence.window.start
    for i, s in enumerate(scored):
        landed = start - s.candidate.landed_at
        deploy = rollout.live.get(i)
        live: datetime = deploy.at if deploy and i in rollout.bounded else s.candidate.landed_at
        value = _half_life(start - live, TIME_HALF_LIFE)
        if any("schedule" in path_kinds(f.path) for f in s.candidate.files):
            value = max(value, SCHEDULE_TIME_FLOOR)  # a cron change acts at the next run
        s.add("time", value, f"landed {_ago(landed)} before the incident started")
        if deploy is not None:
            lead = start - deploy.at
            where = deploy.environment + (f" ({deploy.service})" if deploy.service else "")
            when = (
                f"{_ago(lead)} before the incident started"
                if lead.total_seconds() >= 0
                else "as the incident started"
            )
            batch = max(1.0, rollout.batch.get(i, 1) / BATCH_FREE)
            s.add(
                "deploy",
                _half_life(lead, DEPLOY_HALF_LIFE) / math.sqrt(batch),
                f"deployed to {where} {when}",
            )
        elif rollout.has_records and i in rollout.covered and not _applied_out_of_band(s):
            s.add("not_live", 1.0, "not in any production deploy before the start (less likely)")
        rollback = rollout.rolled_back.get(i)
        if rollback is not None:
            value = _half_life(abs(evidence.window.end - rollback.at), REVERT_HALF_LIFE)
            s.add(
                "revert",
                max(value, 0.4),
                f"rolled back during the incident ({format_clock(rollback.at)})",
            )


def _score_recency(scored: list[Scored]) -> None:
    """Rank among the candidates, newest first: 1, 1/2, 1/3... (a prior that holds when the
    incident text says little: the change just before a breakage is most often at fault)."""
    order = sorted(range(len(scored)), key=lambda i: -scored[i].candidate.landed_at.timestamp())
    for rank, i in enumerate(order):
        place = "the newest change" if rank == 0 else f"the {ordinal(rank + 1)} newest change"
        scored[i].add("recent", 1 / (1 + rank), f"{place} before the incident started")


def _applied_out_of_band(s: Scored) -> bool:
    """Feature flags and infrastructure code reach production without an app deploy."""
    return any(path_kinds(f.path) & {"flag", "infra"} for f in s.candidate.files)


def _score_reverts(
    scored: list[Scored], remediation: Sequence[Candidate], evidence: Evidence, rollout: Rollout
) -> None:
    owner: dict[str, list[int]] = {}  # a merge listed through its commits owns them all
    for i, s in enumerate(scored):
        for sha in s.candidate.shas:
            owner.setdefault(sha, []).append(i)
    end = evidence.window.end
    for fix in remediation:
        for member in fix.members:
            for target in member.reverts:
                for i in owner.get(target, ()):
                    value = _half_life(abs(end - fix.landed_at), REVERT_HALF_LIFE)
                    scored[i].add(
                        "revert",
                        max(value, 0.3),
                        f"reverted during the incident by {member.sha[:7]} "
                        f"({format_clock(fix.landed_at)})",
                    )
        fix_paths = {f.path for f in fix.files}
        reverted_known = any(t in owner for m in fix.members for t in m.reverts)
        if not fix_paths or is_noise(fix_paths) or reverted_known:
            continue  # a revert names its target; sharing its files says nothing more
        for s in scored:
            shared = sorted(fix_paths & {f.path for f in s.candidate.files})
            if shared:
                s.add(
                    "fix_overlap",
                    len(shared) / max(1, len(fix_paths)),
                    f"the fix {fix.change.sha[:7]} during the incident touched the same "
                    f"file{'s' if len(shared) > 1 else ''} ({', '.join(shared[:3])})",
                )


def _score_mentions(scored: list[Scored], evidence: Evidence) -> None:
    text = incident_text(evidence)
    for s in scored:
        for mention in find_mentions(s.candidate, text):
            if mention.ruled_out:
                s.add("ruled_out", 1.0, f"{mention.label} is ruled out in the incident updates")
            else:
                s.add("mention", 1.0, f"{mention.label} is named in the incident updates")
        if "ruled_out" in s.values:
            s.values.pop("mention", None)


def affected_services(evidence: Evidence) -> tuple[str, ...]:
    """Services the incident names, plus those its alerts name."""
    names = [*evidence.incident.services, *(a.service for a in evidence.alerts if a.service)]
    return tuple(dict.fromkeys(names))


def _major_bump(candidate: Candidate) -> bool:
    for member in candidate.members:
        match = _MAJOR_BUMP.search(member.subject)
        if match and (match.group(1) is None or match.group(1) != match.group(2)):
            return True
    return False


def _score_files(
    scored: list[Scored], evidence: Evidence, globs: Mapping[str, tuple[str, ...]]
) -> None:
    affected = affected_services(evidence)
    text = incident_text(evidence)
    topics = incident_kinds(text)
    api_break = bool(_API_BREAK.search(text))
    for s in scored:
        paths = [f.path for f in s.candidate.files]
        if not paths:
            continue
        if is_noise(paths, topics):
            s.add("noise", 1.0, "only touches docs, tests or CI (less likely)")
        kinds = sorted({k for p in paths for k in path_kinds(p) if k in RISKY_KINDS})
        if kinds:
            example = next(p for p in paths if path_kinds(p) & set(kinds))
            s.add("risky", 1.0, f"changes {', '.join(_KIND_NAMES[k] for k in kinds)} ({example})")
        if "dependency" in kinds and api_break:
            s.add(
                "api_break",
                1.0,
                "the errors look like a changed library API, and this changes dependencies",
            )
        if "dependency" in kinds and _major_bump(s.candidate):
            s.add("major_bump", 1.0, "a major version upgrade (its API may have changed)")
        if affected:
            _score_service(s, paths, affected, globs)
        churn = s.candidate.churn
        if churn:
            s.add(
                "size",
                min(1.0, math.log10(1 + churn) / 3),
                f"{churn:,} line{'s' if churn != 1 else ''} changed in {len(paths)} "
                f"file{'s' if len(paths) > 1 else ''}",
            )


def _score_service(
    s: Scored, paths: list[str], affected: Sequence[str], globs: Mapping[str, tuple[str, ...]]
) -> None:
    hits = {p: services_of(p, affected, globs) & set(affected) for p in paths}
    matching = [p for p, found in hits.items() if found]
    if matching:
        names = sorted({n for p in matching for n in hits[p]})
        s.add(
            "service",
            len(matching) / len(paths) * 0.5 + 0.5,
            f"touches {', '.join(names)} ({matching[0]})",
        )
        return
    owners = {n for p in paths for n in services_of(p, globs.keys(), globs)}
    components = {component_of(p) for p in paths}
    others = sorted(owners) if owners else sorted(c for c in components if c)
    if others and (owners or None not in components):
        s.add("other_service", 1.0, f"only touches other services ({', '.join(others[:3])})")


_KIND_NAMES = {
    "config": "configuration",
    "dependency": "dependencies",
    "migration": "a database migration",
    "flag": "feature flags",
    "infra": "infrastructure",
    "build": "the build",
    "schedule": "a job schedule",
}


def suspects_json(suspects: Sequence[Suspect]) -> list[dict[str, object]]:
    """The `pmops suspects --json` shape (DESIGN §8): sha, score, reasons, plus pr and subject."""
    return [
        {
            "sha": s.sha,
            "score": s.score,
            "reasons": list(s.reasons),
            "pr": s.pr,
            "subject": s.subject,
        }
        for s in suspects
    ]
