"""Merges as candidates: a PR merge folds its branch; any other merge (Gerrit's "Merge
"<title>" into main", "Merge branch ...") is listed through the commits it brings in, each
with the merge as its group. Grouping stays linear on merge-heavy histories."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from pmops.analyze.candidates import FOLD_LIMIT, Candidate, group_changes
from pmops.analyze.suspects import rank_suspects
from pmops.model import Change, Deploy, FileChange
from tests.gitrepo import GitRepo
from tests.test_suspects import START, change, evidence, fake_sha


def _gerrit_merge(n: int, base: Change, tip: Change, minutes_before: float) -> Change:
    at = START - timedelta(minutes=minutes_before)
    return Change(
        sha=fake_sha(n),
        subject=f'Merge "{tip.subject}" into main',
        authored_at=at,
        committed_at=at,
        parents=(base.sha, tip.sha),
        files=tip.files,
    )


def test_a_gerrit_merge_is_listed_through_its_change() -> None:
    base = change(1, 600)
    inner = replace(change(2, 500, ("src/pool.py",), "Shrink the pool"), parents=(base.sha,))
    merge = _gerrit_merge(3, base, inner, 20)
    ranked = rank_suspects(evidence([base, inner, merge]))
    assert [s.sha for s in ranked] == [inner.sha, base.sha]
    assert any("landed 20 min before" in r for r in ranked[0].reasons)  # with its merge
    assert f'landed with the merge {merge.sha[:7]} (Merge "Shrink the pool" into main)' in (
        ranked[0].reasons
    )


def test_a_merge_bringing_two_changes_lists_both_and_a_pr_merge_stays_folded() -> None:
    base = change(1, 600)
    first = replace(change(2, 500, ("src/a.py",)), parents=(base.sha,))
    second = replace(change(3, 490, ("src/b.py",)), parents=(first.sha,))
    merge = replace(_gerrit_merge(4, base, second, 30), subject="Merge branch 'feature'")
    pr = replace(merge, sha=fake_sha(5), subject="Merge pull request #9 from x/feature", pr=9)
    listed = group_changes([merge, second, first, base])
    assert {(c.change.sha, c.group.sha if c.group else None) for c in listed} == {
        (base.sha, None),
        (first.sha, merge.sha),
        (second.sha, merge.sha),
    }
    assert {c.landed_at for c in listed if c.group} == {merge.committed_at}
    folded = group_changes([pr, second, first, base])
    assert [(c.change.sha, len(c.members)) for c in folded] == [(pr.sha, 3), (base.sha, 1)]


def test_a_merge_whose_commits_are_outside_the_history_stays_a_candidate() -> None:
    base = change(1, 600)
    merge = replace(_gerrit_merge(2, base, change(99, 9000), 20), files=(FileChange("x.c", 1, 0),))
    assert [c.change.sha for c in group_changes([merge, base])] == [merge.sha, base.sha]


def test_deploy_revert_and_mention_of_the_merge_reach_its_commits() -> None:
    base = change(1, 600)
    inner = replace(change(2, 500, ("src/pool.py",), "Shrink the pool"), parents=(base.sha,))
    merge = _gerrit_merge(3, base, inner, 20)
    deploy = Deploy(at=START - timedelta(minutes=10), sha=merge.sha, environment="production")
    ranked = rank_suspects(evidence([base, inner, merge], deploys=(deploy,)))
    assert ranked[0].sha == inner.sha and "deploy" in ranked[0].signals
    at = START + timedelta(minutes=30)
    revert = Change(
        sha=fake_sha(4),
        subject=f'Revert "{merge.subject}"',
        authored_at=at,
        committed_at=at,
        parents=(merge.sha,),
        files=inner.files,
        reverts=(merge.sha,),
    )
    ranked = rank_suspects(evidence([base, inner, merge, revert]))
    assert ranked[0].sha == inner.sha and "revert" in ranked[0].signals
    named = rank_suspects(evidence([base, inner, merge], title=f"Since {merge.sha[:8]} errors"))
    assert named[0].sha == inner.sha and "mention" in named[0].signals


def _merge_heavy(seed: int, commits: int) -> list[Change]:
    """A random history: a main line with PR merges of branches that merge main back in."""
    rng = random.Random(seed)
    changes: list[Change] = []
    main = [change(1, 2000)]
    changes.append(main[0])
    n = 2
    while n < commits:
        fork = rng.choice(main[-30:])
        tip = fork
        for _ in range(rng.randint(1, 6)):
            parents = (tip.sha,)
            if rng.random() < 0.3:  # "merge main into the branch"
                parents = (tip.sha, rng.choice(main[-10:]).sha)
            tip = replace(change(n, 2000 - n), parents=parents)
            changes.append(tip)
            n += 1
        merged = replace(
            change(n, 2000 - n), parents=(main[-1].sha, tip.sha), pr=n, subject=f"Merge #{n}"
        )
        main.append(merged)
        changes.append(merged)
        n += 1
    return list(reversed(changes))


def _quadratic_groups(changes: list[Change]) -> list[Candidate]:
    """The grouping as it was before claimed commits joined the stop set (reference)."""
    from pmops.analyze.candidates import _branch_commits, _first_parent_line

    by_sha = {c.sha: c for c in changes}
    line = _first_parent_line(changes)
    on_line = {c.sha for c in line}
    claimed: set[str] = set()
    result = []
    for commit in line:
        if not commit.is_merge:
            result.append(Candidate(commit, (commit,), commit.committed_at))
            continue
        branch = [c for c in _branch_commits(commit, by_sha, on_line) if c.sha not in claimed]
        claimed.update(c.sha for c in branch)
        if len(branch) <= FOLD_LIMIT:
            result.append(Candidate(commit, (commit, *branch), commit.committed_at))
        else:
            result.extend(Candidate(c, (c,), commit.committed_at) for c in branch if not c.is_merge)
    result += [
        Candidate(c, (c,), c.committed_at)
        for c in changes
        if c.sha not in on_line and c.sha not in claimed
    ]
    return result


def test_claimed_commits_stop_the_walk_with_the_same_groups() -> None:
    for seed in range(5):
        changes = _merge_heavy(seed, 400)
        expected = {
            (c.change.sha, frozenset(m.sha for m in c.members)) for c in _quadratic_groups(changes)
        }
        got = {(c.change.sha, frozenset(m.sha for m in c.members)) for c in group_changes(changes)}
        assert got == expected


def test_the_benchmark_counts_a_commit_of_a_culprit_merge_and_the_merge_of_a_culprit(
    git_repo: GitRepo,
) -> None:
    from bench.regressions.evaluate import _Judge

    at = START - timedelta(hours=3)
    base = git_repo.commit({"a.txt": "1\n"}, "Base", at=at)
    git_repo.branch("topic")
    git_repo.checkout("topic")
    inner = git_repo.commit({"b.txt": "1\n"}, "Shrink the pool", at=at + timedelta(minutes=1))
    git_repo.checkout("main")
    other = git_repo.commit({"c.txt": "1\n"}, "Unrelated", at=at + timedelta(minutes=2))
    merge = git_repo.merge("topic", 'Merge "Shrink the pool" into main', at + timedelta(minutes=3))
    reverted_merge = _Judge(git_repo.path, merge)
    assert reverted_merge.rank([other, inner, merge]) == 2  # pmops lists the merge's commit
    reverted_commit = _Judge(git_repo.path, inner)
    assert reverted_commit.rank([other, merge]) == 2  # a folded PR merge names its commit
    assert reverted_commit.rank([other, base]) is None
