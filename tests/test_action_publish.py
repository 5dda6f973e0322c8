"""Publishing details: the stamp with "dismiss stale approvals" on (no loop), a change after
the stamp (check pending until a code owner approves again), a later PR that edits a
published postmortem (stays published; frozen fields enforced by pmops/check)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pmops.documents.document import parse_document, plain
from tests.github_fake import FakeGitHub
from tests.test_action_support import OWNER, REPO, T0, Story


def meta(text: str) -> dict:
    return plain(parse_document(text).meta)


def approve(story: Story, pr: int, branch: str, user: str, minutes: int):
    head = story.fake.head(OWNER, REPO, branch)
    with story.fake.at(T0 + timedelta(minutes=minutes)):  # GitHub records when it was submitted
        story.fake.submit_review(OWNER, REPO, pr, user)
    payload = story.payload("pull_request_review.submitted", number=pr, head_ref=branch,
                            head_sha=head, user=user, sender=user, review_state="approved")
    return story.deliver("pull_request_review", payload, at=T0 + timedelta(minutes=minutes))


def sync(story: Story, pr: int, branch: str, sender: str, minutes: int):
    payload = story.payload("pull_request.synchronize", number=pr, head_ref=branch,
                            head_sha=story.fake.head(OWNER, REPO, branch), sender=sender)
    return story.deliver("pull_request", payload, at=T0 + timedelta(minutes=minutes))


def test_stamp_restamp_and_later_edits(fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake = fake_github
    story = Story(fake, tmp_path)
    story.seed(config="plan: pro\n")
    fake.set_protection(OWNER, REPO, "main", required_approving_review_count=1,
                        dismiss_stale_reviews=True, required_status_checks=["pmops/check"])
    n = story.open_incident()
    branch = f"pmops/incident-{n}"
    run = story.deliver("issues", story.payload(
        "issues.labeled", number=n, labels=["incident", "resolved"], label="resolved",
        sender="alice"), at=T0 + timedelta(hours=1))
    pr, path = int(run.outputs["pr-number"]), run.outputs["postmortem-path"]

    first = approve(story, pr, branch, "carol", 70)
    assert first.status == "published", first.log
    stamped_head = fake.head(OWNER, REPO, branch)
    assert "approve once more" in story.comments(pr)[-1]
    # The stamp dismissed carol's approval; her second approval pushes nothing.
    second = approve(story, pr, branch, "carol", 71)
    assert second.status == "published" and "nothing pushed" in second.summary
    assert fake.head(OWNER, REPO, branch) == stamped_head
    assert story.status(stamped_head) == "success"

    # A human changes the file after the stamp: the check waits for a new approval.
    text = story.show(branch, path).replace("## Root cause\n\n", "## Root cause\n\nLATE. ", 1)
    with fake.at(T0 + timedelta(minutes=72)):
        fake.push_commit(OWNER, REPO, branch, {path: text}, "Late fix", author="dave")
    checked = sync(story, pr, branch, "dave", 73)
    assert checked.status == "checked"
    head = fake.head(OWNER, REPO, branch)
    assert story.status(head) == "pending"
    assert "changed after carol approved it" in fake.repo(OWNER, REPO).statuses[-1].description
    # carol approves the changed head, which already names her: the stamp is valid again
    # without a new commit (so nothing dismisses this approval).
    again = approve(story, pr, branch, "carol", 74)
    assert again.status == "published" and "nothing pushed" in again.summary
    final_head = fake.head(OWNER, REPO, branch)
    assert final_head == head and story.status(final_head) == "success"
    assert "LATE." in story.show(branch, path)

    assert approve(story, pr, branch, "carol", 75).status == "published"  # stale: once more
    assert fake.head(OWNER, REPO, branch) == final_head
    fake.merge_pull(OWNER, REPO, pr, user="carol")
    published = story.show("main", path)
    assert meta(published)["status"] == "published"

    # A later PR fixing a typo stays published and passes; touching a frozen field fails.
    fixed = published.replace("LATE.", "Later.", 1)
    with fake.at(T0 + timedelta(hours=3)):
        fake.push_commit(OWNER, REPO, "fix-typo", {path: fixed}, "Fix a typo", author="dave")
        later = fake.create_pull(OWNER, REPO, "Fix a typo", "fix-typo", user="dave")
    assert sync(story, later.number, "fix-typo", "dave", 181).status == "checked"
    assert story.status(fake.head(OWNER, REPO, "fix-typo")) == "success"
    forged = fixed.replace("published_by: carol", "published_by: dave")
    with fake.at(T0 + timedelta(hours=4)):
        fake.push_commit(OWNER, REPO, "fix-typo", {path: forged}, "Take credit", author="dave")
    sync(story, later.number, "fix-typo", "dave", 241)
    assert story.status(fake.head(OWNER, REPO, "fix-typo")) == "failure"
    assert "published_by" in fake.repo(OWNER, REPO).statuses[-1].description


def test_admin_publishes_where_no_rule_matches(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = Story(fake_github, tmp_path)
    story.seed(config="plan: pro\n", codeowners="/src/ @dave\n")
    n = story.open_incident()
    branch = f"pmops/incident-{n}"
    run = story.deliver("issues", story.payload(
        "issues.labeled", number=n, labels=["incident", "resolved"], label="resolved",
        sender="alice"), at=T0 + timedelta(hours=1))
    pr = int(run.outputs["pr-number"])
    assert approve(story, pr, branch, "carol", 70).status == "not-owner"
    assert "an admin" in story.comments(pr)[-1]
    assert approve(story, pr, branch, "admin-al", 71).status == "published"
