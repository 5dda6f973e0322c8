"""/regenerate [--force] [feedback] on a pmops PR: redraft with reviewers' feedback.

Refused without write permission, within 60 s of the last (re)generation — read from the
branch's commit times, not from memory —, and once the postmortem is published. Sections and
fields humans changed (compared with the `.drafts/` copy, the last AI draft) are kept unless
`--force`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from pmops.document import parse_document, plain
from pmops.draft.compose import drafts_path
from pmops.errors import InputError, TransitionError
from pmops.events.api import marker
from pmops.events.branch import BranchState, push, read_state
from pmops.events.context import Context, Outcome
from pmops.events.messages import comment
from pmops.github.budget import RequestBudget
from pmops.lifecycle import Event, next_status
from pmops.model import Postmortem
from pmops.permissions import Action, allowed, needed_permission
from pmops.pipeline import draft_from_evidence
from pmops.render import from_document, render_postmortem, to_frontmatter
from pmops.sanitize import one_line
from pmops.trailers import format_message, pmops_trailers

MIN_INTERVAL = timedelta(seconds=60)
"""At most one (re)generation per PR per minute: each one costs a model call."""

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
    ctx: Context, pull: Any, incident: int, actor: str, args: str, comment_id: int
) -> Outcome:
    """Run /regenerate on PR `pull` for `incident`."""
    force = "--force" in args.split()
    feedback = " ".join(w for w in args.split(" ") if w != "--force").strip()
    number = pull.number

    def refuse(reason: str) -> Outcome:
        ctx.api.comment(
            number,
            comment("regenerate_refused", reason=reason),
            marker("regenerate", comment_id),
            update=False,
        )
        return Outcome("refused", f"/regenerate refused: {reason}", number)

    perm = ctx.api.permission(actor)
    if not allowed(perm.role, Action.REGENERATE):
        return refuse(
            f"@{actor} needs {needed_permission(Action.REGENERATE)} permission "
            f"(has `{perm.permission}`)"
        )
    if not ctx.config.ai:
        ctx.api.comment(
            number,
            comment("ai_off", what="regenerate the draft"),
            marker("regenerate", comment_id),
            update=False,
        )
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
    wait = _too_soon(ctx, state)
    if wait is not None:
        return refuse(f"the draft was (re)generated less than a minute ago; try again in {wait} s")
    notes = _feedback(pull, feedback)
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
    fresh = replace(
        result.postmortem,
        generated_at=old.generated_at,
        generator=replace(
            result.postmortem.generator, regenerations=old.generator.regenerations + 1
        ),
    )
    previous_ai = _previous_ai(ctx, state)
    merged, kept = merge_human_edits(old, fresh, previous_ai, force)
    text = render_postmortem(merged)
    folder = ctx.config.postmortems_dir
    files = {state.path: text, drafts_path(state.path, folder): render_postmortem(fresh)}
    message = format_message(
        f"Regenerate postmortem for #{incident}",
        f"Requested by @{actor} in #{number}." + (" (--force)" if force else ""),
        pmops_trailers(incident, "regenerate", fresh.generator.model, old.generated_at),
    )
    sha = ctx.workspace.commit(state.head, files, message, ctx.now())
    push(ctx, sha, pull.head.ref)
    verification = result.verification
    body = comment(
        "regenerate_done",
        regenerations=fresh.generator.regenerations,
        feedback=one_line(feedback, 300) if feedback else "",
        sha=sha[:7],
        kept=kept,
        force=force,
        unchanged=False,
        verified=len(verification.claims) - len(verification.unverified),
        claims=len(verification.claims),
    )
    ctx.api.comment(number, body, marker("regenerate", comment_id))
    return Outcome("regenerated", f"regenerated in {sha[:7]}", number, state.path)


def _too_soon(ctx: Context, state: BranchState) -> int | None:
    """Seconds to wait, from the newest (re)generate commit on the branch; None if none."""
    for commit in ctx.workspace.commits(f"{ctx.default_ref}..{state.head}"):
        if commit.trailers.event in ("generate", "regenerate"):
            elapsed = ctx.now() - commit.committed_at
            if elapsed < MIN_INTERVAL:
                return max(1, int((MIN_INTERVAL - elapsed).total_seconds()))
            return None
    return None


def _feedback(pull: Any, feedback: str) -> list[str]:
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
    for item in pull.get_issue_comments():
        body = (item.body or "").strip()
        if (
            body
            and not body.startswith("/")
            and item.user
            and item.user.type != "Bot"
            and "<!-- pmops:" not in body
        ):
            notes.append(f"Comment by {item.user.login}: {one_line(body, 500)}")
    notes = notes[-MAX_FEEDBACK:]
    if feedback:
        notes.append(f"Requested change: {one_line(feedback, 1000)}")
    return notes


def _previous_ai(ctx: Context, state: BranchState) -> Postmortem | None:
    text = ctx.workspace.read(state.head, drafts_path(state.path, ctx.config.postmortems_dir))
    if text is None:
        return None
    try:
        return from_document(parse_document(text, state.path), state.path)
    except InputError:
        return None


def merge_human_edits(
    current: Postmortem, fresh: Postmortem, previous_ai: Postmortem | None, force: bool
) -> tuple[Postmortem, list[str]]:
    """The redraft with what humans changed kept (pure). Returns it and what was kept.

    A section or field counts as human-changed when it differs from the previous AI draft;
    sections humans added are always kept. Status, edited_by and frozen fields come from
    `current`.
    """
    base = replace(
        fresh,
        status=next_status(current.status, Event.REGENERATE),
        edited_by=current.edited_by,
        id=current.id,
        generated_at=current.generated_at,
        extra=current.extra,
    )
    if force or previous_ai is None:
        sections = dict(base.sections)
        sections.update({h: t for h, t in current.sections.items() if h not in sections})
        return replace(base, sections=sections), []
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
