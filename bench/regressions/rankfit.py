"""Fit the learned ranker (pmops/analyze/ranker.py) on the features `travel` extracts, and
evaluate it leave-one-repository-out: for each repository, the pairs vocabulary, the
feature support and the weights come from the other repositories only.

The model is a listwise logistic (softmax) ranker: within each case, the probability of
the culprit is softmax(base + X w) over the candidates, where `base` is the hand-set and
fitted signal weights of suspects.py (`WEIGHTS_WITHOUT_DEPLOYS`, an offset the model
corrects) and X the named features of `ranker.case_features`. Loss: mean negative log
probability of the culprit per case, plus L2 (`L2_DENSE` on dense features, `L2_CROSS`
on word pairs). Solved with L-BFGS (scipy, a benchmark dependency only).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize
import scipy.sparse

from pmops.analyze.ranker import Pairs

Extra = Callable[[Mapping[str, Any], list[dict[str, float]]], None]
"""Adds features to a record's rows' features, in place (the feature probes, probes.py)."""

L2_DENSE = 3e-2
L2_CROSS = 1e-1
UNREGULARISED_DENSE = (1e-4, None)
"""`penalties` for the ceiling: the dense features almost free, the sparse ones (subject
words, extensions: what can memorise cases) left out."""
MIN_PAIR_REPOS = 3
"""A word-token pair becomes a feature when culprits of reports with the word had the
token in at least this many (training) repositories."""
MIN_FEATURE_REPOS = 3
"""Any feature must be seen in this many training repositories to get a weight."""
PAIRS = False
"""Whether word x path-word and word x diff-identifier pairs are features at all: measured
leave-one-repository-out they gain nothing (README), and they make a larger file."""
CROSSES = frozenset({"s", "x"})
"""The sparse feature families fitted (ranker.py: s subject word, x file extension; a report
word x trait, k x file kind, e x extension, p/d x path word/diff identifier): the others
gained nothing leave-one-repository-out (README)."""
MAX_PAIR_TOKENS = 300
"""Code tokens per culprit that pairs are counted for (its first, sorted)."""


def base_scores(rows: Sequence[Mapping[str, Any]], weights: Mapping[str, float]) -> list[float]:
    """suspects.py's weighted sum per candidate (without the bridge)."""
    return [
        sum(weights.get(k, 0.0) * v for k, v in r["values"].items() if k != "bridge") for r in rows
    ]


def pair_support(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, set[str]]]:
    """`p:word` / `d:word` -> code token -> repositories where a culprit of a report with
    the word had the token (in its paths / diff identifiers)."""
    support: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in records:
        culprits = [r for r in record["rows"] if r["culprit"]]
        if not culprits:
            continue
        data = culprits[0]["inputs"]
        repo = record["repo"]
        for prefix, tokens in (("p", data["paths"]), ("d", data["diff"])):
            kept = sorted(set(tokens))[:MAX_PAIR_TOKENS]
            for word in set(record["words"]):
                table = support[f"{prefix}:{word}"]
                for token in kept:
                    table[token].add(repo)
    return support


def allowed_pairs(
    support: Mapping[str, Mapping[str, set[str]]], exclude: str | None = None
) -> dict[str, set[str]]:
    """Pairs supported by `MIN_PAIR_REPOS` repositories other than `exclude`."""
    pairs: dict[str, set[str]] = {}
    if not PAIRS:
        return pairs
    for key, tokens in support.items():
        kept = {
            t for t, repos in tokens.items() if len(repos) - (exclude in repos) >= MIN_PAIR_REPOS
        }
        if kept:
            pairs[key] = kept
    return pairs


@dataclass
class Design:
    """All cases' features as one sparse matrix (rows: candidates, grouped by case)."""

    names: list[str]
    matrix: scipy.sparse.csr_matrix
    base: np.ndarray
    culprit: np.ndarray
    landed: np.ndarray
    case_of_row: np.ndarray
    case_repo: list[str]
    case_start: np.ndarray
    feature_repos: list[set[str]]
    pair_repos: list[set[str] | None]
    """Per feature, for word-token pairs: the repositories supporting the pair."""


def design(
    records: Sequence[Mapping[str, Any]],
    featurize: Callable[[Mapping[str, Any]], list[dict[str, float]]],
    weights: Mapping[str, float],
    support: Mapping[str, Mapping[str, set[str]]],
) -> Design:
    """Featurize every record (`featurize` gives its rows' named features); `support` is
    `pair_support` of the records."""
    index: dict[str, int] = {}
    feature_repos: list[set[str]] = []
    rows_i, cols, vals = [], [], []
    base: list[float] = []
    culprit: list[bool] = []
    landed: list[float] = []
    case_of_row: list[int] = []
    starts = [0]
    for c, record in enumerate(records):
        for features, row, b in zip(
            featurize(record), record["rows"], base_scores(record["rows"], weights), strict=True
        ):
            r = len(base)
            for name, value in features.items():
                j = index.get(name)
                if j is None:
                    j = index[name] = len(index)
                    feature_repos.append(set())
                feature_repos[j].add(record["repo"])
                rows_i.append(r)
                cols.append(j)
                vals.append(value)
            base.append(b)
            culprit.append(bool(row["culprit"]))
            landed.append(row["landed"])
            case_of_row.append(c)
        starts.append(len(base))
    matrix = scipy.sparse.csr_matrix(
        (np.array(vals), (np.array(rows_i), np.array(cols))), shape=(len(base), len(index))
    )
    return Design(
        names=list(index),
        matrix=matrix,
        base=np.array(base),
        culprit=np.array(culprit),
        landed=np.array(landed),
        case_of_row=np.array(case_of_row),
        case_repo=[r["repo"] for r in records],
        case_start=np.array(starts),
        feature_repos=feature_repos,
        pair_repos=[_pair_repos(name, support) for name in index],
    )


def _pair_repos(name: str, support: Mapping[str, Mapping[str, set[str]]]) -> set[str] | None:
    if name[:2] not in ("p:", "d:"):
        return None
    key, _, token = name.partition("|")
    return support.get(key, {}).get(token, set())


Penalties = tuple[float, float | None]
"""The L2 penalty of the dense features and of the sparse ones (None: sparse ones left out)."""


def _sparse(name: str) -> bool:
    return name[:2] in ("p:", "d:", "k:", "e:", "a:", "s:", "x:")


def _penalty(names: Sequence[str], penalties: Penalties) -> np.ndarray:
    dense, sparse = penalties
    return np.array([(sparse or 0.0) if _sparse(n) else dense for n in names])


def fit(
    d: Design,
    cases: Iterable[int],
    exclude: str | None = None,
    penalties: Penalties = (L2_DENSE, L2_CROSS),
) -> np.ndarray:
    """Weights minimizing the listwise loss on `cases` (with a culprit and another
    candidate); features seen in fewer than `MIN_FEATURE_REPOS` repositories other than
    `exclude` keep weight 0, as do the sparse ones when `penalties` leaves them out."""
    chosen = [
        c
        for c in cases
        if d.culprit[d.case_start[c] : d.case_start[c + 1]].any()
        and d.case_start[c + 1] - d.case_start[c] > 1
    ]
    rows = np.concatenate([np.arange(d.case_start[c], d.case_start[c + 1]) for c in chosen])
    group = np.repeat(
        np.arange(len(chosen)), [d.case_start[c + 1] - d.case_start[c] for c in chosen]
    )
    usable = np.array(
        [
            len(repos) - (exclude in repos) >= MIN_FEATURE_REPOS
            and (pair is None or len(pair) - (exclude in pair) >= MIN_PAIR_REPOS)
            and (penalties[1] is not None or not _sparse(name))
            for repos, pair, name in zip(d.feature_repos, d.pair_repos, d.names, strict=True)
        ]
    )
    x = d.matrix[rows][:, usable].tocsr()
    xt = x.T.tocsr()
    base = d.base[rows]
    y = d.culprit[rows].astype(float)
    # one culprit per case counts (the first, as `ranks` judges the first found)
    firsts = np.zeros_like(y)
    seen = set()
    for i, g in enumerate(group):
        if y[i] and g not in seen:
            firsts[i] = 1.0
            seen.add(g)
    n = len(chosen)
    penalty = _penalty([name for name, u in zip(d.names, usable, strict=True) if u], penalties)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = base + x @ w
        top = np.full(n, -np.inf)
        np.maximum.at(top, group, s)
        e = np.exp(s - top[group])
        z = np.bincount(group, weights=e, minlength=n)
        p = e / z[group]
        value = -(np.sum(firsts * (s - top[group])) - np.sum(np.log(z))) / n
        grad = xt @ (p - firsts) / n
        return value + 0.5 * float(penalty @ (w * w)), grad + penalty * w

    found = scipy.optimize.minimize(
        loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500}
    )
    w = np.zeros(len(d.names))
    w[usable] = found.x
    return w


def case_ranks(d: Design, cases: Iterable[int], w: np.ndarray) -> list[int | None]:
    """The culprit's rank in each case (ties: newest first)."""
    scores = d.base + d.matrix @ w
    result: list[int | None] = []
    for c in cases:
        lo, hi = d.case_start[c], d.case_start[c + 1]
        if not d.culprit[lo:hi].any():
            result.append(None)
            continue
        order = sorted(range(lo, hi), key=lambda i: (-scores[i], -d.landed[i]))
        result.append(next(pos for pos, i in enumerate(order, 1) if d.culprit[i]))
    return result


# ---------------------------------------------------------------- boosted trees

TREES = 60
DEPTH = 3
SHRINK = 0.1
LEAF_L2 = 1.0
MIN_LEAF = 20.0
"""Minimum hessian mass in a leaf (about rows whose softmax share is uncertain)."""
BINS = 16


@dataclass
class Tree:
    """A regression tree: internal nodes (feature, threshold: go left when value <=
    threshold), leaves (value); node i's children are 2i+1, 2i+2."""

    feature: list[int]
    threshold: list[float]
    value: list[float]


def _thresholds(column: np.ndarray) -> np.ndarray:
    values = np.unique(column)
    if len(values) <= BINS:
        return (values[:-1] + values[1:]) / 2
    return np.unique(np.quantile(column, np.linspace(0, 1, BINS + 1)[1:-1]))


def boost(
    x: np.ndarray,
    group: np.ndarray,
    firsts: np.ndarray,
    offset: np.ndarray,
    trees: int = TREES,
) -> list[Tree]:
    """Gradient-boosted trees (Newton steps) on the listwise softmax loss, starting from
    `offset`; `x` dense (rows x features)."""
    n = int(group.max()) + 1
    cuts = [_thresholds(x[:, j]) for j in range(x.shape[1])]
    binned = np.stack([np.searchsorted(c, x[:, j]) for j, c in enumerate(cuts)], axis=1)
    s = offset.copy()
    result = []
    for _ in range(trees):
        top = np.full(n, -np.inf)
        np.maximum.at(top, group, s)
        e = np.exp(s - top[group])
        p = e / np.bincount(group, weights=e, minlength=n)[group]
        g = p - firsts
        h = np.maximum(p * (1 - p), 1e-6)
        tree = _grow(binned, cuts, g, h)
        s += _apply_binned(tree, binned, cuts)
        result.append(tree)
    return result


def _grow(binned: np.ndarray, cuts: list[np.ndarray], g: np.ndarray, h: np.ndarray) -> Tree:
    size = 2 ** (DEPTH + 1) - 1
    feature = [-1] * size
    threshold = [0.0] * size
    value = [0.0] * size
    members = {0: np.arange(len(g))}
    for node in range(2**DEPTH - 1):
        rows = members.get(node)
        if rows is None or len(rows) == 0:
            continue
        best = (0.0, -1, 0)
        gs, hs = g[rows].sum(), h[rows].sum()
        parent = gs * gs / (hs + LEAF_L2)
        for j, c in enumerate(cuts):
            if not len(c):
                continue
            gb = np.bincount(binned[rows, j], weights=g[rows], minlength=len(c) + 1)
            hb = np.bincount(binned[rows, j], weights=h[rows], minlength=len(c) + 1)
            gl, hl = np.cumsum(gb)[:-1], np.cumsum(hb)[:-1]
            gr, hr = gs - gl, hs - hl
            ok = (hl >= MIN_LEAF) & (hr >= MIN_LEAF)
            if not ok.any():
                continue
            gain = np.where(ok, gl * gl / (hl + LEAF_L2) + gr * gr / (hr + LEAF_L2) - parent, 0)
            k = int(np.argmax(gain))
            if gain[k] > best[0]:
                best = (float(gain[k]), j, k)
        if best[1] < 0:
            continue
        _, j, k = best
        feature[node] = j
        threshold[node] = float(cuts[j][k])
        left = binned[rows, j] <= k
        members[2 * node + 1] = rows[left]
        members[2 * node + 2] = rows[~left]
    for node, rows in members.items():
        if feature[node] < 0 and len(rows):
            value[node] = float(-SHRINK * g[rows].sum() / (h[rows].sum() + LEAF_L2))
    return Tree(feature, threshold, value)


def _apply_binned(tree: Tree, binned: np.ndarray, cuts: list[np.ndarray]) -> np.ndarray:
    out = np.zeros(len(binned))
    node = np.zeros(len(binned), dtype=int)
    for _ in range(DEPTH):
        for i in np.unique(node):
            j = tree.feature[i]
            if j < 0:
                continue
            at = node == i
            k = int(np.searchsorted(cuts[j], tree.threshold[i]))
            node[at] = np.where(binned[at, j] <= k, 2 * i + 1, 2 * i + 2)
    for i in np.unique(node):
        out[node == i] = tree.value[i]
    return out


def apply_trees(trees: Sequence[Tree], x: np.ndarray) -> np.ndarray:
    """The trees' summed output for dense rows `x`."""
    out = np.zeros(len(x))
    for tree in trees:
        node = np.zeros(len(x), dtype=int)
        for _ in range(DEPTH):
            j = np.array([tree.feature[i] for i in node])
            t = np.array([tree.threshold[i] for i in node])
            inner = j >= 0
            go_left = x[np.arange(len(x)), np.maximum(j, 0)] <= t
            node = np.where(inner, np.where(go_left, 2 * node + 1, 2 * node + 2), node)
        out += np.array([tree.value[i] for i in node])
    return out


# ---------------------------------------------------------------- what travel runs


def offset_weights() -> dict[str, float]:
    """The hand-set weights kept on top of the model (signals it was not fitted on)."""
    from pmops.analyze.learned import MODEL_SIGNALS
    from pmops.analyze.suspects import WEIGHTS_WITHOUT_DEPLOYS

    return {k: v for k, v in WEIGHTS_WITHOUT_DEPLOYS.items() if k not in MODEL_SIGNALS}


def featurizer(
    pairs: Pairs, extra: Extra | None = None
) -> Callable[[Mapping[str, Any]], list[dict[str, float]]]:
    """A record's rows' features, as pmops computes them (ranker.case_features), and what
    `extra` adds."""
    from pmops.analyze.learned import MODEL_EXCLUDED
    from pmops.analyze.ranker import case_features

    def featurize(record: Mapping[str, Any]) -> list[dict[str, float]]:
        rows = record["rows"]
        found = case_features(
            record["words"],
            record["query"],
            [r["inputs"] for r in rows],
            [{k: v for k, v in r["values"].items() if k not in MODEL_EXCLUDED} for r in rows],
            [r["landed"] for r in rows],
            pairs,
        )
        kept = CROSSES | ({"p", "d"} if PAIRS else set())
        result = [{k: v for k, v in f.items() if ":" not in k or k[0] in kept} for f in found]
        if extra is not None:
            extra(record, result)
        return result

    return featurize


def hand_set(record: Mapping[str, Any]) -> bool:
    """Whether a signal the model was not fitted on fired (learned.HAND_SET): pmops then
    ranks with its hand-set weights, and so does the benchmark."""
    from pmops.analyze.learned import HAND_SET

    return any(k in HAND_SET for r in record["rows"] for k in r["values"])


def _hand_set_rank(record: Mapping[str, Any]) -> int | None:
    from pmops.analyze.suspects import WEIGHTS_WITHOUT_DEPLOYS

    rows = record["rows"]
    scores = base_scores(rows, WEIGHTS_WITHOUT_DEPLOYS)
    order = sorted(range(len(rows)), key=lambda i: (-scores[i], -rows[i]["landed"]))
    return next((p for p, i in enumerate(order, 1) if rows[i]["culprit"]), None)


def leave_one_out(
    records: Sequence[Mapping[str, Any]],
    extra: Extra | None = None,
    penalties: Penalties = (L2_DENSE, L2_CROSS),
) -> list[int | None]:
    """The culprit's rank in each record, ranked by a model fitted without its repository
    (pairs vocabulary and feature support included); records where a hand-set signal
    fired are ranked as pmops ranks them, with the hand-set weights. `extra` adds features
    (a probe)."""
    support = pair_support(records)
    d = design(records, featurizer(allowed_pairs(support), extra), offset_weights(), support)
    found: list[int | None] = [None] * len(records)
    for repo in sorted(set(d.case_repo)):
        held = [c for c, r in enumerate(d.case_repo) if r == repo]
        others = [c for c, r in enumerate(d.case_repo) if r != repo]
        w = np.round(fit(d, others, repo, penalties), 3)
        for c, rank in zip(held, case_ranks(d, held, w), strict=True):
            found[c] = _hand_set_rank(records[c]) if hand_set(records[c]) else rank
    return found


def in_sample_ranks(
    records: Sequence[Mapping[str, Any]],
    extra: Extra | None = None,
    penalties: Penalties = (L2_DENSE, L2_CROSS),
) -> list[int | None]:
    """The culprit's rank in each record under a model fitted on all of them: the most a
    linear model over these features could get from these cases (not a figure that travels;
    with `UNREGULARISED_DENSE`, the best weighing of the signals themselves)."""
    support = pair_support(records)
    d = design(records, featurizer(allowed_pairs(support), extra), offset_weights(), support)
    everything = range(len(records))
    found = case_ranks(d, everything, fit(d, everything, penalties=penalties))
    return [_hand_set_rank(r) if hand_set(r) else k for r, k in zip(records, found, strict=True)]


def fit_model(records: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The model's weights fitted on every record (rounded as the file stores them)."""
    support = pair_support(records)
    d = design(records, featurizer(allowed_pairs(support)), offset_weights(), support)
    w = fit(d, range(len(records)))
    return {n: round(float(v), 3) for n, v in zip(d.names, w, strict=True) if round(v, 3)}


def model_ranks(
    records: Sequence[Mapping[str, Any]], weights: Mapping[str, float]
) -> list[int | None]:
    """The culprit's rank in each record as pmops ranks it with the model `weights`
    (ranker.score_case, plus the hand-set signals; ties: newest first)."""
    from pmops.analyze.learned import MODEL_EXCLUDED
    from pmops.analyze.ranker import Model, score_case

    model = Model.of(weights)
    offset = offset_weights()
    result: list[int | None] = []
    for record in records:
        rows = record["rows"]
        verdicts = score_case(
            model,
            record["words"],
            record["query"],
            [r["inputs"] for r in rows],
            [{k: v for k, v in r["values"].items() if k not in MODEL_EXCLUDED} for r in rows],
            [r["landed"] for r in rows],
        )
        scores = [v.score + b for v, b in zip(verdicts, base_scores(rows, offset), strict=True)]
        if not any(r["culprit"] for r in rows):
            result.append(None)
            continue
        if hand_set(record):
            result.append(_hand_set_rank(record))
            continue
        order = sorted(range(len(rows)), key=lambda i: (-scores[i], -rows[i]["landed"]))
        result.append(next(p for p, i in enumerate(order, 1) if rows[i]["culprit"]))
    return result
