"""Model output and untrusted text made safe for a rendered markdown file."""

from __future__ import annotations

import pytest

from pmops.sanitize import (
    REMOVED_LINK,
    link_allowed,
    neutralize_mentions,
    one_line,
    sanitize_inline,
    sanitize_markdown,
)

ALLOWED = ("https://github.com/acme/shop", "grafana.example.com")


def clean(text: str) -> str:
    return sanitize_markdown(text, ALLOWED)


def test_one_line_keeps_its_behaviour() -> None:
    assert one_line("a\n b <b>x</b> @alice", 200) == "a b &lt;b&gt;x&lt;/b&gt; `@alice`"
    assert one_line("x" * 10, 5) == "xxxx…"
    assert neutralize_mentions("mail dev@example.com or @org/team") == (
        "mail dev@example.com or `@org/team`"
    )


def test_mentions_are_neutralized_outside_code() -> None:
    assert clean("ping @everyone and @acme/oncall") == "ping `@everyone` and `@acme/oncall`"
    assert clean("`@already` code") == "`@already` code"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://grafana.example.com/d/1", True),
        ("https://eu.grafana.example.com/d/1", True),
        ("https://github.com/acme/shop/pull/105", True),
        ("https://github.com/acme/shop", True),
        ("https://github.com/acme/shopping/pull/1", False),
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


def test_links_outside_allowed_hosts_keep_only_their_text() -> None:
    text = (
        "See [the dashboard](https://grafana.example.com/d/1), [this](https://evil.example/a "
        '"title"), [js](javascript:alert(1)) and [PR](https://github.com/acme/shop/pull/1).'
    )
    assert clean(text) == (
        "See [the dashboard](https://grafana.example.com/d/1), this, js and "
        "[PR](https://github.com/acme/shop/pull/1)."
    )


def test_images_outside_allowed_hosts_are_removed() -> None:
    text = "![pixel](https://evil.example/p.png) ![graph](https://grafana.example.com/g.png)"
    assert clean(text) == "![graph](https://grafana.example.com/g.png)"


def test_bare_and_angle_links_outside_allowed_hosts_are_removed() -> None:
    text = (
        "go to https://evil.example/x, <https://evil.example/y>, www.evil.example/z or "
        "https://grafana.example.com/d/2"
    )
    assert clean(text) == (
        f"go to {REMOVED_LINK}, {REMOVED_LINK}, {REMOVED_LINK} or https://grafana.example.com/d/2"
    )


def test_reference_definitions_outside_allowed_hosts_are_dropped() -> None:
    assert clean("[x][1]\n\n[1]: https://evil.example/") == "[x][1]"


def test_raw_html_and_comments_are_neutralized() -> None:
    text = "a <script>alert(1)</script> <img src=x onerror=y> b <!-- hidden\ninstructions --> c"
    assert clean(text) == (
        "a &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=y&gt; b  c"
    )
    assert "<" not in clean("x < y and <unterminated")


def test_frontmatter_and_setext_lines_are_dropped() -> None:
    text = "Impact.\n---\nstatus: published\n---\nTitle\n===\n- - -\nEnd."
    assert clean(text) == "Impact.\n\nstatus: published\n\nTitle\n\n\nEnd."


def test_top_level_headings_are_demoted() -> None:
    assert clean("# Title\n## Root cause\n### Detail\n#hashtag") == (
        "### Title\n### Root cause\n### Detail\n#hashtag"
    )


def test_code_is_kept_verbatim_and_unclosed_fences_are_closed() -> None:
    text = "Log:\n```\n## not a heading @bob <b>\n---\n```\nafter @carol\n```python\nx = 1"
    assert clean(text) == (
        "Log:\n```\n## not a heading @bob <b>\n---\n```\nafter `@carol`\n```python\nx = 1\n```"
    )


def test_control_characters_are_removed() -> None:
    assert clean("a\x00b\u202ec\r\nd") == "abc\nd"


def test_sanitize_inline_is_one_capped_line() -> None:
    assert sanitize_inline("one\n## two\n@three", ALLOWED) == "one ### two `@three`"
    assert sanitize_inline("x" * 50, ALLOWED, limit=10) == "xxxxxxxxx…"
