"""Rank the changes most likely to have caused an incident: deterministic, explained, blameless.

Each candidate change gets a value in 0..1 per signal (DESIGN §6); the score is the weighted
sum over `SCALE`, clipped to 0..1. Every signal that contributes adds a human-readable reason.
Who wrote a change is never looked at.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from pmops.analyze.candidates import Candidate, build_candidates
from pmops.analyze.paths import (
    RISKY_KINDS,
    component_of,
    is_noise,
    path_kinds,
    services_of,
)
from pmops.analyze.text import BM25, path_words, words
from pmops.model import Deploy, Evidence, Suspect
from pmops.times import format_clock

WEIGHTS: Mapping[str, float] = {
    "mention": 3.0,  # named by SHA or PR number in a human update or alert: people saw it
    "revert": 2.5,  # reverted or rolled back during the incident, near the resolution
    "deploy": 1.5,  # deployed shortly before the start
    "text": 1.5,  # the incident's words in its message, paths or diff (best match = 1)
    "time": 1.0,  # landed shortly before the start (half-life TIME_HALF_LIFE)
    "service": 1.0,  # touches an affected service
    "fix_overlap": 1.0,  # a fix during the incident touched the same files
    "risky": 0.6,  # config, dependency, migration, feature-flag, infra or build files
    "size": 0.3,  # larger changes break more (log-scaled churn)
    "noise": -1.5,  # only docs, tests or CI
    "other_service": -0.8,  # only touches services other than the affected ones
}
"""Signal weights: tuned on tests/scenarios and bench/regressions (see README, Suspect ranking)."""

SCALE = 4.5
"""A raw weighted sum that maps to score 1.0: about time + deploy + service + text together."""

TIME_HALF_LIFE = timedelta(hours=2)
DEPLOY_HALF_LIFE = timedelta(minutes=30)
REVERT_HALF_LIFE = timedelta(minutes=30)
DEPLOY_LATE_GRACE = timedelta(minutes=2)
"""A deploy this long after the recorded start can still be the cause (clocks, rounding)."""

MAX_SUSPECTS = 10

_SHA = re.compile(r"\b[0-9a-f]{7,40}\b")
_PR = re.compile(r"(?:#|\bPR\s*#?|/pull/|!)(\d{1,7})\b", re.IGNORECASE)


@dataclass
class _Scored:
    candidate: Candidate
    values: dict[str, float] = field(default_factory=dict)
    reasons: list[tuple[float, str]] = field(default_factory=list)

    def add(self, signal: str, value: float, reason: str) -> None:
        if value <= 0:
            return
        self.values[signal] = max(self.values.get(signal, 0.0), min(1.0, value))
        self.reasons.append((WEIGHTS[signal] * value, reason))

    @property
    def raw(self) -> float:
        return sum(WEIGHTS[s] * v for s, v in self.values.items())


def _half_life(delta: timedelta, half_life: timedelta) -> float:
    return 0.5 ** (max(delta.total_seconds(), 0.0) / half_life.total_seconds())


def _ago(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes / 60:.1f} h".replace(".0 h", " h")


def incident_text(evidence: Evidence) -> str:
    """What people said about the incident: title, human updates, alerts."""
    parts = [evidence.incident.title]
    parts += [u.text for u in evidence.updates]
    parts += [f"{a.name} {a.text}" for a in evidence.alerts]
    return "\n".join(parts)


def rank_suspects(
    evidence: Evidence, service_globs: Mapping[str, tuple[str, ...]] | None = None
) -> tuple[Suspect, ...]:
    """The candidate changes ranked best first, each with its reasons (at most MAX_SUSPECTS)."""
    pool, remediation = build_candidates(evidence.changes, evidence.window)
    if not pool:
        return ()
    scored = [_Scored(c) for c in pool]
    _score_time(scored, evidence)
    _score_deploys(scored, evidence, service_globs or {})
    _score_reverts(scored, remediation, evidence)
    _score_mentions(scored, evidence)
    _score_text(scored, evidence)
    _score_files(scored, evidence, service_globs or {})
    ranked = sorted(
        scored, key=lambda s: (-s.raw, -s.candidate.landed_at.timestamp(), s.candidate.change.sha)
    )
    return tuple(_suspect(s) for s in ranked[:MAX_SUSPECTS])


def _suspect(scored: _Scored) -> Suspect:
    change = scored.candidate.change
    reasons = [r for _, r in sorted(scored.reasons, key=lambda x: -abs(x[0]))]
    score = round(min(1.0, max(0.0, scored.raw / SCALE)), 3)
    return Suspect(
        sha=change.sha,
        score=score,
        reasons=tuple(dict.fromkeys(reasons)),
        pr=scored.candidate.pr,
        repo=change.repo,
        subject=change.subject,
        signals=frozenset(s for s, v in scored.values.items() if v > 0),
    )


def _score_time(scored: list[_Scored], evidence: Evidence) -> None:
    start = evidence.window.start
    for s in scored:
        delta = start - s.candidate.landed_at
        s.add(
            "time",
            _half_life(delta, TIME_HALF_LIFE),
            f"landed {_ago(delta)} before the incident started",
        )


def _deployed_sets(
    scored: list[_Scored], deploys: Sequence[Deploy], globs: Mapping[str, tuple[str, ...]]
) -> list[tuple[Deploy, set[int]]]:
    """For each deploy, the candidates it shipped: ancestors of the deployed commit that the
    previous deploy of the same service did not ship and, when the deploy names a service
    and some of them touch it, only those (deploying one service ships only its code)."""
    index = {}
    for i, s in enumerate(scored):
        for member in s.candidate.members:
            index[member.sha] = i
    parents = {m.sha: m.parents for s in scored for m in s.candidate.members}
    result = []
    previous: dict[tuple[str, str], set[int]] = {}
    for deploy in sorted(deploys, key=lambda d: d.at):
        head = next((sha for sha in index if sha.startswith(deploy.sha)), None)
        shipped = _ancestors(head, parents, index) if head else set()
        key = (deploy.service, deploy.environment)
        new = shipped - previous.get(key, set())
        previous[key] = shipped
        if deploy.service:
            own = {
                i
                for i in new
                if any(
                    services_of(f.path, [deploy.service], globs) for f in scored[i].candidate.files
                )
            }
            new = own or new
        result.append((deploy, new))
    return result


def _ancestors(
    head: str, parents: Mapping[str, tuple[str, ...]], index: Mapping[str, int]
) -> set[int]:
    seen: set[str] = set()
    stack = [head]
    while stack:
        sha = stack.pop()
        if sha in seen or sha not in parents:
            continue
        seen.add(sha)
        stack.extend(parents[sha])
    return {index[sha] for sha in seen if sha in index}


def _score_deploys(
    scored: list[_Scored], evidence: Evidence, globs: Mapping[str, tuple[str, ...]]
) -> None:
    start, end = evidence.window.start, evidence.window.end
    for deploy, shipped in _deployed_sets(scored, evidence.deploys, globs):
        if not shipped:
            continue
        where = f"{deploy.environment}{f' ({deploy.service})' if deploy.service else ''}"
        if deploy.status == "rollback" or start <= deploy.at <= end and deploy.status == "failure":
            continue
        if deploy.at <= start + DEPLOY_LATE_GRACE:
            value = _half_life(start - deploy.at, DEPLOY_HALF_LIFE) / math.sqrt(
                max(1, len(shipped) / 3)
            )
            for i in shipped:
                lead = start - deploy.at
                when = (
                    f"{_ago(lead)} before the incident started"
                    if lead.total_seconds() >= 0
                    else "as the incident started"
                )
                scored[i].add("deploy", value, f"deployed to {where} {when}")
    for deploy in evidence.deploys:
        if deploy.status == "rollback" and start <= deploy.at <= end + timedelta(minutes=30):
            _mark_rolled_back(scored, evidence, deploy, globs)


def _mark_rolled_back(
    scored: list[_Scored],
    evidence: Evidence,
    rollback: Deploy,
    globs: Mapping[str, tuple[str, ...]],
) -> None:
    """A rollback to an older SHA: what the previous deploy of that service shipped."""
    earlier = [
        d
        for d in evidence.deploys
        if d.at < rollback.at
        and d.status != "rollback"
        and (d.service, d.environment) == (rollback.service, rollback.environment)
    ]
    if not earlier:
        return
    for deploy, shipped in _deployed_sets(scored, earlier, globs):
        if deploy is earlier[-1]:
            value = _half_life(abs(evidence.window.end - rollback.at), REVERT_HALF_LIFE)
            for i in shipped:
                scored[i].add(
                    "revert",
                    max(value, 0.4),
                    f"rolled back during the incident ({format_clock(rollback.at)})",
                )


def _score_reverts(
    scored: list[_Scored], remediation: Sequence[Candidate], evidence: Evidence
) -> None:
    owner = {m.sha: i for i, s in enumerate(scored) for m in s.candidate.members}
    end = evidence.window.end
    for fix in remediation:
        for member in fix.members:
            for target in member.reverts:
                i = owner.get(target)
                if i is None:
                    continue
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
            if shared and not any(m.sha in fix.change.reverts for m in s.candidate.members):
                overlap = len(shared) / max(1, len(fix_paths))
                s.add(
                    "fix_overlap",
                    overlap,
                    f"the fix {fix.change.sha[:7]} during the incident touched the same "
                    f"file{'s' if len(shared) > 1 else ''} ({', '.join(shared[:3])})",
                )


def _score_mentions(scored: list[_Scored], evidence: Evidence) -> None:
    text = incident_text(evidence)
    shas = set(_SHA.findall(text.lower()))
    prs = {int(n) for n in _PR.findall(text)}
    for s in scored:
        for member in s.candidate.members:
            if any(member.sha.startswith(prefix) for prefix in shas):
                s.add("mention", 1.0, f"{member.sha[:7]} is named in the incident updates")
        if s.candidate.pr is not None and s.candidate.pr in prs:
            s.add("mention", 1.0, f"PR #{s.candidate.pr} is named in the incident updates")


def _score_text(scored: list[_Scored], evidence: Evidence) -> None:
    query = words(incident_text(evidence))
    if not query:
        return
    documents = [_document(s.candidate) for s in scored]
    bm25 = BM25(documents)
    results = [bm25.score(query, i) for i in range(len(scored))]
    best = max(score for score, _ in results)
    if best <= 0:
        return
    for s, (score, matched) in zip(scored, results, strict=True):
        if score > 0:
            shown = ", ".join(sorted(matched, key=lambda t: -bm25.idf.get(t, 0))[:5])
            s.add("text", score / best, f"matches the incident text ({shown})")


def _document(candidate: Candidate) -> list[str]:
    text = " ".join(f"{m.subject}\n{m.body}" for m in candidate.members)
    diff = [w for m in candidate.members for w in sorted(m.diff_words)]
    return words(text) + path_words(f.path for f in candidate.files) + words(" ".join(diff))


def _score_files(
    scored: list[_Scored], evidence: Evidence, globs: Mapping[str, tuple[str, ...]]
) -> None:
    affected = evidence.incident.services or tuple(d.service for d in evidence.deploys if d.service)
    for s in scored:
        paths = [f.path for f in s.candidate.files]
        if not paths:
            continue
        if is_noise(paths):
            s.add("noise", 1.0, "only touches docs, tests or CI (less likely)")
        kinds = sorted({k for p in paths for k in path_kinds(p) if k in RISKY_KINDS})
        if kinds:
            example = next(p for p in paths if path_kinds(p) & set(kinds))
            s.add("risky", 1.0, f"changes {', '.join(_KIND_NAMES[k] for k in kinds)} ({example})")
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
    s: _Scored, paths: list[str], affected: Sequence[str], globs: Mapping[str, tuple[str, ...]]
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
