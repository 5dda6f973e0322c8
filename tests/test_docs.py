"""The README's references are generated (schema, CLI, `pmops init`): they cannot drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmops.cli.main import cli
from pmops.cli.reference import generated_blocks

README = Path(__file__).resolve().parent.parent / "README.md"


def _between(text: str, name: str) -> str:
    start = f"<!-- {name}:start -->\n"
    end = f"\n<!-- {name}:end -->"
    return text[text.index(start) + len(start) : text.index(end)]


@pytest.mark.parametrize("name", ["config-reference", "cli-reference", "sample-workflow"])
def test_generated_block_is_current(name: str) -> None:
    assert _between(README.read_text(), name) == generated_blocks(cli)[name], (
        f"README block {name} is stale: run python -m pmops.cli.reference README.md"
    )
