"""How far back the suspects must be looked for: a deploy ships every commit between the
previously deployed SHA and its own, whatever their age. A migration merged 35 h before the
start and deployed 12 min before it is a candidate even with a 24 h lookback.

Also the hints that evidence points before the window: a revert during the incident whose
target is older, a SHA an update names that the window does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from pmops.errors import SourceError
from pmops.model import Change, Deploy, Update, Window
from pmops.sources.gitcmd import git_bytes, resolve_many

MAX_SHIPPED_AGE = timedelta(days=30)
"""The window never reaches further back than this for what a deploy shipped: a deploy
after a month-long freeze should not read a month of history on a busy repository."""

LATE_GRACE = timedelta(minutes=2)
"""A deploy this long after the start can still be the cause (as pmops.analyze.deploys)."""

_SHA = re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b")


def shipped_since(repo: Path, deploys: Sequence[Deploy], window: Window) -> datetime:
    """The oldest commit time any deploy before the start shipped (previous deployed SHA of
    the same service and environment .. deployed SHA), or `window.since` if that is older."""
    since = window.since
    floor = window.start - MAX_SHIPPED_AGE
    last: dict[tuple[str, str], str] = {}
    for deploy in sorted(deploys, key=lambda d: d.at):
        if deploy.status == "failure" or deploy.at > window.start + LATE_GRACE:
            continue
        key = (deploy.service, deploy.environment)
        previous = last.get(key)
        last[key] = deploy.sha
        if previous is None or previous == deploy.sha:
            continue
        try:
            out = git_bytes(repo, "log", "--format=%ct", f"{previous}..{deploy.sha}", "--")
        except SourceError:
            continue  # a SHA git does not know: gather reports the deploy as unresolved
        times = [int(t) for t in out.split()]
        if times:
            oldest = datetime.fromtimestamp(min(times), tz=window.since.tzinfo)
            since = min(since, max(oldest, floor))
    return since


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
