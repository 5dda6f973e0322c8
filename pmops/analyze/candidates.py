"""Group commits into candidate changes: a PR merge with its branch commits is one change.

Each candidate knows when it landed on the main line (a branch commit lands with its merge),
and candidates are split into the suspect pool (landed before the start) and remediation
(landed during the incident).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pmops.analyze.window import gather_until
from pmops.model import Change, FileChange, Window

FOLD_LIMIT = 20
"""A merge bringing at most this many commits is one change (a PR); a bigger one (a
subsystem merge) leaves its commits as separate candidates."""


@dataclass(frozen=True)
class Candidate:
    """A change as ranked: its representative commit and every commit folded into it."""

    change: Change
    members: tuple[Change, ...]
    landed_at: datetime

    @property
    def pr(self) -> int | None:
        """The PR number of the representative commit or, failing that, of a member."""
        return self.change.pr or next((m.pr for m in self.members if m.pr), None)

    @property
    def files(self) -> tuple[FileChange, ...]:
        """The representative's files (a folded merge's first-parent diff)."""
        return self.change.files

    @property
    def churn(self) -> int:
        """Lines changed by the representative."""
        return self.change.churn


def _first_parent_line(changes: Sequence[Change]) -> list[Change]:
    by_sha = {c.sha: c for c in changes}
    parents = {p for c in changes for p in c.parents}
    heads = [c for c in changes if c.sha not in parents]
    line: list[Change] = []
    seen: set[str] = set()
    for head in heads:
        current: Change | None = head
        while current is not None and current.sha not in seen:
            seen.add(current.sha)
            line.append(current)
            current = by_sha.get(current.parents[0]) if current.parents else None
    return line


def _branch_commits(merge: Change, by_sha: dict[str, Change], stop: set[str]) -> list[Change]:
    found: list[Change] = []
    stack = list(merge.parents[1:])
    seen: set[str] = set()
    while stack:
        sha = stack.pop()
        if sha in seen or sha in stop or sha not in by_sha:
            continue
        seen.add(sha)
        found.append(by_sha[sha])
        stack.extend(by_sha[sha].parents)
    return found


def group_changes(changes: Sequence[Change]) -> list[Candidate]:
    """Every change as a candidate, with merges folded (see FOLD_LIMIT)."""
    by_sha = {c.sha: c for c in changes}
    line = _first_parent_line(changes)
    on_line = {c.sha for c in line}
    claimed: set[str] = set()
    result: list[Candidate] = []
    for commit in line:
        if not commit.is_merge:
            result.append(Candidate(commit, (commit,), commit.committed_at))
            continue
        branch = [c for c in _branch_commits(commit, by_sha, on_line) if c.sha not in claimed]
        claimed.update(c.sha for c in branch)
        if len(branch) <= FOLD_LIMIT:
            result.append(Candidate(commit, (commit, *branch), commit.committed_at))
        else:
            result.extend(Candidate(c, (c,), commit.committed_at) for c in branch if not c.is_merge)
    for commit in changes:
        if commit.sha not in on_line and commit.sha not in claimed:
            result.append(Candidate(commit, (commit,), commit.committed_at))
    return result


def build_candidates(
    changes: Sequence[Change], window: Window
) -> tuple[list[Candidate], list[Candidate]]:
    """(suspect pool: landed in [since, start]; remediation: landed in (start, end + grace])."""
    pool: list[Candidate] = []
    remediation: list[Candidate] = []
    until = gather_until(window)
    for candidate in group_changes(changes):
        if window.since <= candidate.landed_at <= window.start:
            pool.append(candidate)
        elif window.start < candidate.landed_at <= until:
            remediation.append(candidate)
    remediation.sort(key=lambda c: c.landed_at)
    return pool, remediation
