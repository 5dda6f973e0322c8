"""Rollbacks the deploy records do not label: an update saying "Rolled back to 3ea54d7", a
deploy (or a deploy workflow re-run) of an earlier SHA during the incident. Each becomes a
deploy record with status `rollback`, so the rollout sees which changes it took out of
production (strong suspects, with a reason) and the draft credits it as a mitigation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from pmops.analyze.deploys import ROLLBACK_GRACE, is_production
from pmops.model import Deploy, Evidence, Update

_ROLLED_BACK = re.compile(
    r"\b(?:roll(?:ed|ing)? ?back|redeploy(?:ed|ing)?|revert(?:ed|ing)? (?:the deploy|prod\w*))"
    r"\b[^.;\n]{0,60}?\b(?:to|onto)\s+`?([0-9a-f]{7,40})\b",
    re.IGNORECASE,
)
"""An update naming the SHA production went back to."""

_DEPLOY_RUN = re.compile(r"deploy|release|rollout", re.IGNORECASE)


def with_rollbacks(evidence: Evidence) -> Evidence:
    """`evidence` with every rollback it implies recorded as a `rollback` deploy."""
    deploys = [_relabel(d, evidence) for d in evidence.deploys]
    deploys += list(_from_updates(evidence, deploys))
    deploys += list(_from_runs(evidence, deploys))
    if deploys == list(evidence.deploys):
        return evidence
    return replace(evidence, deploys=tuple(sorted(deploys, key=lambda d: d.at)))


def mask_targets(evidence: Evidence) -> Evidence:
    """`evidence` whose updates no longer name the SHAs they rolled back *to*: naming the
    version production went back to is no finger pointed at it (for the ranking only)."""

    def masked(update: Update) -> Update:
        text = _ROLLED_BACK.sub(
            lambda m: m.group(0).replace(m.group(1), "the earlier version"), update.text
        )
        return update if text == update.text else replace(update, text=text)

    updates = tuple(masked(u) for u in evidence.updates)
    return evidence if updates == evidence.updates else replace(evidence, updates=updates)


def _targets(update: Update, evidence: Evidence) -> Iterator[str | None]:
    for match in _ROLLED_BACK.finditer(update.text):
        yield _resolve(match.group(1).lower(), evidence)


def _resolve(prefix: str, evidence: Evidence) -> str | None:
    known = [c.sha for c in evidence.changes] + [d.sha for d in evidence.deploys]
    return next((sha for sha in known if sha.startswith(prefix)), None)


def _during(evidence: Evidence, deploy: Deploy) -> bool:
    return evidence.window.start <= deploy.at <= evidence.window.end + ROLLBACK_GRACE


def _previous(deploys: list[Deploy], before: Deploy) -> Deploy | None:
    earlier = [
        d
        for d in deploys
        if d.at < before.at
        and d.status in ("success", "unknown", "pending")
        and is_production(d.environment)
        and (not before.service or d.service == before.service)
    ]
    return max(earlier, key=lambda d: d.at, default=None)


def _older(sha: str, than: str, evidence: Evidence) -> bool:
    """`sha` is an ancestor of `than` in the gathered history. A SHA the history does not
    hold may be older than the window or on another branch (a hotfix): not a rollback."""
    parents = {c.sha: c.parents for c in evidence.changes}
    if sha == than or sha not in parents:
        return False
    stack, seen = [than], set()
    while stack:
        current = stack.pop()
        if current == sha:
            return True
        if current in seen or current not in parents:
            continue
        seen.add(current)
        stack.extend(parents[current])
    return False


def _relabel(deploy: Deploy, evidence: Evidence) -> Deploy:
    """A successful production deploy of an earlier SHA during the incident is a rollback."""
    if deploy.status != "success" or not _during(evidence, deploy):
        return deploy
    if not is_production(deploy.environment):
        return deploy
    previous = _previous(list(evidence.deploys), deploy)
    if previous is not None and _older(deploy.sha, previous.sha, evidence):
        return replace(deploy, status="rollback")
    return deploy


def _from_updates(evidence: Evidence, deploys: list[Deploy]) -> Iterator[Deploy]:
    for update in evidence.updates:
        for sha in _targets(update, evidence):
            probe = Deploy(at=update.at, sha=sha or "", status="rollback")
            if sha is None or not _during(evidence, probe):
                continue
            if any(d.status == "rollback" and d.sha == sha for d in deploys):
                continue  # the deploy records already say so
            previous = _previous(deploys, probe)
            service, environment = (
                (previous.service, previous.environment) if previous else ("", "production")
            )
            yield replace(probe, service=service, environment=environment)


def _from_runs(evidence: Evidence, deploys: list[Deploy]) -> Iterator[Deploy]:
    for run in evidence.workflow_runs:
        if run.conclusion != "success" or not _DEPLOY_RUN.search(run.name):
            continue
        probe = Deploy(at=run.at, sha=run.sha, status="rollback")
        if not _during(evidence, probe) or any(
            d.sha == run.sha and d.at == run.at for d in deploys
        ):
            continue
        previous = _previous(deploys, probe)
        if previous is not None and _older(run.sha, previous.sha, evidence):
            yield replace(probe, service=previous.service, environment=previous.environment)
