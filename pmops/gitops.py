"""Git on a local clone: fetch, read files at refs, commit with trailers, push — never force.

Commits are built with plumbing (`hash-object`, a private index, `commit-tree`), so pmops
never touches the checkout's work tree or index and a failed run leaves nothing behind
locally; the one `git push` at the end is what publishes a branch, all or nothing.
Credentials go to git through `GIT_CONFIG_*` environment variables (not argv, not a file).
Git runs through `sources/gitcmd.run_git`: without the system configuration, hooks, pager or
external diff programs.
"""

from __future__ import annotations

import base64
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pmops.errors import PmopsError, SourceError
from pmops.lifecycle.trailers import PmopsTrailers, read_pmops
from pmops.sources.gitcmd import run_git
from pmops.times import parse_time

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
"""The identity GitHub shows for commits made by Actions (override with PMOPS_GIT_NAME/EMAIL)."""

GIT_TIMEOUT_S = 600


class PushRejected(PmopsError):
    """The remote branch moved (another run or a human pushed): nothing was overwritten."""


@dataclass(frozen=True)
class Identity:
    """A git author/committer."""

    name: str
    email: str


@dataclass(frozen=True)
class CommitInfo:
    """One commit as pmops needs it: who, when, what message, which pmops trailers."""

    sha: str
    author: Identity
    committed_at: datetime
    message: str
    trailers: PmopsTrailers

    @property
    def subject(self) -> str:
        """The first line of the message."""
        return self.message.split("\n", 1)[0]


class Workspace:
    """A local clone whose `origin` is the GitHub repository."""

    def __init__(self, path: Path, token: str | None = None, identity: Identity | None = None):
        self.path = path
        self.token = token
        self.identity = identity or Identity(BOT_NAME, BOT_EMAIL)

    # ------------------------------------------------------------ plumbing
    def _env(self, when: datetime | None = None, network: bool = False) -> dict[str, str]:
        """What this clone's commands add to gitcmd's safe environment: the token (network
        commands only) and the commit time."""
        env: dict[str, str] = {}
        if network and self.token:
            basic = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
            env.update(
                GIT_CONFIG_COUNT="1",
                GIT_CONFIG_KEY_0="http.extraheader",
                GIT_CONFIG_VALUE_0=f"AUTHORIZATION: basic {basic}",
            )
        if when is not None:
            stamp = f"@{int(when.timestamp())} +0000"
            env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        return env

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        network: bool = False,
        when: datetime | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run git in the clone (through gitcmd's hardened runner); SourceError with git's
        message on failure when `check`."""
        full_env = self._env(when, network)
        full_env.update(env or {})
        proc = run_git(self.path, *args, input=input, env=full_env, timeout=GIT_TIMEOUT_S)
        if check and proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip()
            if self.token:
                message = message.replace(self.token, "***")
            raise SourceError(f"git {args[0]} failed: {message}")
        return proc

    def text(self, *args: str, **kwargs: object) -> str:
        """Stdout of a git command as text."""
        return self.run(*args, **kwargs).stdout.decode("utf-8", "replace")  # type: ignore[arg-type]

    # ------------------------------------------------------------ remote
    @classmethod
    def clone(
        cls, url: str, path: Path, token: str | None = None, identity: Identity | None = None
    ) -> Workspace:
        """A fresh clone of `url` at `path` (no checkout: pmops never needs a work tree)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        ws = cls(path.parent, token, identity)
        ws.run("clone", "--quiet", "--no-checkout", url, str(path), network=True)
        return cls(path, token, identity)

    def fetch(self, *refspecs: str, shallow_since: datetime | None = None) -> None:
        """Fetch refspecs from origin (missing remote refs are not an error for globs)."""
        extra = []
        if shallow_since is not None and self.is_shallow():
            extra.append(f"--shallow-since={int(shallow_since.timestamp())}")
        self.run(
            "fetch", "--quiet", "--no-tags", "--prune", *extra, "origin", *refspecs, network=True
        )

    def fetch_branch(self, branch: str) -> str | None:
        """Fetch one branch to refs/remotes/origin/<branch>; its SHA, or None if it is absent."""
        proc = self.run(
            "fetch",
            "--quiet",
            "--no-tags",
            "origin",
            f"+refs/heads/{branch}:refs/remotes/origin/{branch}",
            network=True,
            check=False,
        )
        if proc.returncode != 0:
            self.run("update-ref", "-d", f"refs/remotes/origin/{branch}", check=False)
            return None
        return self.resolve(f"refs/remotes/origin/{branch}")

    def fetch_quota_refs(self, default_branch: str, pulls: Iterable[int] = ()) -> None:
        """Fetch what quota counts: the default branch, pmops/* branches and the heads of
        the PRs `pulls` (github/pulls.py: pmops's, updated this month) — never every
        `refs/pull/*/head`, whose number only grows."""
        self.fetch(
            f"+refs/heads/{default_branch}:refs/remotes/origin/{default_branch}",
            "+refs/heads/pmops/*:refs/remotes/origin/pmops/*",
            *(f"+refs/pull/{n}/head:refs/remotes/origin/pr/{n}" for n in sorted(pulls)),
        )

    def is_shallow(self) -> bool:
        """True for a shallow clone (actions/checkout's default)."""
        return self.text("rev-parse", "--is-shallow-repository").strip() == "true"

    def push(self, sha: str, branch: str) -> None:
        """Fast-forward (or create) `branch` on origin to `sha`; PushRejected if it moved."""
        proc = self.run(
            "push",
            "--quiet",
            "--porcelain",
            "origin",
            f"{sha}:refs/heads/{branch}",
            network=True,
            check=False,
        )
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace") + proc.stdout.decode("utf-8", "replace")
            if self.token:
                err = err.replace(self.token, "***")
            if "rejected" in err or "non-fast-forward" in err or "fetch first" in err:
                raise PushRejected(
                    f"branch {branch} changed while pmops was working on it; "
                    "nothing was overwritten — run the command again"
                )
            raise SourceError(f"git push to {branch} failed: {err.strip()}")
        self.run("update-ref", f"refs/remotes/origin/{branch}", sha)

    def delete_branch(self, branch: str, expected: str) -> None:
        """Delete `branch` on origin if it still points at `expected` (undo a push)."""
        self.run(
            "push",
            "--quiet",
            f"--force-with-lease=refs/heads/{branch}:{expected}",
            "origin",
            f":refs/heads/{branch}",
            network=True,
            check=False,
        )

    # ------------------------------------------------------------ reading
    def resolve(self, ref: str) -> str | None:
        """The commit SHA `ref` names, or None."""
        proc = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return proc.stdout.decode().strip() or None if proc.returncode == 0 else None

    def read(self, ref: str, path: str) -> str | None:
        """The text of `path` at `ref`, or None when it is not there."""
        proc = self.run("cat-file", "blob", f"{ref}:{path}", check=False)
        return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else None

    def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor of two commits."""
        proc = self.run("merge-base", a, b, check=False)
        return proc.stdout.decode().strip() or None if proc.returncode == 0 else None

    def changed_files(self, base: str, head: str, folder: str = "") -> list[str]:
        """Files added or modified from `base` to `head` (optionally under `folder`), sorted."""
        args = ["diff", "--name-only", "--no-renames", "--diff-filter=AM", base, head]
        if folder:
            args += ["--", f"{folder.strip('/')}/"]
        return sorted(line for line in self.text(*args).splitlines() if line)

    def commits(self, revisions: str, paths: Sequence[str] = ()) -> list[CommitInfo]:
        """Commits of a range like `base..head`, newest first, optionally touching `paths`."""
        fmt = "%H%x1f%an%x1f%ae%x1f%cI%x1f%B%x1e"
        out = self.text("log", f"--format={fmt}", revisions, "--", *paths)
        result = []
        for chunk in out.split("\x1e"):
            fields = chunk.strip("\n").split("\x1f")
            if len(fields) != 5:
                continue
            sha, name, email, committed, message = fields
            result.append(
                CommitInfo(
                    sha,
                    Identity(name, email),
                    parse_time(committed),
                    message.strip(),
                    read_pmops(message),
                )
            )
        return result

    # ------------------------------------------------------------ writing
    def commit(
        self, parent: str, files: Mapping[str, str | None], message: str, when: datetime
    ) -> str:
        """A commit on top of `parent` with `files` replaced (None deletes); its SHA.

        Nothing in the work tree, the index or any ref changes; `push` publishes it.
        """
        with tempfile.TemporaryDirectory(prefix="pmops-index-") as tmp:
            index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.run("read-tree", parent, env=index)
            for path, text in sorted(files.items()):
                if text is None:
                    self.run("update-index", "--force-remove", "--", path, env=index)
                    continue
                blob = self.text("hash-object", "-w", "--stdin", input=text.encode()).strip()
                self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
            tree = self.text("write-tree", env=index).strip()
        ident = {
            "GIT_AUTHOR_NAME": self.identity.name,
            "GIT_AUTHOR_EMAIL": self.identity.email,
            "GIT_COMMITTER_NAME": self.identity.name,
            "GIT_COMMITTER_EMAIL": self.identity.email,
        }
        return self.text(
            "commit-tree",
            tree,
            "-p",
            parent,
            "-F",
            "-",
            input=message.encode(),
            env=ident,
            when=when,
        ).strip()
