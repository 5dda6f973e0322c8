"""Ordinals in reasons and recurrence sentences."""

from __future__ import annotations

import pytest

from pmops.wording import ordinal


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "first"),
        (2, "second"),
        (10, "tenth"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
    ],
)
def test_ordinal(n: int, text: str) -> None:
    assert ordinal(n) == text
