"""One Action run reads each GitHub resource once: what an earlier step fetched (the event
payload's issue and repository, the gather's issue) is passed on, not fetched again."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from tests.github_fake import FakeGitHub
from tests.test_action_support import T0, Story

PULL_LISTS = 2
"""Lists of pull requests a generate run makes, each with other filters: this month's pmops
PRs (quota), the PRs merged in the window (gather). The open PR of the incident's branch is
looked up only when the branch exists (GitHub closes a PR whose head branch is deleted)."""


def test_a_generate_run_reads_each_resource_once(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = Story(fake_github, tmp_path)
    story.seed()
    number = story.open_incident()
    fake_github.reset_log()
    assert story.resolve(number, at=T0 + timedelta(minutes=60)).status == "opened"
    gets = Counter(r.path for r in fake_github.requests if r.method == "GET")
    pulls = "/repos/acme/shop/pulls"
    assert gets.pop(pulls) == PULL_LISTS
    # the incident's comments: read for the marker before posting, and again after it to
    # drop a duplicate that a concurrent run posted meanwhile (a deliberate fresh read)
    assert gets.pop(f"/repos/acme/shop/issues/{number}/comments") == 2
    assert {path: n for path, n in gets.items() if n > 1} == {}
    # neither the repository nor the incident issue: the event payload has both
    assert "/repos/acme/shop" not in gets and f"/repos/acme/shop/issues/{number}" not in gets
    assert fake_github.request_count <= 17
