"""Generate: draft a postmortem for an incident and open (or update) its pull request.

Triggered by `issues.labeled` (resolved + incident labels), `/postmortem` on the incident, or
`workflow_dispatch`. Order: AI switch → plan → permission → quota → gather → draft → verify →
render → one commit (file + its `.drafts/` copy) → push → quota re-read → PR → labels →
reviewers → comment on the incident. A second trigger updates the same branch and PR; a push
that loses a race is retried once on top of the winner.

No branch without a PR: whatever ends the run between pushing a new branch and opening its
PR (a 502, Actions not allowed to open PRs, a concurrent run that took the last quota slot),
the branch is deleted again and the incident is told what to do next. The quota is re-read
after the push because runs for different incidents are not serialized: a run whose branch
is visible to the others counts them all, and steps back if they fill the month.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from github import GithubException

from pmops.documents.render import render_postmortem
from pmops.draft.compose import draft_files, drafts_path, postmortem_path
from pmops.errors import PmopsError
from pmops.events.branch import BranchState, abandon, branch_for, read_state, report_check
from pmops.events.context import Context, Outcome
from pmops.events.messages import comment, pr_body, pr_title
from pmops.github.api import GitHubActionError, error_message, marker
from pmops.github.budget import RequestBudget
from pmops.github.pulls import pmops_pulls_since
from pmops.github.rest import Api
from pmops.gitops import PushRejected
from pmops.lifecycle.permissions import Action, allowed, needed_permission
from pmops.lifecycle.publish import codeowners_at
from pmops.lifecycle.quota import QuotaUse, count_quota, month_start
from pmops.lifecycle.trailers import format_message, pmops_trailers
from pmops.model import Postmortem
from pmops.pipeline import Result, draft_from_evidence

ATTEMPTS = 2
"""A push rejected because a concurrent run won is retried once, on top of its result."""


def is_incident(labels: list[str], ctx: Context) -> bool:
    """True when the labels mark a resolved incident."""
    return ctx.config.incident_label in labels and ctx.config.resolved_label in labels


def generate(ctx: Context, number: int, actor: str) -> Outcome:
    """Run the whole generate flow for incident `number` on behalf of `actor`."""
    refusal = _refuse_early(ctx, number, actor)
    if refusal is not None:
        return refusal
    for attempt in range(ATTEMPTS):
        try:
            return _generate_once(ctx, number)
        except PushRejected:
            if attempt + 1 == ATTEMPTS:
                raise
            ctx.progress("the branch moved while drafting (a concurrent run?); trying again")
    raise AssertionError("unreachable")


def _refuse_early(ctx: Context, number: int, actor: str) -> Outcome | None:
    cfg = ctx.config
    if not cfg.ai:
        ctx.api.comment(
            number,
            comment("ai_off", what="draft a postmortem"),
            marker("ai-off", number),
            update=False,
        )
        return Outcome("ai-disabled", "AI drafting is off (ai: false); nothing generated")
    if cfg.plan == "free" and cfg.quota_limit == 0:
        ctx.api.comment(number, comment("free_plan"), marker("free-plan", number), update=False)
        return Outcome("free-plan", "the free plan drafts no postmortems; nothing generated")
    perm = ctx.api.permission(actor)
    if not allowed(perm.role, Action.GENERATE):
        body = comment(
            "not_permitted",
            login=f"@{actor}",
            what="draft a postmortem",
            needed=needed_permission(Action.GENERATE),
            permission=perm.permission,
            how="comment `/postmortem` on this issue",
        )
        ctx.api.comment(number, body, marker(f"not-permitted-{actor}", number), update=False)
        return Outcome("refused", f"{actor} has {perm.permission} permission; generate needs write")
    return None


def _quota(ctx: Context, *, pull_heads: bool = True) -> QuotaUse:
    """The month's quota use; `pull_heads` also lists and fetches this month's pmops PR heads
    (a re-read needs not: a concurrent run's branch is under pmops/*, fetched every time)."""
    pulls = (
        pmops_pulls_since(
            Api.of(ctx.gh, RequestBudget(ctx.config.request_budget)),
            ctx.repo,
            month_start(ctx.now()),
        )
        if pull_heads
        else ()
    )
    ctx.workspace.fetch_quota_refs(ctx.default_branch, pulls)
    cfg = ctx.config
    return count_quota(
        ctx.workspace.path,
        ctx.default_ref,
        ctx.now(),
        cfg.plan,
        cfg.quota_limit,
        cfg.postmortems_dir,
        now=ctx.now(),
    )


def _over_quota(ctx: Context, number: int, use: QuotaUse, *, raced: bool = False) -> Outcome:
    others = [i for i in use.incidents if i != str(number)]
    body = comment(
        "over_quota",
        plan=ctx.config.plan if ctx.config.monthly_limit is None else None,
        raced=raced,
        limit=use.limit,
        used=len(others),
        month=use.month,
        incidents=[f"#{i}" for i in others],
        resets_at=f"{use.resets_at:%Y-%m-%d} 00:00 UTC",
    )
    ctx.api.comment(number, body, marker(f"over-quota-{use.month}", number))
    return Outcome("over-quota", f"quota used: {len(others)} of {use.limit} in {use.month}")


def published_on_default(ctx: Context, number: int) -> str | None:
    """The path of this incident's postmortem on the default branch, if there is one."""
    folder = ctx.config.postmortems_dir
    listing = ctx.workspace.text(
        "ls-tree", "-r", "--name-only", ctx.default_ref, "--", f"{folder}/"
    )
    pattern = re.compile(rf"^{re.escape(folder)}/\d{{4}}/\d{{4}}-\d\d-\d\d-{number}-[^/]+\.md$")
    return next((p for p in listing.splitlines() if pattern.match(p)), None)


def _generate_once(ctx: Context, number: int) -> Outcome:
    ws = ctx.workspace
    branch = branch_for(number)
    head = ws.fetch_branch(branch)
    state = read_state(ctx, head, number) if head else None
    # No branch, no open PR: GitHub closes a PR whose head branch is deleted. A branch a
    # concurrent run creates meanwhile rejects the push below, and the retry reads its PR.
    pull = ctx.api.open_pull_for(branch) if head else None
    if state is not None and state.status in ("edited", "published"):
        return _refuse_generate(ctx, number, state, pull.number if pull else None)
    merged = published_on_default(ctx, number) if state is None else None
    if merged is not None:
        return Outcome(
            "refused",
            f"incident #{number} already has a postmortem: {merged}",
            postmortem_path=merged,
        )
    before = _quota(ctx)
    if not before.allows(number):
        return _over_quota(ctx, number, before)
    result = _draft(ctx, number)
    pm = _keep_history(result.postmortem, state)
    folder = ctx.config.postmortems_dir
    path = state.path if state else postmortem_path(result.analysis.evidence.incident, folder)
    text = render_postmortem(pm, ctx.config.document, path)
    sha = head
    if state is None or state.text != text:
        sha = _commit(ctx, number, head, path, text, pm)
        ws.push(sha, branch)
        ctx.progress(f"pushed {branch}")
    assert sha is not None
    created_branch = head is None
    body = ctx.api.publishable(_body(ctx, pm, path, result))
    try:
        if created_branch and str(number) not in before.incidents:
            # re-read now that our branch is visible to concurrent runs (theirs are under
            # pmops/* too; this month's PR heads were fetched by the first read)
            after = _quota(ctx, pull_heads=False)
            if not after.allows_alongside(number):
                abandon(ctx, branch, sha)
                return _over_quota(ctx, number, after, raced=True)
        created = pull is None
        if pull is None:
            pull = _open_pull(ctx, pm, body, branch)
        elif pull.body != body:
            pull.edit(body=body)
        if sha != head:
            report_check(ctx, sha)
    except BaseException as exc:
        if created_branch and pull is None:
            abandon(ctx, branch, sha)  # never leave a branch without its PR
            if isinstance(exc, PmopsError | GithubException):
                raise GitHubActionError(_abandoned(exc, number, branch)) from exc
        raise
    notes = _label_and_review(ctx, pull, path, created)
    ctx.progress(f"linking PR #{pull.number} on incident #{number}")
    ctx.api.comment(
        number,
        comment("pr_link", pr_number=pull.number, path=path, branch=branch),
        marker("pr", number),
    )
    status = "opened" if created else ("updated" if sha != head else "unchanged")
    return Outcome(status, f"postmortem PR #{pull.number} {status}", pull.number, path, notes)


def _draft(ctx: Context, number: int) -> Result:
    ctx.progress(f"gathering evidence for incident #{number}")
    evidence = ctx.gather(
        ctx.gh,
        ctx.repo,
        number,
        ctx.config,
        checkout=ctx.workspace.path,
        budget=RequestBudget(ctx.config.request_budget),
        repository=ctx.inputs.event.get("repository"),
        issue=ctx.inputs.event.get("issue"),
        env=ctx.env,
        progress=ctx.progress,
    )
    return draft_from_evidence(
        evidence,
        ctx.config,
        now=ctx.now(),
        env=ctx.env,
        repo=ctx.workspace.path,
        progress=ctx.progress,
    )


def _commit(
    ctx: Context, number: int, head: str | None, path: str, text: str, pm: Postmortem
) -> str:
    """One commit with the file, its `.drafts/` copy and the index page, on `head` or main."""
    ws = ctx.workspace
    parent = head or ws.resolve(ctx.default_ref)
    assert parent is not None, "the default branch was fetched"
    folder = ctx.config.postmortems_dir
    message = format_message(
        f"Draft postmortem for #{number}: {pm.title}",
        f"Drafted by pmops from incident #{number} ({pm.generator.model}).",
        pmops_trailers(number, "generate", pm.generator.model, pm.generated_at),
    )
    files = {**draft_files(path, text, folder), **_index_page(ctx, ws.path, path, pm)}
    return ws.commit(parent, files, message, ctx.now())


def _open_pull(ctx: Context, pm: Postmortem, body: str, branch: str) -> Any:
    """Open the PR; after a 5xx, a PR GitHub made anyway is found and used."""
    ctx.progress(f"opening the pull request of {branch}")
    try:
        return ctx.api.create_pull(pr_title(pm), body, branch, ctx.default_branch)
    except GithubException as exc:
        if exc.status < 500:
            raise
        made = ctx.api.open_pull_for(branch)
        if made is None:
            raise
        return made


def _abandoned(exc: BaseException, number: int, branch: str) -> str:
    """The failure message of a run that removed its branch again: what, and what next."""
    what = (
        f"GitHub answered {exc.status} while opening the pull request: {error_message(exc)}"
        if isinstance(exc, GithubException)
        else str(exc)
    )
    return (
        f"{what}\n\npmops deleted the branch `{branch}` again, so no branch is left without "
        f"a pull request and nothing counts against the quota. Comment `/postmortem` on "
        f"#{number} to try again."
    )


def _index_page(ctx: Context, repo: Path, path: str, pm: Postmortem) -> dict[str, str]:
    """The refreshed postmortems/README.md for the PR (none if it cannot be built)."""
    from pmops.history.index_page import index_page_with

    try:
        page, text = index_page_with(repo, {path: pm})
    except (PmopsError, OSError, sqlite3.Error) as exc:
        ctx.progress(f"index page not refreshed: {exc}")
        return {}
    return {page: text}


def _keep_history(pm: Postmortem, state: BranchState | None) -> Postmortem:
    """A redraft keeps the first generation time (quota) and the regeneration count."""
    if state is None or state.postmortem is None:
        return pm
    old = state.postmortem
    return replace(
        pm,
        generated_at=old.generated_at,
        generator=replace(pm.generator, regenerations=old.generator.regenerations),
    )


def _refuse_generate(ctx: Context, number: int, state: BranchState, pr: int | None) -> Outcome:
    reason = "humans have edited it" if state.status == "edited" else "it is already published"
    if pr is not None:
        body = comment("generate_refused", pr_number=pr, reason=reason, status=state.status)
        ctx.api.comment(number, body, marker("generate-refused", number), update=False)
    return Outcome("refused", f"not redrafted: {reason}", pr, state.path)


def _body(ctx: Context, pm: Postmortem, path: str, result: Result) -> str:
    folder = ctx.config.postmortems_dir
    return pr_body(
        pm,
        path=path,
        drafts_path=drafts_path(path, folder),
        verification=result.verification,
        notes=result.draft.notes,
        unavailable=result.analysis.evidence.unavailable,
        similar=_similar(ctx, pm, result),
        folder=folder,
        html_base=ctx.html(""),
    )


def _similar(ctx: Context, pm: Postmortem, result: Result) -> tuple[str, ...]:
    """The pipeline's similar past incidents (pmops/history/step.py), linked on the default
    branch."""
    from pmops.history.similar import format_similar

    if result.similar is None:
        return ()
    return format_similar(result.similar, link_base=ctx.html(f"blob/{ctx.default_branch}"))


def _label_and_review(ctx: Context, pull: Any, path: str, created: bool) -> list[str]:
    present = [label.name for label in pull.labels]
    ctx.api.add_labels(pull.number, ["postmortem", "pmops:draft"], present)
    if not created:
        return []
    owners = codeowners_at(ctx.workspace, ctx.default_ref)
    users = owners.user_owners_of(path) or ()
    return ctx.api.request_reviewers(pull, users, owners.team_owners_of(path))
