"""Grounding: every SHA, PR/issue number, time, duration and number in a draft is checked
against the evidence; what does not verify is marked in the text and lowers the confidence."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from pmops.errors import InputError
from pmops.model import (
    Analysis,
    Claim,
    Confidence,
    Draft,
    Evidence,
    TimelineEvent,
    Verification,
)
from pmops.times import parse_time

UNVERIFIED = "\u26a0\ufe0f unverified"
"""The visible marker put after a claim the evidence does not support."""

TIME_TOLERANCE_MIN = 1
"""A time claim verifies when the evidence has a time within this many minutes of it."""

_SHA = re.compile(
    r"(?<![0-9A-Za-z])(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}(?![0-9A-Za-z])"
)
_DIGITS = re.compile(r"(?<![0-9A-Za-z,.])[0-9]{7,40}(?![0-9A-Za-z,.])")
"""An all-digit word as long as a short SHA: a SHA when the evidence knows one like it."""
_REF = re.compile(r"(?:#|\bPR\s*#?|/pull/|/issues/)(\d{1,7})\b", re.IGNORECASE)
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?Z\b")
_CLOCK = re.compile(r"\b([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?\s*UTC\b")
_DURATION = re.compile(
    r"\b(\d+(?:\.\d+)?)\s*(h|hours?|hrs?)(?:\s+(\d+)\s*(?:min|minutes?))?\b"
    r"|\b(\d+)\s*(?:min|minutes?|mins)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.:#/-])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w:/-]|\.\d)")


@dataclass(frozen=True)
class Facts:
    """What the evidence can vouch for; times are kept as whole minutes since the epoch."""

    shas: frozenset[str]
    refs: frozenset[int]
    minutes_of_day: frozenset[int]
    epoch_minutes: frozenset[int]
    minutes: frozenset[int]
    numbers: frozenset[float]
    lasting_minutes: frozenset[int] = frozenset()
    """Spans within the incident, from its start (or detection) to a later key moment. A
    Summary or Customer impact saying it lasted "for N minutes" must name one of these, not
    any difference between two events."""


def _epoch_minute(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def collect_facts(analysis: Analysis, history: Sequence[str] = ()) -> Facts:
    """Every SHA, reference, time, duration and number the evidence contains.

    Durations are differences between the incident's key moments (its times, deploys,
    alerts, updates, metric changes and the timeline), not between every pair of commits.
    """
    e = analysis.evidence
    shas = {c.sha for c in e.changes} | {sha for c in e.changes for sha in c.reverts}
    shas |= {d.sha for d in e.deploys} | {r.sha for r in e.releases}
    shas |= {w.sha for w in e.workflow_runs}
    refs = {c.pr for c in e.changes if c.pr} | {p.number for p in e.pull_requests}
    refs |= {r.number for r in e.references}
    if isinstance(e.incident.id, int):
        refs.add(e.incident.id)
    times = set(_evidence_times(e, analysis.timeline))
    anchors = sorted(set(_key_times(e, analysis.timeline)))
    minutes = {round(abs((b - a).total_seconds()) / 60) for a in anchors for b in anchors}
    ends = (e.incident.started_at, e.incident.resolved_at)
    minutes |= {round(abs((t - end).total_seconds()) / 60) for t in times for end in ends}
    numbers: set[float] = set()
    for text in [*_evidence_texts(e), *analysis.findings.symptoms, *history]:
        refs |= {int(n) for n in _REF.findall(text)}
        numbers |= {_number(n) for n in _NUMBER.findall(text)}
    numbers |= _evidence_numbers(e, analysis)
    numbers |= {float(c.batch) for c in analysis.candidates if c.batch}  # per deploy
    return Facts(
        lasting_minutes=frozenset(_lasting_minutes(e, analysis.timeline)),
        shas=frozenset(shas),
        refs=frozenset(refs),
        minutes_of_day=frozenset(t.hour * 60 + t.minute for t in times),
        epoch_minutes=frozenset(_epoch_minute(t) for t in times),
        minutes=frozenset(minutes),
        numbers=frozenset(numbers),
    )


HEADLINE_SECTIONS = frozenset({"Summary", "Customer impact"})
"""Sections whose "for N minutes" describes the incident itself (Facts.lasting_minutes)."""

_LASTED = re.compile(
    r"\b(?:for|lasted|lasting|over)\s+(?:about |roughly |nearly |almost |some )?$", re.IGNORECASE
)


def _lasting_minutes(e: Evidence, timeline: Iterable[TimelineEvent]) -> Iterator[int]:
    i = e.incident
    for moment in _key_times(e, timeline):
        for origin in (i.started_at, i.detected_at):
            if origin is not None and origin <= moment <= i.resolved_at:
                yield round((moment - origin).total_seconds() / 60)


def _key_times(e: Evidence, timeline: Iterable[TimelineEvent]) -> Iterator[datetime]:
    i = e.incident
    yield from (t for t in (i.started_at, i.detected_at, i.resolved_at) if t)
    yield e.window.since
    yield from (d.at for d in e.deploys)
    yield from (a.at for a in e.alerts)
    yield from (u.at for u in e.updates)
    for a in e.anomalies:
        yield from (t for t in (a.onset_at, a.peak_at, a.recovered_at) if t)
    yield from (event.at for event in timeline)


def _evidence_times(e: Evidence, timeline: Iterable[TimelineEvent]) -> Iterator[datetime]:
    i = e.incident
    yield from (t for t in (i.started_at, i.detected_at, i.resolved_at) if t)
    for c in e.changes:
        yield c.committed_at
        yield c.authored_at
    yield from (d.at for d in e.deploys)
    yield from (r.at for r in e.releases)
    yield from (a.at for a in e.alerts)
    yield from (u.at for u in e.updates)
    yield from (w.at for w in e.workflow_runs)
    for a in e.anomalies:
        yield from (t for t in (a.onset_at, a.peak_at, a.recovered_at) if t)
    for log in e.logs:
        yield log.first_seen
        yield log.last_seen
    yield from (event.at for event in timeline)


def _evidence_texts(e: Evidence) -> Iterator[str]:
    yield e.incident.title
    yield e.incident.impact
    yield from (u.text for u in e.updates)
    yield from (f"{a.name} {a.text}" for a in e.alerts)
    yield from (c.subject for c in e.changes)
    yield from (f.path for c in e.changes for f in c.files)
    yield from (log.message for log in e.logs)


def _evidence_numbers(e: Evidence, analysis: Analysis) -> set[float]:
    numbers = {
        float(len(x))
        for x in (
            e.changes,
            e.deploys,
            e.updates,
            e.alerts,
            e.releases,
            e.anomalies,
            e.logs,
            analysis.suspects,
        )
    }
    if e.incident.users_affected is not None:
        numbers.add(float(e.incident.users_affected))
    for c in e.changes:
        numbers |= {float(c.churn), float(len(c.files))}
        numbers |= {float(n) for f in c.files for n in (f.additions, f.deletions)}
    for a in e.anomalies:
        numbers |= {round(a.baseline, 6), round(a.peak, 6)}
    numbers |= {float(log.count) for log in e.logs}
    scores = [s.score for s in analysis.suspects]
    numbers |= {round(x, 2) for x in scores} | set(scores)
    numbers |= {round(a - b, 2) for a, b in zip(scores, scores[1:], strict=False)}
    window = e.window
    numbers.add(round((window.start - window.since).total_seconds() / 3600, 6))
    return numbers


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def draft_texts(draft: Draft) -> Iterator[tuple[str, str]]:
    """(section, text) for every piece of prose in a draft."""
    yield "Summary", draft.summary
    yield "Customer impact", draft.customer_impact
    for event in draft.timeline:
        yield "Timeline", event.text
    yield "Root cause", draft.root_cause
    yield "Resolution", draft.resolution
    yield from (("Contributing factors", t) for t in draft.contributing_factors)
    yield from (("What went well", t) for t in draft.went_well)
    yield from (("What went poorly", t) for t in draft.went_poorly)
    yield from (("Action items", a.title) for a in draft.action_items)
    yield "Confidence", draft.confidence_reason
    yield from draft.extra_sections


def verify_draft(draft: Draft, analysis: Analysis, history: Sequence[str] = ()) -> Verification:
    """Check every claim of `draft` against the evidence behind `analysis` and the lines
    about similar past incidents (`history`, read from the repository's postmortems)."""
    facts = collect_facts(analysis, history)
    claims: list[Claim] = []
    for event in draft.timeline:
        ok = _time_known(event.at, facts)
        claims.append(Claim("time", event.at.strftime("%Y-%m-%dT%H:%M:%SZ"), "Timeline", ok))
    for section, text in draft_texts(draft):
        claims += extract_claims(text, section, facts)
    for sha in draft.root_cause_suspects:
        claims.append(Claim("sha", sha, "Root cause", _sha_known(sha, facts)))
    return Verification(tuple(claims))


def extract_claims(text: str, section: str, facts: Facts) -> list[Claim]:
    """The claims in one piece of text, each checked."""
    claims = []
    for match in _SHA.finditer(text):
        claims.append(Claim("sha", match.group(0), section, _sha_known(match.group(0), facts)))
    for match in _REF.finditer(text):
        claims.append(Claim("ref", match.group(0), section, int(match.group(1)) in facts.refs))
    for match in _DIGITS.finditer(text):
        if _sha_known(match.group(0), facts):
            claims.append(Claim("sha", match.group(0), section, True))
    masked = _SHA.sub(" ", _REF.sub(" ", text))
    masked = _DIGITS.sub(lambda m: " " if _sha_known(m.group(0), facts) else m.group(0), masked)
    for match in _ISO.finditer(masked):
        claims.append(Claim("time", match.group(0), section, _iso_known(match.group(0), facts)))
    masked = _ISO.sub(" ", masked)
    for match in _CLOCK.finditer(masked):
        claims.append(Claim("time", match.group(0), section, _clock_known(match, facts)))
    masked = _CLOCK.sub(" ", masked)
    for match in _DURATION.finditer(masked):
        lasting = section in HEADLINE_SECTIONS and _LASTED.search(masked[: match.start()])
        known = facts.lasting_minutes if lasting else facts.minutes
        claims.append(Claim("duration", match.group(0), section, _duration_known(match, known)))
    masked = _DURATION.sub(" ", masked)
    masked = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", " ", masked)
    for match in _NUMBER.finditer(masked):
        value = _number(match.group(1))
        claims.append(Claim("number", match.group(1), section, _number_known(value, facts)))
    return claims


def _sha_known(sha: str, facts: Facts) -> bool:
    sha = sha.lower()
    return any(known.startswith(sha) or sha.startswith(known) for known in facts.shas)


def _iso_known(token: str, facts: Facts) -> bool:
    """A time written as ISO-8601 matches the evidence; one that is no time at all (a model's
    "2026-13-28T19:59:00Z") matches nothing: it is an unverified claim, not an error."""
    try:
        moment = parse_time(token)
    except InputError:
        return False
    return _time_known(moment, facts)


def _time_known(moment: datetime, facts: Facts) -> bool:
    minute = _epoch_minute(moment)
    near = range(minute - TIME_TOLERANCE_MIN, minute + TIME_TOLERANCE_MIN + 1)
    return any(m in facts.epoch_minutes for m in near)


def _clock_known(match: re.Match[str], facts: Facts) -> bool:
    minute = int(match.group(1)) * 60 + int(match.group(2))
    near = range(minute - TIME_TOLERANCE_MIN, minute + TIME_TOLERANCE_MIN + 1)
    return any(m % 1440 in facts.minutes_of_day for m in near)


def _duration_known(match: re.Match[str], known: frozenset[int]) -> bool:
    if match.group(4) is not None:
        minutes = int(match.group(4))
    else:
        minutes = round(float(match.group(1)) * 60) + int(match.group(3) or 0)
    tolerance = 1 if match.group(4) is not None or match.group(3) else 30
    return any(abs(minutes - k) <= tolerance for k in known)


def _number_known(value: float, facts: Facts) -> bool:
    if value in facts.numbers or value <= 10 and value == int(value):
        return True
    return any(abs(value - known) <= 0.05 * abs(known) for known in facts.numbers if known)


def apply_verification(draft: Draft, verification: Verification) -> Draft:
    """Mark unverified claims in the text and lower the confidence one step if any."""
    bad = verification.unverified
    if not bad:
        return draft
    tokens = {c.text for c in bad if c.kind != "time" or c.section != "Timeline"}

    def mark(text: str) -> str:
        for token in sorted(tokens, key=len, reverse=True):
            text = re.sub(
                rf"(?<![\w:]){re.escape(token)}(?![\w])(?!:\d)(?! {UNVERIFIED})",
                f"{token} {UNVERIFIED}",
                text,
            )
        return text

    timeline = tuple(
        replace(e, text=f"{mark(e.text)}{'' if _ok_time(e, verification) else ' ' + UNVERIFIED}")
        for e in draft.timeline
    )
    lowered = {Confidence.HIGH: Confidence.MEDIUM}.get(draft.confidence, Confidence.LOW)
    return replace(
        draft,
        summary=mark(draft.summary),
        customer_impact=mark(draft.customer_impact),
        timeline=timeline,
        root_cause=mark(draft.root_cause),
        resolution=mark(draft.resolution),
        contributing_factors=tuple(mark(t) for t in draft.contributing_factors),
        went_well=tuple(mark(t) for t in draft.went_well),
        went_poorly=tuple(mark(t) for t in draft.went_poorly),
        action_items=tuple(replace(a, title=mark(a.title)) for a in draft.action_items),
        extra_sections=tuple((h, mark(t)) for h, t in draft.extra_sections),
        confidence=lowered,
        confidence_reason=(
            f"{draft.confidence_reason} Lowered from {draft.confidence.value}: "
            f"{len(bad)} claim{'s' if len(bad) > 1 else ''} could not be "
            "verified against the evidence."
        ),
    )


def _ok_time(event: TimelineEvent, verification: Verification) -> bool:
    stamp = event.at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return not any(
        c.kind == "time" and c.section == "Timeline" and c.text == stamp
        for c in verification.unverified
    )
