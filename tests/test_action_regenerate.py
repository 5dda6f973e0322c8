"""/regenerate and redrafts say what they did: pmops's own PR is never evidence (a duplicate
delivery commits nothing), a person's marker-bearing comment still is, feedback the
deterministic drafter cannot follow is reported, an identical redraft commits nothing, the
once-a-minute rule counts between comments, and a deleted `.drafts/` copy never lets human
sections be overwritten silently. Through the Action with real webhook payloads."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pmops.documents.document import parse_document, plain
from pmops.events.regenerate import merge_human_edits
from tests.github_fake import FakeGitHub
from tests.samples import sample_postmortem
from tests.test_action_support import OWNER, REPO, T0, Run, Story


@pytest.fixture
def story(fake_github: FakeGitHub, tmp_path: Path) -> Story:
    s = Story(fake_github, tmp_path)
    s.seed(config="plan: pro\n")
    return s


def opened(story: Story) -> tuple[int, int, str]:
    """An incident with its postmortem PR: (incident, PR, path)."""
    n = story.open_incident()
    run = story.deliver("issues", labeled(story, n), at=T0 + timedelta(hours=1))
    assert run.status == "opened", run.log
    return n, int(run.outputs["pr-number"]), run.outputs["postmortem-path"]


def labeled(story: Story, n: int) -> dict:
    return story.payload(
        "issues.labeled",
        number=n,
        labels=["incident", "resolved"],
        label="resolved",
        sender="alice",
    )


def command(
    story: Story,
    pr: int,
    body: str,
    made: datetime,
    *,
    user: str = "alice",
    runs_at: datetime | None = None,
) -> Run:
    """A comment made on the PR at `made`, delivered to a run that starts at `runs_at`."""
    with story.fake.at(made):
        item = story.fake.add_comment(OWNER, REPO, pr, body, user=user)
    payload = story.payload(
        "issue_comment.created", number=pr, on_pull_request=True, body=body, user=user, sender=user
    )
    payload["comment"]["id"] = item.id
    payload["comment"]["created_at"] = made.strftime("%Y-%m-%dT%H:%M:%SZ")
    return story.deliver("issue_comment", payload, at=runs_at or made)


def update(story: Story, n: int, text: str, minutes: int) -> None:
    """New evidence: a human update on the incident during it."""
    with story.fake.at(T0 + timedelta(minutes=minutes)):
        story.fake.add_comment(OWNER, REPO, n, text, user="alice")


def test_own_pr_is_not_evidence_but_a_persons_marker_is(story: Story) -> None:
    n, pr, path = opened(story)
    branch = f"pmops/incident-{n}"
    head = story.fake.head(OWNER, REPO, branch)
    text = story.show(branch, path)
    assert f"PR #{pr} mentioned" not in text
    again = story.deliver("issues", labeled(story, n), at=T0 + timedelta(hours=2))
    assert again.status == "unchanged", again.log
    assert story.fake.head(OWNER, REPO, branch) == head  # nothing committed again
    assert f"PR #{pr} mentioned" not in story.show(branch, path)
    # A person typing pmops's marker does not hide their evidence.
    update(story, n, f"Pool exhausted, restarting <!-- pmops:pr:{n} -->", 20)
    with story.fake.at(T0 + timedelta(minutes=25)):
        story.fake.push_commit(
            OWNER, REPO, "fix", {"api/pool.py": "POOL = 10\n"}, "Raise the pool size", author="dave"
        )
        fix = story.fake.create_pull(
            OWNER,
            REPO,
            "Raise the pool size",
            "fix",
            body=f"Fixes #{n} <!-- pmops:pr:{n} -->",
            user="dave",
        )
    redraft = story.deliver("issues", labeled(story, n), at=T0 + timedelta(hours=3))
    assert redraft.status == "updated", redraft.log
    text = story.show(branch, path)
    assert "Pool exhausted, restarting" in text
    assert f"PR #{fix.number} mentioned the incident" in text
    assert f"PR #{pr} mentioned" not in text


def test_feedback_without_a_model_and_nothing_changed(story: Story) -> None:
    n, pr, path = opened(story)
    branch = f"pmops/incident-{n}"
    head = story.fake.head(OWNER, REPO, branch)
    run = command(story, pr, "/regenerate make it shorter", T0 + timedelta(hours=2))
    assert run.code == 0 and run.status == "unchanged", run.log
    assert story.fake.head(OWNER, REPO, branch) == head
    reply = story.comments(pr)[-1]
    assert "**nothing changed**" in reply and "nothing was committed" in reply
    assert "feedback was **not applied**" in reply and "no model is configured" in reply
    assert "with this feedback" not in reply
    # New evidence: the redraft changes and is committed; the feedback still was not applied.
    update(story, n, "Rolled the pool size back to 10", 30)
    run = command(story, pr, "/regenerate shorter, please", T0 + timedelta(hours=3))
    assert run.status == "regenerated", run.log
    reply = story.comments(pr)[-1]
    assert "regeneration 1" in reply and "not applied" in reply
    meta = plain(parse_document(story.show(branch, path)).meta)
    assert meta["generator"]["regenerations"] == 1


def test_once_a_minute_counts_between_comments(story: Story) -> None:
    n, pr, _ = opened(story)
    made = T0 + timedelta(hours=2)
    update(story, n, "Rolled the pool size back to 10", 30)
    # Two comments 10 s apart whose runs start late and 70 s apart.
    first = command(story, pr, "/regenerate", made, runs_at=made + timedelta(seconds=50))
    assert first.status == "regenerated", first.log
    second = command(
        story,
        pr,
        "/regenerate",
        made + timedelta(seconds=10),
        runs_at=made + timedelta(seconds=120),
    )
    assert second.status == "refused", second.log
    assert "less than a minute before this comment; try again in 50 s" in story.comments(pr)[-1]
    # A comment a minute after the accepted one runs, however late its run started.
    third = command(
        story,
        pr,
        "/regenerate",
        made + timedelta(seconds=61),
        runs_at=made + timedelta(seconds=125),
    )
    assert third.status in ("regenerated", "unchanged"), third.log
    # The same comment delivered twice is answered once.
    replies = len(story.comments(pr))
    payload = story.payload(
        "issue_comment.created",
        number=pr,
        on_pull_request=True,
        body="/regenerate",
        user="alice",
        sender="alice",
    )
    last = story.repo().issues[pr].comments[-2]
    assert last.body == "/regenerate"
    payload["comment"]["id"] = last.id
    payload["comment"]["created_at"] = (made + timedelta(seconds=61)).strftime("%Y-%m-%dT%H:%M:%SZ")
    again = story.deliver("issue_comment", payload, at=made + timedelta(seconds=200))
    assert again.status == "ignored" and len(story.comments(pr)) == replies


def test_a_deleted_drafts_copy_never_loses_human_edits(story: Story) -> None:
    n, pr, path = opened(story)
    branch = f"pmops/incident-{n}"
    drafts = path.replace("postmortems/", "postmortems/.drafts/")
    ai_text = story.show(branch, drafts)
    human = story.show(branch, path).replace("## Summary\n\n", "## Summary\n\nHUMAN WROTE. ", 1)
    t = T0 + timedelta(hours=2)
    with story.fake.at(t):
        sha = story.fake.push_commit(
            OWNER,
            REPO,
            branch,
            {path: human, drafts: None},
            "Rewrite the summary, drop the AI copy",
            author="dave",
            date=t,
        )
    sync = story.payload(
        "pull_request.synchronize", number=pr, head_ref=branch, head_sha=sha, sender="dave"
    )
    assert story.deliver("pull_request", sync, at=t + timedelta(seconds=10)).status == "edited"
    update(story, n, "Rolled the pool size back to 10", 30)
    run = command(story, pr, "/regenerate", t + timedelta(minutes=5))
    assert run.status == "regenerated", run.log
    text = story.show(branch, path)
    assert "HUMAN WROTE." in text
    assert "Rolled the pool size back" in text  # the Timeline was redrafted
    reply = story.comments(pr)[-1]
    assert "was deleted or changed; pmops compared with the AI draft of commit" in reply
    assert "Kept as humans wrote them: Summary" in reply
    assert story.show(branch, drafts) != ai_text and "HUMAN WROTE." not in story.show(
        branch, drafts
    )


def test_without_any_ai_draft_every_section_is_kept() -> None:
    pm = sample_postmortem()
    human = replace(pm, sections={**pm.sections, "Summary": "HUMAN"})
    fresh = replace(pm, sections={**pm.sections, "Summary": "AI", "Timeline": "AI timeline"})
    merged, kept = merge_human_edits(human, fresh, None, force=False)
    assert merged.sections["Summary"] == "HUMAN"
    assert merged.sections["Timeline"] == human.sections["Timeline"]
    assert kept == list(human.sections)
    forced, _ = merge_human_edits(human, fresh, None, force=True)
    assert forced.sections["Summary"] == "AI" and forced.sections["Timeline"] == "AI timeline"
