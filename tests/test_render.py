"""Postmortem <-> markdown: lossless for what pmops writes, tolerant of human edits."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmops.documents.document import parse_document, rewrite_frontmatter
from pmops.documents.render import (
    normalize_sections,
    ordered_sections,
    parse_postmortem,
    render_postmortem,
)
from pmops.errors import InputError
from pmops.model import (
    SECTIONS,
    ActionItem,
    Confidence,
    Generator,
    Impact,
    Postmortem,
    Priority,
    Severity,
    Status,
    Suspect,
)
from tests.samples import sample_postmortem, sample_text


def roundtrip(pm: Postmortem) -> Postmortem:
    return parse_postmortem(render_postmortem(pm))


def expected(pm: Postmortem) -> Postmortem:
    return normalize_sections(replace(pm, sections=ordered_sections(pm.sections)))


def test_hand_written_roundtrip_is_lossless() -> None:
    pm = sample_postmortem()
    assert roundtrip(pm) == pm
    assert render_postmortem(roundtrip(pm)) == render_postmortem(pm)


def test_sections_are_rendered_in_design_order() -> None:
    text = sample_text()
    positions = [text.index(f"\n## {heading}\n") for heading in SECTIONS]
    assert positions == sorted(positions)


def test_frontmatter_times_are_plain_utc_scalars() -> None:
    text = sample_text()
    assert "\nstarted_at: 2026-03-20T14:23:00Z\n" in text
    assert "&id" not in text and "*id" not in text


def test_heading_inside_a_section_cannot_split_it() -> None:
    pm = sample_postmortem()
    sections = dict(pm.sections)
    sections["Root cause"] = "Because\n## Injected\nmore\n```\n## in code\n```"
    back = roundtrip(replace(pm, sections=sections))
    assert "Injected" not in back.sections
    assert "### Injected" in back.sections["Root cause"]
    assert "## in code" in back.sections["Root cause"]


def test_human_edits_are_tolerated() -> None:
    text = sample_text()
    head, body = text.split("\n---\n", 1)
    lines = head.split("\n")
    # move `title` to the end, add a comment and an unknown key
    title = next(line for line in lines if line.startswith("title:"))
    lines.remove(title)
    lines += ["# reviewed by the SRE team", title, "team_notes: keep me"]
    body += "\n## Appendix\n\nGraphs here.\n"
    pm = parse_postmortem("\n".join(lines) + "\n---\n" + body)
    assert pm.title == "API gateway 5xx errors"
    assert pm.extra == {"team_notes": "keep me"}
    assert pm.sections["Appendix"] == "Graphs here."
    assert list(pm.sections)[: len(SECTIONS)] == list(SECTIONS)
    again = parse_postmortem(render_postmortem(pm))
    assert again.extra == {"team_notes": "keep me"} and again.sections["Appendix"] == "Graphs here."


def test_rewrite_keeps_comments_order_and_body() -> None:
    text = sample_text().replace("status: draft", "status: draft   # set by pmops")
    text = text.replace("severity: SEV-2", "# the on-call's call\nseverity: SEV-2")
    rewritten = rewrite_frontmatter(text, {"status": "edited", "edited_by": ["alice"]})
    assert "# the on-call's call" in rewritten
    assert re.search(r"^status: edited +# set by pmops$", rewritten, re.M)
    assert rewritten.split("\n---\n", 1)[1] == text.split("\n---\n", 1)[1]
    keys = [
        line.split(":")[0]
        for line in rewritten.split("---\n")[1].split("\n")
        if line and not line.startswith((" ", "-", "#"))
    ]
    assert keys.index("status") < keys.index("severity") < keys.index("edited_by")
    assert parse_postmortem(rewritten).edited_by == ("alice",)


def test_rewrite_deletes_keys_with_none() -> None:
    text = sample_text()
    assert "detected_at" not in rewrite_frontmatter(text, {"detected_at": None})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("no frontmatter\n", "no YAML frontmatter"),
        ("---\nid: 1\n", "not closed"),
        ("---\n- a\n- b\n---\n", "not a list"),
        ("---\njust text\n---\n", "single str value"),
        ("---\nid: [1\n---\n", "invalid YAML"),
        ("---\nid: 1\nid: 2\n---\n", "invalid YAML"),
    ],
)
def test_malformed_documents_give_clear_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_document(text, "x.md")


def test_schema_problems_are_listed() -> None:
    text = sample_text().replace("severity: SEV-2", "severity: SEV-9")
    with pytest.raises(InputError, match="severity"):
        parse_postmortem(text, "x.md")


# ---------------------------------------------------------------- generated postmortems

_utc = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
_line = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
_body = st.lists(_line.filter(lambda s: not s.startswith(("#", "-", "`", "~"))), max_size=4).map(
    "\n\n".join
)
_hex = st.text("0123456789abcdef", min_size=40, max_size=40)


@st.composite
def postmortems(draw: st.DrawFn) -> Postmortem:
    start = draw(_utc)
    minutes = draw(st.integers(0, 10_000))
    status = draw(st.sampled_from(Status))
    published = status is Status.PUBLISHED
    return Postmortem(
        id=draw(
            st.one_of(
                st.integers(1, 10**6), st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True)
            )
        ),
        title=draw(_line),
        status=status,
        severity=draw(st.sampled_from(Severity)),
        started_at=start,
        detected_at=draw(st.none() | st.just(start)),
        resolved_at=start + timedelta(minutes=minutes),
        duration_minutes=minutes,
        impact=Impact(
            draw(_line | st.just("")),
            tuple(draw(st.lists(_line, max_size=3))),
            draw(st.none() | st.integers(0, 10**7)),
        ),
        confidence=draw(st.sampled_from(Confidence)),
        generated_at=draw(_utc),
        generator=Generator(
            "0.1.0", draw(_line), draw(st.integers(0, 50)), draw(st.none() | st.integers(0, 10**6))
        ),
        sections={h: draw(_body) for h in SECTIONS},
        suspects=tuple(
            Suspect(
                draw(_hex),
                draw(st.floats(0, 1)),
                tuple(draw(st.lists(_line, max_size=3))),
                draw(st.none() | st.integers(1, 10**5)),
            )
            for _ in range(draw(st.integers(0, 3)))
        ),
        action_items=tuple(
            ActionItem(
                draw(_line),
                draw(st.sampled_from(Priority)),
                draw(st.none() | _line),
                draw(st.none() | st.integers(1, 10**5)),
            )
            for _ in range(draw(st.integers(0, 3)))
        ),
        edited_by=tuple(draw(st.lists(_line, max_size=2))),
        published_at=draw(_utc) if published else None,
        published_by=draw(_line) if published else None,
    )


@settings(max_examples=150, deadline=None)
@given(postmortems())
def test_generated_roundtrip_is_lossless(pm: Postmortem) -> None:
    back = roundtrip(pm)
    assert back == expected(pm)
    assert render_postmortem(back) == render_postmortem(pm)
