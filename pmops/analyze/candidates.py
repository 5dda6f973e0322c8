"""Group commits into candidate changes: a PR merge with its branch commits is one change.

Each candidate knows when it landed on the main line (a branch commit lands with its merge),
and candidates are split into the suspect pool (landed before the start) and remediation
(landed during the incident). A merge that is not a PR merge (Gerrit's "Merge "<title>"
into main", "Merge branch ...", a subsystem merge) is no change of its own: the commits it
brings in are the candidates, each with the merge as its `group`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

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
    group: Change | None = None
    """The merge that brought this commit onto the main line, when that merge is not a PR
    merge and so is listed through its commits rather than as one change."""

    @property
    def pr(self) -> int | None:
        """The PR number of the representative commit or, failing that, of a member."""
        return self.change.pr or next((m.pr for m in self.members if m.pr), None)

    @property
    def shas(self) -> tuple[str, ...]:
        """The SHAs that stand for this change: its members' and its group merge's (a
        deploy, a mention or a revert of that merge concerns each commit it brought in)."""
        return (*(m.sha for m in self.members), *((self.group.sha,) if self.group else ()))

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
    """The commits `merge` brings in: reachable from its other parents, not through `stop`."""
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
    """Every change as a candidate: PR merges folded (see FOLD_LIMIT), other merges listed
    through the commits they bring in.

    The main line is walked newest first and each merge claims the commits it brings in;
    claimed commits stop the walks of older merges (whatever lies behind a claimed commit
    was claimed with it), so the cost is linear in the commits, not in merges × commits.
    """
    by_sha = {c.sha: c for c in changes}
    line = _first_parent_line(changes)
    on_line = {c.sha for c in line}
    stop = set(on_line)  # the main line, then every claimed commit too
    result: list[Candidate] = []
    for commit in line:
        if not commit.is_merge:
            result.append(Candidate(commit, (commit,), commit.committed_at))
            continue
        branch = _branch_commits(commit, by_sha, stop)
        stop.update(c.sha for c in branch)
        result += _merge_candidates(commit, branch)
    for commit in changes:
        if commit.sha not in stop:
            result.append(Candidate(commit, (commit,), commit.committed_at))
    return result


def _merge_candidates(merge: Change, branch: Sequence[Change]) -> list[Candidate]:
    """A PR merge and its branch as one candidate; else each commit it brings in (the merge
    itself when it brings in none this history holds)."""
    if merge.pr is not None and len(branch) <= FOLD_LIMIT:
        return [Candidate(merge, (merge, *branch), merge.committed_at)]
    commits = [c for c in branch if not c.is_merge]
    if not commits:
        return [Candidate(merge, (merge, *branch), merge.committed_at)]
    return [Candidate(c, (c,), merge.committed_at, group=merge) for c in commits]


def build_candidates(
    changes: Sequence[Change], window: Window
) -> tuple[list[Candidate], list[Candidate]]:
    """(suspect pool: landed in [since, start]; remediation: landed in (start, end + grace])."""
    pool: list[Candidate] = []
    remediation: list[Candidate] = []
    until = window.until
    for candidate in group_changes(changes):
        if window.since <= candidate.landed_at <= window.start:
            pool.append(candidate)
        elif window.start < candidate.landed_at <= until:
            remediation.append(candidate)
    remediation.sort(key=lambda c: c.landed_at)
    return pool, remediation
