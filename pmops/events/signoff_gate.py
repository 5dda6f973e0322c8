"""Read the facts `pmops.follow.signoff` judges: the approvals of the pull request's head commit,
whether each approver is a code owner, and (when a team is named) their membership."""

from __future__ import annotations

from collections.abc import Callable

from github import GithubException

from pmops.events.context import Context, Outcome
from pmops.follow.signoff import Approval, evaluate_signoff, signoff_message
from pmops.github.api import marker
from pmops.model import Severity


def signoff_pending(
    ctx: Context,
    number: int,
    path: str,
    head: str,
    severity: Severity,
    is_owner: Callable[[str], bool],
) -> Outcome | None:
    """None when the severity's sign-off is met; else a comment and a `refused` outcome."""
    rule = ctx.config.follow.signoff_for(severity)
    if rule.approvals <= 1 and not rule.team:
        return None  # one code owner: the approval being handled is enough (no extra request)
    latest: dict[str, tuple[str, str]] = {}
    for review in ctx.api.pull(number).get_reviews():
        if review.user is not None and review.state in (
            "APPROVED",
            "CHANGES_REQUESTED",
            "DISMISSED",
        ):
            latest[review.user.login] = (review.state, review.commit_id or "")
    approvals = [
        Approval(login, is_owner(login), _teams(ctx, login, rule.team))
        for login, (state, commit) in sorted(latest.items())
        if state == "APPROVED" and commit == head
    ]
    verdict = evaluate_signoff(rule, approvals)
    if verdict.satisfied:
        return None
    ctx.api.comment(number, signoff_message(severity, rule, verdict), marker("signoff", head))
    return Outcome(
        "refused",
        f"{severity.value} sign-off incomplete: {'; '.join(verdict.missing)}",
        number,
        path,
    )


def _teams(ctx: Context, login: str, team: str | None) -> frozenset[str] | None:
    """{team} or {} when membership is readable; None when the token may not read it."""
    if not team:
        return frozenset()
    org, _, slug = team.partition("/")
    try:
        membership = ctx.gh.get_organization(org).get_team_by_slug(slug).get_team_membership(login)
    except GithubException:
        return None  # GITHUB_TOKEN may not read teams (403/404): unknown, never "not a member"
    return frozenset({team.lower()}) if membership.state == "active" else frozenset()
