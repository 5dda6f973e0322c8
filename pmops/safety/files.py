"""Write files so that a failure never leaves one half-written, nor one outside the repository."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from pmops.errors import InputError

_SURROGATE = re.compile("[\ud800-\udfff]")


def repair_surrogates(text: str) -> str:
    """`text` as UTF-8 can hold it: surrogate pairs (YAML's and some JSON writers'
    `\\ud83d\\ude00`) joined into their character, a lone surrogate replaced by U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def repair_strings(value: Any) -> Any:
    """`value` (parsed YAML or JSON) with every string passed through `repair_surrogates`."""
    if isinstance(value, str):
        return repair_surrogates(value)
    if isinstance(value, list):
        return [repair_strings(v) for v in value]
    if isinstance(value, dict):
        return {repair_strings(k): repair_strings(v) for k, v in value.items()}
    return value


def inside(root: Path, path: Path) -> Path:
    """`path` resolved (symbolic links followed), or InputError when it is not under `root`:
    a configured folder of `../x`, an absolute one, or a link out of the work tree."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise InputError(f"{path}: refusing to write outside the repository {root}")
    return resolved


def write_atomic(
    path: Path,
    text: str,
    root: Path | None = None,
    *,
    sync: bool = True,
    overwrite: bool = True,
) -> bool:
    """Write `text` to a temporary file beside `path`, then rename it into place.

    With `root`, a `path` that resolves outside `root` is refused. Text UTF-8 cannot encode
    (lone surrogates) is repaired, not a crash. The file gets the mode it had, or a new
    file's usual mode (0666 less the umask), not the owner-only mode of the temporary file.
    `sync=False` skips the fsync (for output that can be rebuilt, written by the thousand);
    `overwrite=False` never replaces an existing file (it is linked into place, which fails
    when the name exists) and returns False then.
    """
    if root is not None:
        path = inside(root, path)
    text = repair_surrogates(text)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                if sync:
                    os.fsync(handle.fileno())
            os.chmod(temp, mode)
            if overwrite:
                os.replace(temp, path)
                return True
            try:
                os.link(temp, path)
            except FileExistsError:
                return False
            finally:
                os.unlink(temp)
            return True
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _umask() -> int:
    current = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(current)
    return current
