"""Merge every source into one ordered, de-duplicated timeline; each event names its source."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import timedelta

from pmops.analyze.anomaly import describe_anomaly, format_value
from pmops.model import EventSource, Evidence, Landed, Suspect, TimelineEvent
from pmops.safety.sanitize import one_line
from pmops.wording import subject_without_pr

TOP_SUSPECTS_SHOWN = 3
MAX_REMEDIATION_SHOWN = 10
RELEASE_LEAD = timedelta(hours=2)
"""Releases this long before the start are shown; older ones are not part of the story."""

_FIX_WORDS = re.compile(
    r"\b(revert|rollback|roll back|hotfix|fix|mitigat\w*|disable|restore)", re.IGNORECASE
)
_ORDER = {source: i for i, source in enumerate(EventSource)}


def build_timeline(
    evidence: Evidence,
    suspects: Sequence[Suspect],
    candidates: Sequence[Landed],
    remediation: Sequence[Landed],
) -> tuple[TimelineEvent, ...]:
    """All events of the incident, sorted by time then source, duplicates removed; the
    changes shown are the top suspects among `candidates` and the fixes in `remediation`."""
    events: list[TimelineEvent] = []
    events += _incident_events(evidence)
    events += _change_events(evidence, suspects, candidates, remediation)
    events += _deploy_events(evidence)
    events += [
        TimelineEvent(
            a.at,
            EventSource.ALERT,
            one_line(f"Alert {a.name} fired" + (f": {a.text}" if a.text else "")),
        )
        for a in evidence.alerts
    ]
    events += [
        TimelineEvent(
            u.at, EventSource.UPDATE, one_line((f"{u.author}: " if u.author else "") + u.text, 240)
        )
        for u in evidence.updates
    ]
    events += _observability_events(evidence)
    events += [
        TimelineEvent(
            r.at,
            EventSource.PR if r.is_pull else EventSource.ISSUE,
            one_line(
                f"{'PR' if r.is_pull else 'Issue'} "
                f"{r.repo + '#' if r.repo else '#'}{r.number} mentioned the "
                f"incident: {r.title}"
            ),
            r.url or str(r.number),
        )
        for r in evidence.references
    ]
    return _dedupe(events)


def _incident_events(evidence: Evidence) -> list[TimelineEvent]:
    incident = evidence.incident
    events = [TimelineEvent(incident.started_at, EventSource.ISSUE, "Incident started")]
    if incident.detected_at:
        events.append(TimelineEvent(incident.detected_at, EventSource.ISSUE, "Incident detected"))
    events.append(TimelineEvent(incident.resolved_at, EventSource.ISSUE, "Incident resolved"))
    return events


def _change_events(
    evidence: Evidence,
    suspects: Sequence[Suspect],
    candidates: Sequence[Landed],
    remediation: Sequence[Landed],
) -> list[TimelineEvent]:
    landed = {c.change.sha: c for c in [*candidates, *remediation]}
    events = []
    for suspect in suspects[:TOP_SUSPECTS_SHOWN]:
        candidate = landed.get(suspect.sha)
        if candidate is None:
            continue
        pr = f" (PR #{candidate.pr})" if candidate.pr else ""
        events.append(
            TimelineEvent(
                candidate.landed_at,
                EventSource.COMMIT,
                one_line(
                    f"Commit {suspect.sha[:7]} landed{pr}: "
                    f"{subject_without_pr(candidate.change.subject, candidate.pr)}"
                ),
                suspect.sha,
            )
        )
    suspect_files = {
        f.path
        for s in suspects[:TOP_SUSPECTS_SHOWN]
        if s.sha in landed
        for f in landed[s.sha].files
    }
    shown = 0
    for candidate in remediation:
        change = candidate.change
        related = bool(suspect_files & {f.path for f in candidate.files})
        if not (change.reverts or related or _FIX_WORDS.search(change.subject)):
            continue
        if shown >= MAX_REMEDIATION_SHOWN:
            break
        shown += 1
        kind = "Revert" if change.reverts else "Fix"
        events.append(
            TimelineEvent(
                candidate.landed_at,
                EventSource.COMMIT,
                one_line(f"{kind} {change.sha[:7]} landed: {change.subject}"),
                change.sha,
            )
        )
    start = evidence.window.start - RELEASE_LEAD
    events += [
        TimelineEvent(r.at, EventSource.RELEASE, one_line(f"Release {r.tag} ({r.sha[:7]})"), r.sha)
        for r in evidence.releases
        if start <= r.at <= evidence.window.until
    ]
    return events


def _deploy_events(evidence: Evidence) -> list[TimelineEvent]:
    events = []
    for d in evidence.deploys:
        where = d.environment + (f" ({d.service})" if d.service else "")
        verb = {
            "rollback": "Rolled back",
            "failure": "Failed deploy of",
            "unknown": "Deployed (outcome unknown)",
            "pending": "Started deploying",
        }.get(d.status, "Deployed")
        events.append(
            TimelineEvent(
                d.at, EventSource.DEPLOY, one_line(f"{verb} {d.sha[:7]} to {where}"), d.sha
            )
        )
    for run in evidence.workflow_runs:
        events.append(
            TimelineEvent(
                run.at,
                EventSource.WORKFLOW,
                one_line(f"Workflow {run.name} {run.conclusion} on {run.sha[:7]}"),
                run.url or run.sha,
            )
        )
    return events


def _observability_events(evidence: Evidence) -> list[TimelineEvent]:
    events = []
    for a in evidence.anomalies:
        events.append(TimelineEvent(a.onset_at, EventSource.METRIC, one_line(describe_anomaly(a))))
        events.append(
            TimelineEvent(
                a.peak_at,
                EventSource.METRIC,
                one_line(f"{a.name} peaked at {format_value(a.peak, a.unit)}"),
            )
        )
        if a.recovered_at:
            events.append(
                TimelineEvent(
                    a.recovered_at,
                    EventSource.METRIC,
                    one_line(
                        f"{a.name} back to its baseline of {format_value(a.baseline, a.unit)}"
                    ),
                )
            )
    for log in evidence.logs:
        events.append(
            TimelineEvent(
                log.first_seen,
                EventSource.LOG,
                one_line(f"First of {log.count:,} log lines: {log.message}"),
            )
        )
    return events


def _dedupe(events: Iterable[TimelineEvent]) -> tuple[TimelineEvent, ...]:
    seen: set[tuple[object, ...]] = set()
    result = []
    for event in sorted(events, key=lambda e: (e.at, _ORDER[e.source], e.text)):
        key = (
            event.at.replace(second=0, microsecond=0),
            event.source,
            event.ref or event.text.lower(),
        )
        if key in seen:
            continue
        seen.add(key)
        result.append(event)
    return tuple(result)
