"""Change traits (analyze/priors.py) and the path kinds they rest on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from pmops.analyze.candidates import group_changes
from pmops.analyze.paths import path_kinds
from pmops.analyze.priors import change_traits, subject_key
from pmops.analyze.suspects import WEIGHTS, WEIGHTS_WITHOUT_DEPLOYS, rank_suspects
from pmops.model import Change, FileChange
from tests.test_suspects import START, change, evidence


def _traits(*changes: Change, reverted: Mapping[str, datetime] | None = None) -> list[set[str]]:
    """Each change's traits, in the order given."""
    candidates = group_changes(list(changes))
    found = {
        c.change.sha: set(t)
        for c, t in zip(candidates, change_traits(candidates, reverted or {}), strict=True)
    }
    return [found[c.sha] for c in changes]


@pytest.mark.parametrize(
    "subject",
    [
        "Roll Skia from 1a2b3c4d to 5e6f7a8b (3 revisions)",
        "Bump serde from 1.0.1 to 1.0.2",
        "chore(deps): update rust crate tokio to v1.40",
        "[automated] Update dependency eslint to v9",
        "Manual roll Dawn from abc to def",
    ],
)
def test_roll_subjects(subject: str) -> None:
    assert "roll" in _traits(change(1, 10, subject=subject))[0]


@pytest.mark.parametrize(
    "subject", ["Rollout the new pool", "Fix bump allocator overflow", "Update the docs"]
)
def test_not_roll_subjects(subject: str) -> None:
    assert "roll" not in _traits(change(1, 10, subject=subject))[0]


def test_only_kinds_largest_revert_and_reland() -> None:
    deps = change(1, 50, ("go.sum", "go.mod"))
    tests = change(2, 40, ("pkg/pool_test.go", "tests/e2e/run.py"))
    docs = change(3, 30, ("docs/pool.md", "README.md"))
    big = replace(change(4, 20, ("src/pool.c",)), files=(FileChange("src/pool.c", 900, 10),))
    revert = change(5, 10, subject='Revert "Grow the pool"')
    reland = change(6, 5, subject="Reland: Grow the pool")
    silent = change(7, 4, subject="Tune the cache (#12)")
    traits = _traits(
        deps,
        tests,
        docs,
        big,
        revert,
        reland,
        silent,
        reverted={"tune the cache": START - timedelta(hours=2)},
    )
    assert traits == [
        {"dependency_only"},
        {"test_only"},
        {"docs_only"},
        {"largest"},
        {"is_revert"},
        {"reland"},
        {"reland"},
    ]


def test_subject_key_unwraps_reverts_and_pr_numbers() -> None:
    assert subject_key('Revert "Revert "Tune the cache (#12)""') == "tune the cache"
    assert subject_key("Tune  the Cache (#12)") == "tune the cache"


def test_a_silent_reland_of_a_change_reverted_in_the_window() -> None:
    first = change(1, 300, ("src/cache.py",), subject="Tune the cache")
    back = replace(
        change(2, 200, ("src/cache.py",), subject='Revert "Tune the cache"'),
        reverts=(first.sha,),
    )
    again = change(3, 30, ("src/cache.py",), subject="Tune the cache")
    ranked = {s.sha: s for s in rank_suspects(evidence([first, back, again]), limit=None)}
    assert "reland" in ranked[again.sha].signals and "reland" not in ranked[first.sha].signals
    assert "is_revert" in ranked[back.sha].signals


def test_traits_carry_no_weight_with_deploy_records() -> None:
    for trait in (
        "dependency_only",
        "roll",
        "is_revert",
        "test_only",
        "docs_only",
        "reland",
        "largest",
    ):
        assert WEIGHTS[trait] == 0.0 and trait in WEIGHTS_WITHOUT_DEPLOYS


@pytest.mark.parametrize(
    ("path", "kind", "has"),
    [
        ("BUILD.gn", "build", True),
        ("build/config/compiler.gni", "build", True),
        (".gn", "build", True),
        ("src/experimental/fast_path.cc", "flag", False),
        ("config/experiments.json", "flag", True),
        ("features/feature_flags.yaml", "flag", True),
    ],
)
def test_path_kinds(path: str, kind: str, has: bool) -> None:
    assert (kind in path_kinds(path)) is has
