"""The once-a-minute rule of `/regenerate`, measured between comments, not between runs.

Runs start late (queued behind other runs, 30–60 s of set-up each), so two `/regenerate`
comments made seconds apart could both run if the rule looked at when runs start or commit.
It compares the comment's own `created_at` with the previous accepted one, which pmops records
in its reply (a hidden marker in its own comment: nobody else's comment counts), and with the
newest `generate` commit of the branch (the first draft has no comment).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from github.IssueComment import IssueComment

from pmops.errors import InputError
from pmops.github.api import GitHubApi, marker
from pmops.gitops import CommitInfo
from pmops.times import format_time, parse_time

MIN_INTERVAL = timedelta(seconds=60)
"""At most one (re)generation per PR per minute: each one costs a model call."""

_ACCEPTED = "regenerate-at"
_ACCEPTED_AT = re.compile(r"<!-- pmops:regenerate-at:(\S+) -->")


def accepted_marker(requested_at: datetime) -> str:
    """The hidden line pmops's reply carries for an accepted `/regenerate` comment."""
    return marker(_ACCEPTED, format_time(requested_at))


def accepted_times(api: GitHubApi, comments: Iterable[IssueComment]) -> list[datetime]:
    """When the `/regenerate` comments pmops accepted were made (from its own replies)."""
    times = []
    for item in comments:
        body = item.body or ""
        if "pmops:regenerate-at:" not in body or not api.wrote(item):
            continue
        for value in _ACCEPTED_AT.findall(body):
            try:
                times.append(parse_time(value))
            except InputError:
                continue
    return times


def generated_times(commits: Iterable[CommitInfo]) -> list[datetime]:
    """Commit times of the branch's `generate` commits."""
    return [c.committed_at for c in commits if c.trailers.event == "generate"]


def wait_seconds(requested_at: datetime, previous: Iterable[datetime]) -> int | None:
    """Seconds still to wait before a comment made at `requested_at` may regenerate (pure).

    None when it may run now. A comment older than the last (re)generation waits a minute.
    """
    last = max(previous, default=None)
    if last is None:
        return None
    elapsed = requested_at - last
    if elapsed >= MIN_INTERVAL:
        return None
    return max(1, min(60, int((MIN_INTERVAL - elapsed).total_seconds())))
