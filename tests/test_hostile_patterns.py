"""Patterns that read untrusted text keep their meaning after being made backtrack-free.

Each pattern below once scanned to the end of a repetitive input from every start (minutes
for a 100 KB comment; `python -m bench hostile-text` measures them all). These tests check
what the rewritten patterns still find, on ordinary and on long repetitive input.
"""

from __future__ import annotations

import pytest

from pmops.analyze.mentions import link_paths
from pmops.analyze.text import words
from pmops.draft.blameless import blameless
from pmops.history.search_fields import split_file
from pmops.safety.sanitize import sanitize_markdown
from pmops.sources.github_issue import FormField, parse_form, parse_form_time
from tests.github_render import to_html

LONG = 50_000


def test_markdown_links_and_images_keep_their_text_only_when_not_allowed() -> None:
    text = "see [[the runbook](https://evil.example/x) and ![img](https://evil.example/i.png)"
    out = sanitize_markdown(text)
    assert "evil.example" not in out
    assert "[the runbook" in out
    assert "[[" * LONG in sanitize_markdown("[[" * LONG)


def test_code_spans_are_kept_verbatim_and_prose_around_them_is_cleaned() -> None:
    out = sanitize_markdown("ping `@team` then @team, ``a ` b`` <b>x</b>")
    assert "`@team`" in out and "<code>a ` b</code>" in to_html(out)
    assert "@team," not in out  # the mention outside code is neutralized
    assert "\\<b>x\\</b>" in out  # raw HTML is shown escaped
    assert sanitize_markdown("x " + "`" * LONG) == "x " + "`" * LONG  # no closer: prose
    assert to_html(sanitize_markdown("<a" * LONG)).count("&lt;a") == LONG


@pytest.mark.parametrize("line", ["---", "- - -", "  ===", "+++ ", "--", "-- a", "    ---", "-=-"])
def test_rule_lines_cannot_split_a_section(line: str) -> None:
    """No thematic break and no `#`/`##` heading (setext underlines included) survives."""
    html = to_html(sanitize_markdown(f"above\n{line}\nbelow"))
    assert "<hr" not in html and "<h1>" not in html and "<h2>" not in html


def test_email_addresses_are_masked_after_any_punctuation() -> None:
    assert "dev@example.com" not in blameless("Signed: <dev@example.com>, (a.b+c@x.y.org)")
    assert "a.b+c@x.y.org" not in blameless("mail a.b+c@x.y.org")
    hostile = "_" * LONG + "@"
    assert blameless(hostile) == hostile


def test_word_split_keeps_leading_digit_words() -> None:
    assert {"3xi64", "2fa", "x8664", "x86"} <= set(words("3xi64 2fa x86_64"))
    assert words("1" * LONG) == []


def test_link_paths_on_repetitive_text() -> None:
    assert link_paths("a." * LONG) == "a." * LONG
    assert link_paths("see http://x.org/" + "a/" * 10) == "see  " + " "


def test_form_parsing_on_repetitive_headings_and_times() -> None:
    fields, _ = parse_form("### Started at (UTC) (optional)\n\n2026-03-01 10:00\n")
    assert len(fields) == 1
    started = parse_form_time(next(iter(fields.values())))
    assert started.isoformat() == "2026-03-01T10:00:00+00:00"
    field = FormField("When", "2026-03-01 10:00 " + "\t " * LONG + "UTC")
    assert parse_form_time(field).hour == 10
    parse_form("### " + "(" * LONG + "\n\nx\n")  # reads, finds nothing


def test_frontmatter_opening_line() -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - only that it ends, with an error
        split_file("-" * LONG, "x.md")
