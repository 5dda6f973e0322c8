"""The ranking signals learned from mined real regressions: what kind of change a candidate
is (priors.py) and what reports like this one point to in code (bridge.py).

Both add values to `suspects.Scored`; their weights (without deploy records) are fitted by
`python -m bench.regressions.travel --fit`, leave-one-repository-out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from pmops.analyze.bridge import bridge_values, code_tokens, report_words, shipped_table
from pmops.analyze.candidates import Candidate
from pmops.analyze.mentions import incident_text
from pmops.analyze.priors import change_traits, subject_key
from pmops.analyze.text import words
from pmops.model import Evidence


class Scorable(Protocol):
    """What `suspects.Scored` offers: the candidate, and a way to record a signal."""

    @property
    def candidate(self) -> Candidate: ...

    def add(self, signal: str, value: float, reason: str | None) -> None: ...


TRAIT_REASONS = {
    "dependency_only": "only changes dependency files (less likely)",
    "roll": "a dependency roll or bump (less likely)",
    "is_revert": "itself a revert (less likely)",
    "test_only": "only changes tests (less likely)",
    "docs_only": "only changes docs (less likely)",
    "reland": "lands again a change that was reverted before",
    "largest": "the largest change in the window",
}


def score_traits(scored: Sequence[Scorable], evidence: Evidence) -> None:
    """What kind of change each candidate is: rolls, reverts, re-lands, tests only..."""
    reverted: dict[str, datetime] = {}
    for change in sorted(evidence.changes, key=lambda c: c.committed_at, reverse=True):
        if change.reverts:  # the earliest revert of each subject wins
            reverted[subject_key(change.subject)] = change.committed_at
    pool = [s.candidate for s in scored]
    for s, traits in zip(scored, change_traits(pool, reverted), strict=True):
        for trait in traits:
            s.add(trait, 1.0, TRAIT_REASONS[trait])


def score_bridge(scored: Sequence[Scorable], evidence: Evidence) -> None:
    """What reports like this one usually point to in code (the shipped bridge table)."""
    service_words = set(words(" ".join(evidence.incident.services)))
    query = [w for w in report_words(incident_text(evidence)) if w not in service_words]
    tokens = [code_tokens(s.candidate) for s in scored]
    found = bridge_values(shipped_table(), query, tokens)
    for s, (value, pair) in zip(scored, found, strict=True):
        if pair is not None:
            word, token = pair
            s.add(
                "bridge", value, f"reports saying '{word}' often come from changes with '{token}'"
            )
