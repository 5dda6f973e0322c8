"""A complete postmortem draft from evidence alone: no model, every number taken from evidence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pmops import __version__
from pmops.draft.actions import derive_action_items
from pmops.model import Analysis, Confidence, Draft, Findings, Generator, Suspect
from pmops.safety.sanitize import one_line
from pmops.times import format_clock
from pmops.wording import subject_without_pr

HIGH_SCORE = 0.6
HIGH_MARGIN = 0.2
MEDIUM_SCORE = 0.35
MEDIUM_MARGIN = 0.08
MAX_SYMPTOMS = 3
"""Metric anomalies and log patterns quoted in the impact and root cause sections."""
SIMILAR_SHOWN = 3
"""Similar past incidents named among the contributing factors."""
STRONG_SIGNALS = frozenset({"revert", "mention", "deploy"})
"""Signals that tie a change to the incident by more than timing and words."""


def draft_deterministic(analysis: Analysis, similar: Sequence[str] = ()) -> Draft:
    """Draft every section from the analysis; sections with nothing to say say so.

    `similar` holds markdown lines about similar past incidents (recurrence first); the
    first three become contributing factors.
    """
    findings = analysis.findings
    confidence, reason = rate_confidence(analysis)
    return Draft(
        summary=_summary(analysis, findings),
        severity=analysis.evidence.incident.severity,
        customer_impact=_impact(analysis, findings),
        timeline=analysis.timeline,
        root_cause=_root_cause(analysis, findings),
        root_cause_suspects=tuple(s.sha for s in analysis.suspects[:1]),
        resolution=_resolution(analysis, findings),
        contributing_factors=(
            *findings.contributing,
            *(line.removeprefix("- ") for line in similar[:SIMILAR_SHOWN]),
        ),
        went_well=findings.went_well,
        went_poorly=findings.went_poorly,
        action_items=derive_action_items(analysis, findings),
        confidence=confidence,
        confidence_reason=reason,
        generator=Generator(version=__version__, model="deterministic"),
        notes=(
            *(f"Source unavailable: {u}" for u in analysis.evidence.unavailable),
            *analysis.evidence.hints,
        ),
    )


def rate_confidence(analysis: Analysis) -> tuple[Confidence, str]:
    """Confidence from the top suspect's score, its margin over the next, and the evidence."""
    suspects = analysis.suspects
    evidence = analysis.evidence
    coverage = _coverage(analysis)
    if not suspects:
        return Confidence.LOW, (
            f"No change landed in the {_hours(analysis)} before the start, "
            f"so the cause is not in this repository's history. {coverage}"
        )
    top = suspects[0]
    if not analysis.standout.stands_out:
        return Confidence.LOW, (
            f"No change stands out as the cause: {analysis.standout.reason}. {coverage}"
        )
    margin = top.score - (suspects[1].score if len(suspects) > 1 else 0.0)
    strong = sorted(top.signals & STRONG_SIGNALS)
    basis = (
        f"The top suspect scores {top.score:.2f}; the next scores "
        f"{top.score - margin:.2f} (margin {margin:.2f}). {coverage}"
    )
    if top.score >= HIGH_SCORE and margin >= HIGH_MARGIN and strong:
        return Confidence.HIGH, basis + f" Direct evidence: {', '.join(strong)}."
    if top.score >= MEDIUM_SCORE and margin >= MEDIUM_MARGIN:
        return Confidence.MEDIUM, basis
    if evidence.unavailable:
        basis += " Some sources were unavailable."
    return Confidence.LOW, basis + " The ranking does not single out one change."


def _hours(analysis: Analysis) -> str:
    window = analysis.evidence.window
    hours = (window.start - window.since) / timedelta(hours=1)
    return f"{hours:g} h"


def _coverage(analysis: Analysis) -> str:
    e = analysis.evidence
    parts = [
        f"{len(e.changes)} commit{'s' if len(e.changes) != 1 else ''}",
        f"{len(e.deploys)} deploy{'s' if len(e.deploys) != 1 else ''}",
        f"{len(e.updates)} human update{'s' if len(e.updates) != 1 else ''}",
        f"{len(e.alerts)} alert{'s' if len(e.alerts) != 1 else ''}",
    ]
    if e.anomalies or e.logs:
        parts.append(f"{len(e.anomalies)} metric anomalies, {len(e.logs)} log patterns")
    return "Evidence: " + ", ".join(parts) + "."


def describe_change(suspect: Suspect) -> str:
    """`abc1234` (PR #12) "subject" — how a change is named in prose."""
    pr = f" (PR #{suspect.pr})" if suspect.pr else ""
    subject = one_line(subject_without_pr(suspect.subject, suspect.pr), 120).replace("`", "'")
    return f"`{suspect.sha[:7]}`{pr} \u201c{subject}\u201d"


def _summary(analysis: Analysis, findings: Findings) -> str:
    incident = analysis.evidence.incident
    services = ", ".join(incident.services) if incident.services else "the affected systems"
    text = (
        f"{one_line(incident.title)}: {services} {'were' if len(incident.services) != 1 else 'was'}"
        f" impaired for {findings.duration_text}, from {format_clock(incident.started_at)} to "
        f"{format_clock(incident.resolved_at)} on {incident.started_at:%Y-%m-%d}."
    )
    standout = analysis.standout
    if analysis.suspects and standout.stands_out:
        top = analysis.suspects[0]
        text += f" The most likely cause is {describe_change(top)}: {'; '.join(top.reasons[:2])}."
    elif analysis.suspects:
        text += f" No change stands out as the cause: {standout.reason}."
        if standout.elsewhere:
            text += (
                f" The evidence points to {' and '.join(standout.topics)}: "
                f"{'; '.join(standout.elsewhere)}."
            )
    else:
        text += " No recent change stands out as the cause."
    if findings.stopped_by:
        text += f" The impact was mitigated by {findings.stopped_by[0]}."
    return text


def _impact(analysis: Analysis, findings: Findings) -> str:
    incident = analysis.evidence.incident
    lines = []
    if incident.impact:
        lines.append(one_line(incident.impact, 1000))
    else:
        lines.append(
            "The incident record does not describe the customer impact; reviewers "
            "should state who was affected and how."
        )
    if incident.users_affected is not None:
        lines.append(f"Users affected: {incident.users_affected:,}.")
    if incident.services:
        lines.append(f"Affected services: {', '.join(incident.services)}.")
    symptoms = findings.symptoms[:MAX_SYMPTOMS]
    if symptoms:
        described = "; ".join(one_line(s) for s in symptoms)
        lines.append(f"Measured: {described}.")
    lines.append(
        f"Duration: {findings.duration_text} "
        f"({format_clock(incident.started_at)}\u2013{format_clock(incident.resolved_at)})"
        f"{f'; detected after {findings.detection_text}' if findings.detection_text else ''}."
    )
    return "\n\n".join(lines)


def _root_cause(analysis: Analysis, findings: Findings) -> str:
    suspects = analysis.suspects
    if not suspects:
        return (
            "Undetermined. No change landed in the lookback window before the start"
            f" ({_hours(analysis)}), so the trigger is likely outside this repository "
            "(infrastructure, a dependency, traffic or data). Reviewers should add what "
            "they know."
        )
    if not analysis.standout.stands_out:
        return _no_standout(analysis)
    top = suspects[0]
    lines = [f"Most likely: {describe_change(top)}.", "", "Evidence:"]
    lines += [f"- {reason}" for reason in top.reasons]
    lines += _log_lines(analysis)
    kinds = _risky_kinds(findings)
    if kinds:
        lines += [
            "",
            f"The change touched {kinds}, the kind of change that reaches every "
            "request at once when it is deployed.",
        ]
    others = [s for s in suspects[1:4] if s.score > 0]
    if others:
        lines += ["", "Other candidates, less likely:"]
        lines += [
            f"- {describe_change(s)} (score {s.score:.2f}): {s.reasons[0]}"
            for s in others
            if s.reasons
        ]
    return "\n".join(lines)


def _log_lines(analysis: Analysis) -> list[str]:
    logs = analysis.evidence.logs[:MAX_SYMPTOMS]
    if not logs:
        return []
    lines = ["", "Most frequent errors in the logs:"]
    for log in logs:
        message = one_line(log.message, 160).replace("`", "'")
        lines.append(
            f"- {log.count:,} \u00d7 `{message}` (first "
            f"{format_clock(log.first_seen)}, last {format_clock(log.last_seen)})"
        )
    return lines


def _no_standout(analysis: Analysis) -> str:
    """Root cause when the ranking has changes but none stands out (pmops.analyze.standout)."""
    standout = analysis.standout
    lines = [f"Undetermined: no change stands out as the cause ({standout.reason})."]
    if standout.elsewhere:
        lines += ["", f"Evidence that points to {' and '.join(standout.topics)}:"]
        lines += [f"- {quote[0].upper()}{quote[1:]}" for quote in standout.elsewhere]
    lines += _log_lines(analysis)
    leads = [s for s in analysis.suspects[:3] if s.reasons and s.score > 0]
    lines += ["", "Changes to check before ruling the code out (leads, not findings):"]
    lines += [f"- {describe_change(s)} (score {s.score:.2f}): {s.reasons[0]}" for s in leads]
    lines += ["", "Reviewers should state the cause once it is known."]
    return "\n".join(lines)


def _risky_kinds(findings: Findings) -> str:
    names = {
        "config": "configuration",
        "dependency": "dependency manifests",
        "migration": "a database migration",
        "flag": "feature flags",
    }
    return " and ".join(names[k] for k in sorted(names) if findings.paths_of(k))


def _resolution(analysis: Analysis, findings: Findings) -> str:
    incident = analysis.evidence.incident
    lines = [f"The incident was resolved at {format_clock(incident.resolved_at)}."]
    if findings.stopped_by:
        lines.append("What stopped the impact:")
        lines += [f"- {item[0].upper()}{item[1:]}." for item in findings.stopped_by]
    else:
        lines.append(
            "The evidence does not show what stopped the impact (no revert, rollback "
            "or fix landed during the incident); reviewers should add it."
        )
    lines.append("")
    lines.append(f"Lasting fix: {findings.lasting_fix}")
    return "\n".join(lines)


def bullet_list(items: Sequence[str], empty: str) -> str:
    """Markdown bullets, or the `empty` sentence when there are none."""
    return "\n".join(f"- {item}" for item in items) if items else empty
