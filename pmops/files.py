"""Write files so that a failure never leaves one half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pmops.errors import InputError


def write_atomic(path: Path, text: str, *, sync: bool = True, overwrite: bool = True) -> bool:
    """Write `text` to a temporary file beside `path`, then rename it into place.

    The file gets the mode it had, or a new file's usual mode (0666 less the umask), not the
    owner-only mode of the temporary file. `sync=False` skips the fsync (for output that can
    be rebuilt, written by the thousand); `overwrite=False` never replaces an existing file
    (it is linked into place, which fails when the name exists) and returns False then.
    """
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
