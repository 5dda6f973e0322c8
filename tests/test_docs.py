"""The README's references are generated from the schema and the CLI: they cannot drift."""

from __future__ import annotations

from pathlib import Path

from pmops.cli import cli
from pmops.reference import cli_reference, config_reference

README = Path(__file__).resolve().parent.parent / "README.md"


def _between(text: str, name: str) -> str:
    start = f"<!-- {name}:start -->\n"
    end = f"\n<!-- {name}:end -->"
    return text[text.index(start) + len(start) : text.index(end)]


def test_config_reference_matches_the_schema() -> None:
    assert _between(README.read_text(), "config-reference") == config_reference(), (
        "README config reference is stale: run python -m pmops.reference README.md"
    )


def test_cli_reference_matches_help() -> None:
    assert _between(README.read_text(), "cli-reference") == cli_reference(cli), (
        "README CLI reference is stale: run python -m pmops.reference README.md"
    )
