"""The learned ranker for incidents without deploy records: a linear model over the signal
values, lexical matches per field, the change's place in the window, its size and kinds,
and sparse features (the words of its subject, its file extensions), fitted on mined real
regressions; each dense feature also has a copy per text type (content-poor or descriptive).

`case_features` can also give report word x path word / diff identifier / file kind /
extension / trait crosses; measured leave-one-repository-out they gained nothing, so the
shipped model has no weight for them (bench/regressions/rankfit.py `PAIRS`, `CROSSES`).
`ranker.tsv` (shipped with pmops, fitted by `python -m bench.regressions.travel
--fit-ranker`) holds one weight per named feature. Scoring a candidate is a sum over its
features: no numpy, well under a millisecond.

Only the incident's own candidates are compared (BM25 statistics are per incident): nothing
in the model depends on the vocabulary of the repositories it was fitted on, except the
subject words and extensions it keeps, each seen in several of them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from pmops.analyze.candidates import Candidate
from pmops.analyze.mentions import SYMPTOM_WORDS, change_fields, link_paths, same_platform
from pmops.analyze.paths import path_kinds
from pmops.analyze.text import BM25, words

MODEL_FILE = Path(__file__).with_name("ranker.tsv")

MAX_DIFF_WORDS = 2000
"""Diff identifiers kept per candidate (the first, sorted): a vendored import has 100,000."""
MAX_FILES = 300
"""Changed paths kept per candidate for the path features."""

Inputs = Mapping[str, Any]
"""What the model reads of one candidate (`candidate_inputs`): word lists per field, the
changed paths, churn, member count. Plain data, so the benchmark can cache it."""


def candidate_inputs(candidate: Candidate) -> dict[str, Any]:
    """The model's view of a candidate: its words by field and its paths and size."""
    fields = change_fields(candidate)
    subject = [same_platform(w) for w in words(candidate.change.subject)]
    return {
        "message": fields["message"],
        "subject": subject,
        "paths": fields["paths"],
        "diff": fields["diff"][:MAX_DIFF_WORDS],
        "files": [f.path for f in candidate.files][:MAX_FILES],
        "nfiles": len(candidate.files),
        "churn": candidate.churn,
        "members": len(candidate.members),
    }


def report_query(text: str, service_words: Iterable[str] = ()) -> list[str]:
    """The words of a report the model matches: links read as their paths, the symptom
    words ("broke", "failing") and the affected services' names left out."""
    skip = set(service_words) | SYMPTOM_WORDS
    return [w for w in (same_platform(w) for w in words(link_paths(text))) if w not in skip]


RICH_WORDS = 5
"""A report with fewer query words than this is content-poor: its features get their own
weights (`@poor`), as the place of a change in the window then says more than its words."""

LEXICAL_FIELDS = ("message", "subject", "paths", "diff")

Features = dict[str, float]
Pairs = Mapping[str, AbstractSet[str]]
"""`p:word` (path words) or `d:word` (diff identifiers) -> the code tokens paired with it."""


@lru_cache(maxsize=16384)
def _extension(path: str) -> str:
    suffix = PurePosixPath(path.lower()).suffix
    return suffix if 1 < len(suffix) <= 8 else "none"


def _kinds(paths: Sequence[str]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for path in paths:
        kinds.update(path_kinds(path) or ("code",))
    return kinds


def case_features(
    report: Sequence[str],
    query: Sequence[str],
    inputs: Sequence[Inputs],
    values: Sequence[Mapping[str, float]],
    landed: Sequence[float],
    pairs: Pairs,
) -> list[Features]:
    """Each candidate's named features: `report` is every word of the incident report,
    `query` the words it is matched on (`report_query`), `inputs` each candidate's
    `candidate_inputs`, `values` its signal values (suspects.py), `landed` when it landed (POSIX
    seconds), in candidate order; `pairs` the
    word-token pairs looked for (`_crosses`)."""
    count = len(inputs)
    if not count:
        return []
    terms = list(dict.fromkeys(query))
    said = list(dict.fromkeys(report))
    group = "poor" if len(terms) < RICH_WORDS else "rich"
    dense: list[Features] = [{} for _ in range(count)]
    for f, given in zip(dense, values, strict=True):
        f.update({k: float(v) for k, v in given.items() if v})
    _lexical(dense, terms, inputs)
    _shape(dense, inputs)
    _order(dense, landed)
    result = []
    for f, data in zip(dense, inputs, strict=True):
        features = {**f, **{f"{k}@{group}": v for k, v in f.items()}}
        features.update(_crosses(said, data, pairs))
        features.update(_word_traits(said, f))
        features.update(_subject_words(data))
        result.append(features)
    return result


TRAITS = {
    "newest": lambda f: f.get("place", 1.0) == 0,
    "top3": lambda f: f.get("recent", 0.0) >= 1 / 3,
    "old": lambda f: f.get("behind", 0.0) > 0.5,
    "folded": lambda f: f.get("folded", 0.0) > 0,
    "large": lambda f: f.get("churn_rank", 0.0) >= 0.8,
    "tiny": lambda f: f.get("tiny", 0.0) > 0,
    "matched": lambda f: f.get("bm25_all", 0.0) > 0,
    "best_text": lambda f: f.get("best_all", 0.0) > 0,
    "noise": lambda f: f.get("noise", 0.0) > 0,
    "risky": lambda f: f.get("risky", 0.0) > 0,
    "roll": lambda f: f.get("roll", 0.0) > 0,
    "revert": lambda f: f.get("is_revert", 0.0) > 0,
    "reland": lambda f: f.get("reland", 0.0) > 0,
}
"""What a candidate is, crossed with each report word (`_word_traits`): "reversing changes
made to" points to a merge, "flaky" to a test change, "perf" to a large one."""


def _subject_words(data: Inputs) -> Features:
    """The words of the change's subject and its file extensions, whatever the report
    says: culprits "enable", "switch" or "refactor" more often than they "bump" or
    "fix typo"."""
    subject = list(dict.fromkeys(data["subject"]))
    found: Features = {}
    if subject:
        weight = 1 / math.sqrt(len(subject))
        found.update({f"s:{word}": weight for word in subject})
    exts = {_extension(p) for p in data["files"]}
    found.update({f"x:{ext}": 1.0 for ext in exts})
    return found


def _word_traits(said: Sequence[str], f: Features) -> Features:
    """Report word x candidate trait, each worth 1/sqrt(report words)."""
    if not said:
        return {}
    traits = [name for name, test in TRAITS.items() if test(f)]
    weight = 1 / math.sqrt(len(said))
    return {f"a:{word}|{trait}": weight for word in said for trait in traits}


def _lexical(dense: list[Features], terms: Sequence[str], inputs: Sequence[Inputs]) -> None:
    """BM25 per field and over all fields (relative to the incident's best, best-of flag,
    share of the query matched), within the incident's candidates only."""
    if not terms:
        return
    documents = {f: [list(d[f]) for d in inputs] for f in LEXICAL_FIELDS}
    documents["all"] = [[w for f in LEXICAL_FIELDS for w in d[f]] for d in inputs]
    for name, docs in documents.items():
        bm25 = BM25(docs)
        scores = [bm25.score(terms, i) for i in range(len(docs))]
        best = max(s for s, _ in scores)
        if best <= 0:
            continue
        total_idf = sum(bm25.idf.get(t, 0.0) for t in terms) or 1.0
        for f, (score, matched) in zip(dense, scores, strict=True):
            if score <= 0:
                continue
            f[f"bm25_{name}"] = score / best
            f[f"raw_{name}"] = min(1.0, score / 20)
            f[f"cover_{name}"] = len(matched) / len(terms)
            f[f"idfcover_{name}"] = sum(bm25.idf.get(t, 0.0) for t in matched) / total_idf
            if score >= best:
                f[f"best_{name}"] = 1.0


def _order(dense: list[Features], landed: Sequence[float]) -> None:
    """Place in the window: hours behind the newest candidate, and the newest-first rank
    among the candidates the report's words match (the newest matching change)."""
    newest = max(landed)
    by_age = sorted(range(len(landed)), key=lambda i: -landed[i])
    matching = 0
    for place, i in enumerate(by_age):
        f = dense[i]
        hours = (newest - landed[i]) / 3600
        f["behind"] = min(1.0, math.log1p(hours) / math.log1p(24 * 14))
        f["within_hour"] = float(hours <= 1)
        f["within_day"] = float(hours <= 24)
        f["place"] = place / max(1, len(landed) - 1)
        if f.get("bm25_all", 0) > 0:
            f["newest_matching"] = 1 / (1 + matching)
            matching += 1
        if place + 1 < len(by_age):
            gap = (landed[i] - landed[by_age[place + 1]]) / 3600
            f["gap_before"] = min(1.0, math.log1p(gap) / math.log1p(24 * 14))
    by_text = sorted(range(len(landed)), key=lambda i: -dense[i].get("bm25_all", 0.0))
    for place, i in enumerate(by_text):
        if dense[i].get("bm25_all", 0) > 0:
            dense[i]["text_rank"] = 1 / (1 + place)


def _shape(dense: list[Features], inputs: Sequence[Inputs]) -> None:
    """Size and kind of each change, relative to the others of the incident."""
    churns = [int(d["churn"]) for d in inputs]
    order = sorted(range(len(churns)), key=lambda i: -churns[i])
    span = max(1, len(churns) - 1)
    for place, i in enumerate(order):
        f, data = dense[i], inputs[i]
        f["churn_rank"] = 1 - place / span
        f["log_files"] = min(1.0, math.log10(1 + int(data["nfiles"])) / 3)
        f["no_files"] = float(not data["nfiles"])
        f["tiny"] = float(0 < churns[i] < 5)
        f["folded"] = float(int(data["members"]) > 1)
        paths = list(data["files"])
        if paths:
            for kind, n in _kinds(paths).items():
                f[f"kind_{kind}"] = n / len(paths)
    for f in dense:
        for key in [k for k, v in f.items() if not v]:
            del f[key]


def _crosses(said: Sequence[str], data: Inputs, pairs: Pairs) -> Features:
    """Report word x file kind, x file extension, and x path word or diff identifier for
    the pairs in `pairs` (the model's: an unknown pair weighs nothing); each worth
    1/sqrt(report words), so a long report does not outweigh the other features."""
    if not said:
        return {}
    paths = list(data["files"])
    kinds = set(_kinds(paths)) if paths else set()
    exts = {_extension(p) for p in paths}
    weight = 1 / math.sqrt(len(said))
    found: Features = {}
    tokens: set[str] | None = None
    idents: set[str] | None = None
    for word in said:
        for kind in kinds:
            found[f"k:{word}|{kind}"] = weight
        for ext in exts:
            found[f"e:{word}|{ext}"] = weight
        if known := pairs.get(f"p:{word}"):
            tokens = set(data["paths"]) if tokens is None else tokens
            for token in tokens & known:
                found[f"p:{word}|{token}"] = weight
        if known := pairs.get(f"d:{word}"):
            idents = set(data["diff"]) if idents is None else idents
            for token in idents & known:
                found[f"d:{word}|{token}"] = weight
    return found


# ---------------------------------------------------------------- the model file


@dataclass(frozen=True)
class Model:
    """Weights by feature name, and the word-token pairs among them (for `case_features`)."""

    weights: Mapping[str, float]
    pairs: Pairs

    @classmethod
    def of(cls, weights: Mapping[str, float]) -> Model:
        """A model from its weights (zero weights dropped)."""
        kept = {name: value for name, value in weights.items() if value}
        pairs: dict[str, set[str]] = {}
        for name in kept:
            if name[:2] in ("p:", "d:"):
                key, _, token = name.partition("|")
                pairs.setdefault(key, set()).add(token)
        return cls(kept, {k: frozenset(v) for k, v in pairs.items()})

    def __bool__(self) -> bool:
        return bool(self.weights)


@lru_cache(maxsize=1)
def shipped_model() -> Model:
    """The model shipped with pmops (empty, so unused, when the file is absent)."""
    return read_model(MODEL_FILE)


def read_model(path: Path) -> Model:
    """A model from its TSV file: `feature<TAB>weight` per line, `#` comments."""
    weights: dict[str, float] = {}
    if not path.is_file():
        return Model.of(weights)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit("\t", 1)
            weights[name] = float(value)
    return Model.of(weights)


def write_model(path: Path, weights: Mapping[str, float], header: str) -> int:
    """Write the non-zero `weights` as TSV (sorted, so the file diffs well); return their
    count."""
    lines = [f"# {line}" for line in header.splitlines()]
    kept = sorted((n, v) for n, v in weights.items() if round(v, 3))
    lines += [f"{name}\t{value:.3f}" for name, value in kept]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(kept)


@dataclass(frozen=True)
class Verdict:
    """A candidate's model score (only differences between candidates mean anything), and
    the learned association that raised it most, as a reason (None: none did much) with
    what it added."""

    score: float
    reason: str | None = None
    strength: float = 0.0


REASON_FLOOR = 0.25
"""A learned association is given as a reason when it adds at least this to the score."""


def score_case(
    model: Model,
    report: Sequence[str],
    query: Sequence[str],
    inputs: Sequence[Inputs],
    values: Sequence[Mapping[str, float]],
    landed: Sequence[float],
) -> list[Verdict]:
    """Each candidate's score under `model` (arguments as for `case_features`)."""
    found = case_features(report, query, inputs, values, landed, model.pairs)
    result = []
    for features in found:
        score = 0.0
        strongest, reason = REASON_FLOOR, None
        for name, value in features.items():
            weight = model.weights.get(name)
            if weight is None:
                continue
            score += weight * value
            if weight * value >= strongest and (text := _explain(name)) is not None:
                strongest, reason = weight * value, text
        result.append(Verdict(score, reason, strongest if reason else 0.0))
    return result


def _explain(name: str) -> str | None:
    """A learned feature in words (None for those another reason already states)."""
    kind, _, rest = name.partition(":")
    word, _, token = rest.partition("|")
    if "none" in (word, token):
        return None
    if kind in ("p", "d"):
        return f"reports saying '{word}' often come from changes with '{token}'"
    if kind == "k":
        return f"reports saying '{word}' often come from changes to {token} files"
    if kind == "e":
        return f"reports saying '{word}' often come from changes to {token} files"
    if kind == "s":
        return f"changes whose subject says '{word}' are often at fault"
    if kind == "x":
        return f"changes to {word} files are often at fault"
    return None
