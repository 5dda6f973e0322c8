"""Evidence from a local git repository: commits in a window, tags, reverts.

A bounded number of git processes per call, whatever the window holds: `rev-parse`, a
streamed date scan (`git log --format`), one `git log --numstat --patch` over the commits
found (files, then diff words) and, when needed, one `git cat-file --batch-check` for
abbreviated SHAs. Output fields are framed by random markers chosen per call, so no commit
message or file name can forge one.
Git runs without the system configuration, without hooks, external diff drivers or
textconv filters, so a hostile repository cannot make pmops run its code.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pmops.errors import SourceError
from pmops.sources.gitcmd import (
    DIFF_OPTS,
    check_repo,
    file_blocks,
    frame_markers,
    git_bytes,
    git_lines,
    log_each,
    resolve_many,
)
from pmops.sources.readable import Readable, log_readable
from pmops.sources.reverts import detect_inverse_reverts

__all__ = [
    "detect_inverse_reverts",
    "ensure_history",
    "parse_pr",
    "parse_reverts",
    "read_changes",
    "read_releases",
    "resolve_sha",
]
from pmops.model import Change, FileChange, Release

DATE_SLACK = timedelta(days=7)
"""A commit whose author date is in the window is found while its committer date is at most
this far outside it (rebases, cherry-picks and merge queues commit days after authoring)."""

SCAN_SLOP = 200
"""The date scan stops after this many consecutive commits older than the window minus the
slack: one commit with a skewed clock must not hide the history behind it."""

WORDS_MAX_FILES = 50
WORDS_MAX_LINES = 5000
"""Commits larger than this (vendoring, generated code) get no diff words: too costly, and
their words match everything."""

WORDS_PER_COMMIT = 300
WORD_MIN, WORD_MAX = 3, 40
LINE_MAX = 400
"""Only the first characters of a diff line are tokenized (minified files)."""

FETCH_TIMEOUT_S = 600
HISTORY_MARGIN = timedelta(days=1)
"""ensure_history deepens a shallow clone this far before `since`."""

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_STOP_WORDS = frozenset(
    b"the and for not def return self import from class this that with none true false null "
    b"var let const function else elif int str string void public private static new func "
    b"package pass end then nil bool while try except catch finally raise throw async await "
    b"yield lambda include define struct type interface use pub mut impl".split()
)
_CHANGED_LINE = re.compile(rb"^[-+]([^\n]{0,%d})" % LINE_MAX, re.MULTILINE)
_HEX = re.compile(r"[0-9a-fA-F]{7,40}")
_REVERTS = re.compile(r"\bThis reverts commit ([0-9a-fA-F]{7,40})\b", re.IGNORECASE)
_PR_SUBJECT = (
    re.compile(r"^Merge pull request #(\d+) from "),  # GitHub merge commit
    re.compile(r"\(#(\d+)\)\s*$"),  # GitHub squash: "Title (#123)"
    re.compile(r"^Merged PR (\d+):"),  # Azure DevOps
    re.compile(r"\(pull request #(\d+)\)"),  # Bitbucket: "Merged in x (pull request #12)"
)
_PR_BODY = re.compile(r"^See merge request [\w./-]+!(\d+)\s*$", re.MULTILINE)  # GitLab


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _check_window(since: datetime, until: datetime) -> None:
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware")


# ---------------------------------------------------------------- commits


@dataclass
class _Record:
    """One commit as parsed from `git log`, before it becomes a Change."""

    sha: str
    parents: tuple[str, ...]
    authored: int
    committed: int
    author: str
    subject: str
    body: str
    files: tuple[FileChange, ...]
    words: frozenset[str]


def _head(repo: Path, ref: str) -> tuple[str | None, frozenset[str]]:
    """The commit `ref` names (None in a repository without commits) and the shallow SHAs."""
    if ref.startswith("-") or not ref:
        raise SourceError(f"invalid ref {ref!r}")
    repo = check_repo(repo)
    try:
        out = git_bytes(
            repo,
            "rev-parse",
            "--is-shallow-repository",
            "--git-path",
            "shallow",
            f"{ref}^{{commit}}",
            "--",
        )
    except SourceError:
        if git_bytes(repo, "for-each-ref", "--count=1") or ref != "HEAD":
            raise SourceError(f"{repo}: unknown ref {ref!r}") from None
        return None, frozenset()
    shallow_flag, shallow_path, sha = out.decode().splitlines()[:3]
    shallow = _shallow_shas(repo, shallow_path) if shallow_flag == "true" else frozenset()
    return sha, shallow


def _shallow_shas(repo: Path, shallow_path: str) -> frozenset[str]:
    """The commits at a shallow clone's boundary (their parents are missing)."""
    path = Path(shallow_path)
    path = path if path.is_absolute() else repo / path
    return frozenset(path.read_text().split()) if path.is_file() else frozenset()


def _scan_window(repo: Path, head: str, since: datetime, until: datetime) -> list[str]:
    """SHAs of commits whose committer or author date lies in the window (see DATE_SLACK)."""
    lo, hi = int(since.timestamp()), int(until.timestamp())
    slack = int(DATE_SLACK.total_seconds())
    found: list[str] = []
    older = 0
    lines = git_lines(repo, "log", "--no-color", "--format=%H %ct %at", head, "--")
    with closing(lines):
        for line in lines:
            sha, committed, authored = line.split()
            ct, at = int(committed), int(authored)
            if lo <= ct <= hi or (lo <= at <= hi and lo - slack <= ct <= hi + slack):
                found.append(sha.decode())
            older = older + 1 if ct < lo - slack else 0
            if older >= SCAN_SLOP:
                break
    return found


def _split_numstat(tail: bytes) -> tuple[tuple[FileChange, ...], bytes]:
    """Files of `--numstat -z` output and the patch after them.

    Binary files count 0/0; renames keep the old path. Entries are read one by one (a rename
    takes three NUL-terminated fields), so no file name can end the list early.
    """
    if not tail.startswith(b"\0\n"):
        return (), b""
    files = []
    fields = iter(tail[2:].split(b"\0"))
    for field in fields:
        parts = field.split(b"\t", 2)
        if len(parts) != 3:  # the empty field between the list and the patch
            break
        added, deleted, path = parts
        adds = int(added) if added.isdigit() else 0
        dels = int(deleted) if deleted.isdigit() else 0
        if path:
            files.append(FileChange(_text(path), adds, dels))
        else:
            old, new = next(fields, b""), next(fields, b"")
            files.append(FileChange(_text(new), adds, dels, old_path=_text(old)))
    return tuple(files), b"\0".join(fields)


def _diff_words(patch: bytes) -> frozenset[str]:
    """The most frequent identifiers on the added and removed lines of one commit's patch."""
    lines: list[bytes] = []
    for block in file_blocks(patch):
        hunks = block.find(b"\n@@")  # what precedes the first hunk is the file header
        if hunks >= 0:
            lines += _CHANGED_LINE.findall(block, hunks)
    counts = Counter(_WORD.findall(b"\n".join(lines).lower()))
    ranked = sorted(
        (w for w in counts if WORD_MIN <= len(w) <= WORD_MAX and w.strip(b"_")),
        key=lambda w: -counts[w],
    )
    words = [w.decode() for w in ranked if w not in _STOP_WORDS]
    return frozenset(words[:WORDS_PER_COMMIT])


def _wants_words(files: Sequence[FileChange]) -> bool:
    lines = sum(f.additions + f.deletions for f in files)
    return 0 < len(files) <= WORDS_MAX_FILES and 0 < lines <= WORDS_MAX_LINES


def _read_commits(
    repo: Path, shas: Sequence[str], shallow: frozenset[str]
) -> tuple[list[_Record], list[str]]:
    """One `git log --no-walk --numstat --patch` over `shas`, and sentences on what git
    could not read.

    Numstat and patch in one call cost about half of two calls (measured on 1,000 commits);
    patches of commits too large for diff words are read but not tokenized. Commits whose
    blobs are missing (partial clone, a mirror without large files) are read again from their
    tree diff alone: paths, no line counts, no diff words (`readable.log_readable`).
    """
    nonce, start, sep, end = frame_markers()
    fields = "%x1f{n}".join(("%H", "%P", "%at", "%ct", "%an", "%s", "%b")).format(n=nonce)
    fmt = f"--format=%x1e{nonce}{fields}%x1d{nonce}"
    full = log_readable(repo, shas, "-z", "--numstat", "--patch", "--unified=0", *DIFF_OPTS, fmt)
    records = [_record(chunk, sep, end, shallow) for chunk in full.out.split(start)[1:]]
    if not full.unreadable:
        return records, []
    trees = log_readable(repo, full.unreadable, "-z", "--raw", *_TREE_OPTS, fmt)
    records += [
        _record(chunk, sep, end, shallow, tree_only=True) for chunk in trees.out.split(start)[1:]
    ]
    return records, _missing_notes(len(shas), full, trees)


_TREE_OPTS = (*(o for o in DIFF_OPTS if o != "-M"), "--no-renames")
"""A diff from the trees alone: rename detection compares blob contents, so it is off."""


def _record(
    chunk: bytes, sep: bytes, end: bytes, shallow: frozenset[str], tree_only: bool = False
) -> _Record:
    """One commit of `_read_commits`' output: with numstat and patch, or (`tree_only`) with
    the `--raw` paths of its tree diff."""
    header, _, tail = chunk.partition(end)
    sha, parents, at, ct, author, subject, body = header.split(sep)
    files: tuple[FileChange, ...] = ()
    patch = b""
    if sha.decode() not in shallow:
        files, patch = (_split_raw(tail), b"") if tree_only else _split_numstat(tail)
    return _Record(
        sha=sha.decode(),
        parents=tuple(parents.decode().split()),
        authored=int(at),
        committed=int(ct),
        author=_text(author),
        subject=_text(subject),
        body=_text(body).strip("\n"),
        files=files,
        words=_diff_words(patch) if _wants_words(files) else frozenset(),
    )


def _split_raw(tail: bytes) -> tuple[FileChange, ...]:
    """Paths of `--raw -z --no-renames` output (":modes shas status", path), 0/0 lines."""
    fields = tail.lstrip(b"\0\n").split(b"\0")
    return tuple(
        FileChange(_text(path), 0, 0)
        for meta, path in zip(fields[::2], fields[1::2], strict=False)
        if meta.startswith(b":") and path
    )


def _missing_notes(total: int, full: Readable, trees: Readable) -> list[str]:
    """Sentences for `Evidence.unavailable`: which commits git could read only in part."""
    partial = len(full.unreadable) - len(trees.unreadable)
    cause = full.error.partition(": ")[2] or full.error  # without "git log failed in <repo>"
    notes = []
    if partial:
        notes.append(
            f"git could not read the contents of {partial} of {total} commits in the window "
            f"({cause}; a partial clone or a mirror without large files?): they are ranked "
            "by their message and the paths they touch, without line counts or diff words"
        )
    if trees.unreadable:
        notes.append(
            f"git could not read {len(trees.unreadable)} of {total} commits in the window "
            f"at all ({trees.error.partition(': ')[2] or cause}): they are left out of the ranking"
        )
    return notes


def parse_pr(subject: str, body: str = "") -> int | None:
    """The PR/MR number a merge or squash commit message names, if any."""
    for pattern in _PR_SUBJECT:
        if match := pattern.search(subject):
            return int(match.group(1))
    if match := _PR_BODY.search(body):
        return int(match.group(1))
    return None


def parse_reverts(message: str) -> tuple[str, ...]:
    """SHAs (maybe abbreviated, lowercased) named by "This reverts commit <sha>" lines."""
    return tuple(dict.fromkeys(m.group(1).lower() for m in _REVERTS.finditer(message)))


def read_changes(
    repo: Path,
    since: datetime,
    until: datetime,
    *,
    ref: str = "HEAD",
    repo_name: str = "",
    notes: list[str] | None = None,
) -> tuple[Change, ...]:
    """Commits reachable from `ref` whose committer or author date lies in [since, until].

    Newest first (committer time descending, then SHA). Merges keep all parents; their
    files are the diff against the first parent. A repository without commits gives ().
    Commits git can read only in part (missing blobs) come with paths but no line counts;
    sentences saying so are appended to `notes`.
    """
    _check_window(since, until)
    head, shallow = _head(repo, ref)
    if head is None or since > until:
        return ()
    shas = _scan_window(repo, head, since, until)
    if not shas:
        return ()
    records, missing = _read_commits(repo, shas, shallow)
    if notes is not None:
        notes += missing
    reverts = {r.sha: parse_reverts(f"{r.subject}\n{r.body}") for r in records}
    full = resolve_many(repo, (s for shas_ in reverts.values() for s in shas_ if len(s) < 40))
    changes = [
        Change(
            sha=r.sha,
            subject=r.subject,
            body=r.body,
            author=r.author,
            authored_at=_utc(r.authored),
            committed_at=_utc(r.committed),
            parents=r.parents,
            files=r.files,
            pr=parse_pr(r.subject, r.body),
            reverts=tuple(dict.fromkeys(full.get(s, s) for s in reverts[r.sha])),
            repo=repo_name,
            diff_words=r.words,
        )
        for r in records
    ]
    changes.sort(key=lambda c: (-c.committed_at.timestamp(), c.sha))
    return tuple(changes)


def resolve_sha(repo: Path, prefix: str) -> str | None:
    """The full SHA of the commit a 7-40 hex `prefix` names; None if unknown or ambiguous."""
    if not _HEX.fullmatch(prefix):
        return None
    return resolve_many(check_repo(repo), [prefix]).get(prefix.lower())


def read_releases(
    repo: Path, since: datetime, until: datetime, repo_name: str = ""
) -> tuple[Release, ...]:
    """Tags dated in [since, until] (annotated: tagger date; lightweight: commit date).

    Newest first, then by name; each resolved to the commit it names (tags of trees or
    blobs are skipped).
    """
    _check_window(since, until)
    repo = check_repo(repo)
    fields = (
        "refname",
        "objecttype",
        "objectname",
        "*objecttype",
        "*objectname",
        "taggerdate:unix",
        "committerdate:unix",
        "*committerdate:unix",
    )
    out = git_bytes(
        repo, "for-each-ref", "--format=" + "%09".join(f"%({f})" for f in fields), "refs/tags"
    )
    lo, hi = since.timestamp(), until.timestamp()
    found: list[tuple[str, str, int]] = []
    nested: list[tuple[str, str, int]] = []
    for line in out.decode("utf-8", "replace").splitlines():
        ref, kind, obj, peeled_kind, peeled, tagged, committed, peeled_committed = line.split("\t")
        tag = ref.removeprefix("refs/tags/")
        if kind == "commit" and committed:
            when, sha, todo = int(committed), obj, found
        elif kind == "tag" and (tagged or peeled_committed):
            when = int(tagged or peeled_committed)
            sha, todo = (peeled, found) if peeled_kind == "commit" else (obj, nested)
        else:
            continue
        if lo <= when <= hi:
            todo.append((tag, sha, when))
    full = resolve_many(repo, [sha for _, sha, _ in nested], peel=True)
    found += [(tag, full[sha], when) for tag, sha, when in nested if sha in full]
    found.sort(key=lambda r: (-r[2], r[0]))
    return tuple(Release(tag=t, sha=s, at=_utc(w), repo=repo_name) for t, s, w in found)


def ensure_history(repo: Path, since: datetime) -> None:
    """Deepen a shallow clone so its history reaches `since` (minus a day); else do nothing.

    No fetch happens when the shallow boundary is already older than that (fetching with
    --shallow-since could also shorten a deeper clone).
    """
    _check_window(since, since)
    repo = check_repo(repo)
    out = git_bytes(repo, "rev-parse", "--is-shallow-repository", "--git-path", "shallow")
    flag, shallow_path = out.decode().splitlines()[:2]
    if flag != "true":
        return
    boundary = int((since - HISTORY_MARGIN).timestamp())
    if shallow := _shallow_shas(repo, shallow_path):
        dates = log_each(repo, sorted(shallow), "--format=%ct").split()
        if dates and all(int(d) < boundary for d in dates):
            return
    try:
        git_bytes(
            repo,
            "fetch",
            "--quiet",
            "--no-recurse-submodules",
            f"--shallow-since=@{boundary} +0000",
            timeout=FETCH_TIMEOUT_S,
        )
    except SourceError as error:
        if "no commits selected for shallow requests" in str(error):
            return  # every commit the clone has is newer than `since`: nothing to deepen
        raise SourceError(
            f"{repo} is a shallow clone and deepening it to {since:%Y-%m-%d} failed ({error}); "
            "fetch the full history instead (actions/checkout: fetch-depth: 0)"
        ) from None
