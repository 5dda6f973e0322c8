"""`pmops check` reports where the Action items section and the frontmatter's action_items
differ, with the line to fix; the frontmatter is the source of truth (it becomes issues)."""

from __future__ import annotations

from pmops.documents.check import check_text
from pmops.model import ActionItem, Priority
from tests.samples import NAME, sample_text

ITEM = "- [ ] **high** Validate config/pool.yaml in CI"


def problems(text: str) -> list[str]:
    return [str(p) for p in check_text(text, NAME)[0]]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_in_agreement() -> None:
    assert problems(sample_text()) == []


def test_item_added_only_to_the_section_is_reported_at_its_line() -> None:
    text = sample_text().replace(ITEM, f"{ITEM}\n- [ ] Add a canary stage")
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'Add a canary stage')}: action item 'Add a canary stage' is in "
        "the Action items section but not in the frontmatter's action_items, so it will never "
        "become an issue: add it there or remove it here"
    ]


def test_item_only_in_the_frontmatter_is_reported_at_its_key() -> None:
    items = (
        ActionItem("Validate config/pool.yaml in CI", Priority.HIGH),
        ActionItem("Alert on pool saturation", Priority.LOW),
    )
    full = sample_text(action_items=items)
    text = full.replace("\n- [ ] **low** Alert on pool saturation", "")
    found = problems(text)
    assert found == [
        f"{NAME}:{line_of(text, '- title: Alert on pool saturation')}: "
        "action_items[1] 'Alert on pool saturation' is not listed in the Action "
        "items section: add it there or remove it from the frontmatter"
    ]


def test_ticked_boxes_issue_links_and_code_fences() -> None:
    items = (ActionItem("Validate config/pool.yaml in CI", Priority.HIGH, issue=131),)
    text = sample_text(action_items=items).replace(
        ITEM, "- [x] Pool config checked in CI (#131)\n\n```\n- not an item\n```"
    )
    assert problems(text) == []
