"""Make untrusted text (issue bodies, comments, commit messages, logs, model output) safe to
put into a markdown file that GitHub renders: no notifications, no markup, no control bytes."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_MENTION = re.compile(r"(?<![\w`])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9_.-]+)?)")
_HTML = re.compile(r"<(/?[A-Za-z!?][^>]*)>")


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
