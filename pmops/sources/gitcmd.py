"""Run git safely: no system config, no hooks, no external diff or textconv, no pager.

A hostile repository cannot make pmops run its code; failures become SourceError with a
message for the user. Every git command pmops runs goes through `run_git` (directly, or
through `git_bytes`, `git_lines`, `git_output`, or `gitops.Workspace` for clones it writes).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import subprocess
import tempfile
from collections.abc import Generator, Iterable, Mapping, Sequence
from pathlib import Path

from pmops.errors import SourceError

# Variables that would point git at another repository or run a program of the caller's.
_ENV_DROP = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_EXTERNAL_DIFF",
    "GIT_PAGER",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
)
_SAFE_CONFIG = (
    "core.quotepath=off",
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "log.showSignature=false",
    "log.showRoot=true",
    "color.ui=never",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.relative=false",
    "diff.renames=true",
    "diff.submodule=short",
    "i18n.logOutputEncoding=UTF-8",
)
DIFF_OPTS = (
    "--no-ext-diff",
    "--no-textconv",
    "--no-color",
    "-M",
    "--root",
    "--diff-merges=first-parent",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


# ---------------------------------------------------------------- running git


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _ENV_DROP}
    env.update(LC_ALL="C", GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
    return env


def git_command(repo: Path, args: Sequence[str]) -> list[str]:
    config = [item for pair in _SAFE_CONFIG for item in ("-c", pair)]
    return ["git", "--no-pager", "-C", str(repo), *config, *args]


def git_failure(repo: Path, args: Sequence[str], stderr: bytes) -> SourceError:
    text = stderr.decode("utf-8", "replace").strip()
    if "not a git repository" in text:
        return SourceError(f"{repo} is not a git repository")
    if "dubious ownership" in text:
        return SourceError(
            f"{repo} belongs to another user and git refuses to read it; if you trust it, "
            f"run: git config --global --add safe.directory {repo}"
        )
    lines = text.splitlines() or ["no message"]
    first = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1])
    return SourceError(f"git {args[0]} failed in {repo}: {first}")


def check_repo(repo: Path) -> Path:
    repo = Path(repo)
    if not repo.is_dir():
        raise SourceError(f"{repo} is not a git repository")
    return repo


def run_git(
    repo: Path,
    *args: str,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run git in `repo` with the safe environment and configuration (plus `env`), whatever
    its exit code; SourceError only when git cannot run or overruns `timeout` seconds."""
    full_env = git_env()
    full_env.update(env or {})
    try:
        return subprocess.run(
            git_command(repo, args),
            input=input,
            capture_output=True,
            env=full_env,
            check=False,
            timeout=timeout,
        )
    except FileNotFoundError:
        raise SourceError("git is not installed (or not on PATH)") from None
    except OSError as exc:
        raise SourceError(f"git {args[0]} could not run in {repo}: {exc}") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"git {args[0]} in {repo} took longer than {timeout} s") from None


def git_bytes(
    repo: Path, *args: str, input: bytes | None = None, timeout: float | None = None
) -> bytes:
    """Run git in `repo` and return its stdout; failures become SourceError."""
    proc = run_git(repo, *args, input=input, timeout=timeout)
    if proc.returncode != 0:
        raise git_failure(repo, args, proc.stderr)
    return proc.stdout


def git_output(repo: Path, *args: str) -> str | None:
    """Git's stdout as text, stripped; None when git fails or cannot run (for questions
    whose "no" is an answer: is this a repository, does this ref exist)."""
    try:
        proc = run_git(repo, *args)
    except SourceError:
        return None
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else None


def repo_root(start: Path) -> Path | None:
    """The top level of the work tree that `start` is in; None outside one."""
    top = git_output(start, "rev-parse", "--show-toplevel")
    return Path(top) if top else None


def git_lines(repo: Path, *args: str) -> Generator[bytes, None, None]:
    """Stream git's stdout line by line; the process is stopped when the caller stops."""
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(
                git_command(repo, args), stdout=subprocess.PIPE, stderr=errors, env=git_env()
            )
        except FileNotFoundError:
            raise SourceError("git is not installed (or not on PATH)") from None
        assert proc.stdout is not None
        finished = False
        try:
            yield from proc.stdout
            finished = True
        finally:
            proc.stdout.close()
            if not finished:
                proc.terminate()
            returncode = proc.wait()
        if returncode != 0:
            errors.seek(0)
            raise git_failure(repo, args, errors.read())


def log_each(repo: Path, shas: Iterable[str], *args: str) -> bytes:
    """`git log` over exactly the commits `shas` (no walk), in the order given."""
    return git_bytes(
        repo, "log", "--no-walk=unsorted", "--stdin", *args, input="\n".join(shas).encode()
    )


def file_blocks(patch: bytes) -> list[bytes]:
    """A patch's per-file sections, each from just after its `diff --git ` (which no line
    of content can start with: those start with '+', '-', ' ' or a backslash)."""
    return (b"\n" + patch).split(b"\ndiff --git ")[1:]


_HEX = re.compile(r"[0-9a-fA-F]{7,40}")


def frame_markers() -> tuple[str, bytes, bytes, bytes]:
    """A --format prefix and the record/field/end markers of one call (random per call)."""
    nonce = secrets.token_hex(8)
    return nonce, f"\x1e{nonce}".encode(), f"\x1f{nonce}".encode(), f"\x1d{nonce}".encode()


def resolve_many(repo: Path, prefixes: Iterable[str], peel: bool = False) -> dict[str, str]:
    """Full commit SHAs of the unique hex prefixes among `prefixes` (one cat-file call).

    With `peel`, tag objects resolve to the commit they (finally) name.
    """
    wanted = sorted({p.lower() for p in prefixes if _HEX.fullmatch(p)})
    if not wanted:
        return {}
    out = git_bytes(
        repo,
        "cat-file",
        "--batch-check=%(objectname) %(objecttype)",
        input="".join(f"{p}^{{commit}}\n" for p in wanted).encode(),
    )
    resolved = {}
    for prefix, line in zip(wanted, out.decode().splitlines(), strict=False):
        name, _, kind = line.partition(" ")
        if kind == "commit" and (peel or name.startswith(prefix)):
            resolved[prefix] = name
    return resolved


def blob_id(data: bytes) -> str:
    """Git's object id of a file with content `data` (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def worktree_blobs(repo: Path, folder: str) -> dict[str, str]:
    """Blob ids of the files under `folder` (paths relative to `repo`) whose working copy
    git knows to match its index: tracked and not modified. Git answers from its index and
    stat cache without reading the files; {} outside a work tree."""
    pathspec = f"{folder.strip('/')}/"
    try:
        staged = run_git(repo, "ls-files", "--stage", "-z", "--", pathspec)
        modified = run_git(repo, "ls-files", "--modified", "-z", "--", pathspec)
    except SourceError:
        return {}
    if staged.returncode != 0 or modified.returncode != 0:
        return {}
    changed = set(modified.stdout.split(b"\0"))
    blobs = {}
    for entry in staged.stdout.split(b"\0"):
        info, _, name = entry.partition(b"\t")
        fields = info.split()
        if len(fields) == 3 and fields[2] == b"0" and name not in changed:
            blobs[name.decode("utf-8", "surrogateescape")] = fields[1].decode()
    return blobs
