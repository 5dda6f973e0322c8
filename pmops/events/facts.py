"""GitHub's records of a pull request's approvals, read for the publish gate.

Everything here is readable with the workflow's GITHUB_TOKEN: the reviews (with the commit
each approved), the collaborator permission of each reviewer, the active rules of the base
branch (`GET /rules/branches/{branch}`, unlike classic branch protection, which needs
admin) and GitHub's review decision (GraphQL, `pull-requests: read`). Team membership is
not: it is left unknown, never guessed.
"""

from __future__ import annotations

from functools import cache

from github import GithubException

from pmops.approvals import ReviewFacts
from pmops.events.context import Context
from pmops.publish import Facts


def review_facts(ctx: Context, number: int) -> ReviewFacts:
    """Reviews, reviewers' roles, the base branch's rules and the review decision of a PR."""
    reviews = ctx.api.reviews(number)
    logins = {r.login.lower(): r.login for r in reviews}
    roles = {key: ctx.api.permission(login).role for key, login in sorted(logins.items())}
    try:
        decision = ctx.api.review_decision(number)
    except GithubException:
        decision = None  # unknown: never read as approved
    return ReviewFacts(reviews, decision, ctx.api.branch_rules(ctx.default_branch), roles)


def facts_of(ctx: Context, number: int | None) -> Facts:
    """A lazy, once-only reader of `review_facts` (no records without a pull request)."""
    if number is None:
        return ReviewFacts
    return cache(lambda: review_facts(ctx, number))
