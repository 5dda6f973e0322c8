"""The subset of GitHub's issue/PR search syntax the fake understands.

Qualifiers: ``repo:``, ``is:``/``type:`` (pr, issue, open, closed, merged,
unmerged), ``state:``, ``label:`` (repeatable, quoted names allowed, ``-label:``
excludes), ``author:``, ``merged:``/``created:``/``closed:``/``updated:``
(``A..B``, ``>=A``, ``>A``, ``<=B``, ``<B``, ``A``); other words must appear in
the title or body. Unknown qualifiers are ignored, as GitHub mostly does.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import datetime, timedelta

from .state import Issue, Repo, parse_time

Pred = Callable[[Repo, Issue], bool]


def _bound(text: str, upper: bool) -> datetime:
    """A date or datetime; a bare date as an upper bound means the end of that day."""
    dt = parse_time(text)
    if upper and len(text) <= 10:
        dt += timedelta(days=1) - timedelta(microseconds=1)
    return dt


def date_pred(spec: str) -> Callable[[datetime | None], bool]:
    """Predicate for a GitHub date qualifier value."""
    def between(lo: datetime | None, hi: datetime | None) -> Callable[[datetime | None], bool]:
        return lambda v: v is not None and (lo is None or v >= lo) and (hi is None or v <= hi)

    if ".." in spec:
        a, b = spec.split("..", 1)
        return between(None if a in ("", "*") else _bound(a, False),
                       None if b in ("", "*") else _bound(b, True))
    for op in (">=", "<=", ">", "<"):
        if spec.startswith(op):
            rest = spec[len(op):]
            if op == ">=":
                return between(_bound(rest, False), None)
            if op == "<=":
                return between(None, _bound(rest, True))
            if op == ">":
                lo = _bound(rest, True)
                return lambda v: v is not None and v > lo
            hi = _bound(rest, False)
            return lambda v: v is not None and v < hi
    return between(_bound(spec, False), _bound(spec, True))


def parse(query: str) -> tuple[list[str], list[Pred]]:
    """Split a query into repository full names and predicates on issues."""
    try:
        tokens = shlex.split(query)
    except ValueError:
        tokens = query.split()
    repos: list[str] = []
    preds: list[Pred] = []
    for tok in tokens:
        neg = tok.startswith("-") and ":" in tok
        key, _, val = tok.lstrip("-").partition(":") if ":" in tok else ("", "", tok)
        pred: Pred | None = None
        if key == "repo":
            repos.append(val.lower())
            continue
        if key in ("is", "type", "state"):
            pred = _is_pred(val)
        elif key == "label":
            names = [n.lower() for n in val.split(",")]
            pred = lambda _r, i, names=names: any(  # noqa: E731
                label.lower() in names for label in i.labels)
        elif key == "author":
            pred = lambda _r, i, val=val: i.user == val  # noqa: E731
        elif key in ("merged", "created", "closed", "updated"):
            dp = date_pred(val)
            pred = lambda _r, i, key=key, dp=dp: dp(_when(i, key))  # noqa: E731
        elif key:
            continue
        else:
            word = val.lower()
            pred = lambda _r, i, word=word: word in (  # noqa: E731
                i.title + " " + (i.body or "")).lower()
        if pred is not None:
            preds.append((lambda r, i, p=pred: not p(r, i)) if neg else pred)
    return repos, preds


def _is_pred(val: str) -> Pred | None:
    table: dict[str, Pred] = {
        "pr": lambda _r, i: i.pull is not None,
        "issue": lambda _r, i: i.pull is None,
        "open": lambda _r, i: i.state == "open",
        "closed": lambda _r, i: i.state == "closed",
        "merged": lambda _r, i: bool(i.pull and i.pull.merged),
        "unmerged": lambda _r, i: bool(i.pull and not i.pull.merged and i.state == "closed"),
        "draft": lambda _r, i: bool(i.pull and i.pull.draft),
    }
    return table.get(val)


def _when(i: Issue, key: str) -> datetime | None:
    if key == "merged":
        return i.pull.merged_at if i.pull else None
    return {"created": i.created_at, "closed": i.closed_at, "updated": i.updated_at}[key]


def run(repos: dict[str, Repo], query: str, sort: str | None,
        order: str | None) -> list[tuple[Repo, Issue]]:
    """Matching (repo, issue) pairs in the requested order (default: newest first)."""
    names, preds = parse(query)
    pool = [r for k, r in repos.items() if not names or k in names]
    hits = [(r, i) for r in pool for i in r.issues.values() if all(p(r, i) for p in preds)]
    key = {"created": lambda t: t[1].created_at, "updated": lambda t: t[1].updated_at,
           "comments": lambda t: len(t[1].comments)}.get(sort or "", None)
    if key is None:
        hits.sort(key=lambda t: t[1].created_at, reverse=True)
    else:
        hits.sort(key=key, reverse=(order or "desc") == "desc")  # type: ignore[arg-type]
    return hits

