"""`pull_request_review.submitted`: a code owner's approval stamps the postmortem published.

Who approved what comes from GitHub's records (`pmops.events.facts`), never from commit
text. The approver publishes when they own the file per the base branch's CODEOWNERS (a
listed user with write access, a member of a listed team whose membership pmops could
read, or an admin where no rule matches), or — for a team whose membership GITHUB_TOKEN
cannot read — when GitHub confirms it: the base branch's active rules require code-owner
review, the review decision is APPROVED, and every counted approval is of this content.

The stamp is one bot commit that changes only `status`, `published_by` and `published_at`.
An approval that finds a valid stamp at the head pushes nothing: with "dismiss stale
approvals" on, the owner approves once more and pmops does not loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmops.documents.check import check_text
from pmops.documents.document import rewrite_frontmatter
from pmops.events.branch import BranchState, incident_of, push, read_state, report_check
from pmops.events.context import Context, Outcome
from pmops.events.facts import review_facts
from pmops.events.messages import comment
from pmops.events.signoff_gate import signoff_pending
from pmops.github.api import marker
from pmops.lifecycle.approvals import (
    Ownership,
    ReviewFacts,
    counted_approvals,
    github_confirms_owner,
    ownership,
)
from pmops.lifecycle.codeowners import RULESET_PATH, CodeOwners
from pmops.lifecycle.publish import (
    SUCCESS,
    codeowners_at,
    covers,
    stamp_verdict,
    team_reason,
    unstamped,
)
from pmops.lifecycle.status import stamp_fields
from pmops.lifecycle.trailers import format_message, pmops_trailers
from pmops.model import Status


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
    facts = review_facts(ctx, number)
    owners = codeowners_at(ctx.workspace, ctx.default_ref)
    if state.status == Status.PUBLISHED.value:
        by = str(state.meta.get("published_by") or "")
        if stamp_verdict(ctx.workspace, head, state.path, by, owners, facts).state == SUCCESS:
            report_check(ctx, head, number)
            return Outcome("published", "already stamped; nothing pushed", number, state.path)
    refusal = _refusal(ctx, number, state, login, review, facts, owners)
    if refusal is not None:
        return refusal
    if (
        state.postmortem is not None
    ):  # sign-off by severity (pmops.follow.signoff), before a new stamp
        pending = signoff_pending(
            ctx, number, state.path, head, state.postmortem.severity,
            lambda who: ownership(owners, state.path, who, facts).ownership is Ownership.OWNER,
        )  # fmt: skip
        if pending is not None:
            return pending
    return _stamp(ctx, number, incident, state, login, pr, facts)


def _refusal(
    ctx: Context,
    number: int,
    state: BranchState,
    login: str,
    review: Mapping[str, Any],
    facts: ReviewFacts,
    owners: CodeOwners,
) -> Outcome | None:
    """The outcome (after a comment saying what to do) when this approval cannot publish."""
    answer = ownership(owners, state.path, login, facts)
    if answer.ownership is Ownership.NOT_OWNER:
        ctx.api.comment(
            number,
            comment(
                "not_owner", login=f"@{login}", path=state.path, who=answer.who, status=state.status
            ),
            marker("not-owner", review["id"]),
            update=False,
        )
        return Outcome(
            "not-owner", f"{login} is not a code owner of {state.path}", number, state.path
        )
    content = unstamped(ctx.workspace, state.head, state.path)
    reviewed = str(review.get("commit_id") or state.head)
    if reviewed != state.head and not covers(
        ctx.workspace, reviewed, state.head, state.path, content
    ):
        ctx.api.comment(
            number,
            comment(
                "stale_approval", login=f"@{login}", reviewed=reviewed[:7], head=state.head[:7]
            ),
            marker("stale-approval", review["id"]),
            update=False,
        )
        return Outcome("refused", "approval of an older commit", number, state.path)
    if answer.ownership is Ownership.TEAM_UNKNOWN:
        approvals = counted_approvals(facts)
        covering = [
            r
            for r in approvals
            if covers(ctx.workspace, r.commit_id, state.head, state.path, content)
        ]
        if not (github_confirms_owner(facts) and len(covering) == len(approvals)):
            ctx.api.comment(
                number,
                comment(
                    "team_unconfirmed",
                    login=f"@{login}",
                    path=state.path,
                    who=answer.who,
                    status=state.status,
                    rules_require=facts.rules.require_code_owner_review,
                    decision=facts.decision,
                    older=len(approvals) - len(covering),
                    ruleset_path=RULESET_PATH,
                ),
                marker("team-unconfirmed", review["id"]),
                update=False,
            )
            report_check(ctx, state.head, number)
            return Outcome(
                "not-owner", team_reason(facts, len(covering), len(approvals)), number, state.path
            )
    return None


def _stamp(
    ctx: Context,
    number: int,
    incident: int,
    state: BranchState,
    login: str,
    pr: Mapping[str, Any],
    facts: ReviewFacts,
) -> Outcome:
    problems, _ = check_text(state.text, state.path, ctx.config.sections)
    if problems:
        ctx.api.comment(
            number,
            comment("stamp_blocked", path=state.path, problems=[str(p) for p in problems[:10]]),
            marker("stamp-blocked", state.head),
        )
        report_check(ctx, state.head, number)
        return Outcome(
            "refused", f"{len(problems)} problem(s) block publishing", number, state.path
        )
    now = ctx.now()
    fields = stamp_fields(Status(state.status), login, now, restamp=True)
    text = rewrite_frontmatter(state.text, fields, state.path)
    generated = state.postmortem.generated_at if state.postmortem else None
    message = format_message(
        f"Publish postmortem for #{incident}",
        f"Approved by code owner {login} in #{number}.",
        pmops_trailers(incident, "publish", None, generated),
    )
    sha = ctx.workspace.commit(state.head, {state.path: text}, message, now)
    push(ctx, sha, pr["head"]["ref"], number)
    present = [label.name for label in ctx.api.issue(number).labels]  # the payload's may be stale
    ctx.api.add_labels(number, ["pmops:ready"], present)
    dismissed = facts.rules.dismiss_stale_reviews or _dismissed(ctx, number, login)
    ctx.api.comment(
        number,
        comment("stamped", login=login, path=state.path, sha=sha[:7], dismiss_stale=dismissed),
        marker("stamped", sha),
    )
    return Outcome("published", f"stamped published by {login} in {sha[:7]}", number, state.path)


def _dismissed(ctx: Context, number: int, login: str) -> bool:
    """Whether GitHub dismissed `login`'s approval after the stamp push (classic branch
    protection's "dismiss stale approvals", which GITHUB_TOKEN cannot read as a setting)."""
    mine = [r for r in ctx.api.reviews(number) if r.login.lower() == login.lower()]
    return bool(mine) and mine[-1].state == "DISMISSED"
