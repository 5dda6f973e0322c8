"""/regenerate <section> [feedback]: redraft one section, keeping every other byte of the file.

The section is named by its heading, case-insensitively: leading words that are a heading of
the postmortem (`/regenerate root cause name the pool`, `/regenerate Summary: shorter`), or a
name in quotes or brackets (`/regenerate "Customer impact" shorter`, `/regenerate
[Timeline]`). A quoted or bracketed name that is not a heading gets a reply listing the valid
ones. The whole draft is made again (as `/regenerate` does) and only that section's text is put
in place of the old one, in the file and in its `.drafts/` copy; the frontmatter and every
other section stay byte for byte. Without a model the section is redrafted from the evidence
and the reply says the feedback could not be applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pmops.documents.document import parse_document
from pmops.documents.render import demote_headings
from pmops.draft.compose import drafts_path
from pmops.errors import InputError
from pmops.events.branch import BranchState, push
from pmops.events.context import Context, Outcome
from pmops.events.messages import comment
from pmops.events.pacing import accepted_marker
from pmops.github.api import marker
from pmops.github.budget import RequestBudget
from pmops.lifecycle.trailers import format_message, pmops_trailers
from pmops.pipeline import draft_from_evidence
from pmops.safety.sanitize import one_line

_NAMED = re.compile(
    r"""^\s*(?:"([^"\n]{1,80})"|'([^'\n]{1,80})'|\[([^\]\n]{1,80})\]"""
    r"|([\w ]{1,80}?):(?=\s|$))"
)
"""A section named in quotes or brackets, or followed by a colon."""


@dataclass(frozen=True)
class SectionRequest:
    """A section to redraft (its heading as in the file), or an unknown name that was asked."""

    heading: str | None
    asked: str
    feedback: str


def section_request(args: str, headings: Sequence[str]) -> SectionRequest | None:
    """The section `/regenerate` names in `args`, or None when it names none (whole draft)."""
    words = " ".join(w for w in args.split() if w != "--force")
    by_name = {h.lower(): h for h in headings}
    named = _NAMED.match(words)
    if named:
        asked = next(g for g in named.groups() if g is not None).strip()
        heading = by_name.get(" ".join(asked.lower().split()))
        if heading or named.group(4) is None:  # `word: feedback` is feedback unless a heading
            return SectionRequest(heading, asked, words[named.end() :].strip())
    lowered = words.lower()
    for name in sorted(by_name, key=len, reverse=True):  # longest first: "root cause" > "root"
        if lowered == name or lowered.startswith(name + " "):
            return SectionRequest(by_name[name], name, words[len(name) :].strip())
    return None


def splice_section(text: str, heading: str, body: str, name: str = "<text>") -> str:
    """`text` with the body of section `heading` replaced by `body`, all else byte for byte."""
    doc = parse_document(text, name)
    lines = text.split("\n")
    starts = [s.line for s in doc.sections]
    target = next((s for s in doc.sections if s.heading == heading), None)
    if target is None:
        raise InputError(f"{name}: no section '## {heading}'")
    after = [line for line in starts if line > target.line]
    end = after[0] - 1 if after else len(lines)
    while end > target.line and not lines[end - 1].strip():
        end -= 1  # keep the blank lines before the next heading (or the file's end) as they are
    new = ["", *demote_headings(body).split("\n")] if body.strip() else []
    return "\n".join([*lines[: target.line], *new, *lines[end:]])


def regenerate_section(
    ctx: Context,
    pull: Any,
    incident: int,
    actor: str,
    state: BranchState,
    request: SectionRequest,
    comment_id: int,
    refuse: Callable[[str], Outcome],
    requested_at: datetime,
) -> Outcome:
    """Redraft `request.heading` of the postmortem on `pull`'s branch (see the module doc)."""
    assert state.postmortem is not None and state.text is not None
    heading = request.heading
    if heading is None:
        valid = ", ".join(one_line(h, 80) for h in state.postmortem.sections if h.strip())
        asked = one_line(request.asked, 80).replace("`", "'")
        return refuse(f"there is no section `{asked}`; the sections are: {valid}")
    model = ctx.config.model.name
    notes = [f"Requested change to the {heading} section: {one_line(request.feedback, 1000)}"]
    evidence = ctx.gather(ctx.gh, ctx.repo, incident, ctx.config, checkout=ctx.workspace.path,
                          budget=RequestBudget(ctx.config.request_budget), env=ctx.env,
                          progress=ctx.progress)  # fmt: skip
    result = draft_from_evidence(evidence, ctx.config, now=ctx.now(),
                                 feedback=notes if request.feedback and model else [],
                                 env=ctx.env, repo=ctx.workspace.path,
                                 progress=ctx.progress)  # fmt: skip
    fresh = result.postmortem.sections.get(heading)
    if fresh is None:
        return refuse(f"a new draft has no `{heading}` section to take its text from")
    folder = ctx.config.postmortems_dir
    copy_path = drafts_path(state.path, folder)
    files = {state.path: splice_section(state.text, heading, fresh, state.path)}
    copy = ctx.workspace.read(state.head, copy_path)
    if copy is not None and heading in parse_document(copy, copy_path).section_map():
        files[copy_path] = splice_section(copy, heading, fresh, copy_path)
    unchanged = files[state.path] == state.text
    sha = state.head
    if not unchanged:
        message = format_message(
            f"Regenerate the {heading} section of the postmortem for #{incident}",
            f"Requested by @{actor} in #{pull.number}.",
            pmops_trailers(incident, "regenerate", result.postmortem.generator.model,
                           state.postmortem.generated_at),
        )  # fmt: skip
        sha = ctx.workspace.commit(state.head, files, message, ctx.now())
        push(ctx, sha, pull.head.ref)
    body = comment("regenerate_section", heading=one_line(heading, 80), sha=sha[:7],
                   unchanged=unchanged,
                   feedback=one_line(request.feedback, 300), model=bool(model))  # fmt: skip
    ctx.api.comment(
        pull.number,
        f"{body.rstrip()}\n\n{accepted_marker(requested_at)}",
        marker("regenerate", comment_id),
    )
    if unchanged:
        return Outcome(
            "unchanged", f"regenerated {heading}: nothing changed", pull.number, state.path
        )
    return Outcome("regenerated", f"regenerated {heading} in {sha[:7]}", pull.number, state.path)
