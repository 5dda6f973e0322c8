"""The ranking signals learned from mined real regressions: what kind of change a candidate
is (priors.py) and what reports like this one point to in code (bridge.py).

Both add values to `suspects.Scored`; their weights (without deploy records) are fitted by
`python -m bench.regressions.travel --fit`, leave-one-repository-out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from pmops.analyze.bridge import bridge_values, code_tokens, report_words, shipped_table
from pmops.analyze.candidates import Candidate
from pmops.analyze.mentions import incident_text
from pmops.analyze.priors import change_traits, subject_key
from pmops.analyze.ranker import candidate_inputs, report_query, score_case, shipped_model
from pmops.analyze.text import words
from pmops.model import Evidence


class Scorable(Protocol):
    """What `suspects.Scored` offers: the candidate, its signal values and reasons, a way to
    record a signal, and the learned ranker's score."""

    @property
    def candidate(self) -> Candidate: ...

    values: dict[str, float]
    reasons: list[tuple[float, str]]
    learned: float | None
    weights: Mapping[str, float]

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


MODEL_EXCLUDED = frozenset({"bridge", "fix_overlap"})
"""Signal values the learned ranker does not read. A fix during the incident that touched
the same files keeps its hand-set weight, added to the model's score: in the mined history
the "fixes" are unrelated commits landed while the revert was written."""

HAND_SET = frozenset(
    ("mention", "ruled_out", "revert", "deploy", "not_live", "service", "other_service")
    + ("api_break", "major_bump", "ci_red")
)
"""Signals the mined history never shows (nobody names the culprit, no services, no
deploys, no CI runs): the model cannot weigh them against what it learned, so when one fires the
hand-set weights rank, as before."""


MODEL_SIGNALS = frozenset(
    ("text", "text_message", "text_paths", "text_diff", "time", "recent", "risky", "size")
    + ("noise", "dependency_only", "roll", "is_revert", "test_only", "docs_only", "reland")
    + ("largest", "bridge")
)
"""The signals the learned ranker was fitted on, whose weights it stands for. The others
keep their hand-set weights (`fix_overlap`), or make the hand-set ranking rank (`HAND_SET`)."""


def score_learned(scored: Sequence[Scorable], evidence: Evidence) -> None:
    """The learned ranker's verdict on each candidate (ranker.py): the probability that it is
    the culprit among the candidates (a softmax of the model's scores, as it was fitted),
    kept as the raw score that displays as that probability; and the learned association
    behind it as a reason. Nothing happens when pmops ships no model, or a `HAND_SET`
    signal fired."""
    model = shipped_model()
    if not model or not scored or any(k in HAND_SET for s in scored for k in s.values):
        return
    text = incident_text(evidence)
    service_words = words(" ".join(evidence.incident.services))
    found = score_case(
        model,
        [w for w in report_words(text) if w not in set(service_words)],
        report_query(text, service_words),
        [candidate_inputs(s.candidate) for s in scored],
        [{k: v for k, v in s.values.items() if k not in MODEL_EXCLUDED} for s in scored],
        [s.candidate.landed_at.timestamp() for s in scored],
    )
    scores = [
        v.score + sum(s.weights[k] * x for k, x in s.values.items() if k not in MODEL_SIGNALS)
        for s, v in zip(scored, found, strict=True)
    ]
    top = max(scores)
    shares = [math.exp(score - top) for score in scores]
    total = sum(shares)
    for s, verdict, share in zip(scored, found, shares, strict=True):
        s.learned = odds(share / total)
        if verdict.reason is not None:
            s.reasons.append((verdict.strength, verdict.reason))


def odds(probability: float) -> float:
    """A probability as the raw score that `suspects.display_score` shows as it:
    SCALE * p / (1 - p) (capped just below 1)."""
    from pmops.analyze.suspects import SCALE

    p = min(probability, MAX_PROBABILITY)
    return SCALE * p / (1 - p)


MAX_PROBABILITY = 0.999
