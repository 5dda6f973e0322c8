"""The `pmops/check` status re-verifies what a human adds to a postmortem PR: a SHA or PR
number that does not resolve, or blaming wording, fails it until fixed or accepted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pmops.documents.document import rewrite_frontmatter
from tests.github_fake import FakeGitHub
from tests.test_action_publish import sync
from tests.test_action_support import OWNER, REPO, T0, WORKFLOW_TOKEN, Story, workflow_permissions


def test_human_claims_and_blame_fail_the_check_until_accepted(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    story = Story(fake, tmp_path)
    story.seed(config="plan: pro\n")
    n = story.open_incident()
    branch = f"pmops/incident-{n}"
    run = story.resolve(n, at=T0 + timedelta(hours=1))
    pr, path = int(run.outputs["pr-number"]), run.outputs["postmortem-path"]
    assert story.status(fake.head(OWNER, REPO, branch)) != "failure"

    added = "## Root cause\n\nCaused by deadbee (PR #999). Amy carelessly forgot a flag.\n\n"
    text = story.show(branch, path).replace("## Root cause\n\n", added, 1)
    with fake.at(T0 + timedelta(minutes=70)):
        fake.push_commit(OWNER, REPO, branch, {path: text}, "Add the cause", author="dave")
    sync(story, pr, branch, "dave", 71)
    assert story.status(fake.head(OWNER, REPO, branch)) == "failure"
    description = fake.repo(OWNER, REPO).statuses[-1].description
    assert description.startswith(f"{path}:") and "PR #999 is not a pull request" in description

    accepted = rewrite_frontmatter(
        text,
        {"accepted_claims": ["deadbee", "PR #999"], "accepted_wording": ["carelessly forgot"]},
    )
    with fake.at(T0 + timedelta(minutes=72)):
        fake.push_commit(OWNER, REPO, branch, {path: accepted}, "Keep them", author="dave")
    sync(story, pr, branch, "dave", 73)
    assert story.status(fake.head(OWNER, REPO, branch)) != "failure"


def test_numbers_the_history_does_not_name_are_looked_up_on_github(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    """An open PR and another issue resolve through GitHub's issues endpoint (one request
    each); a number GitHub answers 404 for fails the check; a token GitHub refuses leaves
    the numbers flagged as not checked, never passed."""
    fake = fake_github
    story = Story(fake, tmp_path)
    story.seed(config="plan: pro\n")
    n = story.open_incident()
    with fake.at(T0 + timedelta(minutes=20)):
        other = fake.create_issue(OWNER, REPO, "Pool alerts are noisy", "", user="alice").number
    branch = f"pmops/incident-{n}"
    run = story.resolve(n, at=T0 + timedelta(hours=1))
    pr, path = int(run.outputs["pr-number"]), run.outputs["postmortem-path"]

    def push_and_sync(line: str, minute: int, token: str = WORKFLOW_TOKEN) -> tuple[str, str]:
        text = story.show(branch, path)
        text = text.replace("## Root cause\n\n", f"## Root cause\n\n{line}\n\n", 1)
        with fake.at(T0 + timedelta(minutes=minute)):
            fake.push_commit(OWNER, REPO, branch, {path: text}, "Add a reference", author="dave")
        fake.reset_log()
        payload = story.payload(
            "pull_request.synchronize",
            number=pr,
            head_ref=branch,
            head_sha=fake.head(OWNER, REPO, branch),
            sender="dave",
        )
        story.deliver("pull_request", payload, at=T0 + timedelta(minutes=minute + 1), token=token)
        statuses = [s for s in fake.repo(OWNER, REPO).statuses if s.context == "pmops/check"]
        return statuses[-1].state, statuses[-1].description or ""

    def lookups() -> list[str]:
        return [r.path for r in fake.requests if r.route.endswith("/issues/{issue_number}")]

    state, _ = push_and_sync(f"Discussed in PR #{pr} and #{other}, as PR #{pr} says.", 70)
    assert state != "failure"
    issue_path = f"/repos/{OWNER}/{REPO}/issues"
    assert set(lookups()) == {f"{issue_path}/{pr}", f"{issue_path}/{other}"}

    state, description = push_and_sync("Fixed for good in PR #999.", 72)
    assert state == "failure"
    assert description.startswith(f"{path}:")
    assert "PR #999 is not a pull request or issue of this repository on GitHub" in description
    # one request per number and run (this run only checks: the file is edited already)
    assert sorted(lookups()) == sorted(f"{issue_path}/{k}" for k in (pr, other, 999))

    refused = "ghs_token_without_issues"
    permissions = {**workflow_permissions(), "issues": "none", "pull-requests": "none"}
    fake.set_actions_token(refused, OWNER, REPO, permissions)
    state, description = push_and_sync(f"See PR #{pr}.", 74, token=refused)
    assert state == "failure"
    assert "could not be checked on GitHub (HTTP 403" in description
