"""Which lines of a markdown text are fenced code, read as CommonMark reads fences.

Every check that skips code (the section parser, heading demotion, the claims and blameless
checks, action-item drift) asks here, so none of them can be told a line is code when GitHub
shows it as prose: a toggle on any fence-looking line would, for instance, take a `~~~`
inside a ```` ``` ```` block for a closing fence and hide the prose after the real one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_OPENING = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
"""A fence opening line: at most three spaces, three or more backticks or tildes."""
_CLOSING = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*$")
"""A closing fence: nothing after it but spaces (its character, at least as long)."""


def opening_fence(line: str) -> str | None:
    """The fence `line` opens a code block with, if it can open one (a backtick fence's info
    string has no backtick: "```a```" at the start of a line is inline code, not a fence)."""
    opening = _OPENING.match(line)
    if not opening or (opening["fence"][0] == "`" and "`" in opening["info"]):
        return None
    return opening["fence"]


def _closes(line: str, fence: str) -> bool:
    closing = _CLOSING.match(line)
    if not closing:
        return False
    return closing["fence"][0] == fence[0] and len(closing["fence"]) >= len(fence)


def code_lines(lines: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Each line with whether it belongs to a fenced code block, its fence lines included
    (a block never closed runs to the end). Fences inside list items or block quotes are
    not followed: no check here reads those as code."""
    fence: str | None = None
    for line in lines:
        if fence is None:
            fence = opening_fence(line)
            yield line, fence is not None
        else:
            if _closes(line, fence):
                fence = None
            yield line, True
