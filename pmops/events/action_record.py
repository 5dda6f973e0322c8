"""Record action items' issue numbers and due dates in the published postmortem's frontmatter.

The default branch is protected and the bot's token cannot push to it, so the change is a
follow-up pull request (`pmops/action-items-<incident>`, one commit on the default branch's
head) that a human reviews and merges like any change to a published postmortem. Idempotent:
nothing is proposed when the frontmatter already says it all, and an existing branch (open,
merged or closed by a human) is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from github import GithubException

from pmops.documents.document import parse_document, rewrite_frontmatter
from pmops.documents.render import action_item_dict
from pmops.events.branch import push
from pmops.events.context import Context
from pmops.follow.action_drift import SECTION, normalize, section_items
from pmops.follow.item_issues import Opened
from pmops.github.api import error_message
from pmops.lifecycle.trailers import format_message, pmops_trailers
from pmops.model import ActionItem

RECORD_PREFIX = "pmops/action-items-"


def record_items(
    ctx: Context, incident: int, path: str, text: str, tracked: Sequence[Opened]
) -> list[str]:
    """Open the follow-up PR when the frontmatter lacks an issue number or due date; notes."""
    items = [replace_item(o) for o in tracked]
    if all(o.item == new for o, new in zip(tracked, items, strict=True)):
        return []
    branch = f"{RECORD_PREFIX}{incident}"
    if ctx.workspace.fetch_branch(branch) is not None:
        return [f"{branch} exists: the issue numbers are proposed there already"]
    recorded = [action_item_dict(i) for i in items]
    updated = link_items(
        rewrite_frontmatter(text, {"action_items": recorded}, path),
        path,
        items,
        lambda n: ctx.html(f"issues/{n}"),
    )
    message = format_message(
        f"Record action-item issues of #{incident}",
        "Issue numbers and due dates of the tracking issues opened on publication.",
        pmops_trailers(incident, "action-items", None, None),
    )
    head = ctx.workspace.resolve(ctx.default_ref)
    if head is None:
        return [f"the default branch {ctx.default_branch} could not be read; no record proposed"]
    sha = ctx.workspace.commit(head, {path: updated}, message, ctx.now())
    push(ctx, sha, branch)
    numbers = ", ".join(f"#{o.number}" for o in tracked)
    body = (
        f"Records the tracking issues of `{path}`'s action items ({numbers}) and their due "
        f"dates in its frontmatter. pmops cannot push to the default branch, so this pull "
        f"request carries the change: approve and merge it like any change to a published "
        f"postmortem."
    )
    try:
        pull = ctx.api.create_pull(
            f"Record action-item issues of #{incident}", body, branch, ctx.default_branch
        )
    except GithubException as exc:
        return [
            f"could not open the pull request recording the issue numbers: {error_message(exc)}"
        ]
    return [f"issue numbers proposed in #{pull.number}"]


def link_items(text: str, path: str, items: Sequence[ActionItem], url: Callable[[int], str]) -> str:
    """Append ` ([#N](issue URL))` to each Action items line that names an item but not its
    issue, so the rendered file links every item to the issue that tracks it."""
    doc = parse_document(text, path)
    heading = next((s.line for s in doc.sections if s.heading == SECTION), None)
    if heading is None:
        return text
    lines = text.split("\n")
    for number, line in section_items(lines, heading):
        for item in items:
            named = normalize(item.title) in normalize(line)
            if item.issue and named and f"#{item.issue}" not in line:
                lines[number - 1] = (
                    f"{lines[number - 1].rstrip()} ([#{item.issue}]({url(item.issue)}))"
                )
                break
    return "\n".join(lines)


def replace_item(opened: Opened) -> ActionItem:
    """The item with its issue number and due date filled in."""
    return replace(opened.item, issue=opened.number, due=opened.item.due or opened.due)
