"""Build real git repositories for tests: a small composable builder plus a bulk one.

Everything is deterministic: fixed identities, dates given by the caller, no global or
system git configuration read (a developer's ``~/.gitconfig`` cannot change the result).

tests/conftest.py imports the ``git_repo`` fixture, so every test module can ask for it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

COMMITTER = "CI Bot <ci@example.com>"
"""Committer identity of every commit the builder makes (authors vary, committers do not)."""

DEFAULT_AUTHOR = "Dev <dev@example.com>"


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment for git that ignores the user's and the system's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
            "TZ": "UTC",
            "GIT_TERMINAL_PROMPT": "0",
        }
    )
    if extra:
        env.update(extra)
    return env


def git_date(moment: datetime) -> str:
    """A datetime in git's raw date format (``@<unix> +0000``); naive times are refused."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: give tests aware UTC times")
    return f"@{int(moment.timestamp())} +0000"


def _split_ident(ident: str) -> tuple[str, str]:
    name, _, rest = ident.partition("<")
    return name.strip(), rest.rstrip(">").strip()


def run_git(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, input: bytes | None = None
) -> str:
    """Run git in `cwd`; raise with git's stderr on failure; return stdout (UTF-8)."""
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=git_env(env),
        input=input,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"git {' '.join(args)} failed ({proc.returncode}): "
            f"{proc.stderr.decode('utf-8', 'replace').strip()}"
        )
    return proc.stdout.decode("utf-8", "replace")


_CONFIG = """\
[user]
\tname = Dev
\temail = dev@example.com
[commit]
\tgpgsign = false
[tag]
\tgpgsign = false
[core]
\tautocrlf = false
[gc]
\tauto = 0
"""


def _init(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    run_git(path, "init", "-q", "-b", "main")
    with (path / ".git" / "config").open("a") as config:  # one process instead of six
        config.write(_CONFIG)


class GitRepo:
    """A real git repository with a work tree, driven through the git CLI."""

    def __init__(self, path: Path, *, init: bool = True) -> None:
        self.path = Path(path)
        if init and not (self.path / ".git").exists():
            _init(self.path)

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """Run a git command in this repository and return its stdout."""
        return run_git(self.path, *args, env=env)

    @staticmethod
    def _dates(at: datetime, author: str, committed_at: datetime | None) -> dict[str, str]:
        a_name, a_email = _split_ident(author)
        c_name, c_email = _split_ident(COMMITTER)
        return {
            "GIT_AUTHOR_NAME": a_name,
            "GIT_AUTHOR_EMAIL": a_email,
            "GIT_AUTHOR_DATE": git_date(at),
            "GIT_COMMITTER_NAME": c_name,
            "GIT_COMMITTER_EMAIL": c_email,
            "GIT_COMMITTER_DATE": git_date(committed_at or at),
        }

    def write(self, files: Mapping[str, str | bytes | None]) -> None:
        """Write (or with None, delete) files in the work tree and stage them."""
        for name, content in files.items():
            target = self.path / name
            if content is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            target.write_bytes(data)
        self.git("add", "-A")

    def commit(
        self,
        files: Mapping[str, str | bytes | None],
        message: str,
        at: datetime,
        author: str = DEFAULT_AUTHOR,
        committed_at: datetime | None = None,
    ) -> str:
        """Commit `files` (None deletes a file) with the given dates; return the new SHA."""
        self.write(files)
        run_git(
            self.path,
            "commit",
            "-q",
            "--allow-empty",
            "--no-verify",
            "--cleanup=verbatim",
            "-F",
            "-",
            env=self._dates(at, author, committed_at),
            input=message.encode("utf-8"),
        )
        return self.head()

    def rename(self, old: str, new: str, message: str, at: datetime) -> str:
        """Rename a file (content unchanged) and commit; return the new SHA."""
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)
        return self.commit({}, message, at)

    def branch(self, name: str, from_ref: str = "HEAD") -> None:
        """Create branch `name` at `from_ref` (without switching to it)."""
        self.git("branch", name, from_ref)

    def checkout(self, name: str) -> None:
        """Switch the work tree to branch or commit `name`."""
        self.git("checkout", "-q", name)

    def merge(self, branch: str, message: str, at: datetime, author: str = DEFAULT_AUTHOR) -> str:
        """Merge `branch` into the current branch with a merge commit; return its SHA."""
        run_git(
            self.path,
            "merge",
            "-q",
            "--no-ff",
            "--no-verify",
            "-m",
            message,
            branch,
            env=self._dates(at, author, None),
        )
        return self.head()

    def tag(self, name: str, at: datetime, annotated: bool = True, ref: str = "HEAD") -> None:
        """Tag `ref`; an annotated tag's tagger date is `at` (a lightweight tag has none)."""
        if annotated:
            env = self._dates(at, COMMITTER, None)
            self.git("tag", "-a", "-m", f"Release {name}", name, ref, env=env)
        else:
            self.git("tag", name, ref)

    def revert(self, sha: str, at: datetime, message_extra: str = "") -> str:
        """Revert `sha` with git's standard message ("This reverts commit <sha>.")."""
        self.git("revert", "--no-commit", sha)
        subject = self.git("log", "-1", "--format=%s", sha).strip()
        message = f'Revert "{subject}"\n\nThis reverts commit {sha}.\n'
        if message_extra:
            message += f"\n{message_extra}\n"
        return self.commit({}, message, at)

    def raw_commit(self, message: bytes, at: datetime, headers: bytes = b"") -> str:
        """Write a commit object byte for byte on top of HEAD (same tree) and move HEAD to it.

        For what `git commit` refuses: NUL bytes in the message, extra headers (gpgsig).
        """
        tree = self.git("rev-parse", "HEAD^{tree}").strip()
        when = int(at.timestamp())
        obj = (
            (
                f"tree {tree}\nparent {self.head()}\n"
                f"author Dev <dev@example.com> {when} +0000\n"
                f"committer {COMMITTER} {when} +0000\n"
            ).encode()
            + headers
            + b"\n"
            + message
        )
        sha = run_git(
            self.path, "hash-object", "--literally", "-t", "commit", "-w", "--stdin", input=obj
        ).strip()
        self.git("update-ref", "HEAD", sha)
        return sha

    def head(self) -> str:
        """The full SHA of HEAD."""
        return self.git("rev-parse", "HEAD").strip()


def build_linear_history(
    path: Path,
    n_commits: int,
    start: datetime,
    step: timedelta,
    files_per_commit: int = 2,
    *,
    pool: int = 200,
) -> GitRepo:
    """A linear `main` of `n_commits` commits at `start`, `start + step`, ..., via fast-import.

    Commit i changes `files_per_commit` files out of `pool` (``svc{m}/mod{k}.py``), each
    to a couple of lines with identifiers (``setting_<i>``), so numstat, diffs and
    diff words are all realistic. 20,000 commits build in a few seconds.
    """
    repo = GitRepo(path)
    chunks: list[bytes] = []
    a_name, a_email = _split_ident(DEFAULT_AUTHOR)
    c_name, c_email = _split_ident(COMMITTER)
    for i in range(n_commits):
        when = int((start + step * i).timestamp())
        message = f"Change {i}: tune setting_{i}\n".encode()
        lines = [
            b"commit refs/heads/main\n",
            f"mark :{i + 1}\n".encode(),
            f"author {a_name} <{a_email}> {when} +0000\n".encode(),
            f"committer {c_name} <{c_email}> {when} +0000\n".encode(),
            f"data {len(message)}\n".encode() + message,
        ]
        if i:
            lines.append(f"from :{i}\n".encode())
        for j in range(files_per_commit):
            k = (i * files_per_commit + j) % pool
            body = f"# module {k}\nsetting_{i} = {i}\nlimit_{k} = {i % 97}\n".encode()
            lines.append(f"M 100644 inline svc{k % 10}/mod{k}.py\n".encode())
            lines.append(f"data {len(body)}\n".encode() + body + b"\n")
        chunks.append(b"".join(lines))
    run_git(repo.path, "fast-import", "--quiet", input=b"".join(chunks))
    if n_commits:
        repo.git("reset", "-q", "--hard", "main")
    return repo


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    """An empty git repository (branch main) in a fresh temporary directory."""
    return GitRepo(tmp_path / "repo")


def utc(*args: int) -> datetime:
    """Shorthand for an aware UTC datetime: ``utc(2026, 3, 20, 14, 23)``."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
