"""Two rankers the benchmark computes itself, to put the real ranker's figures in context.

- recent: the candidates newest first (what a human does without any other clue);
- lexical: BM25 between the incident text and each commit's message plus changed paths,
  ties newest first (what a plain search engine would do).
"""

from __future__ import annotations

from collections.abc import Sequence

from pmops.analyze.text import BM25, path_words, words
from pmops.model import Change


def rank_recent(changes: Sequence[Change]) -> list[str]:
    """SHAs newest first by committer time (then SHA, for a stable order)."""
    ordered = sorted(changes, key=lambda c: (-c.committed_at.timestamp(), c.sha))
    return [c.sha for c in ordered]


def rank_lexical(changes: Sequence[Change], text: str) -> list[str]:
    """SHAs by BM25 of `text` against message and paths, best first; ties newest first."""
    ordered = sorted(changes, key=lambda c: (-c.committed_at.timestamp(), c.sha))
    documents = [
        words(f"{c.subject}\n{c.body}") + path_words(f.path for f in c.files) for c in ordered
    ]
    index = BM25(documents)
    query = words(text)
    scores = [index.score(query, i)[0] for i in range(len(ordered))]
    positions = sorted(range(len(ordered)), key=lambda i: (-scores[i], i))
    return [ordered[i].sha for i in positions]
