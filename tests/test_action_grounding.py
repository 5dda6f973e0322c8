"""The `pmops/check` status re-verifies what a human adds to a postmortem PR: a SHA or PR
number that does not resolve, or blaming wording, fails it until fixed or accepted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pmops.documents.document import rewrite_frontmatter
from tests.github_fake import FakeGitHub
from tests.test_action_publish import sync
from tests.test_action_support import OWNER, REPO, T0, Story


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
