"""Feature probes for the learned ranker: does what the repository says beyond the
candidates' commits help it find culprits in repositories it has never seen?

    python -m bench.regressions.probes --clones DIR [--features FILE] [--probes FILE]

Each probe adds one family of features to the learned ranker's (rankfit.py) and is measured
leave-one-repository-out on the development repositories, as `travel` measures the ranker,
with the paired bootstrap against lexical BM25. Then the shipped features with a freer and
a tighter regularisation, leave-one-repository-out. The last lines are in-sample fits
(every development case fitted and ranked): how far a linear model over the features could
go on these cases, without and with every probe, at the shipped regularisation and with
the dense features unregularised and the sparse ones (subject words, extensions, which can
memorise cases) left out.

The families (probe_data.py reads what they need, cached in --probes):
- content: BM25 of the report's words against the content of the files each change touched
  (the best file), share of the report matched;
- identifiers: a compound identifier of the report (`BlockBasedTableTest`, `max_conns`)
  found in the change's files, message, paths or diff, and in few other changes;
- history: how often the change's files were changed, reverted, fixed in the 180 days before;
  whether it adds files;
- file stories: BM25 of the report against the messages of the commits that touched each
  of the change's files in the year before (the best file);
- past reverts: the repository's own reverts of the 2 years before, touching the change's
  files or folders, weighted by how much their messages share the report's words;
- age: the hours between the change landing and the report, in bins;
- margin: the lexical match scaled by the best candidate's lead over the second.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.regressions.probe_data import probe_record
from bench.regressions.rankfit import Extra
from bench.regressions.travel import (
    FEATURES_FILE,
    is_holdout,
    load_features,
    paired_interval,
    scored_records,
)

PROBES_FILE = FEATURES_FILE.with_name("pmops-probes.jsonl")
AGE_BINS = (600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
"""Upper bounds (seconds before the report) of the age bins; older changes share the last."""
REGULARISATION = (0.01, 0.1, 0.3, 3.0)
"""Multiples of the shipped L2 penalties measured leave-one-repository-out."""

Features = dict[str, float]
Probe = Callable[[Mapping[str, Any], Mapping[str, Any], Sequence[Features]], list[Features]]
"""(travel record, probe data, the ranker's features of its rows) -> added features per row."""


def _scaled(values: Sequence[float], name: str, out: list[Features]) -> None:
    """`name`: log-scaled share of the case's largest value; `name_top`: has the largest."""
    top = max(values, default=0.0)
    if top <= 0:
        return
    for f, value in zip(out, values, strict=True):
        if value > 0:
            f[name] = math.log1p(value) / math.log1p(top)
            if value >= top:
                f[f"{name}_top"] = 1.0


def _file_bm25(
    terms: Sequence[str], files: Mapping[str, tuple[int, Mapping[str, int]]], collection: int
) -> dict[str, tuple[float, set[str]]]:
    """Each file's BM25 for `terms` and the terms it has, from its word count and its counts
    of the terms; the IDF is over `collection` files."""
    from pmops.analyze.text import BM25_B, BM25_K1

    average = sum(n for n, _ in files.values()) / len(files) or 1.0
    df = Counter(t for _, counts in files.values() for t in counts if t in terms)
    idf = {t: math.log(1 + (collection - df[t] + 0.5) / (df[t] + 0.5)) for t in terms}
    scores = {}
    for path, (length, counts) in files.items():
        norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average)
        matched = {t for t in terms if counts.get(t)}
        score = sum(idf[t] * counts[t] * (BM25_K1 + 1) / (counts[t] + norm) for t in matched)
        scores[path] = (score, matched)
    return scores


def _best_file(
    rows: Sequence[Mapping[str, Any]], scores: Mapping[str, tuple[float, set[str]]]
) -> list[tuple[float, set[str]]]:
    """Per row, its best file's score and the terms any of its files has."""
    found = []
    for row in rows:
        mine = [scores[p] for p in row["inputs"]["files"] if p in scores]
        found.append((max((s for s, _ in mine), default=0.0), set().union(*(m for _, m in mine))))
    return found


def content(
    record: Mapping[str, Any], data: Mapping[str, Any], _: Sequence[Features]
) -> list[Features]:
    """BM25 of the report's query against each touched file's content (files of the case as
    the collection); a change scores its best file."""
    rows, files = record["rows"], data["files"]
    out: list[Features] = [{} for _ in rows]
    terms = list(dict.fromkeys(record["query"]))
    if not terms or not files:
        return out
    best_of = _best_file(rows, _file_bm25(terms, files, len(files)))
    best = max(s for s, _ in best_of)
    for f, (score, matched) in zip(out, best_of, strict=True):
        if score > 0:
            f["fc_bm25"] = score / best
            f["fc_cover"] = len(matched) / len(terms)
            if score >= best:
                f["fc_best"] = 1.0
    return out


def compounds(text: str) -> set[str]:
    """The report's compound identifiers, whole (`blockbasedtabletest`), 8 letters or more."""
    from pmops.analyze.text import _IDENT, _identifier_words

    found = set()
    for ident in _IDENT.findall(text):
        parts = _identifier_words(ident)
        if len(parts) > 1 and len(parts[0]) >= 8:
            found.add(parts[0])
    return found


def identifiers(
    record: Mapping[str, Any], data: Mapping[str, Any], _: Sequence[Features]
) -> list[Features]:
    """A report identifier in the change's files, message, paths or diff, shared by at
    most a third of the changes."""
    rows = record["rows"]
    out: list[Features] = [{} for _ in rows]
    wanted = compounds(record["text"])
    if not wanted:
        return out
    hits = []
    for row in rows:
        seen = {t for p in row["inputs"]["files"] for t in data["files"].get(p, [0, {}])[1]}
        data_words = set(row["inputs"]["diff"]) | set(row["inputs"]["paths"])
        hits.append(wanted & (seen | data_words | set(row["inputs"]["message"])))
    for f, hit in zip(out, hits, strict=True):
        rare = [t for t in hit if sum(t in h for h in hits) <= max(1, len(rows) // 3)]
        if rare:
            f["id_hit"] = 1.0
            f["id_share"] = len(rare) / len(wanted)
    return out


def history(
    record: Mapping[str, Any], data: Mapping[str, Any], _: Sequence[Features]
) -> list[Features]:
    """How often the change's files were changed, reverted and fixed before the window (the
    busiest file), all of them together, and whether it touches a file new to that history."""
    rows = record["rows"]
    out: list[Features] = [{} for _ in rows]
    counts = [[data["history"].get(p, [0, 0, 0]) for p in r["inputs"]["files"]] for r in rows]
    for i, name in enumerate(("h_commits", "h_reverts", "h_fixes")):
        _scaled([max((c[i] for c in cs), default=0) for cs in counts], name, out)
    _scaled([sum(c[0] for c in cs) for cs in counts], "h_sum", out)
    for f, cs in zip(out, counts, strict=True):
        if any(c[0] == 0 for c in cs):
            f["h_new_file"] = 1.0
    return out


def messages(
    record: Mapping[str, Any], data: Mapping[str, Any], _: Sequence[Features]
) -> list[Features]:
    """BM25 of the report's query against each touched file's story (the messages of the
    commits that touched it before the window; the changes' files as the collection); a
    change scores its best file."""
    rows, stories = record["rows"], data["messages"]
    out: list[Features] = [{} for _ in rows]
    terms = list(dict.fromkeys(record["query"]))
    if not terms or not stories:
        return out
    collection = len({p for row in rows for p in row["inputs"]["files"]})
    told = {path: (n, counts) for path, (n, _, counts) in stories.items()}
    best_of = [score for score, _ in _best_file(rows, _file_bm25(terms, told, collection))]
    best = max(best_of)
    for f, score in zip(out, best_of, strict=True):
        if score > 0:
            f["mh_bm25"] = score / best
            if score >= best:
                f["mh_best"] = 1.0
    return out


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def past(
    record: Mapping[str, Any], data: Mapping[str, Any], _: Sequence[Features]
) -> list[Features]:
    """Earlier reverts of the repository touching the change's files (folders), and the
    same weighted by how much of the report their messages share (IDF over those reverts)."""
    rows = record["rows"]
    out: list[Features] = [{} for _ in rows]
    earlier = data["past"]
    if not earlier:
        return out
    query = set(record["query"])
    df = Counter(w for _, said, _ in earlier for w in set(said) & query)
    like = [
        sum(math.log(1 + len(earlier) / df[w]) for w in set(said) & query) for _, said, _ in earlier
    ]
    files = [set(paths) for _, _, paths in earlier]
    folders = [{_folder(p) for p in paths} for paths in files]
    sums: dict[str, list[float]] = {
        k: [] for k in ("pr_file", "pr_folder", "pr_like", "pr_like_folder")
    }
    for row in rows:
        mine = set(row["inputs"]["files"])
        mine_folders = {_folder(p) for p in mine}
        on_file = [bool(mine & f) for f in files]
        on_folder = [bool(mine_folders & f) for f in folders]
        sums["pr_file"].append(sum(on_file))
        sums["pr_folder"].append(sum(on_folder))
        sums["pr_like"].append(sum(s for s, hit in zip(like, on_file, strict=True) if hit))
        sums["pr_like_folder"].append(sum(s for s, hit in zip(like, on_folder, strict=True) if hit))
    for name, values in sums.items():
        _scaled(values, name, out)
    return out


def age(
    record: Mapping[str, Any], data: Mapping[str, Any], _: Sequence[Features]
) -> list[Features]:
    """The bin of the time between the change landing and the report."""
    found = []
    for row in record["rows"]:
        seconds = data["started"] - row["landed"]
        found.append({f"age{sum(seconds >= b for b in AGE_BINS)}": 1.0})
    return found


def margin(
    record: Mapping[str, Any], _: Mapping[str, Any], base: Sequence[Features]
) -> list[Features]:
    """The lexical match per field times the best candidate's lead over the second, and
    times the log of the number of candidates: trust the words more when they single one
    change out, or single it out of many."""
    out: list[Features] = [{} for _ in base]
    for field in ("all", "message", "diff", "paths"):
        values = sorted((f.get(f"bm25_{field}", 0.0) for f in base), reverse=True)
        if not values or values[0] <= 0:
            continue
        lead = 1 - (values[1] if len(values) > 1 else 0.0)
        for f, given in zip(out, base, strict=True):
            if value := given.get(f"bm25_{field}", 0.0):
                f[f"mx_{field}"] = value * lead
                f[f"nx_{field}"] = value * math.log(len(base)) / math.log(200)
    return out


PROBES: dict[str, Probe] = {
    "content": content,
    "identifiers": identifiers,
    "history": history,
    "file stories": messages,
    "past reverts": past,
    "age": age,
    "margin": margin,
}


def extend(probes: Sequence[Probe], data: Mapping[tuple[str, str], Mapping[str, Any]]) -> Extra:
    """rankfit's `extra`: add the probes' features (with a copy per text type, as
    ranker.case_features does) to a record's rows."""
    from pmops.analyze.ranker import RICH_WORDS

    def add(record: Mapping[str, Any], found: list[Features]) -> None:
        given = data[(record["repo"], record["case"])]
        group = "poor" if len(set(record["query"])) < RICH_WORDS else "rich"
        added = [probe(record, given, [dict(f) for f in found]) for probe in probes]
        for i, features in enumerate(found):
            for more in added:
                features.update(more[i])
                features.update({f"{k}@{group}": v for k, v in more[i].items()})

    return add


LIFTS = (
    ("identifiers", "id_hit"),
    ("file stories", "mh_best"),
    ("past reverts", "pr_like_top"),
    ("age", "age0"),
)
"""The probe features whose lift the report shows."""


def lift(
    records: Sequence[Mapping[str, Any]],
    data: Mapping[tuple[str, str], Mapping[str, Any]],
    probe: Probe,
    feature: str,
) -> dict[str, float]:
    """In the cases where some candidate has `feature`: how many culprits have it, how many
    picking a candidate at random would give, and their ratio."""
    cases = seen = chance = 0.0
    for record in records:
        rows = record["rows"]
        marks = [
            bool(f.get(feature))
            for f in probe(record, data[(record["repo"], record["case"])], [{} for _ in rows])
        ]
        if not any(marks) or not any(r["culprit"] for r in rows):
            continue
        cases += 1
        seen += any(m and r["culprit"] for m, r in zip(marks, rows, strict=True))
        chance += sum(marks) / len(rows)
    return {
        "cases": cases,
        "culprits": seen,
        "chance": round(chance, 1),
        "lift": round(seen / chance, 2) if chance else 0.0,
    }


def collect(
    clones: Path, records: Sequence[Mapping[str, Any]], path: Path
) -> dict[tuple[str, str], Any]:
    """The probe data of every record, read from `path` and completed from the clones (a
    case appended as soon as it is read, so an interrupted run resumes)."""
    from bench.regressions.cases import CASES_FILE, load_cases
    from bench.regressions.history import GitFailed

    data: dict[tuple[str, str], Any] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                continue
            data[(d["repo"], d["case"])] = d
    cases = {(c.repo, c.revert): c for c in load_cases(CASES_FILE)}
    with path.open("a") as out:
        for number, record in enumerate(records, 1):
            key = (record["repo"], record["case"])
            if key in data or key not in cases:
                continue
            try:
                found = probe_record(clones / cases[key].clone_name, cases[key], record)
            except GitFailed as error:
                print(f"[{number}/{len(records)}] {error}", file=sys.stderr)
                continue
            out.write(json.dumps(found) + "\n")
            out.flush()
            data[key] = found
            if number % 100 == 0:
                print(f"[{number}/{len(records)}] read", file=sys.stderr, flush=True)
    return data


def main(argv: list[str] | None = None) -> int:
    """Measure each probe leave-one-repository-out, then the in-sample ceilings."""
    from bench.regressions.cases import CASES_FILE
    from bench.regressions.rankfit import (
        L2_CROSS,
        L2_DENSE,
        UNREGULARISED_DENSE,
        in_sample_ranks,
        leave_one_out,
    )
    from bench.regressions.scores import rank_figures

    parser = argparse.ArgumentParser(prog="python -m bench.regressions.probes")
    parser.add_argument("--clones", type=Path, required=True)
    parser.add_argument("--features", type=Path, default=FEATURES_FILE)
    parser.add_argument("--probes", type=Path, default=PROBES_FILE)
    args = parser.parse_args(argv)
    records = scored_records(load_features(args.features), [CASES_FILE])
    dev = [r for r in records if not is_holdout(r["repo"])]
    if not dev:
        print(
            f"no extracted cases in {args.features}: run bench.regressions.travel first",
            file=sys.stderr,
        )
        return 2
    data = collect(args.clones, dev, args.probes)
    dev = [r for r in dev if (r["repo"], r["case"]) in data]
    lexical = [r["lexical"] for r in dev]
    groups = [r["repo"] for r in dev]
    report: dict[str, Any] = {"cases": len(dev), "repos": len(set(groups))}
    runs: dict[str, Extra | None] = {
        "none": None,
        **{n: extend([p], data) for n, p in PROBES.items()},
    }
    runs["all probes"] = extend(list(PROBES.values()), data)
    for name, extra in runs.items():
        found = leave_one_out(dev, extra)
        report[name] = {**rank_figures(found), **paired_interval(found, lexical, groups)}
        print(f"{name:14} {json.dumps(report[name])}", file=sys.stderr, flush=True)
    for name, feature in LIFTS:
        report[f"lift {feature}"] = lift(dev, data, PROBES[name], feature)
        print(f"lift {feature}: {json.dumps(report[f'lift {feature}'])}", file=sys.stderr)
    for scale in REGULARISATION:  # does a freer or a tighter model travel better?
        found = leave_one_out(dev, penalties=(L2_DENSE * scale, L2_CROSS * scale))
        report[f"L2 x{scale}"] = {**rank_figures(found), **paired_interval(found, lexical, groups)}
        print(f"L2 x{scale}: {json.dumps(report[f'L2 x{scale}'])}", file=sys.stderr, flush=True)
    ceilings = {
        "none": (runs["none"], (L2_DENSE, L2_CROSS)),
        "all probes": (runs["all probes"], (L2_DENSE, L2_CROSS)),
        "dense, unregularised": (None, UNREGULARISED_DENSE),
        "all probes, dense, unregularised": (runs["all probes"], UNREGULARISED_DENSE),
        f"L2 x{REGULARISATION[0]}": (
            None,
            (L2_DENSE * REGULARISATION[0], L2_CROSS * REGULARISATION[0]),
        ),
    }
    for name, (extra, penalties) in ceilings.items():
        report[f"in-sample, {name}"] = rank_figures(in_sample_ranks(dev, extra, penalties))
        print(f"in-sample, {name}: {json.dumps(report[f'in-sample, {name}'])}", file=sys.stderr)
    print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
