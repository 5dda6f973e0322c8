"""One handler per GitHub event, dispatched from one table (`HANDLERS`).

A handler is `(event payload, Context) -> Outcome`; `pmops.events.runner` builds the context
and turns outcomes and errors into outputs, comments and an exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pmops.events.comment import on_comment
from pmops.events.context import Context, Outcome
from pmops.events.dispatch_workflow import on_dispatch
from pmops.events.generate import generate, is_incident
from pmops.events.merged import on_closed
from pmops.events.review import on_review
from pmops.events.schedule import on_schedule
from pmops.events.synchronize import on_synchronize

Handler = Callable[[Mapping[str, Any], Context], Outcome]


def on_labeled(event: Mapping[str, Any], ctx: Context) -> Outcome:
    """`issues.labeled`: generate once an issue carries both the incident and resolved labels."""
    issue = event["issue"]
    if issue.get("pull_request"):
        return Outcome("ignored", "a pull request, not an issue")
    added = (event.get("label") or {}).get("name")
    labels = [label["name"] for label in issue.get("labels") or []]
    if added not in (ctx.config.incident_label, ctx.config.resolved_label):
        return Outcome("ignored", f"label {added!r} starts nothing")
    if not is_incident(labels, ctx):
        return Outcome("ignored", "the issue is not a resolved incident yet")
    return generate(ctx, int(issue["number"]), str(event["sender"]["login"]))


HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("issues", "labeled"): on_labeled,
    ("issue_comment", "created"): on_comment,
    ("workflow_dispatch", None): on_dispatch,
    ("pull_request", "opened"): on_synchronize,
    ("pull_request", "reopened"): on_synchronize,
    ("pull_request", "synchronize"): on_synchronize,
    ("pull_request", "closed"): on_closed,
    ("pull_request_review", "submitted"): on_review,
    ("schedule", None): on_schedule,
}
"""(event name, action) -> handler; `workflow_dispatch` has no action."""


def handler_for(event_name: str, event: Mapping[str, Any], command: str = "") -> Handler | None:
    """The handler of this event, or None when pmops has nothing to do with it; the action's
    `command: remind` input makes a `workflow_dispatch` run the reminders."""
    if command == "remind" and event_name in ("schedule", "workflow_dispatch"):
        return on_schedule
    action = event.get("action") if event_name not in ("workflow_dispatch", "schedule") else None
    return HANDLERS.get((event_name, action))


__all__ = ["HANDLERS", "Context", "Handler", "Outcome", "handler_for", "on_labeled"]
