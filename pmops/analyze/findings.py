"""Facts derived from the analysis that every drafter states: durations, what stopped the
impact, contributing factors, what went well and poorly. Pure; numbers come from evidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from pmops.analyze.anomaly import describe_anomaly
from pmops.analyze.paths import NOISE_KINDS, path_kinds, services_of
from pmops.analyze.standout import MITIGATED_OUTSIDE
from pmops.model import Alert, Deploy, Evidence, Findings, Landed, Standout, Suspect, Update
from pmops.safety.sanitize import one_line
from pmops.times import format_clock, minutes_between

SLOW_DETECTION = timedelta(minutes=10)
SLOW_RESOLUTION = timedelta(minutes=60)
BATCHED_DEPLOY = 3
"""A deploy that ships this many changes or more makes the cause harder to isolate."""
MITIGATION = re.compile(
    r"\b(?:restarted|rebooted|rolled ?back|reverted|re-?deployed|re-?enabled|disabled|"
    r"turned (?:off|on)|switched (?:off|over|back)|failed ?over|scaled (?:up|out|down|back)|"
    r"drained|flushed|purged|cleared|killed|blocked|throttled|rate.?limited|hotfixed|"
    r"patched|mitigated|restored|back to|"
    r"(?:raised|increased|bumped|lowered|reduced|decreased)\b[^.]{0,40}\bto \d)",
    re.IGNORECASE,
)
"""An update reporting an action taken (a restart, a setting put back: "Raised the pool back
to 10"): what stopped the impact, quoted, when git and the deploys show nothing."""
NOT_DONE = re.compile(
    r"\b(?:did ?n[o']t|does ?n[o']t|no (?:effect|change|improvement|luck)|not help\w*|"
    r"without (?:effect|success)|failed to|will|going to|plan(?:ning)? to|about to|try|trying)\b",
    re.IGNORECASE,
)
"""An action that did not help or is only planned ("restarting did not help", "will roll back")."""
MAX_REPORTED_ACTIONS = 2
"""The last this many reported actions are quoted."""


def minutes_text(minutes: int) -> str:
    """47 min, 2 h 5 min."""
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def derive_findings(
    evidence: Evidence,
    suspects: Sequence[Suspect],
    candidates: Sequence[Landed],
    remediation: Sequence[Landed],
    standout: Standout,
) -> Findings:
    """Everything the drafters say beyond the raw timeline and the ranking. When no change
    `standout`s, nothing is said of the top suspect as if it were the cause."""
    incident = evidence.incident
    duration = minutes_between(incident.started_at, incident.resolved_at)
    detection = (
        minutes_between(incident.started_at, incident.detected_at) if incident.detected_at else None
    )
    top = _top(suspects, candidates) if standout.stands_out else None
    stopped = _stopped_by(evidence, remediation)
    wrong = _wrong_reverts(suspects, remediation) if top else []
    return Findings(
        duration_text=minutes_text(duration),
        detection_text=minutes_text(detection) if detection else "",
        stopped_by=stopped,
        lasting_fix=_lasting_fix(suspects if top else (), remediation),
        contributing=_contributing(evidence, suspects if top else (), top, wrong),
        went_well=_went_well(evidence, stopped, detection),
        went_poorly=_went_poorly(evidence, detection, duration, wrong),
        detection_minutes=detection,
        resolution_minutes=duration,
        service=_suspect_service(evidence, top),
        top_paths=_top_paths(top),
        symptoms=tuple(describe_anomaly(a) for a in evidence.anomalies),
    )


def _top(suspects: Sequence[Suspect], candidates: Sequence[Landed]) -> Landed | None:
    """The candidate change behind the top suspect."""
    if not suspects:
        return None
    return next((c for c in candidates if c.change.sha == suspects[0].sha), None)


_PATH_KINDS = ("config", "dependency", "migration", "flag", "infra")
"""Kinds of files the action items and root cause name (then "code": everything else)."""


def _top_paths(top: Landed | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if top is None:
        return ()
    found = [
        (kind, tuple(sorted(f.path for f in top.files if kind in path_kinds(f.path))))
        for kind in _PATH_KINDS
    ]
    code = tuple(
        f.path
        for f in top.files
        if not path_kinds(f.path) & {*NOISE_KINDS, "config", "dependency", "migration"}
    )
    return tuple((kind, paths) for kind, paths in [*found, ("code", code)] if paths)


def _stopped_by(evidence: Evidence, remediation: Sequence[Landed]) -> tuple[str, ...]:
    items = []
    end = evidence.window.end
    for deploy in evidence.deploys:
        if deploy.status == "rollback" and evidence.window.start <= deploy.at <= end:
            items.append(
                f"the rollback of {_where(deploy)} to `{deploy.sha[:7]}` at "
                f"{format_clock(deploy.at)}"
            )
    for candidate in remediation:
        change = candidate.change
        if change.reverts and candidate.landed_at <= end + timedelta(minutes=5):
            targets = ", ".join(f"`{sha[:7]}`" for sha in change.reverts)
            items.append(
                f"the revert of {targets} (`{change.sha[:7]}`) at "
                f"{format_clock(candidate.landed_at)}"
            )
    told = [u for u in evidence.updates if u.at <= end]
    items += [_reported(u) for u in told if MITIGATED_OUTSIDE.search(u.text)]
    if not items:  # nothing in git or the deploys: the last actions the responders reported
        acted = [u for u in told if MITIGATION.search(u.text) and not NOT_DONE.search(u.text)]
        items += [_reported(u) for u in acted[-MAX_REPORTED_ACTIONS:]]
    return tuple(items)


def _reported(update: Update) -> str:
    said = one_line(update.text, 120).replace("`", "'")
    return f"what the update at {format_clock(update.at)} reports (\u201c{said}\u201d)"


def _where(deploy: Deploy) -> str:
    return deploy.service or deploy.environment


def _lasting_fix(suspects: Sequence[Suspect], remediation: Sequence[Landed]) -> str:
    """`suspects` is empty when no change stands out: a fix that landed is still named."""
    fixes = [c for c in remediation if not c.change.reverts]
    if not suspects and not fixes:
        return "to be decided by the reviewers once the cause is known."
    top = suspects[0] if suspects else None
    if top is not None and "revert" in top.signals:
        return (
            f"the change `{top.sha[:7]}` is out of production; land it again only with the "
            "safeguards in the action items below."
        )
    if fixes:
        return (
            f"`{fixes[-1].change.sha[:7]}` \u201c{fixes[-1].change.subject[:100]}\u201d landed "
            "during the incident; reviewers should confirm it is the lasting fix."
        )
    assert top is not None  # no fixes and no suspects returned above
    return (
        f"not yet recorded: decide whether to fix forward or revert `{top.sha[:7]}`, and "
        "track it as an action item."
    )


def _contributing(
    evidence: Evidence, suspects: Sequence[Suspect], candidate: Landed | None, wrong: list[str]
) -> tuple[str, ...]:
    items = []
    if suspects:
        top = suspects[0]
        kinds = sorted(
            {k for f in (candidate.files if candidate else ()) for k in path_kinds(f.path)}
            & set(_FACTOR_KINDS)
        )
        if kinds:
            names = " and ".join(_FACTOR_KINDS[k] for k in kinds)
            items.append(
                f"The change to {names} in `{top.sha[:7]}` was not caught by a pre-deploy check."
            )
        deploy = _shipping_deploy(evidence, candidate)
        if deploy is not None and "deploy" in top.signals:
            items.append(
                f"`{top.sha[:7]}` went to {_where(deploy)} at "
                f"{format_clock(deploy.at)} with no canary or staged rollout that "
                "would have limited the impact."
            )
    for deploy, count in _batched(candidate):
        items.append(
            f"The deploy of {_where(deploy)} at {format_clock(deploy.at)} shipped "
            f"{count} changes together, which made the cause harder to isolate."
        )
    if wrong:
        items.append(
            f"The first revert ({', '.join(wrong)}) targeted a change that was not "
            "the cause, which lengthened the incident."
        )
    items += [f"Evidence was incomplete: {u}." for u in evidence.unavailable]
    return tuple(items)


_FACTOR_KINDS = {
    "config": "configuration",
    "dependency": "dependencies",
    "migration": "a database migration",
    "flag": "feature flags",
    "infra": "infrastructure",
    "schedule": "a job schedule",
}


def _suspect_service(evidence: Evidence, candidate: Landed | None) -> str | None:
    """The affected service the top suspect touches, else the first affected service."""
    services = evidence.incident.services
    if candidate is not None:
        for f in candidate.files:
            found = [s for s in services if s in services_of(f.path, services, {})]
            if found:
                return found[0]
    return services[0] if services else None


def _shipping_deploy(evidence: Evidence, candidate: Landed | None) -> Deploy | None:
    """The first successful deploy after the top suspect landed and before the start."""
    if candidate is None:
        return None
    latest = evidence.window.start + timedelta(minutes=2)
    deploys = sorted(
        (
            d
            for d in evidence.deploys
            if d.status == "success" and candidate.landed_at <= d.at <= latest
        ),
        key=lambda d: d.at,
    )
    service = _suspect_service(evidence, candidate)
    return next((d for d in deploys if d.service == service), deploys[0] if deploys else None)


def _batched(candidate: Landed | None) -> list[tuple[Deploy, int]]:
    """The deploy that shipped the top suspect, with how many changes it shipped at once."""
    if candidate is None or candidate.live is None or not candidate.bounded:
        return []
    if candidate.batch < BATCHED_DEPLOY:
        return []
    return [(candidate.live, candidate.batch)]


def _wrong_reverts(suspects: Sequence[Suspect], remediation: Sequence[Landed]) -> list[str]:
    if not suspects:
        return []
    top = suspects[0]
    wrong = []
    for candidate in remediation:
        targets = candidate.change.reverts
        if targets and not any(t == top.sha for t in targets):
            wrong.append(f"`{candidate.change.sha[:7]}` of `{targets[0][:7]}`")
    return wrong[:1]


def _went_well(
    evidence: Evidence, stopped: tuple[str, ...], detection: int | None
) -> tuple[str, ...]:
    items = []
    start = evidence.window.start
    first = _first_alert(evidence)
    if first is not None and minutes_between(start, first.at) * 60 <= SLOW_DETECTION.seconds:
        items.append(
            f"Alert {first.name} fired {minutes_between(start, first.at)} min after the start."
        )
    if detection is not None and detection * 60 <= SLOW_DETECTION.total_seconds():
        items.append(f"The incident was detected {detection} min after it started.")
    if stopped:
        items.append(f"The impact was mitigated during the incident by {stopped[0]}.")
    if len(evidence.updates) >= 2:
        items.append(f"Responders posted {len(evidence.updates)} updates during the incident.")
    return tuple(items)


def _first_alert(evidence: Evidence) -> Alert | None:
    start = evidence.window.start
    return next((a for a in evidence.alerts if a.at >= start - timedelta(minutes=5)), None)


def _went_poorly(
    evidence: Evidence,
    detection: int | None,
    duration: int,
    wrong: list[str],
) -> tuple[str, ...]:
    items = []
    if detection is not None and detection * 60 > SLOW_DETECTION.total_seconds():
        items.append(f"Detection took {minutes_text(detection)}.")
    if not evidence.alerts:
        items.append("No alert is recorded for this incident; it was noticed by people.")
    first = _first_alert(evidence)
    late = minutes_between(evidence.window.start, first.at) if first else 0
    if first is not None and late * 60 > SLOW_DETECTION.seconds:
        items.append(f"The first alert, {first.name}, fired only {late} min after the start.")
    if duration * 60 > SLOW_RESOLUTION.total_seconds():
        items.append(f"Resolution took {minutes_text(duration)} from the start.")
    if wrong:
        items.append("A revert during the incident targeted the wrong change.")
    failed = [d for d in evidence.deploys if d.status == "failure"]
    if failed:
        items.append(f"A deploy of {_where(failed[0])} failed at {format_clock(failed[0].at)}.")
    return tuple(items)
