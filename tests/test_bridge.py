"""The symptom→code bridge: the shipped table, its values, and how the benchmark fits it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pmops.analyze import bridge
from pmops.analyze.bridge import bridge_values, read_table, shipped_table, write_table


def test_values_are_relative_to_the_best_candidate_and_name_the_pair() -> None:
    table = {"mac": {"mm": 1.2, "darwin": 0.6}, "tsan": {"mutex": 0.9}}
    found = bridge_values(
        table, ["mac", "tsan", "unknown"], [{"mm", "mutex"}, {"darwin"}, {"readme"}]
    )
    assert found[0] == (1.0, ("mac", "mm"))
    assert abs(found[1][0] - 0.6 / 2.1) < 1e-9 and found[1][1] == ("mac", "darwin")
    assert found[2] == (0.0, None)


def test_no_known_word_gives_nothing() -> None:
    assert bridge_values({"mac": {"mm": 1.0}}, ["linux"], [{"mm"}, set()]) == [
        (0.0, None),
        (0.0, None),
    ]


def test_table_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "bridge.tsv"
    table = {"mac": {"mm": 1.25, "darwin": 0.5}, "flaky": {"test": 0.4}}
    assert write_table(path, table, "fitted on\ntest data") == 3
    assert path.read_text().startswith("# fitted on\n# test data\n")
    assert read_table(path) == table
    assert read_table(tmp_path / "absent.tsv") == {}


def test_the_shipped_table_is_small_and_well_formed() -> None:
    table = shipped_table()
    assert bridge.TABLE_FILE.stat().st_size < 2_000_000
    assert table, "bridge.tsv is shipped with pmops"
    assert all(value > 0 for pairs in table.values() for value in pairs.values())


def _record(repo: str, words: list[str], culprit: list[str], others: list[list[str]]) -> Any:
    rows = [{"culprit": True, "tokens": culprit, "values": {}, "landed": 0.0}]
    rows += [{"culprit": False, "tokens": t, "values": {}, "landed": 0.0} for t in others]
    return {"repo": repo, "words": words, "rows": rows}


def test_pairs_are_learned_across_repositories_and_left_out_with_their_repository() -> None:
    from bench.regressions.travel import PairCounts

    records = []
    for i in range(6):
        repo = f"owner/repo{i}"
        for _ in range(2):
            records.append(_record(repo, ["mac"], ["mm", "src"], [["src", "py"], ["go"]]))
            records.append(_record(repo, ["linux"], ["elf", "src"], [["src"], ["rs"]]))
    for i in range(8):  # a word and token of two repositories only
        records.append(_record(f"owner/repo{i % 2}", ["win"], ["dll", "src"], [["src"]]))
    counts = PairCounts(records)
    table = counts.table()
    assert table["mac"]["mm"] > 0.5 and table["linux"]["elf"] > 0.5
    assert "src" not in table["mac"]  # every culprit has it: says nothing about "mac"
    assert "win" not in table  # two repositories do not make a pair that travels
    assert "mm" in counts.table(frozenset({"owner/repo5"}))["mac"]
    assert "mac" not in counts.table(frozenset({"owner/repo3", "owner/repo4", "owner/repo5"}))


def test_score_bridge_names_the_pair_that_lifted_a_change() -> None:
    from pmops.analyze.candidates import group_changes
    from pmops.analyze.learned import score_bridge
    from pmops.analyze.suspects import WEIGHTS_WITHOUT_DEPLOYS, Scored
    from pmops.analyze.text import words
    from tests.test_suspects import change, evidence

    word, token = next(
        (w, t)
        for w, pairs in sorted(shipped_table().items())
        for t in sorted(pairs)
        if words(w) == [w] and words(t) == [t] and w != t
    )
    plain = change(1, 30, (), subject="Tidy")  # no paths, no diff: no token to bridge
    bridged = replace(
        change(2, 20, ("src/b.c",), subject="Tidy more"), diff_words=frozenset({token})
    )
    ev = evidence([plain, bridged], title=word)
    weights = {**WEIGHTS_WITHOUT_DEPLOYS, "bridge": 1.0}
    scored = [Scored(c, weights) for c in group_changes(list(ev.changes))]
    score_bridge(scored, ev)
    by_sha = {s.candidate.change.sha: s for s in scored}
    assert by_sha[bridged.sha].values["bridge"] == 1.0
    assert "bridge" not in by_sha[plain.sha].values
    assert by_sha[bridged.sha].reasons[-1][1] == (
        f"reports saying '{word}' often come from changes with '{token}'"
    )
