"""Failures of GitHub or of the network under a `--github` command, as messages a user
reads: what answered, and what to check, never a traceback."""

from __future__ import annotations

import re

from pmops.errors import SourceError

_HINTS = {
    401: "the token is not valid: check the variable --token-env names",
    403: "the token may not read this (its scopes or permissions), or a rate limit was hit",
    404: "no such repository, or the token cannot see it",
}
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def remote_error(exc: BaseException) -> SourceError | None:
    """`exc` as a SourceError when GitHub refused or the network failed; None otherwise
    (told apart by module, so the CLI imports neither library to start)."""
    module = type(exc).__module__
    if module.startswith("github"):
        status = getattr(exc, "status", None)
        data = getattr(exc, "data", None)
        said = data.get("message") if isinstance(data, dict) else None
        hint = _HINTS.get(status) if isinstance(status, int) else None
        return SourceError(
            f"GitHub answered {status}: {said or type(exc).__name__}"
            + (f" ({hint})" if hint else "")
        )
    if module.startswith(("requests", "urllib3")):
        errno = _ERRNO.search(str(exc))
        reason = errno.group(1).strip() if errno else type(exc).__name__
        return SourceError(f"cannot reach the GitHub API: {reason}")
    return None
