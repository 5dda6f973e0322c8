"""`/regenerate <section> [feedback]` against the fake GitHub with real webhook payloads: one
section redrafted, every other byte kept; feedback without a model; unknown section names;
and with a model (the OpenAI-compatible test server), the feedback reaches the prompt."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pmops.documents.document import parse_document
from pmops.events.regenerate_section import section_request, splice_section
from tests.github_fake import FakeGitHub
from tests.llm_server import LLMServer, answer_json
from tests.test_action_support import OWNER, REPO, T0, Story
from tests.test_llm_draft import good_answer

HEADINGS = ["Summary", "Customer impact", "Timeline", "Root cause", "Action items"]


class Pr:
    """A postmortem PR opened by the Action, and a way to comment on it."""

    def __init__(self, story: Story, extra_env: dict[str, str] | None = None) -> None:
        self.story, self.env, self.ids = story, extra_env, iter(range(7000, 8000))
        n = story.open_incident()
        labeled = story.payload("issues.labeled", number=n, labels=["incident", "resolved"],
                                label="resolved", sender="alice")  # fmt: skip
        self.t = T0 + timedelta(hours=1)
        run = story.deliver("issues", labeled, at=self.t, extra_env=extra_env)
        assert run.status == "opened", run.log
        self.number, self.path = int(run.outputs["pr-number"]), run.outputs["postmortem-path"]
        self.branch = f"pmops/incident-{n}"

    def text(self, drafts: bool = False) -> str:
        path = self.path.replace("postmortems/", "postmortems/.drafts/") if drafts else self.path
        return self.story.show(self.branch, path)

    def push(self, text: str) -> None:
        self.t += timedelta(minutes=5)
        with self.story.fake.at(self.t):
            self.story.fake.push_commit(OWNER, REPO, self.branch, {self.path: text}, "Edit",
                                        author="dave", date=self.t)  # fmt: skip

    def command(self, body: str) -> Any:
        self.t += timedelta(minutes=2)
        data = self.story.payload(
            "issue_comment.created",
            number=self.number,
            on_pull_request=True,
            body=body,
            user="alice",
            sender="alice",
        )
        data["comment"]["id"] = next(self.ids)
        data["comment"]["created_at"] = self.t.strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.story.deliver("issue_comment", data, at=self.t, extra_env=self.env)

    def last_comment(self) -> str:
        return self.story.comments(self.number)[-1]


def _section(text: str, heading: str) -> str:
    return parse_document(text).section_map()[heading]


def _outside(text: str, heading: str) -> tuple[str, str]:
    """The bytes before a section's heading line and from the next heading on."""
    start = text.index(f"\n## {heading}\n")
    end = text.index("\n## ", start + 1)
    return text[:start], text[end:]


@pytest.fixture
def story(fake_github: FakeGitHub, tmp_path: Path) -> Story:
    s = Story(fake_github, tmp_path)
    s.seed()
    return s


def test_one_section_is_redrafted_and_every_other_byte_kept(story: Story) -> None:
    pr = Pr(story)
    ai = pr.text()
    ai_timeline = _section(ai, "Timeline")
    human = ai.replace("## Summary\n\n", "## Summary\n\nHUMAN WROTE THIS.   \n", 1)
    human = human.replace(ai_timeline, "- 2026-03-20T14:05:00Z [issue] Only this line.", 1)
    pr.push(human + "\n\n")  # odd trailing blank lines stay as they are too
    before = pr.text()
    run = pr.command("/regenerate timeline put the deploy first")
    assert run.status == "regenerated", run.log
    after, copy = pr.text(), pr.text(drafts=True)
    timeline = _section(copy, "Timeline")  # the new AI text, also in the .drafts/ copy
    assert ai_timeline.split("\n")[0] in timeline and "Only this line" not in timeline
    assert _section(after, "Timeline") == timeline
    assert _outside(after, "Timeline") == _outside(before, "Timeline")
    assert after == splice_section(before, "Timeline", timeline)
    assert _outside(copy, "Timeline") == _outside(ai, "Timeline")  # the copy: that section only
    assert "HUMAN WROTE THIS.   \n" in after and after.endswith("\n\n\n")
    comment = pr.last_comment()
    assert "Regenerated the **Timeline** section" in comment
    assert "could not be applied: no model is configured" in comment
    log = story.git("log", "-1", "--format=%B", pr.branch)
    assert "Pmops-Event: regenerate" in log and "Timeline section" in log


def test_unchanged_section_commits_nothing_and_unknown_names_list_valid_ones(
    story: Story,
) -> None:
    pr = Pr(story)
    head = story.fake.head(OWNER, REPO, pr.branch)
    run = pr.command("/regenerate [Root cause]")  # the same evidence: the same text
    assert run.status == "unchanged" and story.fake.head(OWNER, REPO, pr.branch) == head
    assert "nothing was committed" in pr.last_comment()
    refused = pr.command('/regenerate "Impact summary" make it shorter')
    assert refused.status == "refused" and story.fake.head(OWNER, REPO, pr.branch) == head
    reply = pr.last_comment()
    assert "there is no section `Impact summary`" in reply
    assert "Summary, Customer impact, Timeline, Root cause" in reply


def test_with_a_model_the_feedback_reaches_the_prompt(story: Story) -> None:
    with LLMServer() as server:
        story.seed(config=f"plan: starter\nmodel:\n  name: test-model\n  base_url: {server.url}\n")
        env = {"OPENAI_API_KEY": "sk-test"}
        server.queue(answer_json(good_answer()))
        pr = Pr(story, env)
        before = pr.text()
        shorter = good_answer(summary="Checkout failed for 47 minutes; the revert ended it.")
        server.queue(answer_json(shorter))
        run = pr.command("/regenerate Summary: say it in one sentence")
        assert run.status == "regenerated", run.log
        prompt = server.completions[-1].text
        assert "Requested change to the Summary section: say it in one sentence" in prompt
    after = pr.text()
    summary = _section(after, "Summary")  # verified like any draft (the model's 47 is marked)
    assert (
        summary.startswith("Checkout failed for 47 minutes") and "the revert ended it." in summary
    )
    assert _outside(after, "Summary") == _outside(before, "Summary")
    assert "Feedback applied: say it in one sentence" in pr.last_comment()


@pytest.mark.parametrize(
    ("args", "heading", "feedback"),
    [("root cause name the pool", "Root cause", "name the pool"),
     ("[Timeline]", "Timeline", ""), ("Summary: shorter", "Summary", "shorter"),
     ('"Impact" shorter', None, "shorter"), ("mention the pool", None, None),
     ("please see: the logs", None, None), ("--force summary", "Summary", "")],
)  # fmt: skip
def test_section_names(args: str, heading: str | None, feedback: str | None) -> None:
    request = section_request(args, HEADINGS)
    if feedback is None:
        assert request is None
    else:
        assert request is not None and (request.heading, request.feedback) == (heading, feedback)
