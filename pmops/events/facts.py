"""GitHub's records of a pull request's approvals, read for the publish gate.

Everything here is readable with the workflow's GITHUB_TOKEN: the reviews (with the commit
each approved), the collaborator permission of each reviewer, the active rules of the base
branch (`GET /rules/branches/{branch}`, unlike classic branch protection, which needs
admin) and GitHub's review decision (GraphQL, `pull-requests: read`). Team membership is
not: it is left unknown, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from github import Github, GithubException

from pmops.documents.document import parse_document, plain
from pmops.errors import PmopsError
from pmops.events.context import Context
from pmops.github.client import connect
from pmops.lifecycle.approvals import APPROVED, Review, ReviewFacts
from pmops.lifecycle.publish import SUCCESS, Facts, codeowners_at, stamp_verdict, status_of
from pmops.model import Status


def review_facts(ctx: Context, number: int) -> ReviewFacts:
    """Reviews, reviewers' roles, the base branch's rules and the review decision of a PR."""
    reviews = ctx.api.reviews(number)
    logins = {r.login.lower(): r.login for r in reviews}
    roles = {key: ctx.api.permission(login).role for key, login in sorted(logins.items())}
    try:
        decision = ctx.api.review_decision(number)
    except GithubException:
        decision = None  # unknown: never read as approved
    return ReviewFacts(
        reviews,
        decision,
        ctx.api.branch_rules(ctx.default_branch),
        roles,
        team_memberships(ctx, reviews),
        read_at=ctx.now(),
    )


def team_memberships(ctx: Context, reviews: Iterable[Review]) -> dict[tuple[str, str], bool]:
    """(team, login) -> member, for approvers and the teams CODEOWNERS names, read with the
    optional membership token; empty without one (GITHUB_TOKEN gets 403 on team endpoints)."""
    token = ctx.inputs.membership_token
    if not token:
        return {}
    owners = codeowners_at(ctx.workspace, ctx.default_ref)
    teams = sorted(
        {
            o[1:].lower()
            for rule in owners.rules
            for o in rule.owners
            if o.startswith("@") and "/" in o
        }
    )
    approvers = sorted({r.login.lower() for r in reviews if r.state == APPROVED})
    if not teams or not approvers:
        return {}
    gh = connect(token, ctx.inputs.api_url)
    found: dict[tuple[str, str], bool | None] = {}
    for team in teams:
        org, _, slug = team.partition("/")
        for login in approvers:
            try:
                _, data = gh.requester.requestJsonAndCheck(
                    "GET", f"{ctx.inputs.api_url}/orgs/{org}/teams/{slug}/memberships/{login}"
                )
            except GithubException as exc:
                if exc.status == 404:  # not a member (or the team is not visible: unknown)
                    found[(team, login)] = False if _team_visible(gh, ctx, org, slug) else None
                continue
            found[(team, login)] = data.get("state") == "active"
    return {k: v for k, v in found.items() if v is not None}


def _team_visible(gh: Github, ctx: Context, org: str, slug: str) -> bool:
    """Whether the membership token can see the team at all (else a 404 means nothing)."""
    try:
        gh.requester.requestJsonAndCheck(
            "GET",
            f"{ctx.inputs.api_url}/orgs/{org}/teams/{slug}/members",
            parameters={"per_page": 1},
        )
    except GithubException:
        return False
    return True


def facts_of(ctx: Context, number: int | None) -> Facts:
    """A lazy, once-only reader of `review_facts` (no records without a pull request)."""
    if number is None:
        return ReviewFacts
    return cache(lambda: review_facts(ctx, number))


def merged_stamp_problem(ctx: Context, number: int, path: str) -> str | None:
    """Why the stamp of a postmortem merged by PR `number` is not backed by GitHub's records
    (None when it is, or when the base had it published already: a later edit).

    The gate runs as a required check, but a merge can skip it (no ruleset yet, an admin
    bypass); a stamp a writer typed must not become an official postmortem either way.
    """
    pull = ctx.api.pull(number)
    merge_sha, head = pull.merge_commit_sha, pull.head.sha
    if not merge_sha or not head:
        return "GitHub reports no merge commit for this pull request"
    before = f"{merge_sha}^1"
    if status_of(ctx.workspace.read(before, path), path) == Status.PUBLISHED.value:
        return None
    ctx.workspace.fetch(f"+refs/pull/{number}/head:refs/remotes/pull/{number}")
    text = ctx.workspace.read(head, path)
    meta = _meta(text, path)
    verdict = stamp_verdict(
        ctx.workspace,
        head,
        path,
        str(meta.get("published_by") or ""),
        codeowners_at(ctx.workspace, before),
        review_facts(ctx, number),
    )
    return None if verdict.state == SUCCESS else verdict.reason


def _meta(text: str | None, path: str) -> dict[str, object]:
    try:
        return dict(plain(parse_document(text or "", path).meta))
    except PmopsError:
        return {}
