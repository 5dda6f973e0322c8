"""`pull_request.closed` with `merged`: the default branch now holds the stamped file.

Then, idempotently (a duplicate delivery changes nothing): one tracking issue per action
item, found again by a hidden marker in its body; label `postmortem:published` and one
comment on the incident listing the postmortem and the issues.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pmops.document import parse_document
from pmops.errors import InputError
from pmops.events.api import marker
from pmops.events.branch import incident_of
from pmops.events.context import Context, Outcome
from pmops.events.generate import published_on_default
from pmops.events.messages import comment
from pmops.model import ActionItem, Status
from pmops.render import from_document
from pmops.sanitize import one_line

ITEM_LABEL = "postmortem:action-item"


@dataclass(frozen=True)
class Tracked:
    """An action item and the issue that tracks it."""

    number: int
    title: str


def item_key(incident: int, item: ActionItem) -> str:
    """A stable key of an action item: the incident and a digest of its title."""
    digest = hashlib.sha256(" ".join(item.title.lower().split()).encode()).hexdigest()[:12]
    return f"{incident}-{digest}"


def on_closed(event: Mapping[str, Any], ctx: Context) -> Outcome:
    """Handle a closed pull request; only merged pmops PRs matter."""
    pr = event["pull_request"]
    number = int(pr["number"])
    incident = incident_of(pr["head"]["ref"])
    if not pr.get("merged") or incident is None:
        return Outcome("ignored", "not a merged pmops pull request", number)
    ctx.workspace.fetch(f"+refs/heads/{ctx.default_branch}:{ctx.default_ref}")
    path = published_on_default(ctx, incident)
    text = ctx.workspace.read(ctx.default_ref, path) if path else None
    if path is None or text is None:
        return Outcome("ignored", f"no postmortem of #{incident} on the default branch", number)
    try:
        pm = from_document(parse_document(text, path), path)
    except InputError as exc:
        ctx.api.comment(number, f"The merged postmortem does not parse, so pmops did nothing "
                        f"with it: `{one_line(str(exc), 300)}`", marker("merged-broken", number))
        return Outcome("merged-unpublished", str(exc), number, path)
    if pm.status is not Status.PUBLISHED:
        ctx.api.comment(number, comment("merged_unpublished", path=path, status=pm.status.value),
                        marker("merged-unpublished", number), update=False)
        return Outcome("merged-unpublished", f"{path} merged as {pm.status.value}", number, path)
    url = ctx.html(f"blob/{ctx.default_branch}/{path}")
    ctx.api.ensure_labels([ITEM_LABEL])
    tracked = [_track(ctx, incident, item, path, url, number) for item in pm.action_items]
    issue = ctx.api.issue(incident)
    ctx.api.add_labels(incident, ["postmortem:published"], [lb.name for lb in issue.labels])
    ctx.api.comment(incident, comment("published", path=path, url=url, pr_number=number,
                                      items=tracked), marker("published", incident))
    return Outcome("published", f"published {path}; {len(tracked)} action item issue(s)",
                   number, path)


def _track(ctx: Context, incident: int, item: ActionItem, path: str, url: str,
           pr_number: int) -> Tracked:
    """The issue tracking `item`: the existing one (marker in its body) or a new one."""
    if item.issue:
        return Tracked(item.issue, one_line(item.title, 200))
    tag = marker("action-item", item_key(incident, item))
    for existing in ctx.api.repo.get_issues(state="all", labels=[ITEM_LABEL]):
        if tag in (existing.body or ""):
            return Tracked(existing.number, existing.title)
    title = one_line(item.title, 200)
    body = comment("action_item", incident=incident, path=path, url=url,
                   priority=item.priority.value, owner=one_line(item.owner or "", 100),
                   pr_number=pr_number)
    created = ctx.api.repo.create_issue(title=title, body=f"{ctx.api.publishable(body)}\n{tag}\n",
                                        labels=[ITEM_LABEL])
    return Tracked(created.number, title)
