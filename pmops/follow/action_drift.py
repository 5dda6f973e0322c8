"""`pmops check`: the body's Action items section and the frontmatter's `action_items` must
list the same items.

The frontmatter is the source of truth (it is what becomes tracking issues on publication), so
a line added only to the section (the natural edit) would silently never become an issue.
Each difference is reported where it is: a section line missing from the frontmatter at that
line, a frontmatter item missing from the section at its frontmatter line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pmops.documents.fences import code_lines

SECTION = "Action items"
_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+(?:\[[ xX]\][ \t]+)?(.+)$")
_HEADING = re.compile(r"^#{1,2}[ \t]+\S")


@dataclass(frozen=True)
class Drift:
    """One difference: the line to report and what to do."""

    line: int
    message: str


def normalize(text: str) -> str:
    """Text as items are compared: lowercase, no emphasis or code marks, single spaces."""
    return " ".join(text.replace("*", " ").replace("`", " ").lower().split())


def section_items(lines: Sequence[str], heading_line: int) -> list[tuple[int, str]]:
    """(1-based line, text) of each top-level list item under the heading at `heading_line`."""
    found = []
    for number, (line, code) in enumerate(code_lines(lines[heading_line:]), heading_line + 1):
        if code:
            continue
        if _HEADING.match(line):
            break
        if match := _ITEM.match(line):
            found.append((number, match.group(1).strip()))
    return found


def _matches(item: Mapping[str, Any], line: str) -> bool:
    title = normalize(str(item.get("title") or ""))
    issue = item.get("issue")
    text = normalize(line)
    return bool(title and title in text) or bool(issue and re.search(rf"#{issue}\b", line))


def action_item_drift(
    text: str, heading_line: int | None, items: Sequence[Mapping[str, Any]], item_line: Any
) -> list[Drift]:
    """Differences between the section (heading at `heading_line`) and the frontmatter items;
    `item_line(i)` is the frontmatter line of item i."""
    listed = section_items(text.splitlines(), heading_line) if heading_line else []
    if not listed and not items:
        return []
    drift = []
    for number, line in listed:
        if not any(_matches(item, line) for item in items):
            short = line if len(line) <= 80 else line[:79] + "…"
            drift.append(
                Drift(
                    number,
                    f"action item {short!r} is in the {SECTION} section but "
                    f"not in the frontmatter's action_items, so it will never "
                    f"become an issue: add it there or remove it here",
                )
            )
    for i, item in enumerate(items):
        if not any(_matches(item, line) for _, line in listed):
            drift.append(
                Drift(
                    item_line(i),
                    f"action_items[{i}] {str(item.get('title'))!r} is "
                    f"not listed in the {SECTION} section: add it there "
                    f"or remove it from the frontmatter",
                )
            )
    return sorted(drift, key=lambda d: d.line)
