"""The patches of a few commits, capped, for a model to read (the suspect rerank).

One `git log --no-walk --patch` through pmops's safe git runner (no hooks, external diff
drivers or textconv filters), streamed: however large a commit is, only the first lines of
each file are kept. Commits the repository does not have are skipped, not errors.
No author, committer or date is read: the output holds file headers and hunks only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pmops.sources.gitcmd import DIFF_OPTS, check_repo, frame_markers, git_lines, resolve_many

FILE_CHARS = 3000
"""Characters kept of one file's patch: a lock file or a vendored blob must not crowd out
the rest of the change."""
COMMIT_CHARS = 12000
"""Characters kept of one commit's patch; the rerank trims further to its token budget."""
LINE_CHARS = 300
"""A longer line (minified code, data) is replaced by a placeholder, never cut mid-way: a cut
could keep half a secret that redaction no longer recognizes."""
CONTEXT_LINES = 2
"""Unchanged lines around each change: enough to read a hunk, cheap in tokens."""

_SHA = re.compile(r"[0-9a-f]{40}")
_DROPPED_HEADERS = (b"index ", b"--- ", b"+++ ", b"similarity index ")
"""File header lines that repeat what `diff --git a/x b/x` already says."""


@dataclass
class LinePrefix:
    """The first whole lines of a text within `limit` characters, and how many followed.
    The first line is always kept: a file's `diff --git` line names the file."""

    limit: int
    lines: list[str] = field(default_factory=list)
    size: int = 0
    more: int = 0

    def add(self, line: str) -> None:
        """Keep `line` if it and every line before it fit; else count it."""
        if self.more or (self.lines and self.size + len(line) + 1 > self.limit):
            self.more += 1
            return
        self.lines.append(line)
        self.size += len(line) + 1

    def shown(self) -> list[str]:
        """The kept lines, then `… (N more lines)` if any were left out."""
        return self.lines + ([f"… ({self.more} more lines)"] if self.more else [])


def more_files(count: int) -> str:
    """The line that stands for files left out of a patch."""
    return f"… ({count} more file{'s' if count != 1 else ''} not shown)"


@dataclass
class _FilePatch(LinePrefix):
    """One file's part of a patch while it is read."""

    in_hunks: bool = False


def read_patches(
    repo: Path,
    shas: Sequence[str],
    *,
    file_chars: int = FILE_CHARS,
    commit_chars: int = COMMIT_CHARS,
) -> dict[str, str]:
    """`{sha: patch}` for the full SHAs in `shas` this repository has, in one git call.

    Each file's patch keeps its `diff --git` line and its first lines up to `file_chars`;
    files past `commit_chars` are counted, not shown. Merges show the diff against their
    first parent (what the merge brought in). Raises SourceError when git fails.
    """
    wanted = [s for s in dict.fromkeys(shas) if _SHA.fullmatch(s)]
    if not wanted:
        return {}
    known = set(resolve_many(check_repo(repo), wanted).values())
    present = [s for s in wanted if s in known]
    if not present:
        return {}
    nonce, start, _, _ = frame_markers()
    lines = git_lines(
        repo,
        "log",
        "--no-walk=unsorted",
        "--patch",
        f"--unified={CONTEXT_LINES}",
        *DIFF_OPTS,
        f"--format=%x1e{nonce}%H",
        *present,
    )
    files: dict[str, list[_FilePatch]] = {}
    current: list[_FilePatch] = []
    for raw in lines:
        line = raw.rstrip(b"\n")
        if not line:
            continue  # separates the format line, the patch and the next commit
        if line.startswith(start):
            current = files.setdefault(line[len(start) :].decode(), [])
        elif line.startswith(b"diff --git "):
            current.append(_FilePatch(file_chars))
            current[-1].add(_text(line))
        elif current:
            _add_line(current[-1], line)
    return {sha: _join(patches, commit_chars) for sha, patches in files.items()}


def _add_line(patch: _FilePatch, line: bytes) -> None:
    if line.startswith(b"@@"):
        patch.in_hunks = True
    elif not patch.in_hunks and line.startswith(_DROPPED_HEADERS):
        return
    patch.add(_text(line))


def _text(line: bytes) -> str:
    text = line.decode("utf-8", "replace")
    if len(text) > LINE_CHARS:
        return f"{text[:1]}[a line of {len(text)} characters, not shown]"
    return text


def _join(patches: Iterable[_FilePatch], limit: int) -> str:
    """The files' patches in order while they fit `limit`; the rest are counted."""
    kept: list[str] = []
    size = 0
    skipped = 0
    for patch in patches:
        text = "\n".join(patch.shown())
        if kept and size + len(text) + 1 > limit:
            skipped += 1
            continue
        kept.append(text)
        size += len(text) + 1
    if skipped:
        kept.append(more_files(skipped))
    return "\n".join(kept)
