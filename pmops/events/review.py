"""`pull_request_review.submitted`: a code owner's approval stamps the postmortem published.

Owner: the last matching CODEOWNERS rule of the base branch names the reviewer (a listed
user, or a member of a listed team), who also has write access; where no rule matches, an
admin. The stamp is one bot commit (`status: published`, `published_by`, `published_at`).
An approval that finds a fresh stamp at head pushes nothing: with "dismiss stale approvals"
on, the owner approves once more and pmops does not loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from github import GithubException

from pmops.check import check_text
from pmops.document import rewrite_frontmatter
from pmops.errors import TransitionError
from pmops.events.api import marker
from pmops.events.branch import BranchState, incident_of, push, read_state, report_check
from pmops.events.context import Context, Outcome
from pmops.events.messages import comment
from pmops.events.signoff_gate import signoff_pending
from pmops.lifecycle import Event, next_status
from pmops.model import Status
from pmops.permissions import Role
from pmops.publish import codeowners_at, stamp_is_fresh
from pmops.trailers import format_message, pmops_trailers


def on_review(event: Mapping[str, Any], ctx: Context) -> Outcome:
    """Handle a submitted review."""
    review = event["review"]
    pr = event["pull_request"]
    number = int(pr["number"])
    if str(review.get("state", "")).lower() != "approved":
        return Outcome("ignored", "not an approval", number)
    incident = incident_of(pr["head"]["ref"])
    if incident is None:
        return Outcome("ignored", "not a pmops pull request", number)
    login = review["user"]["login"]
    head = ctx.workspace.fetch_branch(pr["head"]["ref"])
    state = read_state(ctx, head, incident) if head else None
    if state is None or head is None:
        return Outcome("ignored", "no postmortem on this pull request", number)
    owner, who = _is_owner(ctx, state.path, login)
    if not owner:
        ctx.api.comment(number, comment("not_owner", login=f"@{login}", path=state.path,
                                        who=who, status=state.status),
                        marker("not-owner", review["id"]), update=False)
        return Outcome("not-owner", f"{login} is not a code owner of {state.path}", number,
                       state.path)
    if review.get("commit_id") and review["commit_id"] != head:
        ctx.api.comment(number, f"@{login} approved {review['commit_id'][:7]}, but the branch "
                        f"is now at {head[:7]}: approve the latest commit to publish.",
                        marker("stale-approval", review["id"]), update=False)
        return Outcome("refused", "approval of an older commit", number, state.path)
    if state.status == Status.PUBLISHED.value:
        fresh, _ = stamp_is_fresh(ctx.workspace, ctx.default_ref, head, state.path)
        if fresh:
            report_check(ctx, head)
            return Outcome("published", "already stamped; nothing pushed", number, state.path)
    # followthrough (#18): sign-off by severity, before a new stamp.
    if state.postmortem is not None:
        pending = signoff_pending(ctx, number, state.path, head, state.postmortem.severity,
                                  lambda who: _is_owner(ctx, state.path, who)[0])
        if pending is not None:
            return pending
    return _stamp(ctx, number, incident, state, login, pr)


def _is_owner(ctx: Context, path: str, login: str) -> tuple[bool, str]:
    """Whether `login` may publish `path`, and who may (for the refusal message)."""
    owners = codeowners_at(ctx.workspace, ctx.default_ref)
    users = owners.user_owners_of(path)
    role = ctx.api.permission(login).role
    if users is None:
        return role >= Role.ADMIN, "an admin (no CODEOWNERS rule matches the file)"
    teams = owners.team_owners_of(path)
    listed = ", ".join(owners.owners_of(path) or ()) or "nobody"
    if role < Role.MEMBER:
        return False, f"a code owner with write access ({listed})"
    if login.lower() in (u.lower() for u in users):
        return True, listed
    for team in teams:
        org, _, slug = team.partition("/")
        try:
            membership = ctx.gh.get_organization(org).get_team_by_slug(slug).get_team_membership(
                login)
        except GithubException:
            continue
        if membership.state == "active":
            return True, listed
    return False, f"a code owner ({listed})"


def _stamp(ctx: Context, number: int, incident: int, state: BranchState, login: str,
           pr: Mapping[str, Any]) -> Outcome:
    problems, _ = check_text(state.text, state.path, ctx.config.sections)
    if problems:
        listed = "\n".join(f"- `{p}`" for p in problems[:10])
        ctx.api.comment(number, f"The approval cannot publish `{state.path}` yet: fix these "
                        f"first, then approve again.\n\n{listed}", marker("stamp-blocked",
                                                                           state.head))
        report_check(ctx, state.head)
        return Outcome("refused", f"{len(problems)} problem(s) block publishing", number,
                       state.path)
    current = Status(state.status)
    try:
        next_status(current, Event.PUBLISH)
    except TransitionError:
        pass  # published but changed after its stamp: stamp again
    now = ctx.now()
    text = rewrite_frontmatter(state.text, {"status": Status.PUBLISHED.value,
                                            "published_by": login, "published_at": now},
                               state.path)
    generated = state.postmortem.generated_at if state.postmortem else None
    message = format_message(f"Publish postmortem for #{incident}",
                             f"Approved by code owner {login} in #{number}.",
                             pmops_trailers(incident, "publish", None, generated))
    sha = ctx.workspace.commit(state.head, {state.path: text}, message, now)
    push(ctx, sha, pr["head"]["ref"])
    present = [label.name for label in ctx.api.issue(number).labels]  # the payload's may be stale
    ctx.api.add_labels(number, ["pmops:ready"], present)
    ctx.api.comment(number, comment("stamped", login=login, path=state.path, sha=sha[:7],
                                    dismiss_stale=_dismisses_stale(ctx)),
                    marker("stamped", sha))
    return Outcome("published", f"stamped published by {login} in {sha[:7]}", number,
                   state.path)


def _dismisses_stale(ctx: Context) -> bool:
    """Whether branch protection dismisses approvals on new commits (False if unreadable)."""
    try:
        protection = ctx.api.repo.get_branch(ctx.default_branch).get_protection()
    except GithubException:
        return False
    reviews = protection.required_pull_request_reviews
    return bool(reviews and reviews.dismiss_stale_reviews)
