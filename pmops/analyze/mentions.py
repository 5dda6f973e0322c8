"""What people said, matched against changes: SHAs and PR numbers they named (or ruled out),
and the words they used against each change's message, paths and diff."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pmops.analyze.candidates import Candidate
from pmops.analyze.text import BM25, path_words, words
from pmops.model import Evidence

_SHA = re.compile(r"\b[0-9a-f]{7,40}\b")
_PR = re.compile(r"(?:#|\bPR\s*#?|/pull/|!)(\d{1,7})\b", re.IGNORECASE)
_RULED_OUT = re.compile(
    r"\b(did(?:\s*n[o']?t|\s+not)|does(?:\s*n[o']?t|\s+not)|didn't|doesn't|not|no|wasn't|isn't|"
    r"never)\s+(help|fix|change|matter|related|the\s+cause|it|effect|difference|improve)"
    r"|\b(ruled\s+out|unrelated|red\s+herring|innocent|false\s+alarm|no\s+effect|no\s+change)\b",
    re.IGNORECASE,
)
TEXT_FULL = 4.0
"""A BM25 score this high (about two rare words shared) makes a full-strength text match."""

RULED_OUT_REACH = 80
"""Characters after a mention in which a negation (\"did not help\") rules the change out."""


def incident_text(evidence: Evidence) -> str:
    """What people said about the incident: title, human updates, alerts."""
    parts = [evidence.incident.title]
    parts += [u.text for u in evidence.updates]
    parts += [f"{a.name} {a.text}" for a in evidence.alerts]
    return "\n".join(parts)


@dataclass(frozen=True)
class Mention:
    """A change named in the incident text; `ruled_out` when the text says it was not it."""

    label: str
    ruled_out: bool


def find_mentions(candidate: Candidate, text: str) -> list[Mention]:
    """SHAs and the PR number of `candidate` named in `text`."""
    found = []
    lowered = text.lower()
    for match in _SHA.finditer(lowered):
        if any(m.sha.startswith(match.group(0)) for m in candidate.members):
            found.append(Mention(match.group(0)[:7], _ruled_out(lowered, match.end())))
    if candidate.pr is not None:
        for match in _PR.finditer(text):
            if int(match.group(1)) == candidate.pr:
                found.append(Mention(f"PR #{candidate.pr}", _ruled_out(lowered, match.end())))
    return found


def _ruled_out(text: str, end: int) -> bool:
    sentence = re.split(r"[.;!?\n]", text[end : end + RULED_OUT_REACH], maxsplit=1)[0]
    return bool(_RULED_OUT.search(sentence))


@dataclass(frozen=True)
class TextMatch:
    """How well a change matches the incident text (1.0 for the best) and the words that did."""

    value: float
    terms: tuple[str, ...]


def match_text(candidates: Sequence[Candidate], evidence: Evidence) -> list[TextMatch | None]:
    """BM25 of the incident's words against each change, relative to the best match and
    scaled by how strong the best match is (TEXT_FULL). The affected services' names are
    left out of the query (every change of that service would share them)."""
    service_words = set(words(" ".join(evidence.incident.services)))
    query = [w for w in words(incident_text(evidence)) if w not in service_words]
    if not query or not candidates:
        return [None] * len(candidates)
    bm25 = BM25([change_words(c) for c in candidates])
    results = [bm25.score(query, i) for i in range(len(candidates))]
    best = max(score for score, _ in results)
    if best <= 0:
        return [None] * len(candidates)
    return [
        TextMatch(score / best, tuple(sorted(terms, key=lambda t: -bm25.idf.get(t, 0))[:5]))
        if score > 0
        else None
        for score, terms in results
    ]


def change_words(candidate: Candidate) -> list[str]:
    """The words of a change: messages, changed paths, and identifiers from its diff."""
    text = " ".join(f"{m.subject}\n{m.body}" for m in candidate.members)
    diff = [w for m in candidate.members for w in sorted(m.diff_words)]
    return words(text) + path_words(f.path for f in candidate.files) + words(" ".join(diff))
