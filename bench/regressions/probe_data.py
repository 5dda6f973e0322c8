"""What a mined case's repository says beyond its candidates' own commits, read with git for
the feature probes (probes.py): the content of the files the candidates changed, those files'
history before the window (how often changed, reverted, fixed; the messages of the commits
that touched them), and the repository's own earlier reverts.

Everything is read as of the revert's parent (`Case.base`) and before the window's first
candidate: what pmops could read at the time of the incident.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.regressions.history import git

CONTENT_BYTES = 65536
"""Bytes of a file's content read for its words (the start of a large file)."""
HISTORY_DAYS = 180
"""How far before the window the files' history is read."""
HISTORY_COMMITS = 4000
"""Commits read for the files' history at most."""
MESSAGE_DAYS = 365
"""How far before the window the messages of the commits that touched each file are read."""
MESSAGE_COMMITS = 6000
"""Commits read for those messages at most."""
PAST_DAYS = 730
"""How far before the window earlier reverts are read."""
PAST_REVERTS = 400
"""Earlier reverts read at most."""

_REVERT = re.compile(r"^(?:revert|back ?out|roll ?back)", re.IGNORECASE)
_FIX = re.compile(r"\b(?:fix(?:es|ed)?|bug|crash|regression|broken|break(?:s|age)?)\b", re.I)
_BOILERPLATE = re.compile(r"This reverts commit [0-9a-f]+\.?|^Revert\b", re.MULTILINE)
_DAY = 86400


def file_words(
    repo: Path, ref: str, paths: Iterable[str], vocabulary: Collection[str]
) -> dict[str, list[Any]]:
    """path -> [word count, {word: count}] for the words of `vocabulary` in the file's content
    at `ref` (text files that exist there; the first `CONTENT_BYTES`)."""
    from pmops.analyze.mentions import same_platform
    from pmops.analyze.text import words

    wanted = sorted(set(paths))
    if not wanted:
        return {}
    out = git(repo, "cat-file", "--batch", input="".join(f"{ref}:{p}\n" for p in wanted).encode())
    found: dict[str, list[Any]] = {}
    at = 0
    for path in wanted:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        at = end + 1
        if len(header) < 3:  # "<name> missing": deleted, a submodule, not in the mirror
            continue
        size = int(header[2])
        data = out[at : at + size]
        at += size + 1
        if header[1] != b"blob" or b"\0" in data[:8000]:
            continue
        tokens = [same_platform(w) for w in words(data[:CONTENT_BYTES].decode("utf-8", "replace"))]
        counts = Counter(t for t in tokens if t in vocabulary)
        found[path] = [len(tokens), dict(counts)]
    return found


def file_history(repo: Path, ref: str, until: int, paths: Iterable[str]) -> dict[str, list[int]]:
    """path -> [commits, reverts, fixes] that touched it in the `HISTORY_DAYS` before `until`
    (POSIX seconds), read from `ref`'s history."""
    counts = {p: [0, 0, 0] for p in paths}
    out = git(
        repo,
        "log",
        "--no-renames",
        f"-n{HISTORY_COMMITS}",
        f"--until={until}",
        f"--since={until - HISTORY_DAYS * _DAY}",
        "--format=%x00%s",
        "--name-only",
        ref,
    )
    for block in out.decode("utf-8", "replace").split("\0")[1:]:
        subject, _, names = block.partition("\n")
        revert, fix = bool(_REVERT.match(subject)), bool(_FIX.search(subject))
        for name in names.split("\n"):
            if (count := counts.get(name)) is not None:
                count[0] += 1
                count[1] += revert
                count[2] += fix
    return counts


def file_messages(
    repo: Path, ref: str, until: int, paths: Iterable[str], vocabulary: Collection[str]
) -> dict[str, list[Any]]:
    """path -> [words, commits, {word: count}]: the words of `vocabulary` in the messages of
    the commits that touched it in the `MESSAGE_DAYS` before `until` (a file's story)."""
    from pmops.analyze.mentions import same_platform
    from pmops.analyze.text import words

    wanted = set(paths)
    out = git(
        repo,
        "log",
        "--no-renames",
        f"-n{MESSAGE_COMMITS}",
        f"--until={until}",
        f"--since={until - MESSAGE_DAYS * _DAY}",
        "--format=%x00%B%x01",
        "--name-only",
        ref,
    )
    found: dict[str, list[Any]] = {}
    for block in out.decode("utf-8", "replace").split("\0")[1:]:
        message, _, names = block.partition("\x01")
        touched = [n for n in names.split("\n") if n in wanted]
        if not touched:
            continue
        said = [same_platform(w) for w in words(message)]
        counts = Counter(w for w in said if w in vocabulary)
        for name in touched:
            entry = found.setdefault(name, [0, 0, Counter()])
            entry[0] += len(said)
            entry[1] += 1
            entry[2].update(counts)
    return {name: [n, commits, dict(c)] for name, (n, commits, c) in found.items()}


def past_reverts(repo: Path, ref: str, until: int) -> list[list[Any]]:
    """[time, words of the message, changed paths] of each revert in the `PAST_DAYS` before
    `until`, newest first: the repository's own earlier incidents."""
    from pmops.analyze.text import words

    out = git(
        repo,
        "log",
        "--no-renames",
        f"-n{PAST_REVERTS}",
        "-i",
        "--grep=revert",
        "--grep=back out",
        "--grep=backout",
        f"--until={until}",
        f"--since={until - PAST_DAYS * _DAY}",
        "--format=%x00%ct%x01%B%x01",
        "--name-only",
        ref,
    )
    found = []
    for block in out.decode("utf-8", "replace").split("\0")[1:]:
        stamp, message, names = (block.split("\x01") + ["", ""])[:3]
        if not _REVERT.match(message.lstrip()):
            continue
        said = sorted(set(words(_BOILERPLATE.sub(" ", message))))[:200]
        found.append([int(stamp), said, [n for n in names.split("\n") if n][:60]])
    return found


def probe_record(clone: Path, case: Any, record: Mapping[str, Any]) -> dict[str, Any]:
    """The probe data of one case (`record`: its travel features, for the candidates' files,
    the report's words and when the window starts)."""
    rows = record["rows"]
    paths = {p for row in rows for p in row["inputs"]["files"]}
    start = int(min(row["landed"] for row in rows)) - 1
    vocabulary = set(record["words"]) | set(record["query"])
    started = datetime.fromisoformat(case.started_at.replace("Z", "+00:00")).timestamp()
    return {
        "repo": record["repo"],
        "case": record["case"],
        "started": started,
        "files": file_words(clone, case.base, paths, vocabulary),
        "history": file_history(clone, case.base, start, paths),
        "messages": file_messages(clone, case.base, start, paths, set(record["query"])),
        "past": past_reverts(clone, case.base, start),
    }
