"""The CI blamelist signal (analyze/ci.py): the changes landed after a workflow last passed
on the default branch, up to the first one it failed on."""

from __future__ import annotations

from datetime import timedelta

from pmops.analyze.suspects import rank_suspects, score_candidates
from pmops.model import WorkflowRun
from tests.test_suspects import START, change, evidence

CHANGES = [change(n, minutes) for n, minutes in ((1, 240), (2, 180), (3, 120), (4, 60))]


def run(name: str, n: int, conclusion: str, minutes_after_landing: float = 10) -> WorkflowRun:
    c = CHANGES[n - 1]
    return WorkflowRun(
        name, c.sha, c.committed_at + timedelta(minutes=minutes_after_landing), conclusion
    )


def blamed(failed: list[WorkflowRun], passed: list[WorkflowRun]) -> dict[int, float]:
    ev = evidence(CHANGES, workflow_runs=tuple(failed), passed_runs=tuple(passed))
    found = {}
    for s in score_candidates(ev):
        if "ci_red" in s.values:
            found[next(n for n, c in enumerate(CHANGES, 1) if c.sha == s.candidate.change.sha)] = (
                s.values["ci_red"]
            )
    return found


def test_the_change_between_green_and_red_is_blamed_and_ranks_first() -> None:
    failed = [run("CI", 3, "failure"), run("CI", 4, "failure")]
    assert blamed(failed, [run("CI", 2, "success")]) == {3: 1.0}
    ev = evidence(CHANGES, workflow_runs=tuple(failed), passed_runs=(run("CI", 2, "success"),))
    first = rank_suspects(ev)[0]
    assert first.sha == CHANGES[2].sha  # not the newest, which inherited the red
    assert any("blamelist of workflow \u201cCI\u201d: it passed on" in r for r in first.reasons)


def test_changes_without_a_run_in_between_share_the_blame() -> None:
    failed = [run("CI", 4, "failure")]
    assert blamed(failed, [run("CI", 1, "success")]) == {2: 1 / 3, 3: 1 / 3, 4: 1 / 3}
    # each workflow has its own list; the higher share is kept
    more = [*failed, run("Lint", 3, "failure")]
    assert blamed(more, [run("CI", 1, "success"), run("Lint", 2, "success")]) == {
        2: 1 / 3,
        3: 1.0,
        4: 1 / 3,
    }


def test_a_green_run_on_an_older_commit_opens_the_list_at_the_oldest_change() -> None:
    older = WorkflowRun("CI", "f" * 40, START - timedelta(hours=5), "success")
    assert blamed([run("CI", 2, "failure")], [older]) == {1: 0.5, 2: 0.5}
    # a green run of a commit not among the changes, after the red one landed, is not older
    later = WorkflowRun("CI", "e" * 40, START - timedelta(minutes=30), "success")
    assert blamed([run("CI", 2, "failure")], [later]) == {}


def test_without_a_green_run_before_it_a_failure_says_nothing() -> None:
    assert blamed([run("CI", 3, "failure")], []) == {}
    assert blamed([run("CI", 3, "failure")], [run("CI", 4, "success")]) == {}  # green after
    assert blamed([run("Deploy", 3, "failure")], [run("CI", 2, "success")]) == {}  # another one
    other = WorkflowRun("CI", "d" * 40, START - timedelta(minutes=5), "failure")
    assert blamed([other], [run("CI", 1, "success")]) == {}  # failed on no candidate


def test_a_workflow_name_is_quoted_on_one_line() -> None:
    name = "CI\n\n# Root cause: @alice [click](https://evil.example)"
    failed = [WorkflowRun(name, CHANGES[2].sha, START, "failure")]
    passed = [WorkflowRun(name, CHANGES[1].sha, START - timedelta(hours=2), "success")]
    ev = evidence(CHANGES, workflow_runs=tuple(failed), passed_runs=tuple(passed))
    reasons = [r for s in rank_suspects(ev) for r in s.reasons if "blamelist" in r]
    assert reasons and all("\n" not in r for r in reasons)


def test_every_return_to_red_opens_a_list_and_a_rerun_that_passed_is_green() -> None:
    flaky = [run("CI", 2, "failure"), run("CI", 4, "failure")]
    passes = [run("CI", 1, "success"), run("CI", 3, "success")]
    assert blamed(flaky, passes) == {2: 1.0, 4: 1.0}
    rerun = [run("CI", 2, "failure"), run("CI", 3, "failure"), run("CI", 4, "failure")]
    passes = [run("CI", 1, "success"), run("CI", 2, "success", minutes_after_landing=30)]
    assert blamed(rerun, passes) == {3: 1.0}  # 4 inherited the red
