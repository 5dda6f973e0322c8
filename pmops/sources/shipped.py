"""How far back the suspects must be looked for: a deploy ships every commit between the
previously deployed SHA and its own, whatever their age. A migration merged 35 h before the
start and deployed 12 min before it is a candidate even with a 24 h lookback.

Also the hints that evidence points before the window: a revert during the incident whose
target is older, a SHA an update names that the window does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from pmops.errors import SourceError
from pmops.model import Change, Deploy, Update, Window
from pmops.sources import git
from pmops.sources.gitcmd import git_bytes, resolve_many

MAX_SHIPPED_AGE = timedelta(days=30)
"""The window never reaches further back than this for what a deploy shipped: a deploy
after a month-long freeze should not read a month of history on a busy repository."""

LATE_GRACE = timedelta(minutes=2)
"""A deploy this long after the start can still be the cause (as pmops.analyze.deploys)."""

_HEX = re.compile(r"[0-9a-fA-F]{7,40}")
_SHA = re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b")


def widen_window(repo: Path, deploys: Sequence[Deploy], window: Window) -> Window:
    """`window` reaching back to the oldest commit any deploy before the start shipped
    (previous deployed SHA of the same service and environment .. deployed SHA), at most
    `MAX_SHIPPED_AGE` before the start; `since` unchanged when nothing shipped is older.

    A shallow clone of `repo` is deepened to hold that history: to the window first, then
    to the earliest deploy that shipped something (the SHA deployed before it landed before
    that), then to `MAX_SHIPPED_AGE` while a deployed SHA is still missing. A SHA git does
    not know after that ships nothing here (the gather reports the deploy as unresolved).
    Raises SourceError when deepening fails.
    """
    git.ensure_history(repo, window.since)
    ranges = _ranges(deploys, window)
    if not ranges:
        return window
    floor = window.start - MAX_SHIPPED_AGE
    wanted = {d.sha.lower() for pair in ranges for d in pair}
    for deepen_to in (max(floor, min(previous.at for previous, _ in ranges)), floor):
        if len(resolve_many(repo, wanted)) == len(wanted):
            break
        git.ensure_history(repo, deepen_to)
    since = window.since
    for previous, deploy in ranges:
        try:
            out = git_bytes(repo, "log", "--format=%ct", f"{previous.sha}..{deploy.sha}", "--")
        except SourceError:
            continue  # a SHA git does not know
        times = [int(t) for t in out.split()]
        if times:
            oldest = datetime.fromtimestamp(min(times), tz=window.since.tzinfo)
            since = min(since, max(oldest, floor))
    if since >= window.since:
        return window
    git.ensure_history(repo, since)
    return replace(window, since=since)


def _ranges(deploys: Sequence[Deploy], window: Window) -> list[tuple[Deploy, Deploy]]:
    """(previous deploy, deploy) of each deploy before the start (with `LATE_GRACE`) that
    changed the SHA its service and environment ran; failed deploys shipped nothing."""
    ranges = []
    last: dict[tuple[str, str], Deploy] = {}
    for deploy in sorted(deploys, key=lambda d: d.at):
        if deploy.status == "failure" or deploy.at > window.start + LATE_GRACE:
            continue
        key = (deploy.service, deploy.environment)
        previous = last.get(key)
        last[key] = deploy
        if previous is None or previous.sha == deploy.sha:
            continue
        if _HEX.fullmatch(previous.sha) and _HEX.fullmatch(deploy.sha):  # never an option
            ranges.append((previous, deploy))
    return ranges


def outside_hints(
    repo: Path, changes: Iterable[Change], updates: Iterable[Update], lookback_hours: float
) -> tuple[str, ...]:
    """Sentences naming evidence that points before the window, with how to widen it."""
    known = {c.sha for c in changes}
    hints = []
    for change in changes:
        for target in change.reverts:
            if target not in known:
                hints.append(f"{change.sha[:7]} reverts {target[:7]}, which landed earlier")
    named = {m.group(0) for u in updates for m in _SHA.finditer(u.text)}
    named = {sha for sha in named if not any(k.startswith(sha) for k in known)}
    try:
        resolved = resolve_many(repo, named)
    except SourceError:
        resolved = {}
    hints += [f"an update names {short}, which landed earlier" for short in sorted(resolved)]
    if not hints:
        return ()
    return tuple(
        f"Evidence points before the {lookback_hours:g} h lookback window: {hint}; "
        "rerun with a longer --lookback (or lookback_hours in .github/pmops.yml) to rank it."
        for hint in dict.fromkeys(hints)
    )
