"""The whole story against the fake GitHub with real webhook payloads: label -> PR, duplicate
delivery, human push -> edited, /regenerate (reader, writer, too soon, after publish), approval
by a non-owner and by a code owner, merge -> published with action-item issues, once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pmops.documents.document import parse_document, plain
from tests.github_fake import FakeGitHub
from tests.test_action_support import OWNER, REPO, T0, Story


@pytest.fixture
def story(fake_github: FakeGitHub, tmp_path: Path) -> Story:
    s = Story(fake_github, tmp_path)
    s.seed()
    return s


def meta(text: str) -> dict:
    return plain(parse_document(text).meta)


def test_label_opens_a_pr(story: Story) -> None:
    n = story.open_incident()
    run = story.deliver("issues", story.payload(
        "issues.labeled", number=n, labels=["incident", "resolved"], label="resolved",
        sender="alice"), at=T0 + timedelta(hours=1))
    assert run.code == 0, run.log
    assert run.status == "opened"
    pulls = story.pulls()
    assert len(pulls) == 1
    pr = pulls[0]
    assert pr.pull.head == f"pmops/incident-{n}"
    path = run.outputs["postmortem-path"]
    assert path.startswith("postmortems/2026/2026-03-20-")
    text = story.show(f"pmops/incident-{n}", path)
    assert meta(text)["status"] == "draft"
    drafts = path.replace("postmortems/", "postmortems/.drafts/")
    assert story.show(f"pmops/incident-{n}", drafts) == text
    log = story.git("log", "-1", "--format=%B", f"pmops/incident-{n}")
    assert f"Pmops-Incident: {n}" in log and "Pmops-Event: generate" in log
    assert set(story.labels(pr.number)) >= {"postmortem", "pmops:draft"}
    assert any(f"#{pr.number}" in c for c in story.comments(n))
    assert story.status(story.fake.head(OWNER, REPO, f"pmops/incident-{n}")) == "pending"
    assert "carol" in pr.pull.requested_reviewers
    assert "## Suspects" in pr.body and "Reviewer checklist" in pr.body
    index = story.show(f"pmops/incident-{n}", "postmortems/README.md")
    assert path.removeprefix("postmortems/") in index and "```mermaid" in index


def test_whole_story(story: Story) -> None:
    fake = story.fake
    fake.set_protection(OWNER, REPO, "main", required_approving_review_count=1,
                        required_status_checks=["pmops/check"])
    n = story.open_incident()
    branch = f"pmops/incident-{n}"
    labeled = story.payload("issues.labeled", number=n, labels=["incident", "resolved"],
                            label="resolved", sender="alice")
    t = T0 + timedelta(hours=1)
    first = story.deliver("issues", labeled, at=t)
    assert first.status == "opened", first.log
    pr = int(first.outputs["pr-number"])
    path = first.outputs["postmortem-path"]
    drafts = path.replace("postmortems/", "postmortems/.drafts/")

    # A duplicate delivery of the same event: same PR, no second link comment.
    again = story.deliver("issues", labeled, at=t + timedelta(seconds=5))
    assert again.code == 0 and again.outputs["pr-number"] == str(pr), again.log
    assert len(story.pulls()) == 1
    assert sum("pmops:pr:" in c for c in story.comments(n)) == 1

    # A human edits the Summary on the branch -> status edited, once.
    text = story.show(branch, path)
    ai_draft = story.show(branch, drafts)
    human = text.replace("## Summary\n\n", "## Summary\n\nHUMAN WROTE THIS. ", 1)
    t += timedelta(minutes=5)
    with fake.at(t):
        sha = fake.push_commit(OWNER, REPO, branch, {path: human}, "Fix the summary",
                               author="dave", date=t)
    sync = story.payload("pull_request.synchronize", number=pr, head_ref=branch, head_sha=sha,
                         sender="dave")
    edited = story.deliver("pull_request", sync, at=t + timedelta(seconds=10))
    assert edited.status == "edited", edited.log
    after = story.show(branch, path)
    assert meta(after)["status"] == "edited" and meta(after)["edited_by"] == ["dave"]
    assert "HUMAN WROTE THIS." in after
    assert story.show(branch, drafts) == ai_draft
    assert "pmops:edited" in story.labels(pr) and "pmops:draft" not in story.labels(pr)
    assert "Pmops-Event: edited" in story.git("log", "-1", "--format=%B", branch)
    head = fake.head(OWNER, REPO, branch)
    again_sync = story.payload("pull_request.synchronize", number=pr, head_ref=branch,
                               head_sha=head, sender="github-actions[bot]")
    assert story.deliver("pull_request", again_sync, at=t + timedelta(seconds=20)).status \
        == "checked"
    assert fake.head(OWNER, REPO, branch) == head

    # /regenerate: a reader is refused; a writer regenerates, keeping the human's Summary.
    ids = iter(range(5000, 6000))

    def command(body: str, user: str, at: datetime) -> dict:
        data = story.payload("issue_comment.created", number=pr, on_pull_request=True,
                             body=body, user=user, sender=user)
        data["comment"]["id"] = next(ids)  # every delivered comment is a new comment
        data["comment"]["created_at"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return data

    t += timedelta(minutes=5)
    refused = story.deliver("issue_comment", command("/regenerate please", "rita", t), at=t)
    assert refused.status == "refused" and fake.head(OWNER, REPO, branch) == head
    assert "needs write permission" in story.comments(pr)[-1]
    with fake.at(T0 + timedelta(minutes=30)):  # new evidence: an update on the incident
        fake.add_comment(OWNER, REPO, n, "Rolled the pool size back to 10", user="alice")
    done = story.deliver("issue_comment",
                         command("/regenerate mention the connection pool", "alice", t),
                         at=t)
    assert done.status == "regenerated", done.log
    regenerated = story.show(branch, path)
    assert "HUMAN WROTE THIS." in regenerated
    assert meta(regenerated)["generator"]["regenerations"] == 1
    assert meta(regenerated)["status"] == "edited"
    assert "Regenerated the draft" in story.comments(pr)[-1]
    assert "Summary" in story.comments(pr)[-1]
    assert "feedback was **not applied**" in story.comments(pr)[-1]  # no model configured
    soon = story.deliver("issue_comment", command("/regenerate again", "alice",
                                                  t + timedelta(seconds=30)),
                         at=t + timedelta(seconds=30))
    assert soon.status == "refused" and "less than a minute" in story.comments(pr)[-1]
    unknown = story.deliver("issue_comment", command("/frobnicate", "alice", t), at=t)
    assert unknown.code == 0 and "does not know `/frobnicate`" in story.comments(pr)[-1]

    # Merging before a code owner's stamp is refused by the required pmops/check status.
    head = fake.head(OWNER, REPO, branch)
    assert story.status(head) == "pending"
    with fake.at(t):
        fake.submit_review(OWNER, REPO, pr, "wendy")
    with pytest.raises(Exception, match="pmops/check"):
        fake.merge_pull(OWNER, REPO, pr, user="alice")

    # Approval by a non-owner: no stamp. By the code owner: stamp.
    t += timedelta(minutes=5)
    review = story.payload("pull_request_review.submitted", number=pr, head_ref=branch,
                           head_sha=head, user="wendy", sender="wendy",
                           review_state="approved")
    not_owner = story.deliver("pull_request_review", review, at=t)
    assert not_owner.status == "not-owner" and fake.head(OWNER, REPO, branch) == head
    with fake.at(t):
        fake.submit_review(OWNER, REPO, pr, "carol")
    review = story.payload("pull_request_review.submitted", number=pr, head_ref=branch,
                           head_sha=head, user="carol", sender="carol",
                           review_state="approved")
    stamped = story.deliver("pull_request_review", review, at=t)
    assert stamped.status == "published", stamped.log
    final = story.show(branch, path)
    assert meta(final)["status"] == "published" and meta(final)["published_by"] == "carol"
    new_head = fake.head(OWNER, REPO, branch)
    assert story.status(new_head) == "success"
    assert "pmops:ready" in story.labels(pr)

    # /regenerate after publish is refused.
    late = story.deliver("issue_comment", command("/regenerate", "alice",
                                                  t + timedelta(minutes=5)),
                         at=t + timedelta(minutes=5))
    assert late.status == "refused" and fake.head(OWNER, REPO, branch) == new_head

    # Merge -> published: action-item issues once, label and comment on the incident.
    merge_sha = fake.merge_pull(OWNER, REPO, pr, user="alice")
    closed = story.payload("pull_request.closed", number=pr, head_ref=branch, merged=True,
                           merge_commit_sha=merge_sha, sender="alice")
    merged = story.deliver("pull_request", closed, at=t + timedelta(minutes=10))
    assert merged.status == "published", merged.log
    items = [i for i in story.repo().issues.values() if "postmortem:action-item" in i.labels]
    assert len(items) == len(meta(final)["action_items"]) > 0
    assert "postmortem:published" in story.labels(n)
    assert story.deliver("pull_request", closed, at=t + timedelta(minutes=11)).code == 0
    items_again = [i for i in story.repo().issues.values()
                   if "postmortem:action-item" in i.labels]
    assert len(items_again) == len(items)
    assert sum("pmops:published:" in c for c in story.comments(n)) == 1
