"""Make untrusted text (issue bodies, comments, commit messages, logs, model output) safe to
put into a markdown file that GitHub renders: no notifications, no foreign links or images, no
raw HTML, no control bytes. The policy is enforced on a parse tree (`markdown_policy`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from pmops.safety.markdown_policy import CONTROL, Policy, enforce, enforce_inline, link_allowed

__all__ = [
    "clean_text", "link_allowed", "neutralize_mentions", "one_line", "sanitize_inline",
    "sanitize_markdown",
]  # fmt: skip


def neutralize_mentions(text: str, allowed: Sequence[str] = ()) -> str:
    """One line of untrusted markdown with no notifying mention, link, image or HTML left
    (`@user` and `@org/team` become code spans, which GitHub never turns into notifications)."""
    return enforce_inline(text, Policy(tuple(allowed)))


def one_line(text: str, limit: int = 200, allowed: Sequence[str] | None = None) -> str:
    """Untrusted text as one safe markdown line: no control bytes, no HTML, no mentions,
    capped at `limit` before the policy's escapes. Links and images outside `allowed` are
    removed (relative links stay); with `allowed` None (the caller does not know the hosts)
    they are left to the policy pass of the document the line goes into: the postmortem
    (`outbound.safe_postmortem`) or a PR body, comment or issue (`outbound_markdown`)."""
    return _inline(text, limit, Policy(tuple(allowed or ()), links=allowed is not None))


def sanitize_markdown(text: str, allowed_hosts: Sequence[str] = ()) -> str:
    """Model output made safe to write into a postmortem section (`markdown_policy`).

    No control bytes or raw HTML (shown escaped); `@mentions` neutralized; links and images
    outside `allowed_hosts` reduced to their text (an entry is a host, which also admits its
    subdomains, or a URL prefix such as the repository's URL; relative links stay); no
    thematic breaks or `#`/`##` headings that would split sections or fake frontmatter.
    Code blocks are kept; an unclosed one is closed.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _fence_leading_code(enforce(text, Policy(tuple(allowed_hosts), sections=True))).strip()


_INDENT = re.compile(r"^(?: {4}| {0,3}\t)")
_BACKTICKS = re.compile(r"`+")


def _fence_leading_code(text: str) -> str:
    """An indented code block that opens `text`, fenced instead: stripping the text (as this
    module and the document do around every section) would turn its lines into markdown,
    links and all."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if start == len(lines) or not _INDENT.match(lines[start]):
        return text
    end = start
    while end < len(lines) and (_INDENT.match(lines[end]) or not lines[end].strip()):
        end += 1
    while not lines[end - 1].strip():
        end -= 1
    body = [_INDENT.sub("", line) for line in lines[start:end]]
    fence = "`" * max(3, 1 + max((len(r) for b in body for r in _BACKTICKS.findall(b)), default=0))
    return "\n".join([*lines[:start], fence, *body, fence, *lines[end:]])


def sanitize_inline(text: str, allowed_hosts: Sequence[str] = (), limit: int = 1000) -> str:
    """Untrusted text as one safe line (a list item, a timeline entry), capped at `limit`."""
    return _inline(text, limit, Policy(tuple(allowed_hosts)))


def _inline(text: str, limit: int, policy: Policy) -> str:
    text = " ".join(CONTROL.sub("", text).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return enforce_inline(text, policy)


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL_BYTES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def clean_text(text: str, limit: int) -> str:
    """Untrusted text made safe to show: control and bidi characters removed, whitespace
    collapsed, cut to `limit` characters."""
    text = _ANSI_ESCAPE.sub("", unicodedata.normalize("NFC", text))
    text = " ".join(_CONTROL_BYTES.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
