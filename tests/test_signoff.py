"""Sign-off by severity: the pure rule, and the publish stamp waiting for it on the fake
GitHub with real `pull_request_review.submitted` payloads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pmops.documents.document import parse_document, plain
from pmops.follow.config import SignoffRule
from pmops.follow.signoff import Approval, evaluate_signoff, signoff_message
from pmops.model import Severity, Status
from tests.github_fake import FakeGitHub
from tests.samples import NAME, sample_text
from tests.test_action_support import OWNER, REPO, T0, Story


def test_rule_counts_distinct_code_owners() -> None:
    rule = SignoffRule(2)
    one = evaluate_signoff(rule, [Approval("carol", True), Approval("wendy", False)])
    assert not one.satisfied and one.owners == ("carol",)
    assert one.missing == ("1 more approval from code owners of the file (2 needed)",)
    two = evaluate_signoff(rule, [Approval("carol", True), Approval("dave", True)])
    assert two.satisfied and two.missing == ()
    text = signoff_message(Severity.SEV1, rule, one)
    assert "SEV-1 postmortems need 2 code owner approvals" in text and "`carol`" in text


def test_rule_with_a_team() -> None:
    rule = SignoffRule(1, "acme/sre")
    member = Approval("carol", True, frozenset({"acme/sre"}))
    assert evaluate_signoff(rule, [member]).satisfied
    outsider = evaluate_signoff(rule, [Approval("carol", True, frozenset())])
    assert outsider.missing == ("an approval from a member of acme/sre",)
    unknown = evaluate_signoff(rule, [Approval("carol", True, None)])
    assert (
        not unknown.satisfied
        and "could not read the team membership of carol" in unknown.missing[0]
    )


def test_stamp_waits_for_the_second_code_owner(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = Story(fake_github, tmp_path)
    story.seed(
        config="signoff:\n  SEV-2:\n    approvals: 2\n",
        codeowners="* @admin-al\n/postmortems/ @carol @dave\n",
    )
    fake = story.fake
    branch, path = "pmops/incident-7", NAME.replace("-42-", "-7-")
    fake.create_branch(OWNER, REPO, branch)
    fake.push_commit(
        OWNER,
        REPO,
        branch,
        {path: sample_text(id=7, status=Status.EDITED, edited_by=("alice",))},
        "Postmortem for #7",
        author="alice",
    )
    pr = fake.create_pull(OWNER, REPO, "Postmortem (#7)", branch).number
    head = fake.head(OWNER, REPO, branch)

    def approve(login: str, minutes: int) -> object:
        with fake.at(T0 + timedelta(minutes=minutes)):
            fake.submit_review(OWNER, REPO, pr, login)
        payload = story.payload(
            "pull_request_review.submitted",
            number=pr,
            head_ref=branch,
            head_sha=fake.head(OWNER, REPO, branch),
            user=login,
            sender=login,
            review_state="approved",
        )
        return story.deliver("pull_request_review", payload, at=T0 + timedelta(minutes=minutes))

    first = approve("carol", 10)
    assert first.status == "refused" and fake.head(OWNER, REPO, branch) == head, first.log
    waiting = story.comments(pr)[-1]
    assert "SEV-2 postmortems need 2 code owner approvals" in waiting
    assert "1 more approval from code owners" in waiting and "`carol`" in waiting
    second = approve("dave", 20)
    assert second.status == "published", second.log
    # One owner approves the stamp commit again (stale approvals dismissed): the fresh stamp
    # stands, nothing is pushed and no sign-off comment is posted.
    stamped, comments = fake.head(OWNER, REPO, branch), len(story.comments(pr))
    third = approve("carol", 30)
    assert third.status == "published" and fake.head(OWNER, REPO, branch) == stamped
    assert len(story.comments(pr)) == comments
    assert plain(parse_document(story.show(branch, path)).meta)["status"] == "published"
