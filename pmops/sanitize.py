"""Make untrusted text (issue bodies, comments, commit messages, logs, model output) safe to
put into a markdown file that GitHub renders: no notifications, no markup, no control bytes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import urlsplit

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_MENTION = re.compile(r"(?<![\w`])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9_.-]+)?)")
_HTML = re.compile(r"<(/?[A-Za-z!?][^<>]*)>")


def neutralize_mentions(text: str) -> str:
    """`@user` and `@org/team` become code spans, which GitHub never turns into notifications."""
    return _MENTION.sub(lambda m: f"`@{m.group(1)}`", text)


def one_line(text: str, limit: int = 200) -> str:
    """Untrusted text as one safe markdown line: no control bytes, no HTML, no mentions, capped."""
    text = _CONTROL.sub("", text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    text = _HTML.sub(lambda m: f"&lt;{m.group(1)}&gt;", text)
    return neutralize_mentions(text)


# ---------------------------------------------------------------- model output

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_RULE = re.compile(  # three marks, then marks and blanks: no nested repeat to backtrack in
    r"^[ \t]{0,3}(?:-[ \t]*-[ \t]*-[- \t]*|=[ \t]*=[ \t]*=[= \t]*|\+[ \t]*\+[ \t]*\+[+ \t]*)$"
)
"""`---` (frontmatter, rule, setext heading), `===` (setext heading) and `+++` lines."""
_TOP_HEADING = re.compile(r"^([ \t]{0,3})#{1,2}(?=[ \t]|$)")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")
_TARGET = r"\(\s*<?((?:[^()\s<>]|\([^()\s<>]*\))*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
_IMAGE = re.compile(r"!\[([^\[\]\n]*)\]" + _TARGET)
_LINK = re.compile(r"(?<!!)\[([^\[\]\n]*)\]" + _TARGET)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,20}:[^>\s]*)>")
_REF_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
_BARE_URL = re.compile(r"(?i)(?<![\w/])(?:(?:https?|ftp)://|www\.)[^\s<>()\[\]`\"']+")
REMOVED_LINK = "(link removed)"


def sanitize_markdown(text: str, allowed_hosts: Sequence[str] = ()) -> str:
    """Model output made safe to write into a postmortem section.

    No control bytes, raw HTML or HTML comments; `@mentions` neutralized; links and images
    outside `allowed_hosts` removed (an entry is a host, which also admits its subdomains, or
    a URL prefix such as the repository's URL; relative links stay); no `---`/`===` lines
    (frontmatter, setext headings) and no `#`/`##` headings that would split sections.
    Code blocks and spans are kept verbatim; an unclosed code block is closed.
    """
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _HTML_COMMENT.sub("", text)
    lines: list[str] = []
    fence = ""
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence:
            lines.append(line)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
            continue
        if match:
            fence = match.group(1)
            lines.append(line)
            continue
        lines.append(_sanitize_line(line, allowed_hosts))
    if fence:
        lines.append(fence)
    return "\n".join(lines).strip()


def sanitize_inline(text: str, allowed_hosts: Sequence[str] = (), limit: int = 1000) -> str:
    """Model output as one safe line (a list item, a timeline entry), capped at `limit`."""
    text = " ".join(sanitize_markdown(text, allowed_hosts).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _sanitize_line(line: str, allowed: Sequence[str]) -> str:
    if _RULE.match(line):
        return ""
    definition = _REF_DEFINITION.match(line)
    if definition and not link_allowed(definition.group(1), allowed):
        return ""
    line = _TOP_HEADING.sub(r"\1###", line)
    parts = []
    last = 0
    for span in _CODE_SPAN.finditer(line):
        parts.append(_sanitize_prose(line[last : span.start()], allowed))
        parts.append(span.group(0))
        last = span.end()
    parts.append(_sanitize_prose(line[last:], allowed))
    return "".join(parts)


def _sanitize_prose(text: str, allowed: Sequence[str]) -> str:
    text = _IMAGE.sub(lambda m: m.group(0) if link_allowed(m.group(2), allowed) else "", text)
    text = _LINK.sub(
        lambda m: m.group(0) if link_allowed(m.group(2), allowed) else m.group(1), text
    )
    text = _AUTOLINK.sub(
        lambda m: m.group(1) if link_allowed(m.group(1), allowed) else REMOVED_LINK, text
    )
    text = _BARE_URL.sub(lambda m: _bare_url(m.group(0), allowed), text)
    text = _HTML.sub(lambda m: f"&lt;{m.group(1)}&gt;", text).replace("<", "&lt;")
    return neutralize_mentions(text)


def _bare_url(url: str, allowed: Sequence[str]) -> str:
    """GitHub leaves trailing punctuation out of an autolink; so does the check."""
    core = url.rstrip(".,:;!?*_~'\"")
    return url if link_allowed(core, allowed) else REMOVED_LINK + url[len(core) :]


def link_allowed(url: str, allowed: Sequence[str]) -> bool:
    """True for relative links and http(s) links to an allowed host or under an allowed URL."""
    url = url.strip()
    if url.lower().startswith("www."):
        url = "https://" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if not parts.scheme and not parts.netloc:
        return bool(url) and not url.startswith("\\")
    if parts.scheme.lower() not in ("http", "https") or not host:
        return False
    for entry in allowed:
        entry = entry.strip().lower()
        if "://" in entry:
            prefix = urlsplit(entry)
            base = prefix.path.rstrip("/") + "/"
            if host == (prefix.hostname or "") and (parts.path.rstrip("/") + "/").startswith(base):
                return True
        elif entry and (host == entry.strip(".") or host.endswith("." + entry.strip("."))):
            return True
    return False


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL_BYTES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def clean_text(text: str, limit: int) -> str:
    """Untrusted text made safe to show: control and bidi characters removed, whitespace
    collapsed, cut to `limit` characters."""
    text = _ANSI_ESCAPE.sub("", unicodedata.normalize("NFC", text))
    text = " ".join(_CONTROL_BYTES.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
