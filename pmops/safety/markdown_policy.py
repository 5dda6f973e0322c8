"""The link, HTML and mention policy, enforced on a CommonMark/GFM parse tree (DESIGN §7).

Untrusted markdown is parsed by markdown-it-py with GitHub's extensions (tables,
strikethrough, task lists, extended autolinks), the policy is applied to the tokens, and a
changed tree is rendered back to markdown by mdformat. Text the policy leaves untouched is
returned byte for byte, so pmops's own layout (headings, tables, Mermaid fences) stays as
written. The parser decodes entities, resolves reference definitions wherever they stand
(quotes, list items, over two lines) and finds the bare URLs GitHub autolinks, so none of
those hide a target from the check.

The policy:
- a link or image goes only to the repository or a configured host (`link_allowed`, after
  the parser's entity decoding); a foreign link keeps its text, a foreign image its alt text,
  and a foreign autolink or bare URL is shown as code, which GitHub never links;
- raw HTML is shown as text (escaped), never rendered, except pmops's own marker comments;
- `@user` and `@org/team` become code spans, which GitHub never turns into notifications;
- control and bidirectional-override characters are removed;
- in a postmortem section (`Policy.sections`) headings are at least `###` and thematic breaks
  go, so model text cannot split a section or fake frontmatter.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pmops.safety.markdown_tree import CONTROL, new_token, paragraph, parse, render

if TYPE_CHECKING:
    from markdown_it.token import Token


_MENTION = r"(?<![A-Za-z0-9])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?"
"""Stricter than GitHub (which needs a non-word character before `@`): any `@login` not
glued to a letter or digit is neutralized, `_@u_` and `@org/team` included."""
_URL = r"(?:(?:https?|ftp)://|www\.)[^\s<>`]*"
"""Empty after the prefix too: cmark-gfm links `www.` followed by anything up to a blank,
even the backticks of a code span that follows."""
_EMAIL = r"(?<![A-Za-z0-9.+_-])[A-Za-z0-9.+_-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
"""Only from the start of a run of address characters: a scan per run, not per character."""
_INERT = re.compile(rf"(?i)(?P<url>{_URL})|(?P<email>{_EMAIL})|(?P<mention>{_MENTION})")
"""What GitHub would turn into a link or a mention in plain text."""
_URL_START = re.compile(r"(?i)(?:https?|ftp)://|www\.")
_URL_AMBIGUOUS = re.compile(r"[\[\]()<>\"'`\\{}|^]")
_URL_TAIL = ".,:;!?*_~'\")"
"""Trailing characters GitHub leaves out of an extended autolink."""
_MARKER = re.compile(r"<!-- pmops:[A-Za-z0-9:_.-]+ -->\n?")
"""pmops's own comment markers (`events.api.marker`): the one HTML an outbound body keeps."""


_CHECKBOX = re.compile(
    r'<input class="task-list-item-checkbox"(?: checked="checked")? disabled="disabled" '
    r'type="checkbox">'
)


@dataclass(frozen=True)
class Policy:
    """What a piece of markdown may contain."""

    allowed: tuple[str, ...] = ()
    """Hosts (subdomains included) and URL prefixes that links and images may point to."""
    sections: bool = False
    """Text for inside a postmortem section: headings demoted to `###`, no thematic breaks."""
    markers: bool = False
    """Keep pmops's `<!-- pmops:... -->` marker comments (outbound bodies)."""
    links: bool = True
    """Decide links and images here; False leaves them to the policy pass of the document the
    text goes into (`outbound`), for a fragment written where the allowed hosts are unknown."""


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
    path = posixpath.normpath(parts.path) if parts.path.startswith("/") else "/"
    for entry in allowed:
        entry = entry.strip().lower()
        if "://" in entry:
            prefix = urlsplit(entry)
            base = prefix.path.rstrip("/") + "/"
            if host == (prefix.hostname or "") and (path.rstrip("/") + "/").startswith(base):
                return True
        elif entry and (host == entry.strip(".") or host.endswith("." + entry.strip("."))):
            return True
    return False


def enforce(text: str, policy: Policy) -> str:
    """`text` (a markdown document or section) with the policy applied; unchanged when it
    already complies."""
    return _enforce(text, policy, inline=False)


def enforce_inline(text: str, policy: Policy) -> str:
    """One line of untrusted text for inside a line pmops writes (a title, a table cell, a
    list item): parsed as inline markdown only, so `# x` or `[r]: url` stay text."""
    return _enforce(text, policy, inline=True)


_PASSES = 4
"""Enforcing renders markdown that is parsed and checked again, until nothing changes: an
unwrapped link's text can itself be a bare URL. Two passes settle every case seen; the cap
only guards the loop."""


_INLINE_SPECIAL = re.compile(r"(?i)[<\[@&]|://|www\.")
"""Inline markdown without these characters has no link, image, HTML, entity or mention."""


def _enforce(text: str, policy: Policy, inline: bool) -> str:
    text = CONTROL.sub("", text)
    if inline and not _INLINE_SPECIAL.search(text) and not CONTROL.search(text):
        return text
    for _ in range(_PASSES):
        tokens, env = parse(text, inline)
        changed = _Walk(policy, text.split("\n"))
        tokens = changed.blocks(tokens, env)
        if not changed.any and inline:
            # the line may start a line of the document: as a block it must comply too
            # (`> [r]: //host/i.png` is text inline, a reference definition as a block)
            block, block_env = parse(text, False)
            as_block = _Walk(policy, text.split("\n"))
            as_block.blocks(block, block_env)
            changed.any = as_block.any
        if not changed.any:
            return text
        text = render(tokens, env, inline)
    return _plain(text, inline)


def _plain(text: str, inline: bool) -> str:
    """Last resort for text the policy could not settle: all of it as code, which GitHub
    renders as typed (a code span for a line, a fenced block otherwise)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    if inline:
        text = " ".join(text.split())
        fence = "`" * (longest + 1)
        return f"{fence} {text} {fence}"
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


class _Walk:
    """One pass of the policy over a token stream; `any` tells whether it changed anything."""

    def __init__(self, policy: Policy, lines: list[str]) -> None:
        self.policy = policy
        self.lines = lines
        self.any = False

    def blocks(self, tokens: list[Token], env: dict[str, Any]) -> list[Token]:
        refs = env.get("references") or {}
        if any(not link_allowed(r.get("href", ""), self.policy.allowed) for r in refs.values()):
            self.any = True  # a definition nothing uses still renders nothing, but goes
        env["references"] = {}
        out: list[Token] = []
        task = False  # the next inline opens a task-list item: its checkbox is the parser's
        for token in tokens:
            if token.type == "html_block":
                if self.policy.markers and _MARKER.fullmatch(token.content):
                    out.append(token)
                else:
                    self.any = True
                    out += paragraph(token.content, token.level)
                continue
            if token.type == "hr" and self.policy.sections:
                self.any = True
                continue
            if token.type.startswith("heading_") and self.policy.sections and token.tag < "h3":
                self.any = True
                token.tag, token.markup = "h3", "###"
            if token.type == "fence" and self.policy.sections and not self.closed(token):
                self.any = True  # rendering closes it: it must not swallow the next section
                token.content = token.content.rstrip("\n") + "\n"
            if token.type in ("fence", "code_block") and CONTROL.search(token.content):
                self.any = True
                token.content = CONTROL.sub("", token.content)
            if token.type == "list_item_open":
                task = token.attrs.get("class") == "task-list-item"
            if token.type == "inline" and token.children is not None:
                children = token.children
                keep = children[:1] if task and _checkbox(children) else []
                token.children = keep + self.inline(children[len(keep) :])
                task = False
            out.append(token)
        return out

    def closed(self, fence: Token) -> bool:
        """Whether the fence's last source line closes it (else it runs to the end)."""
        first, end = fence.map or (0, 0)
        last = self.lines[end - 1].strip() if first < end - 1 < len(self.lines) else ""
        mark = fence.markup
        return len(last) >= len(mark) and last == mark[0] * len(last)

    def inline(self, children: list[Token]) -> list[Token]:
        out: list[Token] = []
        i = 0
        while i < len(children):
            token = children[i]
            kind = token.type
            if kind in ("link_open", "gfm_autolink_open"):
                close = _closing(children, i)
                after = children[close + 1] if close + 1 < len(children) else None
                out += self.link(token, children[i + 1 : close], children[close], after)
                i = close + 1
                continue
            if kind == "image":
                out += self.image(token)
            elif kind == "html_inline":
                if self.policy.markers and _MARKER.fullmatch(token.content):
                    out.append(token)
                else:
                    self.any = True
                    out.append(new_token("text", token.content))
            elif kind == "text":
                out += self.text(token)
            elif kind == "code_inline" and CONTROL.search(token.content):
                self.any = True
                token.content = CONTROL.sub("", token.content)
                out.append(token)
            else:
                out.append(token)
            i += 1
        return out

    def link(
        self, opening: Token, inner: list[Token], closing: Token, after: Token | None = None
    ) -> list[Token]:
        href = str(opening.attrs.get("href", ""))
        if not self.policy.links:
            return [opening, *self.inline(inner), closing]
        auto = opening.type == "gfm_autolink_open" or opening.info == "auto"
        shown = str(opening.meta.get("source_text") or "".join(t.content for t in inner))
        plain = _plain_url(shown) and _blank_after(after)
        if link_allowed(href, self.policy.allowed) and (not auto or plain):
            if opening.meta.pop("label", None) is not None:
                self.any = True  # a reference link is written inline: no definitions kept
            return [opening, *self.inline(inner), closing]
        self.any = True
        if auto:
            return _code_pieces(CONTROL.sub("", shown))
        return self.inline(inner)

    def image(self, token: Token) -> list[Token]:
        if not self.policy.links:
            return [token]
        if link_allowed(str(token.attrs.get("src", "")), self.policy.allowed):
            if token.meta.pop("label", None) is not None:
                self.any = True
            return [token]
        self.any = True
        return self.inline(list(token.children or [])) or [new_token("text", "(image removed)")]

    def text(self, token: Token) -> list[Token]:
        content = CONTROL.sub("", token.content)
        pieces = _inert_pieces(content, self.policy.allowed, self.policy.links)
        if content == token.content and len(pieces) == 1 and pieces[0].type == "text":
            return [token]
        self.any = True
        return pieces


def _inert_pieces(text: str, allowed: Sequence[str], links: bool = True) -> list[Token]:
    """`text` as text tokens, with mentions and foreign URLs or e-mail addresses as code."""
    out: list[Token] = []
    last = 0
    for match in _INERT.finditer(text):
        found = match.group(0)
        if not links and not match.group("mention"):
            continue
        if match.group("url"):
            found = found.rstrip(_URL_TAIL)
            ends = match.end() == len(text) or text[match.end()].isspace()
            if ends and _plain_url(found) and link_allowed(found, allowed):
                continue  # (GitHub's autolink can run on past a `<` or a backtick)
        out.append(new_token("text", text[last : match.start()]))
        out += _code_pieces(found)
        last = match.start() + len(found)
    out.append(new_token("text", text[last:]))
    return [t for t in out if t.content] or [new_token("text", "")]


def _code_pieces(text: str) -> list[Token]:
    """`text` as inert code spans, cut at each `|`: in a GFM table a `|` ends the cell even
    inside a code span, which would leave the span open and the URL after it linked."""
    out: list[Token] = []
    for i, part in enumerate(text.split("|")):
        if i:
            out.append(new_token("text", "|"))
        if part:
            out.append(new_token("code_inline", part, "`"))
    return out


def _plain_url(url: str) -> bool:
    """A URL every GFM parser reads the same way: one scheme or `www.`, no brackets,
    parentheses or quotes (a second `https://` or a `[x](...)` inside would be linked on its
    own by GitHub)."""
    return len(_URL_START.findall(url)) == 1 and not _URL_AMBIGUOUS.search(url)


def _blank_after(token: Token | None) -> bool:
    """Whether an autolink ends the text or a blank follows it (else GitHub's autolink may
    run on into what follows, escapes included)."""
    if token is None or token.type in ("softbreak", "hardbreak"):
        return True
    rest = token.content.lstrip(_URL_TAIL) if token.type == "text" else "x"
    return token.type == "text" and (not rest or rest[0].isspace())


def _checkbox(children: list[Token]) -> bool:
    """The task-list plugin's checkbox (an HTML token it makes for `- [ ]`, never input's)."""
    first = children[0] if children else None
    return (
        first is not None
        and first.type == "html_inline"
        and bool(_CHECKBOX.fullmatch(first.content))
    )


def _closing(children: list[Token], start: int) -> int:
    """Index of the token closing the link opened at `start` (an autolink can sit inside)."""
    depth = 0
    for j in range(start, len(children)):
        depth += (
            children[j].nesting if children[j].type.endswith(("link_open", "link_close")) else 0
        )
        if depth == 0:
            return j
    return len(children) - 1
