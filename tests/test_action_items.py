"""Action items as commitments, against the fake GitHub with real `pull_request.closed`
payloads: one tracking issue per item with assignee, priority label, due date and back link;
a team or prose owner is not assigned and is reported; one list request finds every existing
issue; re-deliveries and re-publishes open nothing twice; the issue numbers are proposed in a
follow-up pull request."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from pmops.documents.check import check_text
from pmops.documents.document import parse_document, plain
from pmops.follow.action_items import OwnerKind, parse_owner
from pmops.model import ActionItem, Priority, Status
from tests.github_fake import FakeGitHub
from tests.samples import NAME, sample_text
from tests.test_action_support import OWNER, REPO, T0, Story

PUBLISHED = datetime(2026, 3, 23, 10, 0, tzinfo=UTC)
ITEMS = (
    ActionItem("Validate config/pool.yaml in CI", Priority.HIGH, "@alice"),
    ActionItem("Alert on pool saturation", Priority.MEDIUM, "@acme/sre"),
    ActionItem("Write the runbook", Priority.LOW, "the on-call team"),
    ActionItem("Load-test checkout", Priority.LOW, "@rita-gone"),
)


def published_text(items: tuple[ActionItem, ...] = ITEMS) -> str:
    return sample_text(
        id=7,
        status=Status.PUBLISHED,
        published_at=PUBLISHED,
        published_by="carol",
        action_items=items,
    )


def merged_story(story: Story, text: str, branch: str = "pmops/incident-7") -> tuple[int, dict]:
    """The postmortem of incident 7 merged from `branch`; the closed payload (whose head ref
    is pmops/incident-7, as every pmops PR of the incident has)."""
    fake = story.fake
    path = NAME.replace("-42-", "-7-")
    fake.create_branch(OWNER, REPO, branch)
    fake.push_commit(OWNER, REPO, branch, {path: text}, "Postmortem for #7", author="pmops-bot")
    pr = fake.create_pull(OWNER, REPO, "Postmortem (#7)", branch)
    fake.submit_review(OWNER, REPO, pr.number, "carol")  # the code owner's approval backs the stamp
    sha = fake.merge_pull(OWNER, REPO, pr.number, user="carol")
    payload = story.payload(
        "pull_request.closed",
        number=pr.number,
        head_ref="pmops/incident-7",
        merged=True,
        merge_commit_sha=sha,
        sender="carol",
    )
    return pr.number, payload


@pytest.fixture
def story(fake_github: FakeGitHub, tmp_path: Path) -> Story:
    s = Story(fake_github, tmp_path)
    s.seed()
    with fake_github.at(T0):
        for _ in range(6):  # issue 7 is the incident
            fake_github.create_issue(OWNER, REPO, "older issue", "", user="alice")
    return s


def tracking(story: Story) -> list:
    return sorted(
        (i for i in story.repo().issues.values() if "postmortem:action-item" in i.labels),
        key=lambda i: i.number,
    )


def test_owner_kinds() -> None:
    assert parse_owner("@alice") and parse_owner("@alice").kind is OwnerKind.LOGIN
    assert parse_owner("bob-1").name == "bob-1"  # type: ignore[union-attr]
    assert parse_owner("@acme/sre").kind is OwnerKind.TEAM  # type: ignore[union-attr]
    assert parse_owner("the on-call team").kind is OwnerKind.PROSE  # type: ignore[union-attr]
    assert parse_owner("-bad").kind is OwnerKind.PROSE  # type: ignore[union-attr]
    assert parse_owner("  ") is None


def test_merge_opens_one_issue_per_item_once(story: Story) -> None:
    pr, payload = merged_story(story, published_text())
    story.fake.reset_log()
    run = story.deliver("pull_request", payload, at=PUBLISHED + timedelta(hours=1))
    assert run.status == "published", run.log
    issues = tracking(story)
    assert [i.title for i in issues] == [i.title for i in ITEMS]
    high, team, prose, gone = issues
    assert high.assignees == ["alice"] and "priority: high" in high.labels
    assert "Due: 2026-04-06" in (high.body or "")  # published 2026-03-23 + 14 days
    assert "Due: 2026-04-22" in (team.body or "") and "Due: 2026-06-21" in (prose.body or "")
    assert team.assignees == [] and "`@acme/sre`" in (team.body or "")  # inert, never notifies
    assert prose.assignees == [] and gone.assignees == []
    assert f"#{pr}" in (high.body or "") and "blob/main/postmortems/2026/" in (high.body or "")
    assert "acme/sre is a team" in run.summary
    assert "'the on-call team' is not a GitHub login" in run.summary
    assert "rita-gone cannot be assigned" in run.summary
    lists = [
        r
        for r in story.fake.requests
        if r.method == "GET" and r.route == "/repos/{owner}/{repo}/issues"
    ]
    assert len(lists) == 1  # one list for all items, not one per item
    labels = {str(name).lower() for name in story.repo().labels}
    assert {"priority: high", "priority: medium", "priority: low"} <= labels

    # Duplicate delivery: nothing new, the incident comment stays single.
    again = story.deliver("pull_request", payload, at=PUBLISHED + timedelta(hours=2))
    assert again.status == "published" and len(tracking(story)) == len(ITEMS)
    assert sum("pmops:published:" in c for c in story.comments(7)) == 1


def test_numbers_are_proposed_in_a_follow_up_pull_request(story: Story) -> None:
    _, payload = merged_story(story, published_text())
    run = story.deliver("pull_request", payload, at=PUBLISHED + timedelta(hours=1))
    follow = [p for p in story.pulls() if p.pull.head == "pmops/action-items-7"]
    assert len(follow) == 1 and "issue numbers proposed in" in run.summary
    path = NAME.replace("-42-", "-7-")
    items = plain(parse_document(story.show("pmops/action-items-7", path)).meta)["action_items"]
    numbers = [i.number for i in tracking(story)]
    assert [i["issue"] for i in items] == numbers
    assert items[0]["due"] == "2026-04-06"
    recorded = story.show("pmops/action-items-7", path)
    assert f"Validate config/pool.yaml in CI ([#{numbers[0]}](" in recorded
    assert f"/issues/{numbers[0]}))" in recorded
    assert check_text(recorded, path)[0] == []  # still in agreement, and valid
    assert "Pmops-Event: action-items" in story.git(
        "log", "-1", "--format=%B", "pmops/action-items-7"
    )
    # Re-delivery: the branch exists, nothing is pushed again.
    head = story.fake.head(OWNER, REPO, "pmops/action-items-7")
    story.deliver("pull_request", payload, at=PUBLISHED + timedelta(hours=2))
    assert story.fake.head(OWNER, REPO, "pmops/action-items-7") == head
    assert len([p for p in story.pulls() if p.pull.head == "pmops/action-items-7"]) == 1


def test_republish_with_an_added_item_opens_only_that_one(story: Story) -> None:
    _, payload = merged_story(story, published_text(ITEMS[:1]))
    story.deliver("pull_request", payload, at=PUBLISHED + timedelta(hours=1))
    first = tracking(story)
    assert len(first) == 1
    # A later pmops PR for the same incident republishes with a second item (title retyped
    # with other spacing and case for the first: still the same item).
    retyped = replace(ITEMS[0], title="validate  config/pool.yaml in CI")
    _, payload2 = merged_story(story, published_text((retyped, ITEMS[1])), "pmops/incident-7-again")
    run = story.deliver("pull_request", payload2, at=PUBLISHED + timedelta(days=1))
    assert run.status == "published", run.log
    second = tracking(story)
    assert len(second) == 2 and second[0].number == first[0].number
    assert date(2026, 4, 22).isoformat() in (second[1].body or "")
