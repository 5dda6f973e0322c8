"""What the checks read as prose: fenced code is found as CommonMark finds it
(pmops/documents/fences.py, with markdown-it-py as the oracle), so no check skips as code a
line GitHub shows as prose, and headings are prose too."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pmops.documents.check import check_files
from pmops.documents.document import split_sections
from pmops.documents.fences import code_lines, opening_fence
from pmops.documents.render import demote_headings
from tests.test_check_grounding import _line_of, _repo, _write

LINES = [
    "```", "````", "~~~", "~~~~", "```python", "~~~ js", "```  ", "``` a`b", "```a```",
    "   ```", "    ```", "\t```", " ~~~", "text with deadbee", "## Heading", "# Top", "",
    "```` x", "~~~```",
]  # fmt: skip
"""Lines that open, close or only look like fences, and prose around them."""


def _oracle(text: str) -> list[bool]:
    """Whether markdown-it-py puts each line of `text` in a fenced code block (fence lines
    included); an empty string after a final newline is no line."""
    inside = [False] * len(text.splitlines())
    for token in MarkdownIt("commonmark").parse(text):
        if token.type == "fence" and token.map:
            start, end = token.map
            inside[start:end] = [True] * (end - start)
    return inside


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=14))
@example(["```", "~~~", "```", "text with deadbee"])
@example(["~~~~", "~~~", "text with deadbee", "~~~~"])
@example(["```a```", "text with deadbee"])
def test_fenced_lines_are_what_commonmark_fences(lines: list[str]) -> None:
    text = "\n".join(lines)
    found = [code for _, code in code_lines(text.split("\n"))]
    expected = _oracle(text)
    assert found[: len(expected)] == expected


def test_what_opens_a_fence() -> None:
    assert opening_fence("```python") == "```"
    assert opening_fence("   ~~~~ x`y") == "~~~~"  # a tilde fence's info may hold backticks
    assert opening_fence("```a```") is None  # inline code at the start of a line
    assert opening_fence("    ```") is None  # four spaces: an indented code block's line
    assert opening_fence("``") is None


def test_a_tilde_inside_a_backtick_block_does_not_close_it_for_the_parser() -> None:
    body = "## Summary\n```\n~~~\n## Not a section\n```\n## Root cause\nText."
    _, sections = split_sections(body)
    assert [s.heading for s in sections] == ["Summary", "Root cause"]
    assert demote_headings("```\n~~~\n# kept\n```\n# demoted") == (
        "```\n~~~\n# kept\n```\n### demoted"
    )


def test_prose_after_a_nested_fence_is_checked_for_claims_and_blame(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    trick = "\n\n```\n~~~\n```\n\nCaused by deadbee. Amy carelessly forgot the certificate."
    path = _write(repo, "Summary." + trick)
    line = _line_of(path, "Caused by deadbee")
    found = sorted((p.line, p.message.split(" ")[0]) for p in check_files([path], repo.path, None))
    assert found == [(line, "commit"), (line, "\u201ccarelessly\u201d")]


def test_labels_after_a_nested_fence_are_read_and_labels_inside_one_are_not() -> None:
    from pmops.history.infer import labeled_values

    text = "```\nSeverity: SEV-4\n~~~\n```\nSeverity: SEV-2\nDuration: 45 min"
    assert labeled_values(text) == {"severity": "SEV-2", "duration": "45 min"}


def test_blame_in_a_heading_is_flagged_as_in_prose(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    path = _write(repo, "Summary.\n\n### Amy carelessly forgot the certificate")
    line = _line_of(path, "Amy carelessly")
    found = [(p.line, p.message.split(" ")[0]) for p in check_files([path], repo.path, None)]
    assert found == [(line, "\u201ccarelessly\u201d")]
