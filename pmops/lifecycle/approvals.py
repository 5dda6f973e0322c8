"""Who approved what, from GitHub's records (DESIGN §4, Trust), and who owns a file.

Pure: the facts (reviews with their commit ids, the branch's rules, GitHub's review decision,
collaborator roles, team memberships pmops could read) are gathered by the event layer;
this module only decides. Logins compare case-insensitively everywhere, as GitHub does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from pmops.errors import PmopsError
from pmops.lifecycle.codeowners import CodeOwners
from pmops.lifecycle.permissions import Role
from pmops.times import format_time, parse_time

APPROVED = "APPROVED"
_APPROVALS = (APPROVED, "DISMISSED")
"""Review states of an approval, counted or since dismissed."""


@dataclass(frozen=True)
class Review:
    """One submitted review as GitHub lists it."""

    login: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
    commit_id: str
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class BranchRules:
    """The active rules of the base branch (`GET /rules/branches/{branch}`, readable by any
    reader of the repository); `readable` False when even that failed."""

    readable: bool = False
    require_code_owner_review: bool = False
    dismiss_stale_reviews: bool = False
    required_checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewFacts:
    """GitHub's records about one pull request's approvals."""

    reviews: tuple[Review, ...] = ()
    decision: str | None = None  # reviewDecision: APPROVED | REVIEW_REQUIRED | ...; None unknown
    rules: BranchRules = BranchRules()
    roles: Mapping[str, Role] = field(default_factory=dict)  # lowercased login -> role
    memberships: Mapping[tuple[str, str], bool] = field(default_factory=dict)
    """(lowercased org/team, lowercased login) -> member; absent when it could not be read."""
    read_at: datetime | None = None
    """When these records were read: no stamp can be later than that."""

    def role(self, login: str) -> Role:
        """The collaborator role of `login` (NONE when unknown)."""
        return self.roles.get(login.lower(), Role.NONE)


STAMP_SKEW = timedelta(minutes=5)
"""Clock difference tolerated between GitHub's records and the time pmops stamped."""


def stamp_time_problem(published_at: object, by: str, facts: ReviewFacts) -> str | None:
    """Why `published_at` cannot be the time the stamp was made, or None.

    pmops stamps after `by` approves, so the time lies between `by`'s first approval
    (GitHub's `submitted_at`, dismissed ones included) and the moment GitHub's records were
    read. A writer who retypes it outside that span (backdated before anyone approved, or in
    the future) is refused; when the records carry no times there is nothing to compare.
    """
    try:
        at = parse_time(published_at, "published_at")
    except PmopsError:
        return f"published_at {published_at!r} is not a time"
    first = min((r.submitted_at for r in approvals_of(facts, by) if r.submitted_at), default=None)
    if first is not None and at < first - STAMP_SKEW:
        when = format_time(first)
        return f"published_at {format_time(at)} is before {by} first approved ({when})"
    if facts.read_at is not None and at > facts.read_at + STAMP_SKEW:
        return f"published_at {format_time(at)} is in the future"
    return None


def same_login(a: str, b: str) -> bool:
    """GitHub logins are case-insensitive."""
    return a.lower() == b.lower()


def approvals_of(facts: ReviewFacts, login: str) -> list[Review]:
    """Every approval `login` submitted, dismissed ones included, in GitHub's order."""
    return [r for r in facts.reviews if same_login(r.login, login) and r.state in _APPROVALS]


def counted_approvals(facts: ReviewFacts) -> list[Review]:
    """Approvals GitHub counts: each reviewer's latest opinion (approve, request changes or
    dismissed; comments do not change it) is an approval, from someone with write access."""
    latest: dict[str, Review] = {}
    for review in facts.reviews:
        if review.state in (APPROVED, "CHANGES_REQUESTED", "DISMISSED"):
            latest[review.login.lower()] = review
    return [
        r for r in latest.values() if r.state == APPROVED and facts.role(r.login) >= Role.MEMBER
    ]


class Ownership(StrEnum):
    """How a reviewer relates to a file's code owners."""

    OWNER = "owner"  # a listed user, a member of a listed team (membership read), or an admin
    NOT_OWNER = "not-owner"  # provably not
    TEAM_UNKNOWN = "team-unknown"  # teams own it and membership could not be read


@dataclass(frozen=True)
class OwnerAnswer:
    """The answer and who may publish (for messages)."""

    ownership: Ownership
    who: str
    teams: tuple[str, ...] = ()


def ownership(owners: CodeOwners, path: str, login: str, facts: ReviewFacts) -> OwnerAnswer:
    """Whether `login` owns `path` per the base branch's CODEOWNERS (and has write access)."""
    users = owners.user_owners_of(path)
    role = facts.role(login)
    if users is None:
        who = "an admin (no CODEOWNERS rule matches the file)"
        return OwnerAnswer(Ownership.OWNER if role >= Role.ADMIN else Ownership.NOT_OWNER, who)
    listed = ", ".join(owners.owners_of(path) or ()) or "nobody"
    teams = owners.team_owners_of(path)
    if role < Role.MEMBER:
        return OwnerAnswer(Ownership.NOT_OWNER, f"a code owner with write access ({listed})", teams)
    if any(same_login(login, user) for user in users):
        return OwnerAnswer(Ownership.OWNER, listed, teams)
    known = [facts.memberships.get((team.lower(), login.lower())) for team in teams]
    if any(member is True for member in known):
        return OwnerAnswer(Ownership.OWNER, listed, teams)
    if teams and any(member is None for member in known):
        return OwnerAnswer(Ownership.TEAM_UNKNOWN, listed, teams)
    return OwnerAnswer(Ownership.NOT_OWNER, f"a code owner ({listed})", teams)


def github_confirms_owner(facts: ReviewFacts) -> bool:
    """GitHub itself says a code owner approved: the base branch's active rules require
    code-owner review and the pull request's review decision is APPROVED."""
    return facts.rules.require_code_owner_review and facts.decision == APPROVED
