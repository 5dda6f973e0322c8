"""`git log` over a batch of commits when some of their objects may be missing.

A partial clone (`--filter=blob:none`) whose promisor remote is gone or offline, or a mirror
that dropped its largest files, has every commit and tree but not every blob: one `git log
--patch` over a batch then fails as a whole ("unable to read <blob>"). `log_readable` splits
such a batch in halves until the commits git cannot read are alone, so one missing blob
costs one commit its patch, not the whole window its ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pmops.errors import SourceError
from pmops.sources.gitcmd import log_each

MAX_CALLS = 64
"""git processes one `log_readable` may start after the first failed call. k unreadable
commits among n cost about 2·k·log2(n) calls (a window of 1,000 commits with 3 missing blobs:
about 60); past this cap the commits still untried count as unreadable, so a repository with
many missing objects degrades to tree-only reads instead of thousands of processes."""


@dataclass(frozen=True)
class Readable:
    """What one `log_readable` call read, and the commits it could not."""

    out: bytes
    """git's output for the readable commits, in the order given."""
    unreadable: tuple[str, ...]
    """Commits whose output git could not produce, in the order given."""
    error: str = ""
    """The first failure's message (names the missing object), empty when none failed."""


def log_readable(repo: Path, shas: Sequence[str], *args: str) -> Readable:
    """`log_each(repo, shas, *args)` over the commits git can read, and those it cannot.

    One git call when every object is there. Whatever else fails (git missing, not a
    repository) fails the same way for a single commit, so it ends as every commit
    unreadable, never as an exception: callers decide what a commit without output costs.
    """
    try:
        return Readable(log_each(repo, shas, *args), ())
    except SourceError as error:
        first = str(error)
    parts: list[bytes] = []
    unreadable: list[str] = []
    calls = 0
    pending = _halves(list(shas))
    while pending:
        batch = pending.pop(0)
        if calls >= MAX_CALLS:
            unreadable += batch
            continue
        calls += 1
        try:
            parts.append(log_each(repo, batch, *args))
        except SourceError:
            if len(batch) == 1:
                unreadable += batch
            else:
                pending[:0] = _halves(batch)
    return Readable(b"".join(parts), tuple(unreadable), first)


def _halves(batch: list[str]) -> list[list[str]]:
    middle = (len(batch) + 1) // 2
    return [half for half in (batch[:middle], batch[middle:]) if half]
