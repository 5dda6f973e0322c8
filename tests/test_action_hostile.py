"""The Action on a hostile incident, against the fake GitHub: the PR body, the comments, the
postmortem and its `.drafts/` copy have no active foreign link or image, no raw HTML, no
notifying mention and no secret (GitHub's renderer is the oracle), and the job log has no
line the runner would take as a workflow command."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.github_fake import FakeGitHub
from tests.github_render import violations
from tests.test_action_support import CONFIG, OWNER, REPO, T0, Story

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
TITLE = (
    f"API down ##[error]pwned [x](https&colon;//evil.example) ![p](https&#x3A;//evil.example/t.png)"
    f" <img src=https://evil.example/i.png> _@alice_ &#64;bob \\@carol @acme/oncall {TOKEN}"
)


@pytest.fixture
def story(fake_github: FakeGitHub, tmp_path: Path) -> Story:
    s = Story(fake_github, tmp_path)
    s.seed()
    return s


def test_hostile_incident_yields_safe_pr_comments_file_and_log(story: Story) -> None:
    n = story.open_incident(TITLE)
    story.fake.add_labels(OWNER, REPO, n, "##[warning]label", actor="alice")
    run = story.deliver("issues", story.payload(
        "issues.labeled", number=n, labels=["incident", "resolved", "##[warning]label"],
        label="resolved", sender="alice"), at=T0 + timedelta(hours=1))  # fmt: skip
    assert run.code == 0, run.log
    allowed = (f"{story.fake.url}/{OWNER}/{REPO}",)
    pr = story.pulls()[0]
    path = run.outputs["postmortem-path"]
    branch = f"pmops/incident-{n}"
    documents = {
        "PR body": pr.body,
        "PR title": pr.title,
        "file": story.show(branch, path).split("\n---\n", 1)[1],
        ".drafts": story.show(branch, path.replace("postmortems/", "postmortems/.drafts/")),
        "step summary": run.summary,
        **{f"comment {i}": c for i, c in enumerate(story.comments(n))},
    }
    for name, text in documents.items():
        assert violations(text, allowed) == [], name
        assert TOKEN not in text and TOKEN.lower() not in text, name
    assert "API down" in pr.body
    assert "##[" not in run.log
    commands = [line for line in run.log.splitlines() if line.lstrip().startswith("::")]
    assert all(re.match(r"::(add-mask|error title=pmops)::", c) for c in commands), commands


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_non_finite_config_is_a_clear_message_on_the_incident(
    fake_github: FakeGitHub, tmp_path: Path, value: str
) -> None:
    story = Story(fake_github, tmp_path)
    story.seed(config=f"{CONFIG}lookback_hours: {value}\n")
    n = story.open_incident()
    run = story.deliver("issues", story.payload(
        "issues.labeled", number=n, labels=["incident", "resolved"], label="resolved",
        sender="alice"), at=T0 + timedelta(hours=1))  # fmt: skip
    assert run.code != 0
    failure = [c for c in story.comments(n) if "lookback_hours" in c]
    assert failure and "not a finite number" in failure[0], story.comments(n)
    assert "internal error" not in run.log and not story.pulls()
