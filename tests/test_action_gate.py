"""The publish gate against a hostile writer and with team code owners (issue #21), driven
through the Action with real webhook payloads against the strict fake GitHub, where the run
has only the workflow's GITHUB_TOKEN (no team membership, no branch protection to read)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pmops.documents.document import parse_document, plain, rewrite_frontmatter
from pmops.setup.init import InitOptions, ruleset
from pmops.times import parse_time
from tests.github_fake import FakeGitHub
from tests.test_action_support import OWNER, REPO, T0, Run, Story

TEAM_CODEOWNERS = "* @admin-al\n/postmortems/ @acme/incident-reviewers\n"
FORGED_MESSAGE = "Publish postmortem for #1\n\nPmops-Incident: 1\nPmops-Event: publish\n"


def meta(text: str) -> dict[str, Any]:
    return plain(parse_document(text).meta)


class Gate:
    """A story with one pmops PR open, and the moves people make on it."""

    def __init__(self, story: Story) -> None:
        self.story = story
        self.fake = story.fake
        self.minute = 60
        n = story.open_incident()
        self.incident = n
        self.branch = f"pmops/incident-{n}"
        run = story.resolve(n, at=T0 + timedelta(hours=1))
        assert run.status == "opened", run.log
        self.pr = int(run.outputs["pr-number"])
        self.path = run.outputs["postmortem-path"]

    def tick(self) -> Any:
        self.minute += 1
        return T0 + timedelta(minutes=self.minute)

    @property
    def head(self) -> str:
        return self.fake.head(OWNER, REPO, self.branch)

    def text(self, ref: str | None = None) -> str:
        return self.story.show(ref or self.branch, self.path)

    def approve(self, user: str, *, commit: str | None = None) -> Run:
        """`user` approves (the head, or an older `commit`) and GitHub delivers the event."""
        when = self.tick()
        with self.fake.at(when):
            review = self.fake.submit_review(OWNER, REPO, self.pr, user)
        if commit:
            review.commit_id = commit
        payload = self.story.payload(
            "pull_request_review.submitted",
            number=self.pr,
            head_ref=self.branch,
            head_sha=commit or self.head,
            user=user,
            sender=user,
            review_state="approved",
        )
        payload["review"]["id"] = review.id
        return self.story.deliver("pull_request_review", payload, at=when)

    def push(
        self, user: str, files: dict[str, str | None], message: str, branch: str | None = None
    ) -> str:
        when = self.tick()
        with self.fake.at(when):
            return self.fake.push_commit(
                OWNER, REPO, branch or self.branch, files, message, author=user, date=when
            )

    def sync(self, user: str, number: int | None = None, branch: str | None = None) -> Run:
        branch = branch or self.branch
        payload = self.story.payload(
            "pull_request.synchronize",
            number=number or self.pr,
            head_ref=branch,
            head_sha=self.fake.head(OWNER, REPO, branch),
            sender=user,
        )
        return self.story.deliver("pull_request", payload, at=self.tick())

    def check(self, branch: str | None = None) -> tuple[str | None, str]:
        """(state, description) of `pmops/check` on the branch head."""
        sha = self.fake.head(OWNER, REPO, branch or self.branch)
        found = [
            s
            for s in self.fake.repo(OWNER, REPO).statuses
            if s.sha == sha and s.context == "pmops/check"
        ]
        return (found[-1].state, found[-1].description or "") if found else (None, "")

    def merge(self, user: str) -> Run:
        """Merge through GitHub's rules, then deliver `pull_request.closed`."""
        when = self.tick()
        with self.fake.at(when):
            self.fake.merge_pull(OWNER, REPO, self.pr, user=user)
        payload = self.story.payload(
            "pull_request.closed", number=self.pr, head_ref=self.branch, sender=user, merged=True
        )
        return self.story.deliver("pull_request", payload, at=when)

    def forge(self, by: str) -> None:
        """A writer types the stamp and pmops's trailers into a commit of their own."""
        stamped = rewrite_frontmatter(
            self.text(),
            {"status": "published", "published_by": by, "published_at": T0 + timedelta(hours=2)},
        )
        self.push("dave", {self.path: stamped}, FORGED_MESSAGE)

    def comments(self) -> list[str]:
        return self.story.comments(self.pr)


def import_ruleset(fake: FakeGitHub) -> None:
    """An admin imports the ruleset `pmops init` wrote, through the API (body validated)."""
    fake.set_token("admin-al-token", "admin-al")
    fake.client("admin-al-token").requester.requestJsonAndCheck(
        "POST", f"{fake.api_url}/repos/{OWNER}/{REPO}/rulesets", input=ruleset(InitOptions())
    )


@pytest.fixture
def gate(fake_github: FakeGitHub, tmp_path: Path) -> Gate:
    story = Story(fake_github, tmp_path)
    story.seed(config="plan: pro\n")
    return Gate(story)


@pytest.fixture
def team_gate(fake_github: FakeGitHub, tmp_path: Path) -> Gate:
    story = Story(fake_github, tmp_path)
    story.seed(config="plan: pro\n", codeowners=TEAM_CODEOWNERS)
    fake_github.add_user("tess", email="tess@example.com")
    fake_github.add_collaborator(OWNER, REPO, "tess", "write")
    fake_github.add_team(OWNER, "incident-reviewers", ["tess"])
    return Gate(story)


# ---------------------------------------------------------------- a writer who is not an owner
def test_forged_stamp_fails_the_check(gate: Gate) -> None:
    gate.forge("carol")
    assert gate.sync("dave").status == "checked"
    state, description = gate.check()
    assert state == "failure" and "no approval by carol covers it" in description
    gate.forge("dave")  # naming themselves changes nothing
    gate.sync("dave")
    assert gate.check()[0] == "failure"


def test_forged_stamp_after_a_real_stamp_fails(gate: Gate) -> None:
    assert gate.approve("carol").status == "published"
    assert gate.check()[0] == "success"
    text = gate.text().replace("## Root cause\n\n", "## Root cause\n\nSNEAKY. ", 1)
    gate.push("dave", {gate.path: text}, FORGED_MESSAGE)  # trailers typed by a writer
    gate.sync("dave")
    state, description = gate.check()
    assert state != "success" and "changed after carol approved it" in description


def test_owner_approval_stamps_then_merge_publishes(gate: Gate) -> None:
    import_ruleset(gate.fake)
    with pytest.raises(Exception, match="Waiting on code owner review|approving review"):
        gate.fake.merge_pull(OWNER, REPO, gate.pr, user="dave")
    run = gate.approve("carol")
    assert run.status == "published", run.log
    stamped = meta(gate.text())
    assert (stamped["status"], stamped["published_by"]) == ("published", "carol")
    # The stamp commit changes only the stamp fields of that one file.
    changed = gate.story.git("diff", "--name-only", f"{gate.head}~1", gate.head).split()
    assert changed == [gate.path]
    before = meta(gate.story.show(f"{gate.head}~1", gate.path))
    assert {k for k in set(before) | set(stamped) if before.get(k) != stamped.get(k)} <= {
        "status",
        "published_by",
        "published_at",
    }
    # The ruleset dismisses stale approvals: the comment says so, not "merging publishes it".
    said = gate.comments()[-1]
    assert "approve once more" in said and "Merging this pull request publishes it" not in said
    assert gate.check() == ("pending", gate.check()[1]) and "approves once more" in gate.check()[1]
    head = gate.head
    again = gate.approve("carol")
    assert again.status == "published" and "nothing pushed" in again.summary
    assert gate.head == head and gate.check()[0] == "success"
    assert gate.approve("carol").status == "published" and gate.head == head  # never loops
    merged = gate.merge("carol")
    assert merged.status == "published", merged.log
    assert meta(gate.story.show("main", gate.path))["status"] == "published"


def test_stale_approval_does_not_stamp(gate: Gate) -> None:
    old = gate.head
    text = gate.text().replace("## Summary\n\n", "## Summary\n\nLater words. ", 1)
    gate.push("dave", {gate.path: text}, "Reword the summary")
    run = gate.approve("carol", commit=old)
    assert run.status == "refused"
    assert "approve the latest commit" in gate.comments()[-1]
    assert meta(gate.text())["status"] != "published"


def test_non_owner_writer_cannot_publish(gate: Gate) -> None:
    run = gate.approve("wendy")
    assert run.status == "not-owner"
    assert "@carol" in gate.comments()[-1] or "carol" in gate.comments()[-1]
    assert meta(gate.text())["status"] == "draft"


def test_case_insensitive_logins(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = Story(fake_github, tmp_path)
    story.seed(config="plan: pro\n", codeowners="/postmortems/ @casey\n")
    fake_github.add_user("Casey", email="casey@example.com")
    fake_github.add_collaborator(OWNER, REPO, "Casey", "write")
    gate = Gate(story)
    run = gate.approve("Casey")
    assert run.status == "published", run.log
    assert meta(gate.text())["published_by"] == "Casey"
    gate.sync("Casey")
    assert gate.check()[0] == "success"


# ---------------------------------------------------------------- published files stay put
def published(gate: Gate) -> str:
    assert gate.approve("carol").status == "published"
    assert gate.merge("carol").status == "published"
    return gate.story.show("main", gate.path)


@pytest.mark.parametrize("move", [None, "archive/old.md", "postmortems/2026/renamed.md"])
def test_deleting_or_moving_a_published_postmortem_is_refused(gate: Gate, move: str | None) -> None:
    text = published(gate)
    files: dict[str, str | None] = {gate.path: None}
    if move:
        files[move] = text
    gate.push("dave", files, "Tidy up postmortems", branch="tidy")
    with gate.fake.at(gate.tick()):
        later = gate.fake.create_pull(OWNER, REPO, "Tidy up", "tidy", user="dave")
    gate.sync("dave", later.number, "tidy")
    state, description = gate.check("tidy")
    assert state == "failure" and "deleting or moving a published postmortem" in description


def test_status_comes_from_the_frontmatter_only(gate: Gate) -> None:
    # A draft on the default branch whose body has a line `status: published`.
    draft = gate.text().replace("## Summary\n\n", "## Summary\n\nstatus: published\n\n", 1)
    gate.push("admin-al", {gate.path: draft}, "Keep the draft on main", branch="main")
    forged = rewrite_frontmatter(
        draft,
        {"status": "published", "published_by": "dave", "published_at": T0 + timedelta(hours=2)},
    )
    gate.push("dave", {gate.path: forged}, "Publish it myself", branch="sneak")
    with gate.fake.at(gate.tick()):
        later = gate.fake.create_pull(OWNER, REPO, "Publish", "sneak", user="dave")
    gate.sync("dave", later.number, "sneak")
    state, description = gate.check("sneak")
    assert state == "failure" and "no approval by dave" in description


# ---------------------------------------------------------------- team code owners
def test_team_owner_publishes_through_rules_and_review_decision(team_gate: Gate) -> None:
    gate = team_gate
    import_ruleset(gate.fake)
    run = gate.approve("tess")
    assert run.status == "published", run.log
    assert meta(gate.text())["published_by"] == "tess"
    assert "approve once more" in gate.comments()[-1]
    head = gate.head
    again = gate.approve("tess")
    assert again.status == "published" and gate.head == head
    assert gate.check()[0] == "success"
    assert gate.merge("tess").status == "published"
    assert meta(gate.story.show("main", gate.path))["status"] == "published"
    # No request pmops made could read team membership; it never tried one that fails.
    assert not [r for r in gate.fake.requests if r.route.startswith("/orgs/")]


def test_writer_outside_the_team_cannot_publish(team_gate: Gate) -> None:
    gate = team_gate
    import_ruleset(gate.fake)
    run = gate.approve("wendy")
    assert run.status == "not-owner"
    said = gate.comments()[-1]
    assert "REVIEW_REQUIRED" in said and "@acme/incident-reviewers" in said
    assert meta(gate.text())["status"] == "draft"
    # Forging the stamp for wendy does not help either: GitHub's decision is not APPROVED.
    gate.forge("wendy")
    gate.sync("dave")
    assert gate.check()[0] != "success"


def test_team_owner_without_the_ruleset_is_told_what_to_do(team_gate: Gate) -> None:
    gate = team_gate
    run = gate.approve("tess")
    assert run.status == "not-owner"
    said = gate.comments()[-1]
    assert ".github/rulesets/pmops-publish.json" in said and "Import" in said
    assert meta(gate.text())["status"] == "draft"


def test_team_approval_of_other_content_does_not_count(team_gate: Gate) -> None:
    gate = team_gate
    import_ruleset(gate.fake)
    ruleset_ids = [rs.id for rs in gate.fake.repo(OWNER, REPO).rulesets]
    rules = gate.fake.repo(OWNER, REPO).rulesets
    # Without "dismiss stale approvals", tess's approval of the first draft still counts for
    # GitHub after wendy changes the file; wendy's approval must not publish wendy's text.
    for rule in rules[0].rules:
        if rule["type"] == "pull_request":
            rule["parameters"]["dismiss_stale_reviews_on_push"] = False
    assert ruleset_ids
    with gate.fake.at(gate.tick()):
        gate.fake.submit_review(OWNER, REPO, gate.pr, "tess")
    text = gate.text().replace("## Root cause\n\n", "## Root cause\n\nWENDY SAYS. ", 1)
    gate.push("wendy", {gate.path: text}, "My version")
    run = gate.approve("wendy")
    assert run.status == "not-owner"
    assert "older commit" in gate.comments()[-1]
    assert meta(gate.text())["status"] != "published"


def test_optional_membership_token_reads_the_team(team_gate: Gate) -> None:
    gate = team_gate
    gate.fake.add_team(OWNER, "org-readers", ["reader-bot"])
    gate.fake.set_token("ghp_reader", "reader-bot", scopes=("repo", "read:org"))
    env = {"PMOPS_MEMBERSHIP_TOKEN": "ghp_reader"}
    when = gate.tick()
    with gate.fake.at(when):
        review = gate.fake.submit_review(OWNER, REPO, gate.pr, "wendy")

    def deliver(user: str, review_id: int) -> Run:
        payload = gate.story.payload(
            "pull_request_review.submitted",
            number=gate.pr,
            head_ref=gate.branch,
            head_sha=gate.head,
            user=user,
            sender=user,
            review_state="approved",
        )
        payload["review"]["id"] = review_id
        return gate.story.deliver("pull_request_review", payload, at=gate.tick(), extra_env=env)

    outsider = deliver("wendy", review.id)
    assert outsider.status == "not-owner" and "::add-mask::ghp_reader" in outsider.log
    assert "Import" not in gate.comments()[-1]  # membership was read: no ruleset needed
    with gate.fake.at(gate.tick()):
        review = gate.fake.submit_review(OWNER, REPO, gate.pr, "tess")
    member = deliver("tess", review.id)
    assert member.status == "published", member.log
    assert gate.check()[0] == "success"


def test_merging_a_forged_stamp_does_not_publish(gate: Gate) -> None:
    # No ruleset yet, so GitHub lets the merge through; pmops still refuses to publish.
    gate.forge("carol")
    gate.sync("dave")
    assert gate.check()[0] == "failure"
    run = gate.merge("dave")
    assert run.status == "merged-unpublished", run.log
    assert "do not back that stamp" in gate.comments()[-1]
    assert "postmortem:published" not in gate.story.labels(gate.incident)


def test_an_approved_stamp_cannot_be_retyped(gate: Gate) -> None:
    # Without "dismiss stale approvals", carol's approval of the stamped head still counts
    # after a writer changes the stamp fields; it no longer covers the file.
    assert gate.approve("carol").status == "published"
    assert gate.approve("carol").status == "published"  # approves the stamp itself
    assert gate.check()[0] == "success"
    retyped = rewrite_frontmatter(gate.text(), {"published_at": T0 - timedelta(days=400)})
    gate.push("dave", {gate.path: retyped}, FORGED_MESSAGE)
    gate.sync("dave")
    assert gate.check()[0] != "success"


@pytest.mark.parametrize(
    ("moved", "said"),
    [(-timedelta(days=400), "before carol first approved"), (timedelta(days=30), "in the future")],
)
def test_the_stamp_time_cannot_be_retyped_outside_the_approval(
    gate: Gate, moved: timedelta, said: str
) -> None:
    # Without "dismiss stale approvals", carol's one approval (of the unstamped content) still
    # covers the head after a writer retypes published_at: GitHub's review times bound it.
    assert gate.approve("carol").status == "published"
    assert gate.check()[0] == "success"
    stamped_at = parse_time(meta(gate.text())["published_at"])
    retyped = rewrite_frontmatter(gate.text(), {"published_at": stamped_at + moved})
    gate.push("dave", {gate.path: retyped}, FORGED_MESSAGE)
    gate.sync("dave")
    state, description = gate.check()
    assert state == "failure" and said in description, description
