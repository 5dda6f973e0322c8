"""The postmortem branch `pmops/incident-<n>`: read its state, push to it, report its check."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pmops.documents.document import parse_document, plain
from pmops.documents.render import from_document
from pmops.errors import InputError
from pmops.events.context import Context
from pmops.events.facts import facts_of
from pmops.lifecycle.publish import GateReport, gate, postmortem_files
from pmops.model import Postmortem

BRANCH_PREFIX = "pmops/incident-"
_BRANCH = re.compile(r"^pmops/incident-(\d+)$")


def branch_for(incident: int | str) -> str:
    """The branch of an incident's postmortem PR."""
    return f"{BRANCH_PREFIX}{incident}"


def incident_of(branch: str) -> int | None:
    """The incident number of a pmops branch name, or None for any other branch."""
    match = _BRANCH.match(branch)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class BranchState:
    """A postmortem as it is at a branch head."""

    head: str
    path: str
    text: str
    meta: dict[str, object]
    postmortem: Postmortem | None
    """None when humans broke the file so it no longer parses (the check says where)."""

    @property
    def status(self) -> str:
        """draft, edited or published (as the file says)."""
        return str(self.meta.get("status", ""))


def read_state(ctx: Context, head: str, expected_id: int | str | None = None) -> BranchState | None:
    """The postmortem a branch head adds or changes (the one for `expected_id` if given)."""
    folder = ctx.config.postmortems_dir
    base = ctx.workspace.merge_base(ctx.default_ref, head) or ctx.default_ref
    paths = postmortem_files(ctx.workspace.changed_files(base, head, folder), folder)
    if expected_id is not None:
        tagged = [p for p in paths if re.search(rf"-{re.escape(str(expected_id))}-[^/]*$", p)]
        paths = tagged or paths
    if not paths:
        return None
    path = paths[0]
    text = ctx.workspace.read(head, path) or ""
    try:
        doc = parse_document(text, path)
    except InputError:
        return BranchState(head, path, text, {}, None)
    try:
        pm = from_document(doc, path)
    except InputError:
        pm = None
    return BranchState(head, path, text, plain(doc.meta), pm)


def report_check(ctx: Context, head: str, number: int | None = None) -> GateReport:
    """Run the gate on `head` (of PR `number`, whose approvals back a publish stamp) and set
    the `pmops/check` commit status there (DESIGN §4). PR and issue numbers humans added
    that the history does not name are looked up on GitHub (`GitHubApi.numbers`)."""
    report = gate(
        ctx.workspace,
        ctx.default_ref,
        head,
        ctx.config.postmortems_dir,
        facts_of(ctx, number),
        ctx.api.numbers,
    )
    ctx.api.set_status(head, report.state, report.description, ctx.inputs.run_url)
    return report


def abandon(ctx: Context, branch: str, sha: str) -> None:
    """Delete a branch this run created (only while it still points at `sha`)."""
    ctx.progress(f"deleting {branch} again: it has no pull request")
    ctx.workspace.delete_branch(branch, sha)


def push(ctx: Context, sha: str, branch: str, number: int | None = None) -> GateReport:
    """Push `sha` to `branch` (fast-forward only), then report the check on it."""
    ctx.workspace.push(sha, branch)
    return report_check(ctx, sha, number)
