"""`workflow_dispatch`: generate the postmortem of the issue named by the `issue-number` input."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmops.errors import InputError
from pmops.events.context import Context, Outcome
from pmops.events.generate import generate


def on_dispatch(event: Mapping[str, Any], ctx: Context) -> Outcome:
    """Run generate for the issue given as the action input or the workflow input."""
    number = ctx.inputs.issue_number
    if number is None:
        raw = (
            str(
                (event.get("inputs") or {}).get("issue-number")
                or (event.get("inputs") or {}).get("issue_number")
                or ""
            )
            .strip()
            .lstrip("#")
        )
        if not raw.isdigit():
            raise InputError(
                "workflow_dispatch needs the issue number: give the action "
                "`issue-number: ${{ inputs.issue-number }}`"
            )
        number = int(raw)
    actor = str((event.get("sender") or {}).get("login") or "")
    issue = ctx.api.issue(number)
    if issue.pull_request is not None:
        raise InputError(f"#{number} is a pull request, not an incident issue")
    return generate(ctx, number, actor)
