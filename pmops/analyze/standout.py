"""Does one change stand out as the cause, or does the evidence point away from the code?

The ranking always has a top suspect when anything landed; that alone does not make it the
cause. A change stands out when the incident ties it to the change directly (reverted or
rolled back during the incident, named in an update or alert), or when the incident's own
words or its affected services meet the change and it is clearly ahead of the next one. When
the alerts, metrics or updates speak of something else (an expired certificate, exhausted
capacity, a provider), only the incident's words in the change itself count as a meeting.

The thresholds come from `python -m bench standout` (real regressions and the scenario
suite; the README reports the trade-off): see the constants below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pmops.model import Evidence, Standout, Suspect
from pmops.safety.sanitize import one_line
from pmops.times import format_clock

DIRECT = frozenset({"revert", "mention", "fix_overlap"})
"""Signals that tie a change to this incident by what people did or said about it: reverted or
rolled back, named in an update or alert, or its files touched again by a fix during it."""

OVERLAP = frozenset({"text", "service", "fix_overlap", "api_break"})
"""Signals that meet the incident where it hurt: its words, its services, its fix's files."""

MIN_SCORE = 0.3
"""Below this display score (raw about 1.3: a change with little more than its age) no change
stands out; on the scenario suite every culprit ranked first scores 0.43 or more."""

MIN_MARGIN = 0.01
"""A lead over the next suspect smaller than this is a tie. 0.05 would hold back 20 more right
names for 36 fewer wrong ones on 293 real regressions, but 3 right culprits and no wrong name
on the scenario suite (deploy records); so the margin only separates ties."""

MAX_ELSEWHERE = 3
"""Pieces of evidence pointing elsewhere quoted in the draft."""

TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "certificate",
        re.compile(
            r"\bcert(?:ificate)?s?\b|x\.?509|\btls\b|\bssl\b|handshake",
            re.IGNORECASE,
        ),
    ),
    (
        "capacity",
        re.compile(
            r"\bheap\b|\bmemory\b|\boom\b|\boom\b|oomkill|disk (?:full|space|usage)|no space left|"
            r"\bcapacity\b|quota exceeded|too many (?:open files|connections)|"
            r"connection limit|max_connections|\bsaturat\w*|\bthrottl\w*|\bexhaust\w*",
            re.IGNORECASE,
        ),
    ),
    (
        "provider",
        re.compile(
            r"\bprovider\b|\bupstream\b|third[- ]party|\bvendor\b|status page|\bregion\b|"
            r"\b(?:aws|gcp|azure|cloudflare|fastly|akamai|stripe|twilio|github)\b.*\b(?:outage|"
            r"incident|degrad\w*|down)\b|\bdns\b",
            re.IGNORECASE,
        ),
    ),
    (
        "traffic",
        re.compile(r"traffic (?:spike|surge)|\bddos\b|\bsurge\b|load spike|bot traffic", re.I),
    ),
)
"""What evidence pointing away from a code change talks about, and the words that say so."""

MITIGATED_OUTSIDE = re.compile(
    r"\brenew(?:ed|ing)\b|\badded (?:\w+ )?(?:nodes?|capacity|replicas|brokers|shards|disk)|"
    r"\bscaled (?:up|out)\b|\bfail(?:ed)? ?over\b|\brebalanc\w*|"
    r"\b(?:provider|vendor|upstream) (?:recovered|resolved|fixed)|"
    r"\b(?:increased|raised|grew) (?:the )?(?:heap|disk|memory|quota|capacity|limit)",
    re.IGNORECASE,
)
"""Updates saying the impact stopped by acting outside the code: then only a direct tie
(revert, rollback, mention, a fix's files) makes a change stand out."""


def decide_standout(evidence: Evidence, suspects: Sequence[Suspect]) -> Standout:
    """Whether the top suspect stands out as the cause, why, and what points elsewhere.

    When the evidence points to topics (certificate, capacity...), touching the affected
    service is not enough: the change must share the incident's words (a code change can
    exhaust memory or connections; then its message or diff says so)."""
    elsewhere = tuple(_elsewhere(evidence))
    topics = tuple(dict.fromkeys(topic for topic, _ in elsewhere))
    quotes = tuple(dict.fromkeys(quote for _, quote in elsewhere))[:MAX_ELSEWHERE]
    if not suspects:
        return Standout(False, "no change landed before the start", quotes, topics)
    top = suspects[0]
    margin = top.score - (suspects[1].score if len(suspects) > 1 else 0.0)
    direct = sorted(top.signals & DIRECT)
    if direct:
        why = f"the incident ties it directly ({', '.join(direct)})"
        return Standout(True, why, quotes, topics)
    outside = next((u for u in evidence.updates if MITIGATED_OUTSIDE.search(u.text)), None)
    if outside is not None:
        why = (
            f"the update at {format_clock(outside.at)} says the impact stopped without a code "
            "change, and nothing ties a change to the incident directly"
        )
        return Standout(False, why, quotes, topics)
    needed = {"text"} if topics else OVERLAP
    met = sorted(top.signals & needed)
    if not met:
        if topics:
            why = "the top change does not share the incident's words"
        else:
            why = "the top change shares neither the incident's words nor its services"
        return Standout(False, why, quotes, topics)
    if top.score < MIN_SCORE:
        return Standout(False, f"the top score {top.score:.2f} is weak", quotes, topics)
    if margin < MIN_MARGIN:
        tied = tuple(s.sha for s in suspects if top.score - s.score < MIN_MARGIN)
        why = f"the top {len(tied)} changes score alike, margin {margin:.2f}"
        return Standout(False, why, quotes, topics, tied)
    return Standout(True, f"it meets the incident ({', '.join(met)})", quotes, topics)


def _elsewhere(evidence: Evidence) -> Iterator[tuple[str, str]]:
    """(topic, quote) for each alert, metric anomaly, log pattern and update about a topic."""
    for alert in evidence.alerts:
        text = f"{alert.name} {alert.text}"
        for topic in _topics(text):
            yield topic, f"alert {alert.name} at {format_clock(alert.at)}" + _said(alert.text)
    for anomaly in evidence.anomalies:
        for topic in _topics(anomaly.name):
            yield topic, f"metric {anomaly.name} from {format_clock(anomaly.onset_at)}"
    for log in evidence.logs:
        for topic in _topics(log.message):
            yield topic, f"log line \u201c{one_line(log.message, 80)}\u201d"
    for update in evidence.updates:
        for topic in _topics(update.text):
            yield topic, f"the update at {format_clock(update.at)}{_said(update.text)}"
    for topic in _topics(evidence.incident.title):
        yield topic, f"the incident title{_said(evidence.incident.title)}"


def _topics(text: str) -> list[str]:
    return [topic for topic, pattern in TOPICS if pattern.search(text)]


def _said(text: str) -> str:
    clean = one_line(text, 100).replace("`", "'").replace("\u201d", "'")
    return f" (\u201c{clean}\u201d)" if clean else ""
