"""Who approved what and who owns a file, over GitHub's records (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pmops.lifecycle.approvals import (
    BranchRules,
    Ownership,
    Review,
    ReviewFacts,
    counted_approvals,
    github_confirms_owner,
    ownership,
    stamp_time_problem,
)
from pmops.lifecycle.codeowners import parse_codeowners
from pmops.lifecycle.permissions import Role

PATH = "postmortems/2026/2026-03-20-1-x.md"


def facts(*reviews: Review, **kw: object) -> ReviewFacts:
    roles = {"carol": Role.MEMBER, "tess": Role.MEMBER, "rita": Role.VIEWER, "al": Role.ADMIN}
    return ReviewFacts(reviews, roles=roles, **kw)  # type: ignore[arg-type]


def test_counted_approvals_follow_githubs_rules() -> None:
    got = counted_approvals(
        facts(
            Review("Carol", "APPROVED", "a"),
            Review("carol", "COMMENTED", "b"),  # a comment does not change the opinion
            Review("tess", "APPROVED", "a"),
            Review("TESS", "DISMISSED", "a"),  # the latest opinion is dismissed
            Review("rita", "APPROVED", "a"),  # read access: not counted
        )
    )
    assert [(r.login, r.commit_id) for r in got] == [("Carol", "a")]


def test_ownership_is_case_insensitive_and_never_guesses_teams() -> None:
    users = parse_codeowners("/postmortems/ @casey @Carol\n")
    assert ownership(users, PATH, "carol", facts()).ownership is Ownership.OWNER
    assert ownership(users, PATH, "rita", facts()).ownership is Ownership.NOT_OWNER
    team = parse_codeowners("/postmortems/ @acme/reviewers\n")
    assert ownership(team, PATH, "tess", facts()).ownership is Ownership.TEAM_UNKNOWN
    known = facts(
        memberships={("acme/reviewers", "tess"): True, ("acme/reviewers", "carol"): False}
    )
    assert ownership(team, PATH, "TESS", known).ownership is Ownership.OWNER
    assert ownership(team, PATH, "carol", known).ownership is Ownership.NOT_OWNER
    nobody = parse_codeowners("/src/ @dev\n")
    assert ownership(nobody, PATH, "al", facts()).ownership is Ownership.OWNER  # admin, no rule
    assert ownership(nobody, PATH, "carol", facts()).ownership is Ownership.NOT_OWNER


def test_github_confirms_a_code_owner_only_under_the_rule() -> None:
    required = BranchRules(True, require_code_owner_review=True)
    assert github_confirms_owner(facts(decision="APPROVED", rules=required))
    assert not github_confirms_owner(facts(decision="APPROVED", rules=BranchRules(True)))
    assert not github_confirms_owner(facts(decision="REVIEW_REQUIRED", rules=required))
    assert not github_confirms_owner(facts(decision=None, rules=required))


def test_the_stamp_time_lies_between_the_first_approval_and_the_reading() -> None:
    first = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
    facts = ReviewFacts(
        reviews=(
            Review("Carol", "DISMISSED", "a" * 40, first),
            Review("carol", "APPROVED", "b" * 40, first + timedelta(hours=1)),
            Review("dave", "APPROVED", "c" * 40, first - timedelta(days=1)),
        ),
        read_at=first + timedelta(hours=2),
    )
    assert stamp_time_problem("2026-03-20T15:00:30Z", "carol", facts) is None
    assert stamp_time_problem(first - timedelta(minutes=4), "carol", facts) is None  # clock skew
    assert "before carol first approved" in str(
        stamp_time_problem(first - timedelta(hours=1), "carol", facts)
    )
    assert "in the future" in str(stamp_time_problem(first + timedelta(hours=3), "carol", facts))
    assert "not a time" in str(stamp_time_problem("yesterday", "carol", facts))
    # Records without times (an older server) bound nothing.
    assert stamp_time_problem(first - timedelta(days=9), "carol", ReviewFacts()) is None
