"""GitHub's renderer as the oracle: what GitHub would show as a link, image, raw HTML element
or notifying mention in markdown pmops writes.

`cmarkgfm` binds cmark-gfm, the renderer github.com uses, with GitHub's extensions (tables,
autolinks, tag filter, strikethrough, task lists). cmark-gfm does not do @mentions: GitHub
adds them after rendering, in every HTML text node outside `a`, `code` and `pre` where an `@`
follows the start of the node or a non-word character and a login follows it
(`(?:^|\\W)@login` or `@org/team`). `violations` checks exactly that on the rendered HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html.parser import HTMLParser
from urllib.parse import urlsplit

import cmarkgfm
from cmarkgfm.cmark import Options

MENTION = re.compile(r"(?:^|\W)@[A-Za-z0-9][A-Za-z0-9-]*")
"""GitHub's mention filter: `@` at the start of a text node or after a non-word character."""
RAW_HTML = "<!-- raw HTML omitted -->"
"""What cmark-gfm's safe mode writes in place of raw HTML from the input."""
MARKER = re.compile(r"<!-- pmops:[A-Za-z0-9:_.-]+ -->")
"""pmops's own marker comments, which GitHub does not show."""


def to_html(markdown: str, *, safe: bool = False) -> str:
    """HTML as cmark-gfm renders `markdown` (raw HTML kept unless `safe`, as GitHub's renderer
    hands it to its sanitizer)."""
    return cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=0 if safe else Options.CMARK_OPT_UNSAFE
    )


def foreign(url: str, allowed: Sequence[str]) -> bool:
    """Whether GitHub would send a reader (or the reader's browser) off the allowed hosts."""
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return False
    if parts.scheme not in ("http", "https"):
        return True
    host = (parts.hostname or "").lower()
    for entry in allowed:
        if "://" in entry:
            prefix = urlsplit(entry)
            if host == prefix.hostname and (parts.path + "/").startswith(
                prefix.path.rstrip("/") + "/"
            ):
                return False
        elif host == entry or host.endswith("." + entry):
            return False
    return True


class _Inspector(HTMLParser):
    def __init__(self, allowed: Sequence[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed
        self.problems: list[str] = []
        self.quiet = 0  # inside a, code or pre: GitHub adds no mention there

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("a", "code", "pre"):
            self.quiet += 1
        for attr in ("href", "src"):
            url = values.get(attr)
            if url is not None and (foreign(url, self.allowed) or (tag == "a" and not url)):
                self.problems.append(f"<{tag} {attr}={url!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", "code", "pre") and self.quiet:
            self.quiet -= 1

    def handle_data(self, data: str) -> None:
        if not self.quiet and MENTION.search(data):
            self.problems.append(f"mention in {data!r}")


def violations(markdown: str, allowed: Sequence[str] = ()) -> list[str]:
    """Every foreign link or image, raw HTML element and notifying mention GitHub would render
    from `markdown` (empty when it is safe)."""
    markdown = MARKER.sub("", markdown)
    problems = ["raw HTML"] if RAW_HTML in to_html(markdown, safe=True) else []
    inspector = _Inspector(allowed)
    inspector.feed(to_html(markdown))
    inspector.close()
    return problems + inspector.problems
