"""The learned ranker: its file, its features and scores, and how suspects.py uses it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pmops.analyze import ranker
from pmops.analyze.ranker import (
    Model,
    case_features,
    read_model,
    score_case,
    shipped_model,
    write_model,
)
from pmops.analyze.suspects import display_score, rank_suspects, score_candidates
from tests.test_suspects import change, evidence


def _inputs(
    paths: list[str], diff: tuple[str, ...] = (), subject: str = "tidy", churn: int = 10
) -> dict[str, Any]:
    words = [w for p in paths for w in p.replace(".", "/").split("/") if w]
    return {
        "message": subject.split(),
        "subject": subject.split(),
        "paths": words,
        "diff": list(diff),
        "files": paths,
        "nfiles": len(paths),
        "churn": churn,
        "members": 1,
    }


def test_model_file_round_trip_and_absent_file(tmp_path: Path) -> None:
    path = tmp_path / "ranker.tsv"
    weights = {"recent": 1.25, "p:mac|darwin": 0.5, "s:bump": -0.75, "zero": 0.0}
    assert write_model(path, weights, "fitted on\ntest data") == 3
    assert path.read_text().startswith("# fitted on\n# test data\n")
    model = read_model(path)
    assert dict(model.weights) == {"recent": 1.25, "p:mac|darwin": 0.5, "s:bump": -0.75}
    assert model.pairs == {"p:mac": frozenset({"darwin"})}
    empty = read_model(tmp_path / "absent.tsv")
    assert not empty and dict(empty.weights) == {}


def test_the_shipped_model_is_small_and_reads_the_features_pmops_computes() -> None:
    assert ranker.MODEL_FILE.stat().st_size < 500_000
    model = shipped_model()
    assert model, "ranker.tsv is shipped with pmops"
    assert model.weights.get("recent", 0) > 0  # the newest change is the likeliest culprit
    prefixes = {name.split(":")[0] for name in model.weights if ":" in name}
    assert prefixes <= {"p", "d", "k", "e", "a", "s", "x"}


def test_a_learned_pair_lifts_the_change_with_the_token_and_says_why() -> None:
    model = Model.of({"p:mac|darwin": 2.0, "recent": 0.5})
    inputs = [_inputs(["src/darwin/file.c"]), _inputs(["src/linux/file.c"])]
    values = [{"recent": 0.5}, {"recent": 1.0}]
    found = score_case(model, ["mac"], ["mac"], inputs, values, [100.0, 200.0])
    assert found[0].score == pytest.approx(2.0 + 0.25)
    assert found[0].reason == "reports saying 'mac' often come from changes with 'darwin'"
    assert found[1].score == pytest.approx(0.5) and found[1].reason is None


def test_features_are_deterministic_and_follow_the_candidates() -> None:
    inputs = [
        _inputs(["src/parser.c"], ["parse_token"], "fix the parser", 40),
        _inputs(["docs/readme.md"], [], "docs", 2),
        _inputs(["build/BUILD.gn", "third_party/x/DEPS"], [], "roll x", 300),
    ]
    values: list[dict[str, float]] = [{"recent": 1.0}, {"recent": 0.5}, {"recent": 1 / 3}]
    landed = [300.0, 200.0, 100.0]
    report = ["parser", "crash", "mac"]
    first = case_features(report, ["parser", "crash"], inputs, values, landed, {})
    assert first == case_features(report, ["parser", "crash"], inputs, values, landed, {})
    order = [2, 0, 1]
    moved = case_features(
        report,
        ["parser", "crash"],
        [inputs[i] for i in order],
        [values[i] for i in order],
        [landed[i] for i in order],
        {},
    )
    assert moved == [first[i] for i in order]
    assert first[0]["best_all"] == 1.0 and "best_all" not in first[1]
    assert first[0]["place"] == 0 and first[2]["place"] == 1
    assert first[2]["churn_rank"] == 1.0 and first[1]["kind_docs"] == 1.0


def test_empty_reports_and_changes_without_files_are_scored() -> None:
    model = Model.of({"recent": 1.0, "bm25_all": 2.0, "a:mac|newest": 1.0})
    inputs = [_inputs([], subject=""), _inputs(["a.c"], subject="")]
    values: list[dict[str, float]] = [{"recent": 1.0}, {}]
    assert case_features([], [], [], [], [], {}) == []
    found = score_case(model, [], [], inputs, values, [2.0, 1.0])
    assert [v.score for v in found] == [1.0, 0.0]
    assert all(v.reason is None for v in found)


def test_without_deploy_records_the_model_ranks_and_with_them_it_does_not() -> None:
    from datetime import timedelta

    from pmops.model import Deploy

    changes = [
        change(1, 300, ("docs/guide.md",), subject="Docs: typo"),
        change(2, 200, ("src/net/darwin_socket.c",), subject="Reconnect sockets on timeout"),
        change(3, 100, ("src/util.c",), subject="Tidy"),
    ]
    title = "Mac socket reconnect loops forever after a timeout in the network layer"
    plain = evidence(changes, title=title)
    scored = score_candidates(plain)
    assert all(s.learned is not None for s in scored)
    shown = [display_score(s.raw) for s in scored]
    assert sum(shown) == pytest.approx(1.0, abs=0.01)  # each the chance it is the culprit
    first = rank_suspects(plain)
    assert first == rank_suspects(plain)  # deterministic
    assert first[0].sha == changes[1].sha  # the words of the report name it
    deploy = Deploy(at=changes[2].committed_at + timedelta(minutes=5), sha=changes[2].sha)
    with_deploys = replace(plain, deploys=(deploy,))
    assert all(s.learned is None for s in score_candidates(with_deploys))


def test_an_incident_that_says_nothing_still_ranks_every_change() -> None:
    changes = [change(1, 90, ()), change(2, 60, ("src/a.py",)), change(3, 30, ("b",))]
    ranked = rank_suspects(evidence(changes, title=""), limit=None)
    assert sorted(s.sha for s in ranked) == sorted(c.sha for c in changes)
    assert all(0 <= s.score < 1 for s in ranked)


def test_signals_the_mined_history_never_shows_keep_the_hand_set_ranking() -> None:
    changes = [change(1, 60, ("services/auth/pool.py",)), change(2, 50, ("services/cart/x.py",))]
    scored = score_candidates(evidence(changes, services=("auth",)))
    assert all(s.learned is None for s in scored)
    named = evidence(changes, title=f"Errors since {changes[0].sha[:7]}")
    assert all(s.learned is None for s in score_candidates(named))


def _record(repo: str, n: int, culprit: int, subjects: list[str]) -> dict[str, Any]:
    rows = [
        {
            "values": {"recent": 1 / (1 + i)},
            "culprit": i == culprit,
            "landed": float(1000 - i),
            "inputs": _inputs([f"src/f{i}.c"], subject=subjects[i]),
        }
        for i in range(n)
    ]
    return {"repo": repo, "words": ["crash"], "query": ["crash"], "rows": rows}


def test_the_fit_learns_what_holds_across_repositories_and_not_from_the_left_out_one() -> None:
    pytest.importorskip("scipy")
    from bench.regressions import rankfit

    records = []
    for r in range(5):  # in every repository the culprit is the change that "enables" something
        for k in range(6):
            subjects = ["tidy"] * 6
            subjects[(k + r) % 6] = "enable"
            records.append(_record(f"o/r{r}", 6, (k + r) % 6, subjects))
    weights = rankfit.fit_model(records)
    assert weights["s:enable"] > 0.5
    assert all(rank == 1 for rank in rankfit.model_ranks(records, weights))
    assert all(rank == 1 for rank in rankfit.leave_one_out(records))
    # a word three repositories show is learned, and not when one of them is left out
    quux = ["tidy", "tidy", "quux", "tidy", "tidy", "tidy"]
    more = [_record(repo, 6, 2, quux) for repo in ("o/r0", "o/r1", "o/lonely")]
    support = rankfit.pair_support(records + more)
    d = rankfit.design(records + more, rankfit.featurizer({}), {}, support)
    everything = range(len(records) + len(more))
    assert rankfit.fit(d, everything)[d.names.index("s:quux")] > 0
    assert rankfit.fit(d, everything, exclude="o/lonely")[d.names.index("s:quux")] == 0.0
