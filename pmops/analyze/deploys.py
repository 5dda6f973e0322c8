"""What each deploy shipped: when every candidate change went live, and what was rolled back.

A deploy of commit X ships X's ancestors that the previous deploy of the same service and
environment had not shipped. A deploy that names a service ships only the changes touching
that service when some do (deploying one service of a monorepo ships only its code).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from pmops.analyze.candidates import Candidate
from pmops.analyze.paths import component_of, services_of
from pmops.model import Deploy, Evidence

LATE_GRACE = timedelta(minutes=2)
"""A deploy this long after the recorded start can still be the cause (clocks, rounding)."""

ROLLBACK_GRACE = timedelta(minutes=30)
"""A rollback this long after the resolution still belongs to the incident."""

_PRODUCTION = re.compile(r"prod|live|main", re.IGNORECASE)


def is_production(environment: str) -> bool:
    """Production-like environment names (production, prod-eu, live...); empty counts too."""
    return not environment or bool(_PRODUCTION.search(environment))


@dataclass(frozen=True)
class Rollout:
    """Per candidate index: the deploy that made it live, the rollback that removed it."""

    live: Mapping[int, Deploy]
    rolled_back: Mapping[int, Deploy]
    batch: Mapping[int, int]
    bounded: frozenset[int]
    """Candidates shipped by a deploy that had a predecessor: their live time is exact."""
    covered: frozenset[int]
    has_records: bool


class _Graph:
    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.index = {m.sha: i for i, c in enumerate(candidates) for m in c.members}
        self.parents = {m.sha: m.parents for c in candidates for m in c.members}
        for c in candidates:  # a merge listed through its commits ships them all
            if c.group is not None:
                self.parents[c.group.sha] = c.group.parents

    def resolve(self, sha: str) -> str | None:
        if sha in self.parents:
            return sha
        return next((full for full in self.parents if full.startswith(sha)), None)

    def shipped(self, sha: str) -> set[int]:
        head = self.resolve(sha)
        seen: set[str] = set()
        stack = [head] if head else []
        while stack:
            current = stack.pop()
            if current in seen or current not in self.parents:
                continue
            seen.add(current)
            stack.extend(self.parents[current])
        return {self.index[s] for s in seen if s in self.index}


def foreign(candidate: Candidate, service: str, globs: Mapping[str, tuple[str, ...]]) -> bool:
    """True when the change clearly belongs to other services than `service`: configured
    globs map its files elsewhere, or its monorepo folders (services/x, apps/x) are others."""
    if not candidate.files:
        return False
    for f in candidate.files:
        owners = services_of(f.path, globs.keys(), globs) if globs else set()
        if service in owners or services_of(f.path, [service], {}):
            return False
        if not owners and component_of(f.path) is None:
            return False
    return True


def analyze_rollout(
    candidates: Sequence[Candidate], evidence: Evidence, globs: Mapping[str, tuple[str, ...]]
) -> Rollout:
    """Follow every deploy in time order (DESIGN §6: deploy shortly before onset, rollback)."""
    graph = _Graph(candidates)
    deploys = sorted(evidence.deploys, key=lambda d: d.at)
    production = [d for d in deploys if is_production(d.environment)] or deploys
    start, end = evidence.window.start, evidence.window.end
    live: dict[int, Deploy] = {}
    batch: dict[int, int] = {}
    rolled_back: dict[int, Deploy] = {}
    bounded: set[int] = set()
    current: dict[tuple[str, str], set[int]] = {}
    for deploy in production:
        key = (deploy.service, deploy.environment)
        if deploy.status == "rollback":
            if start <= deploy.at <= end + ROLLBACK_GRACE:
                removed = current.get(key, set()) - graph.shipped(deploy.sha)
                for i in removed:
                    rolled_back.setdefault(i, deploy)
            current[key] = graph.shipped(deploy.sha)
            continue
        if deploy.status == "failure":  # pending and unknown ones may well be live: kept
            continue
        shipped = graph.shipped(deploy.sha)
        had_predecessor = key in current
        new = shipped - current.get(key, set())
        current[key] = shipped
        if deploy.service:
            new = {i for i in new if not foreign(candidates[i], deploy.service, globs)}
        if deploy.at <= start + LATE_GRACE:
            for i in new:
                if i not in live:
                    live[i] = deploy
                    batch[i] = len(new)
                    if had_predecessor:
                        bounded.add(i)
    return Rollout(
        live=live,
        rolled_back=rolled_back,
        batch=batch,
        bounded=frozenset(bounded),
        covered=_covered(candidates, production, globs),
        has_records=any(d.status != "failure" and d.at <= start + LATE_GRACE for d in production),
    )


def _covered(
    candidates: Sequence[Candidate],
    deploys: Sequence[Deploy],
    globs: Mapping[str, tuple[str, ...]],
) -> frozenset[int]:
    """Candidates the deploy records speak for: absent from them means not live."""
    services = {d.service for d in deploys}
    return frozenset(
        i
        for i, candidate in enumerate(candidates)
        if "" in services or any(not foreign(candidate, s, globs) for s in services)
    )
