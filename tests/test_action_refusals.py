"""What pmops refuses, and how it says so: quota at its limit, the free plan, AI off, a
reader's /postmortem, PR creation forbidden to Actions (with no branch left behind), bad
inputs; and two runs for one incident racing."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from pmops.errors import InputError
from pmops.events.context import ActionInputs
from tests.github_fake import FakeGitHub
from tests.test_action_support import OWNER, REPO, T0, Story


def story_with(fake: FakeGitHub, tmp: Path, config: str) -> Story:
    s = Story(fake, tmp)
    s.seed(config=config)
    return s


def label(story: Story, n: int, sender: str = "alice", at_minutes: int = 60):
    payload = story.payload("issues.labeled", number=n, labels=["incident", "resolved"],
                            label="resolved", sender=sender)
    return story.deliver("issues", payload, at=T0 + timedelta(minutes=at_minutes))


def test_quota_at_limit(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "plan: starter\nmonthly_limit: 1\n")
    first = story.open_incident("First outage")
    assert label(story, first).status == "opened"
    second = story.open_incident("Second outage")
    run = label(story, second, at_minutes=70)
    assert run.code == 0 and run.status == "over-quota"
    assert len(story.pulls()) == 1
    comment = story.comments(second)[-1]
    assert "(`monthly_limit: 1`) allows 1 new postmortem" in comment
    assert "starter" not in comment.split("To draft")[0]  # the limit came from monthly_limit
    assert f"#{first}" in comment and "2026-04-01" in comment
    assert "pmops/incident-" + str(second) not in story.git("branch", "--list")
    # Redrafting the incident already counted is still allowed.
    assert label(story, first, at_minutes=80).status in ("updated", "unchanged")
    # The duplicate delivery of the refused event does not comment twice.
    label(story, second, at_minutes=90)
    assert sum("quota" in c for c in story.comments(second)) == 1


def test_free_plan_generates_nothing(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "plan: free\n")
    n = story.open_incident()
    run = label(story, n)
    assert run.code == 0 and run.status == "free-plan" and not story.pulls()
    assert "`free` plan" in story.comments(n)[-1]


def test_ai_off(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "ai: false\n")
    n = story.open_incident()
    assert label(story, n).status == "ai-disabled"
    command = story.payload("issue_comment.created", number=n, body="/postmortem",
                            user="alice", sender="alice", labels=["incident", "resolved"])
    assert story.deliver("issue_comment", command, at=T0 + timedelta(hours=2)).status \
        == "ai-disabled"
    assert not story.pulls()
    assert sum("AI drafting is turned off" in c for c in story.comments(n)) == 1


def test_reader_cannot_generate(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "plan: pro\n")
    n = story.open_incident()
    command = story.payload("issue_comment.created", number=n, body="/postmortem",
                            user="rita", sender="rita", labels=["incident", "resolved"])
    run = story.deliver("issue_comment", command, at=T0 + timedelta(hours=2))
    assert run.status == "refused" and not story.pulls()
    assert "needs **write** permission" in story.comments(n)[-1]
    plain = story.payload("issue_comment.created", number=n, body="thanks all",
                          user="rita", sender="rita", labels=["incident", "resolved"])
    assert story.deliver("issue_comment", plain).status == "ignored"


def test_slash_postmortem_by_a_writer(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "plan: pro\n")
    n = story.open_incident()
    command = story.payload("issue_comment.created", number=n, body="/postmortem",
                            user="alice", sender="alice", labels=["incident", "resolved"])
    assert story.deliver("issue_comment", command, at=T0 + timedelta(hours=2)).status \
        == "opened"


def test_actions_may_not_create_prs(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "plan: pro\n")
    fake_github.set_token("gha-token", "github-actions[bot]")
    fake_github.add_collaborator(OWNER, REPO, "github-actions[bot]", "write")
    n = story.open_incident()
    payload = story.payload("issues.labeled", number=n, labels=["incident", "resolved"],
                            label="resolved", sender="alice")
    run = story.deliver("issues", payload, at=T0 + timedelta(hours=1), token="gha-token")
    assert run.code == 1 and run.status == "failed"
    assert "Allow GitHub Actions to create and approve pull requests" in story.comments(n)[-1]
    assert "Comment `/postmortem`" in story.comments(n)[-1]  # the next step
    assert "::add-mask::gha-token" in run.log
    assert "pmops/incident" not in story.git("branch", "--list")  # no half-made branch


def test_workflow_dispatch(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "plan: pro\n")
    n = story.open_incident()
    payload = {"inputs": {"issue-number": str(n)}, "ref": "refs/heads/main",
               "repository": story.payload("issues.labeled")["repository"],
               "sender": {"login": "alice", "type": "User"}, "workflow": ".github/workflows/x"}
    run = story.deliver("workflow_dispatch", payload, at=T0 + timedelta(hours=1),
                        extra_env={"PMOPS_DOCTOR": "true"})
    assert run.status == "opened", run.log
    assert run.outputs["pr-number"] and run.outputs["postmortem-path"]
    assert "### pmops: opened" in run.summary
    assert "doctor: FIX protection: main is not protected" in run.summary


def test_concurrent_runs_for_one_incident(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "plan: pro\n")
    n = story.open_incident()
    payload = story.payload("issues.labeled", number=n, labels=["incident", "resolved"],
                            label="resolved", sender="alice")
    results = []
    runs = [threading.Thread(target=lambda: results.append(
        story.deliver("issues", payload, at=T0 + timedelta(hours=1)))) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    assert all(r.code == 0 for r in results), [r.log for r in results]
    assert len(story.pulls()) == 1


def test_inputs_are_validated_up_front() -> None:
    with pytest.raises(InputError) as error:
        ActionInputs.from_env({"GITHUB_EVENT_NAME": "issues", "GITHUB_REPOSITORY": "nope",
                               "PMOPS_ISSUE_NUMBER": "abc"})
    message = str(error.value)
    assert "GITHUB_EVENT_PATH" in message and "owner/name" in message
    assert "token" in message and "issue-number" in message
