"""Words from incident text, commit messages, paths and diffs, and a BM25 match between them."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*|(?<![0-9])[0-9]+[A-Za-z][A-Za-z0-9]*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{2,}")
_CAMEL = re.compile(
    r"[a-z][0-9]{1,2}[a-z]{1,2}(?![a-z])"  # numeronyms: k8s, i18n, a11y, e2e
    r"|[A-Z]+[0-9]*(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+[a-z]*"
)
"""Parts of an identifier: camelCase words with their digits (`arm64`, `win32`, `HTTP2`
stay whole: the digits tell arm64 from arm, HTTP2 from HTTP)."""

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers him his how i if in into is it its
    just me more most my no nor not now of off on once only or other our out over own same she
    should so some such than that the their them then there these they this those through to
    too under until up very was we were what when where which while who whom why will with
    would you your yours ok okay please thanks see seems seem looks look like still yet get got
    going went now today we're it's let's can't don't isn't wasn't also via per
    incident issue issues problem problems investigating investigation update updates status
    team someone anyone user users customer customers production prod started start began
    think believe maybe probably likely possible possibly known unknown""".split()
)
"""Words that say nothing about which change is at fault."""

BM25_K1 = 1.2
BM25_B = 0.75


@lru_cache(maxsize=131072)
def stem(word: str) -> str:
    """A light, predictable stemmer: plural and -ing/-ed endings only."""
    for suffix, keep in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + keep
    return word


@lru_cache(maxsize=131072)
def _identifier_words(ident: str) -> tuple[str, ...]:
    parts = [p.lower() for chunk in re.split(r"[_.\-/]+", ident) for p in _CAMEL.findall(chunk)]
    parts = [p for p in parts if len(p) >= 2]
    result = []
    if len(parts) > 1:
        whole = re.sub(r"[^a-z0-9]", "", ident.lower())
        if len(whole) <= 40:
            result.append(whole)
    result.extend(parts)
    return tuple(stem(w) for w in result if w not in STOPWORDS and not w.isdigit())


def words(text: str) -> list[str]:
    """Lowercased, stemmed words of `text`, identifiers split at camelCase, `_`, `-`, `/`, `.`.

    A compound identifier also yields itself whole (`max_connections`, `testfoobar`), so an
    exact identifier match counts more than a shared fragment.
    """
    result: list[str] = []
    for ident in _IDENT.findall(text):
        result.extend(_identifier_words(ident))
    for word in _WORD.findall(text):
        if not _IDENT.fullmatch(word):
            lowered = word.lower()
            if lowered not in STOPWORDS and len(lowered) >= 2 and not lowered.isdigit():
                result.append(stem(lowered))
    return result


@lru_cache(maxsize=65536)
def _path_words(path: str) -> tuple[str, ...]:
    return tuple(words(path.replace("/", " ")))


def path_words(paths: Iterable[str]) -> list[str]:
    """Words of file paths (each directory and file name part)."""
    return [w for path in paths for w in _path_words(path)]


class BM25:
    """Okapi BM25 over a small corpus (the candidate changes of one incident)."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.counts = [Counter(doc) for doc in documents]
        self.lengths = [len(doc) for doc in documents]
        self.avg = (sum(self.lengths) / len(documents)) if documents else 0.0
        df: Counter[str] = Counter()
        for counts in self.counts:
            df.update(counts.keys())
        n = len(documents)
        self.idf: Mapping[str, float] = {
            term: math.log(1 + (n - freq + 0.5) / (freq + 0.5)) for term, freq in df.items()
        }

    def score(self, query: Iterable[str], index: int) -> tuple[float, list[str]]:
        """BM25 score of document `index` for `query`, and the query terms that matched."""
        counts = self.counts[index]
        norm = BM25_K1 * (1 - BM25_B + BM25_B * self.lengths[index] / (self.avg or 1))
        total = 0.0
        matched = []
        for term in dict.fromkeys(query):
            tf = counts.get(term, 0)
            if tf:
                total += self.idf.get(term, 0.0) * tf * (BM25_K1 + 1) / (tf + norm)
                matched.append(term)
        return total, matched
