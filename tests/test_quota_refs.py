"""The Action's quota reads the heads of this month's pmops PRs, and no other PR's: its cost
no longer grows with every PR ever opened (github/pulls.py, gitops.fetch_quota_refs)."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

from tests.github_fake import FakeGitHub
from tests.test_action_support import OWNER, REPO, T0, Story


def remote_pr_refs(workspace: Path) -> set[str]:
    out = subprocess.run(
        [
            "git",
            "-C",
            str(workspace),
            "for-each-ref",
            "--format=%(refname)",
            "refs/remotes/origin/pr/",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def test_quota_counts_a_closed_pmops_pr_without_fetching_old_ones(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    story = Story(fake_github, tmp_path)
    story.seed(config="plan: starter\nmonthly_limit: 1\n")
    fake = fake_github
    with fake.at(T0 - timedelta(days=30)):  # February: before this month's quota
        fake.push_commit(OWNER, REPO, "old-feature", {"old.txt": "1\n"}, "Old feature")
        old = fake.create_pull(OWNER, REPO, "Old feature", "old-feature").number
        fake.close_issue(OWNER, REPO, old)
    first = story.open_incident("First outage")
    assert story.resolve(first, at=T0 + timedelta(minutes=60)).status == "opened"
    (pull,) = [p for p in story.pulls() if p.number != old]
    # The draft PR is closed unmerged and its branch deleted: only refs/pull/N/head keeps
    # the generate commit that used this month's only slot.
    with fake.at(T0 + timedelta(minutes=65)):
        fake.close_issue(OWNER, REPO, pull.number)
    story.git("branch", "-D", f"pmops/incident-{first}")

    second = story.open_incident("Second outage")
    run = story.resolve(second, at=T0 + timedelta(minutes=70))
    assert run.status == "over-quota"
    assert f"#{first}" in story.comments(second)[-1]
    workspace = tmp_path / f"run{story.runs}" / "workspace"
    assert remote_pr_refs(workspace) == {f"refs/remotes/origin/pr/{pull.number}"}
