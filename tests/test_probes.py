"""The ranker's feature probes (bench/regressions/probes.py): what they read from a real
repository, the features they make, and that a probe's features reach the leave-one-out fit."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bench.regressions import probes
from bench.regressions.probe_data import probe_record
from tests.gitrepo import GitRepo, utc


def _row(
    files: list[str], landed: float, culprit: bool = False, diff: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "values": {"recent": 0.5},
        "culprit": culprit,
        "landed": landed,
        "inputs": {
            "message": ["tidy"],
            "subject": ["tidy"],
            "paths": [w for f in files for w in f.replace(".", "/").split("/")],
            "diff": list(diff),
            "files": files,
            "nfiles": len(files),
            "churn": 10,
            "members": 1,
        },
    }


def test_the_probe_data_is_what_the_repository_said_before_the_window(git_repo: GitRepo) -> None:
    repo = git_repo
    repo.commit(
        {"table/table_test.cc": "TEST(BlockBasedTableTest, NoopTransformSeek) {}\n"},
        "Add test",
        utc(2026, 1, 1),
    )
    bad = repo.commit(
        {"table/reader.cc": "int Seek() { return 0; }\n"}, "Speed up seeks", utc(2026, 1, 2)
    )
    repo.revert(bad, utc(2026, 1, 3), "Seek crashes in BlockBasedTableTest.")
    repo.commit({"table/reader.cc": "int Seek() { return 1; }\n"}, "Fix seek bug", utc(2026, 1, 4))
    repo.commit({"logo.png": b"\x89PNG\0\0binary"}, "Logo", utc(2026, 1, 5))
    window = utc(2026, 3, 1).timestamp()
    repo.commit(
        {"table/table_test.cc": "TEST(BlockBasedTableTest, NoopTransformSeek) { x(); }\n"},
        "Test",
        utc(2026, 3, 1, 1),
    )
    repo.commit({"docs/a.md": "words\n"}, "Docs", utc(2026, 3, 1, 2))
    record = {
        "repo": "o/r",
        "case": "c",
        "words": ["blockbasedtabletest", "crash", "seek"],
        "query": ["blockbasedtabletest", "seek"],
        "rows": [
            _row(["table/table_test.cc", "table/reader.cc", "gone.c", "logo.png"], window + 3600),
            _row(["docs/a.md"], window + 7200),
        ],
    }
    case = SimpleNamespace(base=repo.head(), started_at="2026-03-01T03:00:00Z")
    data = probe_record(repo.path, case, record)
    assert data["started"] == utc(2026, 3, 1, 3).timestamp()
    # content: the report's words counted in text files that exist; binary and gone skipped
    assert data["files"]["table/table_test.cc"][1]["blockbasedtabletest"] == 1
    assert data["files"]["table/reader.cc"][1] == {"seek": 1}
    assert "gone.c" not in data["files"] and "logo.png" not in data["files"]
    assert data["files"]["docs/a.md"] == [1, {}]
    # history before the window: reader.cc added, reverted (deleted), fixed
    assert data["history"]["table/reader.cc"] == [3, 1, 1]
    assert data["history"]["table/table_test.cc"] == [1, 0, 0]
    assert data["history"]["docs/a.md"] == [0, 0, 0]  # its only commit is in the window
    # each file's story: the report's words in the messages of the commits that touched it
    assert data["messages"]["table/reader.cc"][1:] == [3, {"seek": 4, "blockbasedtabletest": 1}]
    assert data["messages"]["table/table_test.cc"][1:] == [1, {}]
    assert "docs/a.md" not in data["messages"]
    # the repository's earlier revert, its words without git's boilerplate
    [(when, said, paths)] = data["past"]
    assert when == utc(2026, 1, 3).timestamp() and paths == ["table/reader.cc"]
    assert "blockbasedtabletest" in said and "crash" in said and "revert" not in said


def _case(
    repo: str, culprit: int, n: int = 5, word: str = "seek"
) -> tuple[dict[str, Any], dict[str, Any]]:
    rows = [_row([f"src/f{i}.c"], 1000.0 - 60 * i, culprit=i == culprit) for i in range(n)]
    record = {
        "repo": repo,
        "case": f"{repo}-{culprit}",
        "words": [word],
        "query": [word],
        "text": word,
        "rows": rows,
    }
    files = {f"src/f{i}.c": [100, {word: 3} if i == culprit else {}] for i in range(n)}
    data = {"started": 2000.0, "files": files, "history": {}, "past": []}
    return record, data


def test_a_probe_that_finds_culprits_is_learned_leave_one_repository_out() -> None:
    pytest.importorskip("scipy")
    from bench.regressions.rankfit import leave_one_out

    pairs = [_case(f"o/r{r}", (k + r) % 5) for r in range(5) for k in range(4)]
    records = [r for r, _ in pairs]
    data = {(r["repo"], r["case"]): d for r, d in pairs}
    without = leave_one_out(records)
    with_content = leave_one_out(records, probes.extend([probes.content], data))
    assert all(rank == 1 for rank in with_content)
    assert sum(rank == 1 for rank in without) < len(records)


def test_each_probe_marks_what_it_says() -> None:
    record, data = _case("o/r", 2)
    found = probes.content(record, data, [])
    assert found[2] == {"fc_bm25": 1.0, "fc_cover": 1.0, "fc_best": 1.0}
    assert all(not f for i, f in enumerate(found) if i != 2)
    # an identifier of the report, in one change's diff only
    record["text"] = "BlockBasedTableTest crashes"
    record["rows"][4]["inputs"]["diff"] = ["blockbasedtabletest"]
    marks = probes.identifiers(record, data, [])
    assert marks[4]["id_hit"] == 1.0 and not marks[0]
    # history: the busiest file, a file new to the history
    data["history"] = {"src/f0.c": [9, 2, 1], "src/f1.c": [3, 0, 0]}
    seen = probes.history(record, data, [])
    assert seen[0]["h_commits_top"] == seen[0]["h_reverts_top"] == 1.0
    assert 0 < seen[1]["h_commits"] < 1 and seen[2]["h_new_file"] == 1.0
    # f1's story says the report's word
    data["messages"] = {"src/f1.c": [50, 4, {"seek": 2}], "src/f0.c": [50, 4, {}]}
    told = probes.messages(record, data, [])
    assert told[1] == {"mh_bm25": 1.0, "mh_best": 1.0} and not told[0]
    # an earlier revert of f3's folder and file, saying the report's word
    data["past"] = [[0, ["seek"], ["src/f3.c"]]]
    earlier = probes.past(record, data, [])
    assert earlier[3]["pr_like_top"] == 1.0 and earlier[0]["pr_folder"] == 1.0
    assert "pr_file" not in earlier[0]
    # age: landed 1000 - 60 i, reported at 2000: 10 to 30 minutes before; then 5 hours
    assert {k for f in probes.age(record, data, []) for k in f} == {"age1"}
    data["started"] = 1000.0 + 5 * 3600
    assert probes.age(record, data, [])[0] == {"age4": 1.0}
    # margin: the lexical lead scales the match
    base = [{"bm25_all": 1.0}, {"bm25_all": 0.25}, {}, {}, {}]
    lead = probes.margin(record, data, base)
    assert lead[0]["mx_all"] == pytest.approx(0.75) and lead[1]["mx_all"] == pytest.approx(0.1875)
    # each probe's features get a copy for the text type
    rows: list[dict[str, float]] = [{} for _ in record["rows"]]
    probes.extend([probes.content], {(record["repo"], record["case"]): data})(record, rows)
    assert rows[2]["fc_best"] == rows[2]["fc_best@poor"] == 1.0


def test_the_unregularised_ceiling_weighs_the_signals_and_leaves_the_sparse_words_out() -> None:
    pytest.importorskip("scipy")
    from bench.regressions.rankfit import UNREGULARISED_DENSE, in_sample_ranks

    records = []
    for r in range(4):
        for k in range(3):
            record, _ = _case(f"o/r{r}", (k + r) % 5)
            for row in record["rows"]:  # only the subject word tells the culprit apart
                row["inputs"]["subject"] = ["frobnicat" if row["culprit"] else "tidy"]
            records.append(record)
    assert all(rank == 1 for rank in in_sample_ranks(records))
    free = in_sample_ranks(records, penalties=UNREGULARISED_DENSE)
    assert sum(rank == 1 for rank in free) < len(records)


def test_the_scored_records_are_the_last_readable_extraction_of_a_listed_case(
    tmp_path: Any,
) -> None:
    from bench.regressions.cases import Case, write_cases
    from bench.regressions.travel import scored_records

    def case(revert: str) -> Case:
        return Case(
            repo="o/r",
            ecosystem="c",
            revert=revert,
            culprit="c" + revert,
            base="b" + revert,
            started_at="2026-01-01T00:00:00Z",
            resolved_at="2026-01-01T01:00:00Z",
            reason="why",
            candidates=9,
            format="sha",
        )

    listed = tmp_path / "cases.jsonl"
    write_cases(listed, [case("a"), case("b"), case("c")])
    records = [
        {"repo": "o/r", "case": "a", "commits": 9, "try": 1},
        {"repo": "o/r", "case": "a", "commits": 9, "try": 2},
        {"repo": "o/r", "case": "b", "commits": 3},
        {"repo": "o/r", "case": "c", "commits": 9, "failed": "unreadable"},
        {"repo": "o/r", "case": "gone", "commits": 9},
    ]
    assert scored_records(records, [listed]) == [records[1]]
