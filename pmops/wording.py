"""Small pieces of English shared by the reasons and sentences pmops writes."""

from __future__ import annotations

import re

_ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
)


def ordinal(n: int) -> str:
    """`first` ... `tenth`, then `11th`, `21st`, `112th` (n >= 1)."""
    if 1 <= n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def subject_without_pr(subject: str, pr: int | None) -> str:
    """A commit subject without its trailing "(#123)" when the PR is named separately."""
    if pr is None:
        return subject
    return re.sub(rf"\s*\(#{pr}\)\s*$", "", subject) or subject
