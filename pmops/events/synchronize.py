"""`pull_request.synchronize` (and opened/reopened): report `pmops/check` on the new head; on a
pmops PR, the first human change to the postmortem flips it to `status: edited`.

The flip is one bot commit that rewrites only the frontmatter (a human's YAML kept) and never
touches the `.drafts/` copy; it happens only at the transition, so it cannot loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmops.documents.document import rewrite_frontmatter
from pmops.events.branch import incident_of, push, read_state, report_check
from pmops.events.context import Context, Outcome
from pmops.lifecycle.status import Event, next_status
from pmops.lifecycle.trailers import format_message, pmops_trailers
from pmops.model import Status


def on_synchronize(event: Mapping[str, Any], ctx: Context) -> Outcome:
    """Handle a push to (or the opening of) a pull request."""
    pr = event["pull_request"]
    number = int(pr["number"])
    head_ref = pr["head"]["ref"]
    if (pr["head"].get("repo") or {}).get("full_name") != ctx.repo:
        return Outcome("ignored", "pull request from a fork: pmops never runs its code", number)
    head = ctx.workspace.fetch_branch(head_ref)
    if head is None:
        return Outcome("ignored", f"branch {head_ref} is gone", number)
    incident = incident_of(head_ref)
    state = read_state(ctx, head, incident) if incident is not None else None
    if incident is None or state is None or state.status != Status.DRAFT.value:
        report = report_check(ctx, head, number)
        return Outcome(
            "checked",
            f"pmops/check: {report.state}: {report.description}",
            number,
            state.path if state else None,
        )
    humans = [
        c
        for c in ctx.workspace.commits(f"{ctx.default_ref}..{head}", [state.path])
        if not c.trailers.is_pmops
    ]
    if not humans:
        report = report_check(ctx, head, number)
        return Outcome("checked", f"pmops/check: {report.state}", number, state.path)
    editors = _logins(ctx, number, {c.sha for c in humans}, [c.author.name for c in humans])
    status = next_status(Status(state.status), Event.EDIT)
    text = rewrite_frontmatter(
        state.text, {"status": status.value, "edited_by": editors}, state.path
    )
    message = format_message(
        f"Mark postmortem for #{incident} as edited",
        f"Edited by {', '.join(editors)}; the AI draft stays in .drafts/ for comparison.",
        pmops_trailers(
            incident, "edited", None, state.postmortem.generated_at if state.postmortem else None
        ),
    )
    sha = ctx.workspace.commit(head, {state.path: text}, message, ctx.now())
    push(ctx, sha, head_ref, number)
    present = [label.name for label in ctx.api.issue(number).labels]  # the payload's may be stale
    ctx.api.add_labels(number, ["pmops:edited"], present)
    ctx.api.remove_label(number, "pmops:draft", present)
    return Outcome("edited", f"marked edited by {', '.join(editors)}", number, state.path)


def _logins(ctx: Context, number: int, shas: set[str], names: list[str]) -> list[str]:
    """GitHub logins of the human commits' authors (one API request), else git names."""
    found: list[str] = []
    for commit in ctx.api.pull(number).get_commits():
        if commit.sha in shas and commit.author is not None and commit.author.login:
            found.append(commit.author.login)
    if not found:
        found = names
    return sorted(dict.fromkeys(found))
