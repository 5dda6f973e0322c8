"""The last AI draft a `/regenerate` compares with, to tell which sections humans changed.

The `.drafts/` copy at the branch head is what reviewers diff against, and so what they can
delete or edit. The baseline therefore comes from the newest commit pmops made with a draft
(`generate` or `regenerate`), where the copy is as pmops wrote it; only a branch with no such
commit falls back to the copy at its head. With no baseline at all, regenerate cannot prove
any section unchanged and keeps them all (the reply says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from pmops.documents.document import parse_document
from pmops.documents.render import from_document
from pmops.draft.compose import drafts_path
from pmops.errors import InputError
from pmops.events.branch import BranchState
from pmops.events.context import Context
from pmops.model import Postmortem

DRAFTING_EVENTS = ("generate", "regenerate")
"""pmops commits that write the `.drafts/` copy."""


@dataclass(frozen=True)
class Baseline:
    """The previous AI draft, where it was read, and whether the head's copy still matches."""

    postmortem: Postmortem | None
    sha: str | None
    """The commit it was read from (None: the head's copy, or nothing found)."""
    copy_intact: bool
    """False when the `.drafts/` copy at the head was deleted or differs from pmops's."""


def ai_baseline(ctx: Context, state: BranchState) -> Baseline:
    """The newest AI draft on the branch (see the module doc)."""
    ws = ctx.workspace
    copy_path = drafts_path(state.path, ctx.config.postmortems_dir)
    at_head = ws.read(state.head, copy_path)
    for commit in ws.commits(f"{ctx.default_ref}..{state.head}"):
        if commit.trailers.event not in DRAFTING_EVENTS:
            continue
        text = ws.read(commit.sha, copy_path)
        if text is None and commit.trailers.event == "generate":
            text = ws.read(commit.sha, state.path)  # a first draft is the file itself
        pm = _parse(text, state.path)
        if pm is not None:
            return Baseline(pm, commit.sha, at_head == text)
    pm = _parse(at_head, state.path)
    return Baseline(pm, None, pm is not None)


def _parse(text: str | None, path: str) -> Postmortem | None:
    if text is None:
        return None
    try:
        return from_document(parse_document(text, path), path)
    except InputError:
        return None
