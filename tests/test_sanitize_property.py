"""Generated hostile markdown: whatever it is, GitHub's renderer shows no foreign link or image,
no raw HTML and no notifying mention in what pmops writes from it."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pmops.safety.outbound import outbound_markdown
from pmops.safety.sanitize import one_line, sanitize_inline, sanitize_markdown
from tests.github_render import violations

ALLOWED = ("https://github.com/acme/shop", "grafana.example.com")

_URLS = st.sampled_from([
    "https://evil.example/p.png", "https&colon;//evil.example", "https&#x3A;//evil.example/t",
    "&#104;ttps://evil.example", "//evil.example/x", "javascript:alert(1)", "HTTPS://EVIL.EXAMPLE",
    "https://grafana.example.com.evil.example/", "https://github.com@evil.example/",
    "www.evil.example", "https://github.com/acme/shop/pull/1", "../ok.md", "<https://evil.example>",
    "https://evil.example/a_(b)", "data:image/png;base64,AAAA", "mailto:x@evil.example",
])  # fmt: skip
_WORDS = st.sampled_from([
    "text", "@u", "@org/team", "_@u_", "__@u__", "&#64;u", "\\@u", "&commat;u", "x@evil.example",
    "<img src=x>", "<a href='https://evil.example'>", "</a>", "<!--", "-->", "<details>",
    "`", "``", "*", "_", "~~", "[", "]", "(", ")", "!", "<", ">", "&amp;", "&#", "#", "|", ":",
    "\\", "https://", "www.", ".example", "\n", "\n\n", "\n> ", "\n- ", "\n1. ", "\n    ",
    "\n```\n", "\n---\n", "\n===\n", "\n| a | b |\n|---|---|\n| ", " ",
])  # fmt: skip


@st.composite
def _pieces(draw: st.DrawFn) -> str:
    url = draw(_URLS)
    label = draw(st.sampled_from(["r", "R", "x y", "1"]))
    return draw(st.sampled_from([
        f"[{label}]({url})", f"![{label}]({url})", f"[{label}][{label}]", f"![{label}][{label}]",
        f"\n[{label}]: {url}\n", f"\n> [{label}]:\n> {url}\n", f"\n- [{label}]: {url} 't'\n",
        f"<{url}>", url, f"[{url}]({url})", f"[![i]({url})]({url})", draw(_WORDS),
    ]))  # fmt: skip


HOSTILE = st.lists(_pieces(), min_size=1, max_size=14).map("".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(HOSTILE)
@example("\n    [r](https://evil.example/p.png)")  # found in CI: an indented block, stripped
def test_sections_never_render_active_markup(text: str) -> None:
    out = sanitize_markdown(text, ALLOWED)
    assert violations(out, ALLOWED) == [], out
    assert sanitize_markdown(out, ALLOWED) == out  # stable: a second pass changes nothing


@SETTINGS
@given(HOSTILE, HOSTILE)
def test_one_line_fields_never_render_active_markup(title: str, note: str) -> None:
    line, other = one_line(title, allowed=()), sanitize_inline(note, ALLOWED)
    document = f"# {line}\n\n| a | b |\n|---|---|\n| {line} | x |\n\n- {other}\n\n{line}\n"
    assert violations(document, ALLOWED) == [], document
    deferred = one_line(title)  # links left to the document's pass, as in a PR body
    body = outbound_markdown(f"Postmortem: {deferred}\n\n- {one_line(note)}\n", ALLOWED)
    assert violations(body, ALLOWED) == [], body


def test_a_pipe_in_a_foreign_url_cannot_reopen_it_in_a_table_cell() -> None:
    """Found by the property test above: a `|` inside the inert code span of a foreign URL
    ended a table cell, left the span open, and GitHub linked the URL."""
    for title in ("https://evil.example/p.png|", "see https://evil.example/a|b now", "www.|x"):
        line = one_line(title, allowed=())
        document = f"| a | b |\n|---|---|\n| {line} | x |\n\n{line}\n"
        assert violations(document, ALLOWED) == [], document
