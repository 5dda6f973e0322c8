"""Branch rules as GitHub enforces them: classic protection and active rulesets, merged.

GitHub layers every active ruleset that targets a branch on top of its classic protection;
the strictest setting wins. ``evaluate`` and ``disabled`` rulesets enforce nothing (and the
rules endpoint does not return them). The review decision is GitHub's ``reviewDecision``
of a pull request: ``None`` when no review is required, else ``CHANGES_REQUESTED``,
``APPROVED`` or ``REVIEW_REQUIRED``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from .state import ROLE_RANK, Issue, Repo, Review, Ruleset

if TYPE_CHECKING:
    from .state import Store

ADMIN_ROLE_ID = 5
"""GitHub's ``actor_id`` of the repository admin role in ruleset bypass lists."""


@dataclass(frozen=True)
class Requirements:
    """What must hold before a pull request merges into a branch."""

    approvals: int = 0
    code_owner_review: bool = False
    dismiss_stale: bool = False
    status_checks: tuple[str, ...] = ()
    strict: bool = False
    admins_bypass: bool = False
    reviews: bool = False  # some rule asks for pull request reviews


def _matches(repo: Repo, pattern: str, branch: str) -> bool:
    if pattern == "~ALL":
        return True
    if pattern == "~DEFAULT_BRANCH":
        return branch == repo.default_branch
    return fnmatchcase(f"refs/heads/{branch}", pattern)


def ruleset_applies(repo: Repo, ruleset: Ruleset, branch: str) -> bool:
    """Whether an active ruleset targets ``branch``."""
    if ruleset.enforcement != "active":
        return False
    included = any(_matches(repo, p, branch) for p in ruleset.include)
    return included and not any(_matches(repo, p, branch) for p in ruleset.exclude)


def active_rules(repo: Repo, branch: str) -> list[tuple[Ruleset, dict[str, Any]]]:
    """(ruleset, rule) of every active rule that applies to ``branch``."""
    return [
        (rs, rule) for rs in repo.rulesets if ruleset_applies(repo, rs, branch) for rule in rs.rules
    ]


def requirements(repo: Repo, branch: str) -> Requirements | None:
    """The merged requirements of ``branch`` (None when nothing protects it)."""
    prot = repo.protection.get(branch)
    rules = active_rules(repo, branch)
    if prot is None and not rules:
        return None
    req = Requirements()
    if prot is not None:
        req = Requirements(
            prot.required_approving_review_count,
            prot.require_code_owner_reviews,
            prot.dismiss_stale_reviews,
            tuple(prot.required_status_checks),
            prot.strict,
            not prot.enforce_admins,
            True,
        )
    bypass = req.admins_bypass if prot is not None else True
    for ruleset, rule in rules:
        if not any(
            a.get("actor_type") == "RepositoryRole" and a.get("actor_id") == ADMIN_ROLE_ID
            for a in ruleset.bypass_actors
        ):
            bypass = False
        params = rule.get("parameters") or {}
        if rule.get("type") == "pull_request":
            req = Requirements(
                max(req.approvals, int(params.get("required_approving_review_count", 0))),
                req.code_owner_review or bool(params.get("require_code_owner_review")),
                req.dismiss_stale or bool(params.get("dismiss_stale_reviews_on_push")),
                req.status_checks,
                req.strict,
                req.admins_bypass,
                True,
            )
        elif rule.get("type") == "required_status_checks":
            checks = [c["context"] for c in params.get("required_status_checks") or []]
            req = Requirements(
                req.approvals,
                req.code_owner_review,
                req.dismiss_stale,
                tuple(dict.fromkeys([*req.status_checks, *checks])),
                req.strict or bool(params.get("strict_required_status_checks_policy")),
                req.admins_bypass,
                req.reviews,
            )
    return Requirements(
        req.approvals,
        req.code_owner_review,
        req.dismiss_stale,
        req.status_checks,
        req.strict,
        bypass,
        req.reviews,
    )


def latest_reviews(pr_reviews: list[Review]) -> dict[str, Review]:
    """Each reviewer's latest opinion (approve, request changes or dismissed), by login."""
    latest: dict[str, Review] = {}
    for rv in pr_reviews:
        if rv.state in {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}:
            latest[rv.user.lower()] = rv
    return latest


def counted_approvers(repo: Repo, pr_reviews: list[Review]) -> list[str]:
    """Logins whose latest review approves and who have write access (GitHub counts those)."""
    return [
        rv.user
        for rv in latest_reviews(pr_reviews).values()
        if rv.state == "APPROVED"
        and ROLE_RANK.index(repo.role(rv.user)) >= ROLE_RANK.index("write")
    ]


def owner_approved(store: Store, owners: list[str], approvers: list[str]) -> bool:
    """Whether an approver is one of ``owners`` (users, or members of ``org/team``)."""
    for owner in owners:
        for login in approvers:
            if "/" in owner and store.in_team(owner, login):
                return True
            if "/" not in owner and owner.lower() == login.lower():
                return True
    return False


def review_decision(
    store: Store, repo: Repo, iss: Issue, owners: dict[str, list[str] | None]
) -> str | None:
    """GitHub's ``reviewDecision`` of a pull request, given its changed paths' owners."""
    pr = iss.pull
    assert pr is not None
    req = requirements(repo, pr.base)
    if req is None or not req.reviews:
        return None
    latest = latest_reviews(pr.reviews)
    if any(rv.state == "CHANGES_REQUESTED" for rv in latest.values()):
        return "CHANGES_REQUESTED"
    approvers = counted_approvers(repo, pr.reviews)
    if len(approvers) < req.approvals:
        return "REVIEW_REQUIRED"
    if req.code_owner_review:
        for path_owners in owners.values():
            if path_owners and not owner_approved(store, path_owners, approvers):
                return "REVIEW_REQUIRED"
    return "APPROVED"


def rule_detail(repo: Repo, ruleset: Ruleset, rule: dict[str, Any]) -> dict[str, Any]:
    """A rule as ``GET /rules/branches/{branch}`` answers it (with its ruleset's origin)."""
    return {
        **rule,
        "ruleset_source_type": "Repository",
        "ruleset_source": repo.full_name,
        "ruleset_id": ruleset.id,
    }
