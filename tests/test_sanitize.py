"""Model output and untrusted text made safe for a rendered markdown file, checked with
GitHub's own renderer (`tests/github_render.py`) as the oracle."""

from __future__ import annotations

import pytest

from pmops.safety.sanitize import (
    link_allowed,
    neutralize_mentions,
    one_line,
    sanitize_inline,
    sanitize_markdown,
)
from tests.github_render import to_html, violations

ALLOWED = ("https://github.com/acme/shop", "grafana.example.com")


def clean(text: str) -> str:
    return sanitize_markdown(text, ALLOWED)


# ---------------------------------------------------------------- the attacks of issue #16

ENTITY_SCHEMES = [
    "[x](https&colon;//evil.example)",
    "![p](https&#x3A;//evil.example/t.png)",
    "[x](https&#58;//evil.example/a)",
    "[x](&#104;ttps://evil.example)",
    "[x](javascript&colon;alert(1))",
]
REFERENCES = [
    "> [r]: https://evil.example/i.png\n\n![p][r]",
    "- [r]: https://evil.example/i.png\n\n![p][r]",
    "[r]:\n  https://evil.example/i.png\n\n![p][r]",
    "1. item\n\n   [r]: <https://evil.example/i.png>\n\n![p][r]",
    "> - [R]: https://evil.example/i.png 'title'\n\n![p][r]",
    "> [r]: //evil.example/i.png\n\n![p][r]",
    "- [r]: //evil.example/i.png\n\n![p][r]",
    "[r]:\n//evil.example/i.png\n\n![p][r]",
]
MENTIONS = ["_@u_", "__@u__", "&#64;u", "\\@u", "*@u*", "~~@u~~", "@org/team", "x(@u)"]
HTML = [
    "<img src=https://evil.example/t.png>",
    '<a href="https://evil.example">x</a>',
    "<details><summary>s</summary>hidden</details>",
    "<!-- hidden instructions -->",
    "a <script>alert(1)</script> b",
]
AUTOLINKS = [
    "<https://evil.example/y>",
    "https://evil.example/x",
    "www.evil.example/z",
    "see [https://evil.example](https://evil.example)",
    "[www.evil.example](https://evil.example)",
    "mail <mailto:a@evil.example> or a@evil.example",
]
ALL_CASES = ENTITY_SCHEMES + REFERENCES + MENTIONS + HTML + AUTOLINKS


@pytest.mark.parametrize("text", ALL_CASES)
def test_attacks_really_render_as_active_markup(text: str) -> None:
    """The oracle sees each attack: the tests below test something."""
    assert violations(text, ALLOWED)


@pytest.mark.parametrize("text", ALL_CASES)
def test_sections_render_nothing_active(text: str) -> None:
    out = clean(text)
    assert violations(out, ALLOWED) == [], out


@pytest.mark.parametrize("text", ALL_CASES)
def test_one_line_fields_render_nothing_active(text: str) -> None:
    """Titles, notes and refusal texts: `one_line` removes links, images and HTML too."""
    out = one_line(text, allowed=())
    assert violations(out) == [], out
    assert violations(f"# {out}") == [] and violations(f"| a |\n|---|\n| {out} |") == []
    assert violations(neutralize_mentions(text)) == []


def test_one_line_joined_with_a_definition_elsewhere_stays_text() -> None:
    title = one_line("![p][r]", allowed=())
    definition = one_line("[r]: https://evil.example/i.png", allowed=())
    assert violations(f"# {title}\n\n{definition}\n") == []


def test_escaped_html_keeps_its_meaning() -> None:
    """Raw HTML is shown as text, not silently dropped."""
    out = clean("before <img src=x onerror=alert(1)> after")
    assert "&lt;img src=x onerror=alert(1)&gt;" in to_html(out)


def test_links_outside_allowed_hosts_keep_only_their_text() -> None:
    text = (
        "See [the dashboard](https://grafana.example.com/d/1), [this](https://evil.example/a "
        '"title"), [js](javascript:alert(1)) and [PR](https://github.com/acme/shop/pull/1).'
    )
    assert clean(text) == (
        "See [the dashboard](https://grafana.example.com/d/1), this, js and "
        "[PR](https://github.com/acme/shop/pull/1)."
    )


def test_images_outside_allowed_hosts_keep_their_alt_text() -> None:
    text = "![pixel](https://evil.example/p.png) ![graph](https://grafana.example.com/g.png)"
    assert clean(text) == "pixel ![graph](https://grafana.example.com/g.png)"


def test_foreign_bare_and_angle_links_are_shown_as_code() -> None:
    text = (
        "go to https://evil.example/x, <https://evil.example/y>, www.evil.example/z or "
        "https://grafana.example.com/d/2"
    )
    assert clean(text) == (
        "go to `https://evil.example/x`, `https://evil.example/y`, `www.evil.example/z` or "
        "https://grafana.example.com/d/2"
    )


def test_allowed_reference_links_are_written_inline() -> None:
    out = clean(
        "[x][1] and [y][2]\n\n[1]: https://evil.example/\n[2]: https://grafana.example.com/"
    )
    assert out == "x and [y](https://grafana.example.com/)"


def test_mentions_are_neutralized_outside_code() -> None:
    assert clean("ping @everyone and @acme/oncall") == "ping `@everyone` and `@acme/oncall`"
    assert clean("`@already` code") == "`@already` code"
    assert clean("mail dev@example.com") == "mail `dev@example.com`"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://grafana.example.com/d/1", True),
        ("https://eu.grafana.example.com/d/1", True),
        ("https://github.com/acme/shop/pull/105", True),
        ("https://github.com/acme/shop", True),
        ("https://github.com/acme/shopping/pull/1", False),
        ("https://github.com/acme/shop/../../other/repo", False),
        ("https://github.com/other/repo", False),
        ("https://evil.example/x", False),
        ("https://grafana.example.com.evil.example/", False),
        ("https://github.com@evil.example/acme/shop", False),
        ("//evil.example/x", False),
        ("javascript:alert(1)", False),
        ("data:text/html;base64,xx", False),
        ("mailto:a@b.c", False),
        ("../docs/runbook.md", True),
        ("#timeline", True),
    ],
)
def test_link_allowed(url: str, allowed: bool) -> None:
    assert link_allowed(url, ALLOWED) is allowed


def test_frontmatter_and_setext_lines_cannot_split_a_section() -> None:
    text = "Impact.\n---\nstatus: published\n---\nTitle\n===\n- - -\nEnd."
    out = clean(text)
    assert "---" not in out and "===" not in out
    assert "<h1>" not in to_html(out) and "<h2>" not in to_html(out) and "<hr" not in to_html(out)


def test_top_level_headings_are_demoted() -> None:
    assert clean("# Title\n\n## Root cause\n\n### Detail\n\n#hashtag") == (
        "### Title\n\n### Root cause\n\n### Detail\n\n#hashtag"
    )


def test_clean_text_is_returned_byte_for_byte() -> None:
    """pmops's layout survives: tables, Mermaid fences, lists, emphasis as written."""
    text = (
        "- **2026-03-20T14:23:00Z** deploy: `abc1234` to prod\n* second\n\n"
        "| a | b |\n|---|---|\n| 1 | [PR](https://github.com/acme/shop/pull/2) |\n\n"
        "```mermaid\ntimeline\n  14:23 : deploy\n```"
    )
    assert clean(text) == text


def test_code_is_kept_verbatim_and_unclosed_fences_are_closed() -> None:
    text = "Log:\n```\n## not a heading @bob <b>\n---\n```\nafter @carol\n```python\nx = 1"
    out = clean(text)
    assert out.startswith("Log:\n\n```\n## not a heading @bob <b>\n---\n```\n\nafter `@carol`")
    assert out.endswith("```python\nx = 1\n```")
    assert violations(out + "\n\n## Next section\n").count("<h2>") == 0
    assert "<h2>Next section</h2>" in to_html(out + "\n\n## Next section\n")


def test_control_characters_are_removed() -> None:
    assert clean("a\x00b\u202ec\r\nd") == "abc\nd"


def test_sanitize_inline_is_one_capped_line() -> None:
    assert sanitize_inline("one\n## two\n@three", ALLOWED) == "one ## two `@three`"
    assert sanitize_inline("x" * 50, ALLOWED, limit=10) == "xxxxxxxxx…"
    assert one_line("x" * 10, 5) == "xxxx…"


@pytest.mark.parametrize(
    "text",
    [
        "\n    [r](https://evil.example/p.png)",
        "    ![i](https://evil.example/t.png)\n\n    @u ```x\nafter",
        "\t[r](https://evil.example)",
    ],
)
def test_an_opening_indented_code_block_stays_code_when_the_text_is_stripped(text: str) -> None:
    """Found by the property test: a section that opens with an indented code block lost
    its indentation to `strip()` and its link went live; it is now fenced."""
    from pmops.documents.render import demote_headings

    out = clean(text)
    assert out.startswith("```") and clean(out) == out
    for stripped in (out, out.strip(), demote_headings(out), f"## Summary\n\n{out}\n"):
        assert violations(stripped, ALLOWED) == [], stripped
    assert "evil.example" in to_html(out)  # still shown, as code
