"""`issue_comment.created`: `/postmortem` on an incident issue, `/regenerate` on a pmops PR.

Anything else is left alone: plain comments and other bots' commands get nothing, an unknown
`/command` on a pmops PR gets a short help reply, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pmops.errors import InputError
from pmops.events.branch import incident_of
from pmops.events.context import Context, Outcome
from pmops.events.generate import generate
from pmops.events.messages import comment
from pmops.events.regenerate import regenerate
from pmops.github.api import marker
from pmops.safety.sanitize import one_line
from pmops.times import parse_time

_COMMAND = re.compile(r"^/([A-Za-z][A-Za-z0-9_-]*)(?:[ \t]+(.*))?$")


@dataclass(frozen=True)
class Command:
    """A slash command: its name (lowercase) and the rest of the comment as arguments."""

    name: str
    args: str


def parse_command(body: str) -> Command | None:
    """The command on the comment's first non-blank line, or None for a plain comment."""
    lines = body.strip().splitlines()
    if not lines:
        return None
    match = _COMMAND.match(lines[0].strip())
    if not match:
        return None
    rest = " ".join([match.group(2) or "", *[line.strip() for line in lines[1:]]])
    return Command(match.group(1).lower(), " ".join(rest.split()))


def on_comment(event: Mapping[str, Any], ctx: Context) -> Outcome:
    """Route one new comment."""
    sender = event.get("sender") or {}
    if sender.get("type") == "Bot":
        return Outcome("ignored", "comment by a bot")
    command = parse_command((event.get("comment") or {}).get("body") or "")
    if command is None:
        return Outcome("ignored", "not a command")
    issue = event["issue"]
    number = int(issue["number"])
    actor = str(sender.get("login") or "")
    if issue.get("pull_request"):
        return _on_pull(ctx, number, command, actor, event["comment"])
    if command.name != "postmortem":
        return Outcome("ignored", f"/{command.name} is not a pmops command on an issue")
    labels = [label["name"] for label in issue.get("labels") or []]
    if ctx.config.incident_label not in labels:
        reply = comment("not_incident", label=one_line(ctx.config.incident_label, 50))
        ctx.api.comment(number, reply, marker("not-incident", number), update=False)
        return Outcome("ignored", "not an incident issue")
    return generate(ctx, number, actor)


def _on_pull(
    ctx: Context, number: int, command: Command, actor: str, item: Mapping[str, Any]
) -> Outcome:
    # The payload has no head: fetch the PR to learn its branch (DESIGN §4, GitHub facts).
    pull = ctx.api.pull(number)
    incident = incident_of(pull.head.ref)
    same_repo = pull.head.repo is not None and pull.head.repo.full_name == ctx.repo
    if incident is None or not same_repo:
        return Outcome("ignored", "not a pmops pull request")
    comment_id = int(item["id"])
    if command.name == "regenerate":
        return regenerate(ctx, pull, incident, actor, command.args, comment_id, _created_at(item))
    body = comment("unknown_command", command=f"/{one_line(command.name, 40)}")
    ctx.api.comment(number, body, marker("unknown", comment_id), update=False)
    return Outcome("ignored", f"unknown command /{command.name}", number)


def _created_at(item: Mapping[str, Any]) -> datetime | None:
    """When the comment was made (the once-a-minute rule counts between comments)."""
    try:
        return parse_time(str(item.get("created_at") or ""))
    except InputError:
        return None
