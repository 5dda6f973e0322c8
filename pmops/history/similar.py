"""Past incidents like a new one, and recurrence: "third incident touching auth-service
connection pool in 90 days".

Similarity is a weighted sum (`WEIGHTS`) of four parts, each 0..1, each with its reason:
shared affected services, shared suspect paths (same file, or same directory), the closest
error message (word overlap after numbers and ids are masked), and the text: the IDF-weighted
share of the new incident's words found in a past incident's title, root cause and errors.
Candidates come from the search index (`pmops.history.search`), so this is fast on large histories.

Recurrence: past incidents in the last `RECURRENCE_DAYS` that share an affected service (any
incident when no service is given) and whose title, root cause or errors contain a two-word
phrase of the new incident's text; the phrase found in most of them names the recurrence.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

from pmops.history.search import Record, SearchIndex
from pmops.history.search_fields import fts_query
from pmops.model import Severity
from pmops.safety.sanitize import one_line
from pmops.times import parse_time
from pmops.wording import ordinal

WEIGHTS: Mapping[str, float] = {
    "services": 0.25,  # same service: necessary context, weak evidence on its own
    "paths": 0.2,  # the same file was suspected before
    "errors": 0.25,  # the same error message is the strongest single sign of the same cause
    "text": 0.3,  # the words of the incident: what the cause and symptom are called
}
MIN_SCORE = 0.3
"""Below this, an incident shares too little (e.g. only its service) to be worth a link."""

CANDIDATES = 50
"""Past incidents fetched per signal before scoring."""

MAX_TERMS = 24
ERROR_MATCH = 0.5
"""Word overlap (Jaccard) from which two error messages count as the same error."""

RECURRENCE_DAYS = 90
RECURRENCE_MIN_PAST = 1
"""Past incidents needed with the new one for a recurrence (1: the second time is one)."""

STOPWORDS = frozenset(
    """a an and are as at be been but by can could did does for from had has have in into is
    it its no not of on or our out so than that the their then there these this those to too
    was we were when which while who will with would after before during about over under
    incident incidents issue outage error errors failed failure failures service services
    request requests user users customer customers team rate high low new old all some""".split()
)
"""Words that say nothing about which incident this is."""

_WORD = re.compile(r"[^\W_]+")
_VARIABLE = re.compile(r"\b(?:0x)?[0-9a-f]*\d[0-9a-f]*\b|\b[0-9a-f-]{32,36}\b", re.IGNORECASE)


@dataclass(frozen=True)
class SimilarIncident:
    """A past incident, its similarity (0..1) and why it is similar."""

    id: int | str
    title: str
    path: str
    started_at: datetime
    severity: Severity
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Recurrence:
    """The same kind of incident again within `days`; `incidents`: the past ones, oldest first."""

    sentence: str
    phrase: str
    service: str | None
    days: int
    incidents: tuple[SimilarIncident, ...]


@dataclass(frozen=True)
class SimilarResult:
    """Similar past incidents, best first, and the recurrence if there is one."""

    incidents: tuple[SimilarIncident, ...]
    recurrence: Recurrence | None = None


def similar_in(
    index: SearchIndex,
    *,
    services: Sequence[str],
    paths: Sequence[str],
    text: str,
    errors: Sequence[str],
    limit: int = 5,
    exclude_id: int | str | None = None,
    now: datetime | None = None,
) -> SimilarResult:
    """Past incidents most like the one described, from an open, up-to-date index (the
    history step, pmops/history/step.py, opens it)."""
    now = datetime.now(UTC) if now is None else parse_time(now, "now")
    words = terms(" ".join([text, *errors]))
    pool = _candidates(index, services, paths, words, errors)
    window = index.records(
        services=services, since=now - timedelta(days=RECURRENCE_DAYS), until=now
    )
    pool.update((r.path, r) for r in window)
    skip = None if exclude_id is None else str(exclude_id)
    pool = {p: r for p, r in pool.items() if r.started_at < now and str(r.id) != skip}
    scorer = _Scorer(index, services, paths, words, errors, list(pool))
    scored = {p: scorer.score(r) for p, r in pool.items()}
    ranked = sorted(
        (s for s, _ in scored.values() if s.score >= MIN_SCORE),
        key=lambda s: (-s.score, -s.started_at.timestamp(), s.path),
    )
    recurrence = _recurrence(index, [r for r in window if r.path in pool], scored, services, text)
    return SimilarResult(tuple(ranked[:limit]), recurrence)


def terms(text: str) -> list[str]:
    """Distinct significant words of `text`, lowercased, in order (at most `MAX_TERMS`)."""
    found = [w.lower() for w in _WORD.findall(text)]
    kept = [w for w in found if len(w) >= 3 and not w.isdigit() and w not in STOPWORDS]
    return list(dict.fromkeys(kept))[:MAX_TERMS]


def _candidates(
    index: SearchIndex,
    services: Sequence[str],
    paths: Sequence[str],
    words: Sequence[str],
    errors: Sequence[str],
) -> dict[str, Record]:
    pool: dict[str, Record] = {}
    queries = []
    if words:
        queries.append("{title root_cause errors} : (" + fts_query(" ".join(words), "OR") + ")")
    error_words = " ".join(terms(_mask(" ".join(errors))))
    if error_words:
        queries.append("errors : (" + fts_query(error_words, "OR") + ")")
    phrases = [_path_phrase(p) for p in paths]
    if any(phrases):
        queries.append(" OR ".join(f"paths : {p}" for p in phrases if p))
    for query in queries:
        pool.update((r.path, r) for r, _ in index.ranked(query, CANDIDATES))
    if services:
        pool.update((r.path, r) for r in index.records(services=services, latest=CANDIDATES * 4))
    return pool


def _path_phrase(path: str) -> str:
    """An FTS5 phrase for the directory of `path` (the file itself when at the top)."""
    parent = PurePosixPath(path.strip("/")).parent
    target = path if str(parent) == "." else str(parent)
    return fts_query('"' + target.replace('"', " ") + '"')


def _mask(message: str) -> str:
    """An error message with numbers, hex ids and UUIDs masked, lowercased."""
    return _VARIABLE.sub("#", message.lower())


def _error_words(message: str) -> set[str]:
    return {w for w in _WORD.findall(_mask(message)) if len(w) >= 2}


class _Scorer:
    """Scores records against one new incident; word document frequencies are cached."""

    def __init__(
        self,
        index: SearchIndex,
        services: Sequence[str],
        paths: Sequence[str],
        words: Sequence[str],
        errors: Sequence[str],
        among: Sequence[str],
    ) -> None:
        self.services = {s.lower(): s for s in services}
        self.paths = [PurePosixPath(p.strip("/")) for p in paths if p.strip("/")]
        self.errors = [(e, _error_words(e)) for e in errors if _error_words(e)]
        total = max(len(index), 1)
        self.containing: dict[str, set[str]] = {}
        self.idf: dict[str, float] = {}
        for word in words:
            docs = index.matching("{title root_cause errors} : " + fts_query(word), among)
            df = index.count(fts_query(word))
            self.containing[word] = docs
            self.idf[word] = math.log(1 + (total - df + 0.5) / (df + 0.5))

    def score(self, record: Record) -> tuple[SimilarIncident, tuple[str, ...]]:
        """The record as a SimilarIncident, and the services it shares with the new one."""
        parts: dict[str, float] = {}
        reasons: list[str] = []
        shared = [s for s in record.services if s.lower() in self.services]
        if self.services and shared:
            parts["services"] = len({s.lower() for s in shared}) / len(self.services)
            reasons.append("same service: " + ", ".join(shared))
        parts["paths"], reason = self._paths(record.paths)
        reasons += reason
        parts["errors"], reason = self._errors(record.errors)
        reasons += reason
        parts["text"], reason = self._text(record.path)
        reasons += reason
        score = sum(WEIGHTS[k] * v for k, v in parts.items())
        incident = SimilarIncident(
            record.id,
            record.title,
            record.path,
            record.started_at,
            Severity(record.severity),
            round(score, 4),
            tuple(reasons),
        )
        return incident, tuple(shared)

    def _paths(self, theirs: Sequence[str]) -> tuple[float, list[str]]:
        best, reason = 0.0, []
        for mine in self.paths:
            for other in map(PurePosixPath, theirs):
                if other == mine:
                    return 1.0, [f"same file: {mine}"]
                if other.parent == mine.parent and str(mine.parent) != "." and best < 0.5:
                    best, reason = 0.5, [f"same directory: {mine.parent}/"]
        return best, reason

    def _errors(self, theirs: Sequence[str]) -> tuple[float, list[str]]:
        best, reason = 0.0, []
        for message, words in self.errors:
            for other in theirs:
                other_words = _error_words(other)
                overlap = len(words & other_words) / len(words | other_words)
                if overlap >= ERROR_MATCH and overlap > best:
                    best, reason = overlap, [f"same error: `{_short(message)}`"]
        return best, reason

    def _text(self, path: str) -> tuple[float, list[str]]:
        total = sum(self.idf.values())
        found = [w for w, docs in self.containing.items() if path in docs]
        if not total or not found:
            return 0.0, []
        top = sorted(found, key=lambda w: (-self.idf[w], w))[:4]
        return sum(self.idf[w] for w in found) / total, ["similar wording: " + ", ".join(top)]


def _short(text: str, size: int = 80) -> str:
    text = " ".join(text.replace("`", "'").split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _recurrence(
    index: SearchIndex,
    window: Sequence[Record],
    scored: Mapping[str, tuple[SimilarIncident, tuple[str, ...]]],
    services: Sequence[str],
    text: str,
) -> Recurrence | None:
    if not window:
        return None
    texts = {p: _stems(t) for p, t in index.texts(r.path for r in window).items()}
    names = {w for service in services for w in _stems(service)}  # "payments api" is no cause
    phrases = [p for p in _phrases(text) if not names & set(p)]
    best: tuple[int, int, tuple[str, str]] | None = None
    for position, phrase in enumerate(phrases):
        count = sum(_contains(words, phrase) for words in texts.values())
        if count >= RECURRENCE_MIN_PAST and (best is None or count > best[0]):
            best = (count, position, phrase)
    if best is None:
        return None
    phrase = best[2]
    past = [scored[r.path] for r in window if _contains(texts.get(r.path, []), phrase)]
    label = " ".join(_display(text, phrase))
    counts = Counter(s.lower() for _, shared in past for s in shared)
    service = max(services, key=lambda s: counts[s.lower()]) if services else None
    nth = ordinal(len(past) + 1)
    topic = f"touching {service} {label}" if service else f"involving {label}"
    incidents = tuple(
        SimilarIncident(
            i.id,
            i.title,
            i.path,
            i.started_at,
            i.severity,
            i.score,
            (f"mentions {label}", *i.reasons),
        )
        for i, _ in past
    )
    return Recurrence(
        f"{nth} incident {topic} in {RECURRENCE_DAYS} days",
        label,
        service,
        RECURRENCE_DAYS,
        incidents,
    )


def _stem(word: str) -> str:
    """Plural to singular, enough to match "connections pool" with "connection pool"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _stems(text: str) -> list[str]:
    return [_stem(w.lower()) for w in _WORD.findall(text)]


def _phrases(text: str) -> list[tuple[str, str]]:
    """Two-word phrases of significant words in `text`, in order of first appearance."""
    words = _stems(text)
    pairs = [
        (a, b)
        for a, b in zip(words, words[1:], strict=False)
        if a not in STOPWORDS
        and b not in STOPWORDS
        and len(a) >= 3
        and len(b) >= 3
        and not a.isdigit()
        and not b.isdigit()
    ]
    return list(dict.fromkeys(pairs))


def _contains(words: Sequence[str], phrase: tuple[str, str]) -> bool:
    return any(a == phrase[0] and b == phrase[1] for a, b in zip(words, words[1:], strict=False))


def _display(text: str, phrase: tuple[str, str]) -> tuple[str, str]:
    """The phrase as the new incident's text spells it (lowercased)."""
    words = [w.lower() for w in _WORD.findall(text)]
    for a, b in zip(words, words[1:], strict=False):
        if (_stem(a), _stem(b)) == phrase:
            return a, b
    return phrase


def format_similar(
    result: SimilarResult, *, from_path: str | None = None, link_base: str | None = None
) -> tuple[str, ...]:
    """Markdown list items for a draft's Contributing factors or a PR body, with links.

    Links are relative to the postmortem at `from_path` (inside the repository), or absolute
    under `link_base` (e.g. `https://github.com/o/r/blob/main`) for a PR body.
    """

    def link(incident: SimilarIncident) -> str:
        if link_base:
            target = f"{link_base.rstrip('/')}/{incident.path}"
        elif from_path:
            target = os.path.relpath(incident.path, os.path.dirname(from_path) or ".")
            target = target.replace(os.sep, "/")
        else:
            target = incident.path
        title = one_line(incident.title).replace("[", "(").replace("]", ")")
        return f"[{title}]({target})"

    lines = []
    if result.recurrence:
        rec = result.recurrence
        listed = ", ".join(f"{link(i)} ({i.started_at:%Y-%m-%d})" for i in rec.incidents)
        lines.append(f"- **Recurrence:** {rec.sentence}: {listed}.")
    for incident in result.incidents:
        why = one_line("; ".join(incident.reasons), 300)
        lines.append(
            f"- Similar past incident: {link(incident)} ({incident.started_at:%Y-%m-%d}, "
            f"{incident.severity.value}){': ' + why if why else ''}."
        )
    return tuple(lines)
