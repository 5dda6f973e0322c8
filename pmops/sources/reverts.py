"""Reverts without a message: a later commit whose diff is the exact inverse of an earlier one.

Candidates are paired by their numstat first (no git call); only those pairs are diffed, in
one `git log --patch` call.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pmops.model import Change
from pmops.sources.gitcmd import (
    DIFF_OPTS,
    check_repo,
    file_blocks,
    frame_markers,
    resolve_many,
)
from pmops.sources.readable import log_readable


def _numstat_key(change: Change, inverse: bool = False) -> frozenset[tuple[str, str, int, int]]:
    """What `git --numstat` says of a change; a revert's key is its target's inverse key."""
    items = set()
    for f in change.files:
        src, dst = f.old_path or f.path, f.path
        if inverse:
            items.add((dst, src, f.deletions, f.additions))
        else:
            items.add((src, dst, f.additions, f.deletions))
    return frozenset(items)


_Lines = tuple[bytes, ...]
_FileDiff = tuple[bytes | None, bytes | None, _Lines, _Lines, _Lines]
"""(source path, destination path, removed lines, added lines, modes and binary blobs)."""


def _path(value: bytes) -> bytes | None:
    """A path from a `---`/`+++` line without its a/ or b/ prefix (quoted paths stay quoted)."""
    value = value.removesuffix(b"\t")
    if value == b"/dev/null":
        return None
    return b'"' + value[3:] if value.startswith(b'"') else value[2:]


def _file_diff(block: bytes) -> _FileDiff:
    """One file's section of a patch as a _FileDiff."""
    lines = block.split(b"\n")
    src = dst = None
    minus: list[bytes] = []
    plus: list[bytes] = []
    meta: list[bytes] = []
    in_hunk = False
    for line in lines[1:]:
        if in_hunk or line.startswith(b"@@"):
            in_hunk = True
            if line.startswith(b"-"):
                minus.append(line[1:])
            elif line.startswith(b"+"):
                plus.append(line[1:])
        elif line.startswith((b"--- ", b"+++ ")):
            path = _path(line[4:])
            src, dst = (path, dst) if line[0] == ord("-") else (src, path)
        elif line.startswith((b"rename from ", b"copy from ")):
            src = line.split(b" from ", 1)[1]
        elif line.startswith((b"rename to ", b"copy to ")):
            dst = line.split(b" to ", 1)[1]
        elif line.startswith((b"old mode", b"new mode", b"new file", b"deleted file", b"index ")):
            meta.append(line)
    if src is None and dst is None:  # a mode-only change: "a/x b/x" is its own inverse
        src = dst = lines[0]
    return src, dst, tuple(minus), tuple(plus), _meta(meta, bool(plus or minus))


def _meta(lines: list[bytes], has_text: bool) -> tuple[bytes, ...]:
    """Modes as (old, new) and, for binary files only, blob ids as (old, new)."""
    old = new = b""
    blobs: tuple[bytes, ...] = ()
    for line in lines:
        if line.startswith(b"index ") and not has_text:
            blobs = tuple(line.split()[1].split(b".."))
        elif line.startswith((b"old mode ", b"deleted file mode ")):
            old = line.rsplit(b" ", 1)[1]
        elif line.startswith((b"new mode ", b"new file mode ")):
            new = line.rsplit(b" ", 1)[1]
    return (old, new, *blobs)


def _inverse(diff: _FileDiff) -> _FileDiff:
    src, dst, minus, plus, meta = diff
    return dst, src, plus, minus, tuple(reversed(meta[:2])) + tuple(reversed(meta[2:]))


def _read_signatures(repo: Path, shas: Sequence[str]) -> dict[str, frozenset[_FileDiff]]:
    """Each commit's diff as a set of per-file (paths, removed, added, meta) records."""
    nonce, start, _, _ = frame_markers()
    out = log_readable(
        repo, shas, "-p", "--unified=0", "--full-index", *DIFF_OPTS, f"--format=%x1e{nonce}%H"
    ).out  # a commit git cannot read (missing blobs) has no signature: it matches nothing
    return {
        chunk[:40].decode(): frozenset(_file_diff(block) for block in file_blocks(chunk[40:]))
        for chunk in out.split(start)[1:]
    }


def detect_inverse_reverts(changes: Sequence[Change], repo: Path) -> dict[str, str]:
    """Reverts without a "This reverts" message: {reverting SHA: reverted SHA}.

    A later commit reverts an earlier one when its diff is the exact inverse (same files,
    removed and added lines swapped). Only pairs whose numstat already matches inverted
    are diffed, in one git call. Merges and commits that declare what they revert are
    skipped. `changes` must come from `repo`.
    """
    pool = [c for c in changes if c.files and not c.is_merge]
    by_key: dict[frozenset[tuple[str, str, int, int]], list[Change]] = {}
    for change in pool:
        by_key.setdefault(_numstat_key(change), []).append(change)
    candidates: set[str] = set()
    for change in pool:
        if change.reverts:
            continue
        for other in by_key.get(_numstat_key(change, inverse=True), ()):
            if other.sha != change.sha:
                candidates.update((change.sha, other.sha))
    if not candidates:
        return {}
    present = resolve_many(check_repo(repo), candidates)  # changes of another repo: skipped
    signatures = _read_signatures(repo, sorted(present.values()))
    found: dict[str, str] = {}
    inverse_of: dict[frozenset[_FileDiff], str] = {}  # inverted diff -> latest commit with it
    ordered = sorted(pool, key=lambda c: (c.committed_at, c.authored_at, c.sha))
    for change in ordered:
        signature = signatures.get(change.sha)
        if not signature:
            continue
        if not change.reverts and signature in inverse_of:
            found[change.sha] = inverse_of[signature]
        inverse_of[frozenset(_inverse(d) for d in signature)] = change.sha
    return found


# ---------------------------------------------------------------- tags and history
