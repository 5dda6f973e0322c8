"""Untrusted markdown to safe HTML: markdown-it-py on its parse tree, raw HTML never passed.

`html=False` makes every HTML tag in the text literal (escaped) text; links keep only the
schemes in `LINK_SCHEMES` (and in-page or relative ones) and get `rel="nofollow noopener"`;
images become their alt text, so a page never loads anything from elsewhere (the site's
Content-Security-Policy forbids it too). Mermaid blocks are left out: the site runs no code
from content, and the Timeline is shown as a list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

LINK_SCHEMES = ("https", "http", "mailto")
"""Link schemes kept; anything else (javascript:, data:, file:, vbscript:) is dropped."""

_LINK_TARGET = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_MARKUP = re.compile(r"(?m)^\s*[-:| ]{3,}$|^\s{0,3}(?:#{1,6}|>|[-*+]|\d+[.)])\s|[*_`~|\[\]]+")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_MERMAID = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*mermaid\b.*?^[ \t]{0,3}\1[ \t]*$\n?",
                      re.MULTILINE | re.DOTALL)  # fmt: skip


def link_allowed(url: str) -> bool:
    """Whether a link target is kept: one of `LINK_SCHEMES`, or no scheme at all."""
    text = "".join(url.split()).lower()
    match = _SCHEME.match(text)
    return match is None or match.group(1) in LINK_SCHEMES


def _link_open(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    token = tokens[idx]
    token.attrSet("rel", "nofollow noopener noreferrer")
    return renderer.renderToken(tokens, idx, options, env)


def _image(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    alt = renderer.renderInlineAsText(tokens[idx].children or [], options, env)
    return f'<span class="image-alt">[image: {alt}]</span>' if alt else ""


@cache
def parser() -> MarkdownIt:
    """CommonMark with tables and strikethrough; no raw HTML, no typographer, no linkify."""
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.validateLink = link_allowed  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("image", _image)
    return md


def to_html(text: str) -> str:
    """Safe HTML of a markdown text (see the module docstring)."""
    return parser().render(_MERMAID.sub("", text))


def to_text(text: str, limit: int = 400) -> str:
    """The plain words of a markdown text, for the search index and summaries.

    Markup is stripped by pattern, not parsed: the words only feed a substring search and
    an escaped summary line, and parsing every document twice would double a build's time.
    """
    words = _LINK_TARGET.sub("]", _MERMAID.sub("", text[: limit * 4]))
    words = " ".join(_MARKUP.sub(" ", words).split())
    return words if len(words) <= limit else words[: limit - 1].rsplit(" ", 1)[0] + "…"
