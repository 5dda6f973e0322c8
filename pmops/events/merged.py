"""`pull_request.closed` with `merged`: the default branch now holds the stamped file.

Then, idempotently (a duplicate delivery changes nothing): one tracking issue per action
item (assignee, priority label, due date, back link), found again by a hidden marker in its
body from one paginated list of the tracking issues; label `postmortem:published` and one
comment on the incident listing the postmortem and the issues. The bot cannot push to the
protected default branch, so the issue numbers and due dates reach the frontmatter through a
follow-up pull request (`pmops/action-items-<n>`) that a human merges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pmops.documents.document import parse_document
from pmops.documents.render import from_document
from pmops.errors import InputError
from pmops.events.action_record import record_items
from pmops.events.branch import incident_of
from pmops.events.context import Context, Outcome
from pmops.events.facts import merged_stamp_problem
from pmops.events.generate import published_on_default
from pmops.events.messages import comment
from pmops.follow.action_items import ITEM_LABEL, PRIORITY_LABELS
from pmops.follow.item_issues import ItemOpener, Opened, Source, list_tracking_issues
from pmops.github.api import marker
from pmops.model import ActionItem, Status
from pmops.safety.sanitize import one_line


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
        ctx.api.comment(
            number,
            comment("merged_broken", error=one_line(str(exc), 300)),
            marker("merged-broken", number),
        )
        return Outcome("merged-unpublished", str(exc), number, path)
    if pm.status is not Status.PUBLISHED:
        ctx.api.comment(
            number,
            comment("merged_unpublished", path=path, status=pm.status.value),
            marker("merged-unpublished", number),
            update=False,
        )
        return Outcome("merged-unpublished", f"{path} merged as {pm.status.value}", number, path)
    problem = merged_stamp_problem(ctx, number, path)
    if problem is not None:
        ctx.api.comment(
            number,
            comment("merged_unverified", path=path, reason=problem),
            marker("merged-unverified", number),
            update=False,
        )
        return Outcome(
            "merged-unpublished",
            f"{path}: the stamp is not backed by a code owner's approval ({problem})",
            number,
            path,
        )
    url = ctx.html(f"blob/{ctx.default_branch}/{path}")
    tracked = _open_items(
        ctx, incident, pm.action_items, path, url, number, (pm.published_at or ctx.now()).date()
    )
    notes = [f"action item {one_line(o.item.title, 80)!r}: {o.note}" for o in tracked if o.note]
    notes += record_items(ctx, incident, path, text, tracked)
    issue = ctx.api.issue(incident)
    ctx.api.add_labels(incident, ["postmortem:published"], [lb.name for lb in issue.labels])
    listed = [
        {
            "number": o.number,
            "title": one_line(o.item.title, 200),
            "due": o.due.isoformat() if o.due else "",
        }
        for o in tracked
    ]
    ctx.api.comment(
        incident,
        comment("published", path=path, url=url, pr_number=number, items=listed),
        marker("published", incident),
    )
    created = sum(o.created for o in tracked)
    return Outcome(
        "published",
        f"published {path}; {len(tracked)} action item issue(s), {created} opened now",
        number,
        path,
        notes,
    )


def _open_items(
    ctx: Context,
    incident: int,
    items: Sequence[ActionItem],
    path: str,
    url: str,
    pr_number: int,
    published: date,
) -> list[Opened]:
    """The tracking issue of every item: one list request for all, then one create each new."""
    if not items:
        return []
    ctx.api.ensure_labels([ITEM_LABEL, *(name for name, _, _ in PRIORITY_LABELS.values())])
    follow = ctx.config.follow
    opener = ItemOpener(
        ctx.api.repo,
        list_tracking_issues(ctx.api.repo),
        follow.due_days,
        follow.assign_owners,
        ctx.api.publishable,
    )
    source = Source(incident, path, url, pr_number, published)
    return [opener.track(item, source) for item in items]
