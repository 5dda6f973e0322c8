"""`schedule` (and `workflow_dispatch` with `command: remind`): run `pmops remind`.

The scheduled workflow `pmops init` writes runs this with `issues: write`,
`pull-requests: read` and `contents: read`: it comments, and never pushes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmops.events.context import Context, Outcome
from pmops.follow.remind import Reminders, published_incidents


def on_schedule(event: Mapping[str, Any], ctx: Context) -> Outcome:
    """Comment once per period on overdue postmortems and action items; summary lines."""
    folder = ctx.config.postmortems_dir
    listing = ctx.workspace.text(
        "ls-tree", "-r", "--name-only", ctx.default_ref, "--", f"{folder}/"
    )
    published = published_incidents(listing.splitlines(), folder)
    dry_run = str((event.get("inputs") or {}).get("dry-run", "")).lower() == "true"
    report = Reminders(ctx.api.repo, ctx.config, published, ctx.now(), ctx.api.own).run(
        dry_run=dry_run
    )
    head, *rows = report.lines()
    return Outcome("reminded" if report.posted else "checked", head, notes=rows)
