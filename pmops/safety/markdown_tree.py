"""The markdown tree under the policy (`markdown_policy`): markdown-it-py with GitHub's
extensions parses, mdformat renders a tree back to markdown, and small token makers.

Built once and lazily: the imports cost tens of milliseconds that commands printing no
markdown need not pay.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
"""Control bytes, zero-width and bidirectional-override characters (never kept)."""


def new_token(kind: str, content: str, markup: str = "") -> Token:
    """An inline token: `text`, or `code_inline` (a code span)."""
    from markdown_it.token import Token

    return Token(kind, "code" if kind == "code_inline" else "", 0, content=content, markup=markup)


def paragraph(content: str, level: int) -> list[Token]:
    """Raw HTML as a paragraph of text, line breaks kept."""
    from markdown_it.token import Token

    children: list[Token] = []
    for n, line in enumerate(content.rstrip("\n").split("\n")):
        if n:
            children.append(Token("hardbreak", "br", 0))
        children.append(new_token("text", CONTROL.sub("", line)))
    inline = Token("inline", "", 0, children=children, level=level + 1)
    return [
        Token("paragraph_open", "p", 1, level=level, block=True),
        inline,
        Token("paragraph_close", "p", -1, level=level, block=True),
    ]


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """markdown-it with GitHub's extensions (tables, strikethrough, task lists, extended
    autolinks) and mdformat's renderer; every link target is kept for the policy to judge."""
    import mdformat.plugins
    from markdown_it import MarkdownIt
    from mdformat.renderer import MDRenderer

    md = MarkdownIt(renderer_cls=MDRenderer)  # type: ignore[arg-type]  # mdformat's own use
    md.options["mdformat"] = {"number": False, "wrap": "keep", "end_of_line": "lf"}
    md.options["store_labels"] = True
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # `link_allowed` decides
    md.options["parser_extension"] = []
    md.options["codeformatters"] = {}
    gfm = mdformat.plugins.PARSER_EXTENSIONS["gfm"]
    md.options["parser_extension"].append(gfm)
    gfm.update_mdit(md)
    return md


def parse(text: str, inline: bool) -> tuple[list[Token], dict[str, Any]]:
    """Tokens and environment of `text`; `inline` parses inline markdown only, wrapped in a
    paragraph so it renders like a document."""
    env: dict[str, Any] = {}
    md = parser()
    if not inline:
        return md.parse(text, env), env
    from markdown_it.token import Token

    children = md.parseInline(text, env)[0].children or []
    inline_token = Token("inline", "", 0, children=children, content=text, level=1)
    return [
        Token("paragraph_open", "p", 1, block=True),
        inline_token,
        Token("paragraph_close", "p", -1, block=True),
    ], env


def render(tokens: list[Token], env: dict[str, Any], inline: bool) -> str:
    """Markdown for `tokens` (one line when `inline`)."""
    md = parser()
    text: str = md.renderer.render(tokens, md.options, env)
    return " ".join(text.split()) if inline else text.rstrip("\n")
