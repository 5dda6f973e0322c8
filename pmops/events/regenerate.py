"""/regenerate [--force] [feedback] on a pmops PR: redraft with reviewers' feedback.

Refused without write permission, within 60 s of the last accepted `/regenerate` comment or
generation (`pacing`: comment times, not run times), and once the postmortem is published.
Sections and fields humans changed (compared with the last AI draft, `baseline`) are kept
unless `--force`; with no AI draft to compare with, every section is kept and the reply says
so. The reply says what was done: a redraft identical to the current one commits nothing, and
feedback the deterministic drafter cannot follow is reported as not applied. A duplicate
delivery of an answered comment does nothing.

`/regenerate <section> [feedback]` redrafts one section (pmops.events.regenerate_section).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pmops.documents.document import plain
from pmops.documents.render import render_postmortem, to_frontmatter
from pmops.draft.compose import drafts_path
from pmops.errors import TransitionError
from pmops.events.baseline import Baseline, ai_baseline
from pmops.events.branch import BranchState, push, read_state
from pmops.events.context import Context, Outcome
from pmops.events.messages import comment
from pmops.events.pacing import accepted_marker, accepted_times, generated_times, wait_seconds
from pmops.events.regenerate_section import regenerate_section, section_request
from pmops.github.api import marker
from pmops.github.budget import RequestBudget
from pmops.lifecycle.permissions import Action, allowed, needed_permission
from pmops.lifecycle.status import Event, next_status
from pmops.lifecycle.trailers import format_message, pmops_trailers
from pmops.model import Postmortem
from pmops.pipeline import Result, draft_from_evidence
from pmops.safety.sanitize import one_line

MAX_FEEDBACK = 20
"""Most review comments passed to the prompt (newest kept)."""

HUMAN_FIELDS = (
    "title",
    "severity",
    "started_at",
    "detected_at",
    "resolved_at",
    "duration_minutes",
    "impact",
    "confidence",
    "suspects",
    "action_items",
)
"""Frontmatter fields a regeneration may redraft, unless a human changed them."""


def regenerate(
    ctx: Context,
    pull: Any,
    incident: int,
    actor: str,
    args: str,
    comment_id: int,
    requested_at: datetime | None = None,
) -> Outcome:
    """Run /regenerate on PR `pull` for `incident`; `requested_at` is the comment's time."""
    force = "--force" in args.split()
    feedback = " ".join(w for w in args.split(" ") if w != "--force").strip()
    number = pull.number
    tag = marker("regenerate", comment_id)
    comments = list(pull.get_issue_comments())
    if any(tag in (c.body or "") and ctx.api.wrote(c) for c in comments):
        return Outcome("ignored", "this /regenerate comment was answered already", number)

    def refuse(reason: str) -> Outcome:
        ctx.api.comment(number, comment("regenerate_refused", reason=reason), tag, update=False)
        return Outcome("refused", f"/regenerate refused: {reason}", number)

    perm = ctx.api.permission(actor)
    if not allowed(perm.role, Action.REGENERATE):
        return refuse(
            f"@{actor} needs {needed_permission(Action.REGENERATE)} permission "
            f"(has `{perm.permission}`)"
        )
    if not ctx.config.ai:
        ctx.api.comment(number, comment("ai_off", what="regenerate the draft"), tag, update=False)
        return Outcome("ai-disabled", "AI drafting is off (ai: false)", number)
    head = ctx.workspace.fetch_branch(pull.head.ref)
    state = read_state(ctx, head, incident) if head else None
    if state is None:
        return refuse("this pull request has no postmortem to regenerate")
    if state.postmortem is None:
        return refuse(
            f"`{state.path}` no longer parses; fix it first (see the pmops/check "
            "status for the line)"
        )
    try:
        next_status(state.postmortem.status, Event.REGENERATE)
    except TransitionError as exc:
        return refuse(str(exc))
    requested_at = requested_at or ctx.now()
    wait = _too_soon(ctx, comments, state, requested_at)
    if wait is not None:
        return refuse(
            "the draft was (re)generated less than a minute before this comment; "
            f"try again in {wait} s"
        )
    # `/regenerate <section> [feedback]`: one section only (pmops.events.regenerate_section).
    request = section_request(args, list(state.postmortem.sections))
    if request is not None:
        return regenerate_section(
            ctx, pull, incident, actor, state, request, comment_id, refuse, requested_at
        )
    redraft = _redraft(ctx, pull, incident, state, _feedback(ctx, comments, pull, feedback), force)
    sha = None
    if not redraft.unchanged:
        sha = _commit(ctx, pull, incident, actor, state, redraft, force)
    body = _reply(ctx, redraft, feedback, force, sha)
    ctx.api.comment(number, f"{body.rstrip()}\n\n{accepted_marker(requested_at)}", tag)
    if sha is None:
        return Outcome("unchanged", "regenerated: nothing changed", number, state.path)
    return Outcome("regenerated", f"regenerated in {sha[:7]}", number, state.path)


def _too_soon(
    ctx: Context, comments: list[Any], state: BranchState, requested_at: datetime
) -> int | None:
    """Seconds to wait from the last accepted comment or generate commit (`pacing`)."""
    branch_commits = ctx.workspace.commits(f"{ctx.default_ref}..{state.head}")
    previous = [*accepted_times(ctx.api, comments), *generated_times(branch_commits)]
    return wait_seconds(requested_at, previous)


@dataclass(frozen=True)
class Redraft:
    """A regeneration's result before it is committed."""

    merged: Postmortem
    """The file's new content: the redraft with human edits kept."""
    fresh: Postmortem
    """The new AI draft (the `.drafts/` copy)."""
    kept: list[str]
    baseline: Baseline
    result: Result
    unchanged: bool
    copy_path: str


def _redraft(
    ctx: Context, pull: Any, incident: int, state: BranchState, notes: list[str], force: bool
) -> Redraft:
    evidence = ctx.gather(
        ctx.gh,
        ctx.repo,
        incident,
        ctx.config,
        checkout=ctx.workspace.path,
        budget=RequestBudget(ctx.config.request_budget),
        repository=ctx.inputs.event.get("repository"),
        env=ctx.env,
        progress=ctx.progress,
    )
    result = draft_from_evidence(
        evidence,
        ctx.config,
        now=ctx.now(),
        feedback=notes,
        env=ctx.env,
        repo=ctx.workspace.path,
        progress=ctx.progress,
    )
    old = state.postmortem
    assert old is not None, "checked by the caller"
    fresh = replace(
        result.postmortem,
        generated_at=old.generated_at,
        generator=replace(result.postmortem.generator, regenerations=old.generator.regenerations),
    )
    baseline = ai_baseline(ctx, state)
    merged, kept = merge_human_edits(old, fresh, baseline.postmortem, force)
    copy_path = drafts_path(state.path, ctx.config.postmortems_dir)
    copy = ctx.workspace.read(state.head, copy_path)
    doc = ctx.config.document
    unchanged = render_postmortem(merged, doc, state.path) == state.text
    unchanged = unchanged and copy == render_postmortem(fresh, doc, state.path)
    return Redraft(merged, fresh, kept, baseline, result, unchanged, copy_path)


def _bump(pm: Postmortem) -> Postmortem:
    """The postmortem with its regeneration count one higher."""
    count = pm.generator.regenerations + 1
    return replace(pm, generator=replace(pm.generator, regenerations=count))


def _commit(
    ctx: Context,
    pull: Any,
    incident: int,
    actor: str,
    state: BranchState,
    redraft: Redraft,
    force: bool,
) -> str:
    folder = ctx.config.postmortems_dir
    fresh, merged = _bump(redraft.fresh), _bump(redraft.merged)
    files = {
        state.path: render_postmortem(merged, ctx.config.document, state.path),
        drafts_path(state.path, folder): render_postmortem(fresh, ctx.config.document, state.path),
    }
    message = format_message(
        f"Regenerate postmortem for #{incident}",
        f"Requested by @{actor} in #{pull.number}." + (" (--force)" if force else ""),
        pmops_trailers(incident, "regenerate", fresh.generator.model, merged.generated_at),
    )
    sha = ctx.workspace.commit(state.head, files, message, ctx.now())
    push(ctx, sha, pull.head.ref)
    return sha


def _reply(ctx: Context, redraft: Redraft, feedback: str, force: bool, sha: str | None) -> str:
    """What was done, honestly: committed or not, feedback applied or not, what was kept."""
    verification = redraft.result.verification
    model = redraft.fresh.generator.model
    deterministic = model == "deterministic"
    if deterministic and ctx.config.model.name:
        why = "the model's answer could not be used, so the deterministic drafter wrote it"
    else:
        why = "no model is configured, and the deterministic drafter cannot follow instructions"
    baseline = redraft.baseline
    return comment(
        "regenerate_done",
        regenerations=redraft.fresh.generator.regenerations + (0 if sha is None else 1),
        feedback=one_line(feedback, 300) if feedback else "",
        applied=not deterministic,
        model=one_line(model, 80),
        why=why,
        sha=sha[:7] if sha else "",
        kept=redraft.kept,
        force=force,
        unchanged=sha is None,
        no_baseline=baseline.postmortem is None and not force,
        baseline_sha=(baseline.sha or "")[:7] if not baseline.copy_intact else "",
        drafts=redraft.copy_path,
        verified=len(verification.claims) - len(verification.unverified),
        claims=len(verification.claims),
    )


def _feedback(ctx: Context, comments: list[Any], pull: Any, feedback: str) -> list[str]:
    """The command's feedback, then reviewers' review bodies and diff comments (no bots)."""
    notes: list[str] = []
    for review in pull.get_reviews():
        if review.body and review.user and review.user.type != "Bot":
            notes.append(f"Review by {review.user.login}: {one_line(review.body, 500)}")
    for item in pull.get_review_comments():
        if item.user and item.user.type != "Bot":
            notes.append(
                f"Comment by {item.user.login} on {item.path}: {one_line(item.body or '', 500)}"
            )
    for item in comments:
        body = (item.body or "").strip()
        if (
            body
            and not body.startswith("/")
            and item.user
            and item.user.type != "Bot"
            and not ctx.api.wrote(item)
        ):
            notes.append(f"Comment by {item.user.login}: {one_line(body, 500)}")
    notes = notes[-MAX_FEEDBACK:]
    if feedback:
        notes.append(f"Requested change: {one_line(feedback, 1000)}")
    return notes


def merge_human_edits(
    current: Postmortem, fresh: Postmortem, previous_ai: Postmortem | None, force: bool
) -> tuple[Postmortem, list[str]]:
    """The redraft with what humans changed kept (pure). Returns it and what was kept.

    A section or field counts as human-changed when it differs from the previous AI draft;
    sections humans added are always kept. Without a previous AI draft nothing can be proved
    unchanged, so every section and field is kept (unless `force`). Status, edited_by and
    frozen fields come from `current`.
    """
    base = replace(
        fresh,
        status=next_status(current.status, Event.REGENERATE),
        edited_by=current.edited_by,
        id=current.id,
        generated_at=current.generated_at,
        extra=current.extra,
    )
    if force:
        sections = dict(base.sections)
        sections.update({h: t for h, t in current.sections.items() if h not in sections})
        return replace(base, sections=sections), []
    if previous_ai is None:  # nothing proves any section unchanged: keep them all
        fields = {key: getattr(current, key) for key in HUMAN_FIELDS}
        return replace(base, sections=dict(current.sections), **fields), list(current.sections)
    kept: list[str] = []
    sections = dict(fresh.sections)
    for heading, text in current.sections.items():
        if (
            heading not in previous_ai.sections
            or text.strip() != previous_ai.sections[heading].strip()
        ):
            sections[heading] = text
            kept.append(heading)
    old_meta, ai_meta = plain(to_frontmatter(current)), plain(to_frontmatter(previous_ai))
    changes = {
        key: getattr(current, key) for key in HUMAN_FIELDS if old_meta.get(key) != ai_meta.get(key)
    }
    kept += [f"`{key}`" for key in changes]
    return replace(base, sections=sections, **changes), kept
