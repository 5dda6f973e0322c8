"""The symptom→code bridge: words of an incident report associated with the path and
identifier tokens of the changes that caused such reports, learned from real regressions.

A report says "the Mac bots fail" or "TSAN reports a race"; the culprit touches `*.mm` or a
mutex, and shares no word with the report. `bridge.tsv` (shipped with pmops, fitted by
`python -m bench.regressions.travel --fit`) holds, for pairs (report word, code token) seen
in several repositories, how much more often the culprit of a report with that word had that
token than a change picked at random among the same candidates: log((seen + 1) /
(expected + 1)). A change's bridge value is the mean over the report's words of its best
association, relative to the best candidate of the incident (1.0), like the text signal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from pmops.analyze.candidates import Candidate
from pmops.analyze.mentions import change_fields, link_paths, same_platform
from pmops.analyze.text import words

TABLE_FILE = Path(__file__).with_name("bridge.tsv")

Table = Mapping[str, Mapping[str, float]]
"""report word -> code token -> association (> 0)."""


@lru_cache(maxsize=1)
def shipped_table() -> Table:
    """The table shipped with pmops (empty when the file is absent)."""
    return read_table(TABLE_FILE)


def read_table(path: Path) -> Table:
    """A table from its TSV file: `word<TAB>token<TAB>association` per line, `#` comments."""
    table: dict[str, dict[str, float]] = {}
    if not path.is_file():
        return table
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        word, token, value = line.split("\t")
        table.setdefault(word, {})[token] = float(value)
    return table


def write_table(path: Path, table: Table, header: str) -> int:
    """Write `table` as TSV (sorted, so the file diffs well); return the pair count."""
    lines = [f"# {line}" for line in header.splitlines()]
    for word in sorted(table):
        for token, value in sorted(table[word].items()):
            lines.append(f"{word}\t{token}\t{value:.3f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sum(len(tokens) for tokens in table.values())


def bridge_values(
    table: Table, query: Iterable[str], candidates: Sequence[Iterable[str]]
) -> list[tuple[float, tuple[str, str] | None]]:
    """Each candidate's bridge value (0..1, the best candidate 1.0) for the report words
    `query`, and its strongest (word, token) pair; `candidates` are each change's code
    tokens (`code_tokens`)."""
    known = [(w, table[w]) for w in dict.fromkeys(query) if w in table]
    if not known or not candidates:
        return [(0.0, None)] * len(candidates)
    raw: list[tuple[float, tuple[str, str] | None]] = []
    for tokens in candidates:
        present = set(tokens)
        total, strongest, pair = 0.0, 0.0, None
        for word, pairs in known:
            best = max(((v, t) for t, v in pairs.items() if t in present), default=None)
            if best is not None:
                total += best[0]
                if best[0] > strongest:
                    strongest, pair = best[0], (word, best[1])
        raw.append((total / len(known), pair))
    top = max(value for value, _ in raw)
    return [(value / top, pair) if top > 0 else (0.0, None) for value, pair in raw]


def code_tokens(candidate: Candidate) -> frozenset[str]:
    """The tokens of a change the bridge looks at: words of its paths and diff identifiers."""
    fields = change_fields(candidate)
    return frozenset(fields["paths"]) | frozenset(fields["diff"])


def report_words(text: str) -> list[str]:
    """The words of an incident report the bridge looks up (links read as their paths)."""
    return [same_platform(w) for w in words(link_paths(text))]
