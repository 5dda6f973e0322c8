"""A real bare git repository driven through the ``git`` CLI.

All writes go through plumbing (``hash-object``, ``update-index`` on a private
index file, ``write-tree``, ``commit-tree``, ``update-ref``) so they never need
a work tree; only rebase merges borrow a temporary worktree.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ZERO = "0" * 40


class GitError(RuntimeError):
    """A git command failed."""


@dataclass(frozen=True)
class Ident:
    """A git author/committer identity with an ISO-8601 date (or None for now)."""

    name: str
    email: str
    date: str | None = None


@dataclass(frozen=True)
class CommitInfo:
    """Parsed ``git log`` record of one commit."""

    sha: str
    tree: str
    parents: list[str]
    author: Ident
    committer: Ident
    message: str


@dataclass(frozen=True)
class FileChange:
    """One changed path between two trees."""

    status: str  # added | removed | modified | renamed
    filename: str
    previous_filename: str | None
    additions: int
    deletions: int
    blob_sha: str
    patch: str


_FMT = "%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B%x1e"


class BareRepo:
    """A bare repository on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def init(cls, path: Path, default_branch: str) -> BareRepo:
        """Create an empty bare repository whose HEAD points at ``default_branch``."""
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "-q", "--bare", f"--initial-branch={default_branch}", str(path)],
            check=True,
        )
        return cls(path)

    # -- low level ---------------------------------------------------------
    def git(
        self,
        *args: str,
        input: bytes | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
        cwd: Path | None = None,
    ) -> str:
        """Run git against this repository and return stdout as text."""
        full_env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
        full_env.update(env or {})
        base = ["git"] if cwd else ["git", f"--git-dir={self.path}"]
        proc = subprocess.run(
            [*base, *args],
            input=input,
            capture_output=True,
            env=full_env,
            cwd=cwd,
        )
        if check and proc.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode(errors="replace")

    def resolve(self, rev: str) -> str | None:
        """The commit SHA ``rev`` names (branch, tag, ref or SHA), or None."""
        out = self.git("rev-parse", "--verify", "-q", f"{rev}^{{commit}}", check=False).strip()
        return out or None

    def object_type(self, sha: str) -> str | None:
        """``blob``/``tree``/``commit``/``tag`` or None when missing."""
        out = self.git("cat-file", "-t", sha, check=False).strip()
        return out or None

    # -- refs --------------------------------------------------------------
    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        """Full ref name → object SHA for refs under ``prefix``."""
        out = self.git("for-each-ref", "--format=%(refname) %(objectname)", prefix)
        return dict(line.split(" ", 1) for line in out.splitlines() if line)  # type: ignore[misc]

    def ref_sha(self, ref: str) -> str | None:
        """SHA a full ref points at, or None."""
        out = self.git("rev-parse", "--verify", "-q", ref, check=False).strip()
        return out or None

    def update_ref(self, ref: str, sha: str, old: str | None = None) -> None:
        """Point ``ref`` at ``sha`` (optionally only if it is still ``old``)."""
        self.git("update-ref", ref, sha, *([old] if old else []))

    def delete_ref(self, ref: str) -> None:
        """Delete a ref."""
        self.git("update-ref", "-d", ref)

    def is_ancestor(self, a: str, b: str) -> bool:
        """Whether commit ``a`` is reachable from ``b``."""
        proc = subprocess.run(
            ["git", f"--git-dir={self.path}", "merge-base", "--is-ancestor", a, b],
            capture_output=True,
        )
        return proc.returncode == 0

    def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor of two commits."""
        out = self.git("merge-base", a, b, check=False).strip()
        return out or None

    # -- reading -----------------------------------------------------------
    def log(
        self,
        rev: str,
        *,
        since: str | None = None,
        until: str | None = None,
        path: str | None = None,
        author: str | None = None,
        max_count: int | None = None,
    ) -> list[CommitInfo]:
        """Commits reachable from ``rev`` (a rev or range), newest first."""
        args = ["log", f"--format={_FMT}"]
        if since:
            args.append(f"--since={since}")
        if until:
            args.append(f"--until={until}")
        if author:
            args.append(f"--author={author}")
        if max_count:
            args.append(f"--max-count={max_count}")
        args.append(rev)
        if path:
            args += ["--", path]
        out = self.git(*args)
        return [_parse_commit(rec) for rec in out.split("\x1e") if rec.strip("\n")]

    def commit(self, sha: str) -> CommitInfo | None:
        """One commit, or None if ``sha`` is not a commit."""
        full = self.resolve(sha)
        if not full:
            return None
        return self.log(full, max_count=1)[0]

    def read_blob(self, sha: str) -> bytes:
        """A blob's bytes."""
        proc = subprocess.run(
            ["git", f"--git-dir={self.path}", "cat-file", "blob", sha], capture_output=True
        )
        if proc.returncode != 0:
            raise GitError(proc.stderr.decode())
        return proc.stdout

    def ls_tree(self, treeish: str, path: str = "", recursive: bool = False
                ) -> list[dict[str, str]]:
        """Entries (mode, type, sha, size, path) of a tree."""
        args = ["ls-tree", "-l", "--full-tree"]
        if recursive:
            args += ["-r", "-t"]
        args.append(treeish)
        if path:
            args.append(path)
        out = self.git(*args, check=False)
        entries = []
        for line in out.splitlines():
            meta, name = line.split("\t", 1)
            mode, typ, sha, size = meta.split()
            entries.append({"mode": mode, "type": typ, "sha": sha, "size": size, "path": name})
        return entries

    def entry(self, commit: str, path: str) -> dict[str, str] | None:
        """The tree entry at ``path`` in ``commit`` (blob or tree), or None."""
        if not path:
            tree = self.git("rev-parse", f"{commit}^{{tree}}").strip()
            return {"mode": "040000", "type": "tree", "sha": tree, "size": "-", "path": ""}
        found = self.ls_tree(commit, path.rstrip("/"))
        for e in found:
            if e["path"] == path.rstrip("/"):
                return e
        return None

    def changes(self, old: str | None, new: str) -> list[FileChange]:
        """Per-file changes from commit ``old`` (None = empty tree) to ``new``."""
        base = old or self.git("hash-object", "-t", "tree", "/dev/null").strip()
        numstat = self.git("diff-tree", "-r", "-M", "--numstat", "-z", base, new)
        raw = self.git("diff-tree", "-r", "-M", "--raw", "-z", "--no-abbrev", base, new)
        counts = _parse_numstat(numstat)
        out: list[FileChange] = []
        fields = raw.split("\0")
        i = 0
        while i < len(fields) - 1:
            meta = fields[i].lstrip(":").split()
            if len(meta) < 5:
                break
            status = meta[4]
            if status.startswith("R"):
                prev, name = fields[i + 1], fields[i + 2]
                i += 3
            else:
                prev, name = None, fields[i + 1]
                i += 2
            kind = {"A": "added", "D": "removed", "R": "renamed"}.get(status[0], "modified")
            adds, dels = counts.get(name, (0, 0))
            blob = meta[2] if kind == "removed" else meta[3]
            patch = self.git("diff", "--no-color", "-M", base, new, "--", *([prev] if prev else []),
                             name).split("\n@@", 1)
            hunk = "@@" + patch[1] if len(patch) > 1 else ""
            out.append(FileChange(kind, name, prev, adds, dels, blob, hunk.rstrip("\n")))
        return out

    # -- writing -----------------------------------------------------------
    def hash_blob(self, data: bytes) -> str:
        """Store ``data`` as a blob and return its SHA."""
        return self.git("hash-object", "-w", "--stdin", input=data).strip()

    def build_tree(self, base_tree: str | None, changes: dict[str, tuple[str, str] | None]) -> str:
        """A new tree: ``base_tree`` with ``path → (mode, sha)`` set or ``None`` removed."""
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if base_tree:
                self.git("read-tree", base_tree, env=env)
            else:
                self.git("read-tree", "--empty", env=env)
            lines = []
            for path, value in changes.items():
                if value is None:
                    lines.append(f"0 {ZERO}\t{path}")
                else:
                    mode, sha = value
                    lines.append(f"{mode} {sha}\t{path}")
            if lines:
                self.git("update-index", "--index-info", input="\n".join(lines).encode() + b"\n",
                         env=env)
            return self.git("write-tree", env=env).strip()

    def commit_tree(
        self, tree: str, parents: list[str], message: str, author: Ident, committer: Ident
    ) -> str:
        """Create a commit object and return its SHA."""
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
        }
        if author.date:
            env["GIT_AUTHOR_DATE"] = author.date
        if committer.date:
            env["GIT_COMMITTER_DATE"] = committer.date
        args = ["commit-tree", tree]
        for p in parents:
            args += ["-p", p]
        return self.git(*args, input=message.encode(), env=env).strip()

    def commit_files(
        self,
        branch: str,
        files: dict[str, bytes | str | None],
        message: str,
        author: Ident,
        committer: Ident | None = None,
    ) -> str:
        """Commit ``files`` (None deletes) on top of ``branch`` (created if missing)."""
        ref = f"refs/heads/{branch}"
        parent = self.ref_sha(ref)
        changes: dict[str, tuple[str, str] | None] = {}
        for path, content in files.items():
            if content is None:
                changes[path] = None
            else:
                data = content.encode() if isinstance(content, str) else content
                changes[path] = ("100644", self.hash_blob(data))
        base_tree = self.git("rev-parse", f"{parent}^{{tree}}").strip() if parent else None
        tree = self.build_tree(base_tree, changes)
        sha = self.commit_tree(tree, [parent] if parent else [], message, author,
                               committer or author)
        self.update_ref(ref, sha, parent)
        return sha

    def merge_tree(self, ours: str, theirs: str) -> str | None:
        """The tree of merging two commits, or None on conflict (git >= 2.38)."""
        proc = subprocess.run(
            ["git", f"--git-dir={self.path}", "merge-tree", "--write-tree", ours, theirs],
            capture_output=True,
        )
        if proc.returncode != 0:
            return None
        return proc.stdout.decode().splitlines()[0].strip()

    def rebase_onto(self, onto: str, commits: list[str], committer: Ident) -> str | None:
        """Replay ``commits`` (oldest first) onto ``onto``; the new tip or None on conflict."""
        with tempfile.TemporaryDirectory() as tmp:
            wt = Path(tmp) / "wt"
            self.git("worktree", "add", "-q", "--detach", str(wt), onto)
            env = {"GIT_COMMITTER_NAME": committer.name, "GIT_COMMITTER_EMAIL": committer.email}
            try:
                for sha in commits:
                    proc = subprocess.run(
                        ["git", "cherry-pick", "--allow-empty", "--keep-redundant-commits", sha],
                        cwd=wt, capture_output=True, env={**os.environ, **env},
                    )
                    if proc.returncode != 0:
                        return None
                return self.git("rev-parse", "HEAD", cwd=wt).strip()
            finally:
                self.git("worktree", "remove", "--force", str(wt), check=False)
                self.git("worktree", "prune", check=False)


def _parse_commit(rec: str) -> CommitInfo:
    parts = rec.lstrip("\n").split("\x1f")
    sha, tree, parents, an, ae, ad, cn, ce, cd, body = parts
    return CommitInfo(
        sha=sha,
        tree=tree,
        parents=parents.split() if parents else [],
        author=Ident(an, ae, ad),
        committer=Ident(cn, ce, cd),
        message=body.rstrip("\n"),
    )


def _parse_numstat(out: str) -> dict[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    fields = out.split("\0")
    i = 0
    while i < len(fields):
        f = fields[i]
        if not f.strip():
            i += 1
            continue
        cols = f.split("\t")
        if len(cols) < 3:
            i += 1
            continue
        adds = int(cols[0]) if cols[0].isdigit() else 0
        dels = int(cols[1]) if cols[1].isdigit() else 0
        if cols[2] == "":  # rename: next two fields are old and new names
            counts[fields[i + 2]] = (adds, dels)
            i += 3
        else:
            counts[cols[2]] = (adds, dels)
            i += 1
    return counts
