"""The compiled validity check (jsonschema-rs) only ever says "valid" where the reference
validator (jsonschema) finds no error: every other verdict is the reference's."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pmops.documents.document import plain
from pmops.documents.render import to_frontmatter
from pmops.documents.schemas import _fast_check, iter_errors, validator
from tests.samples import sample_postmortem

VALID = plain(to_frontmatter(sample_postmortem()))


def changed(**values: Any) -> dict[str, Any]:
    return {**VALID, **values}


CASES = [
    VALID,
    changed(id="abc\n"),  # Python's `$` matches before a final newline, Rust's does not
    changed(id=True),  # a bool is not an integer
    changed(duration_minutes=math.nan),  # YAML's .nan: not a number to pmops
    changed(duration_minutes=math.inf),
    changed(duration_minutes=2**70),
    changed(title="two\nlines"),
    changed(started_at="2026-03-20T14:23:00+01:00"),
    changed(severity="SEV-9"),
    changed(extra_key={"nested": [1, 2.5, None]}),
    {k: v for k, v in VALID.items() if k != "title"},
]


def test_the_compiled_check_is_used_for_self_contained_schemas() -> None:
    assert _fast_check("postmortem") is not None
    assert _fast_check("history") is None  # refers to postmortem.schema.json


@pytest.mark.parametrize("document", CASES)
def test_the_verdict_is_the_reference_validators(document: dict[str, Any]) -> None:
    reference = sorted(e.message for e in validator("postmortem").iter_errors(document))
    assert sorted(e.message for e in iter_errors("postmortem", document)) == reference
    check = _fast_check("postmortem")
    assert check is not None
    if reference:  # what the compiled check accepts, the reference accepts (the other way
        assert not check(document)  # round, "abc\n", the reference decides)
