"""Read commits from a local clone with plain `git` calls (a few processes per repository).

The benchmark reads other people's repositories: git runs without the system or global
configuration, hooks, pagers or external diff drivers, so a clone cannot run its code.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pmops.errors import SourceError
from pmops.sources.gitcmd import resolve_many

_FIELDS = ("%H", "%P", "%at", "%ct", "%an", "%ae", "%cn", "%ce", "%B")
_FORMAT = "%x1e" + "%x00".join(_FIELDS)
_DIFF_REVISION = re.compile(r"^Differential Revision:\s*(?:\S*/)?(D\d+)\s*$", re.MULTILINE)


class GitFailed(RuntimeError):
    """A git command failed; the message holds its stderr."""


@dataclass(frozen=True)
class Commit:
    """One commit as the miner needs it."""

    sha: str
    parents: tuple[str, ...]
    authored: int
    committed: int
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str
    subject: str
    body: str

    @property
    def message(self) -> str:
        """Subject and body, as git would print them."""
        return f"{self.subject}\n\n{self.body}" if self.body else self.subject


def git_env() -> dict[str, str]:
    """An environment in which git reads no configuration but the repository's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        LC_ALL="C",
        TZ="UTC",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
    )
    return env


def git(repo: Path, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
    """Run git in `repo` and return its stdout; raise GitFailed when `check` and it fails."""
    command = ["git", "--no-pager", "-C", str(repo), "-c", "core.hooksPath=/dev/null", *args]
    proc = subprocess.run(command, input=input, capture_output=True, env=git_env(), check=False)
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise GitFailed(f"git {' '.join(args[:3])} in {repo}: {message}")
    return proc.stdout


def _parse(out: bytes) -> list[Commit]:
    commits = []
    for record in out.decode("utf-8", "replace").split("\x1e")[1:]:
        sha, parents, at, ct, an, ae, cn, ce, raw = record.split("\x00", 8)
        lines = raw.strip("\n").split("\n")
        cut = lines.index("") if "" in lines else len(lines)
        subject = " ".join(line.strip() for line in lines[:cut])
        body = "\n".join(lines[cut + 1 :]).strip("\n")
        commits.append(
            Commit(
                sha,
                tuple(parents.split()),
                int(at or 0),
                int(ct or 0),
                an,
                ae,
                cn,
                ce,
                subject,
                body,
            )
        )
    return commits


def log(repo: Path, *args: str) -> list[Commit]:
    """Commits of `git log <args>` (full messages), in git's order."""
    return _parse(git(repo, "log", "--no-color", f"--format={_FORMAT}", *args))


def commits_by_sha(repo: Path, shas: Iterable[str]) -> dict[str, Commit]:
    """The commits `shas` names (full SHAs), read in one call."""
    wanted = sorted(set(shas))
    if not wanted:
        return {}
    out = git(
        repo,
        "log",
        "--no-walk=unsorted",
        "--stdin",
        f"--format={_FORMAT}",
        input="\n".join(wanted).encode(),
    )
    return {c.sha: c for c in _parse(out)}


@dataclass(frozen=True)
class Headline:
    """A commit's SHA, dates and subject: enough to resolve PR numbers and titles."""

    sha: str
    authored: int
    committed: int
    subject: str
    diff: str = ""
    """The Phabricator revision of its `Differential Revision:` trailer ("D123"), if any."""


def headlines(repo: Path, ref: str = "HEAD") -> list[Headline]:
    """Every commit reachable from `ref`, newest first, by its headline (one git call)."""
    diffs = _diff_revisions(repo, ref)
    out = git(repo, "log", "--no-color", "--format=%H%x00%at%x00%ct%x00%s", ref, "--")
    result = []
    for line in out.decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        sha, at, ct, subject = line.split("\x00", 3)
        result.append(Headline(sha, int(at or 0), int(ct or 0), subject, diffs.get(sha, "")))
    return result


def _diff_revisions(repo: Path, ref: str) -> dict[str, str]:
    """SHA -> "D123" for commits with a `Differential Revision:` line (Phabricator exports)."""
    out = git(
        repo,
        "log",
        "--no-color",
        "-E",
        "--grep=^Differential Revision:",
        "--format=%x1e%H%x00%B",
        ref,
        "--",
    )
    found = {}
    for record in out.decode("utf-8", "replace").split("\x1e")[1:]:
        sha, _, message = record.partition("\x00")
        if match := _DIFF_REVISION.search(message):
            found[sha] = match.group(1).upper()
    return found


def resolve(repo: Path, prefixes: Sequence[str]) -> dict[str, str]:
    """Full SHAs of the hex prefixes that name exactly one commit (one cat-file call)."""
    try:
        return resolve_many(repo, prefixes)
    except SourceError as error:
        raise GitFailed(str(error)) from None


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    """Whether `ancestor` is reachable from `descendant` (a commit is its own ancestor)."""
    command = ["merge-base", "--is-ancestor", ancestor, descendant]
    proc = subprocess.run(
        ["git", "-C", str(repo), *command], capture_output=True, env=git_env(), check=False
    )
    if proc.returncode not in (0, 1):
        raise GitFailed(f"git merge-base in {repo}: {proc.stderr.decode().strip()}")
    return proc.returncode == 0


def landed_between(repo: Path, ref: str, since: int, until: int) -> list[str]:
    """SHAs reachable from `ref` whose committer time lies in [since, until], newest first."""
    out = git(repo, "rev-list", f"--since=@{since}", f"--until=@{until}", "--format=%ct", ref, "--")
    lines = out.decode().split()
    shas = []
    for marker, sha, ct in zip(lines[0::3], lines[1::3], lines[2::3], strict=False):
        if marker == "commit" and since <= int(ct) <= until:
            shas.append(sha)
    return shas
