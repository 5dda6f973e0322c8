"""Who approved what and who owns a file, over GitHub's records (pure)."""

from __future__ import annotations

from pmops.lifecycle.approvals import (
    BranchRules,
    Ownership,
    Review,
    ReviewFacts,
    counted_approvals,
    github_confirms_owner,
    ownership,
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
