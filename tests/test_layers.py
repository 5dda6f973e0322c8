"""The tree is the map: data flows one way (gather → analyze → draft → verify), and the edges
(`cli/`, `setup/`, `events/`) are imported by nothing below them. A structural check over
every `import` in pmops/, lazy ones included."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pmops"

# package -> the pmops packages (or top-level modules) it must never import
FORBIDDEN: dict[str, set[str]] = {
    # gathering reads evidence; it never runs a later stage
    "sources": {"analyze", "draft", "verify", "history", "pipeline", "lifecycle", "follow"},
    # the analysis is pure: no git, no GitHub, no index, no files
    "analyze": {"sources", "github", "gitops", "history", "pipeline", "draft", "documents"},
    # the drafters read an Analysis; they never re-gather or open the history
    "draft": {"github", "gitops", "history", "pipeline", "verify"},
    "verify": {"sources", "github", "gitops", "analyze", "draft", "history", "pipeline"},
    "safety": {"sources", "github", "analyze", "draft", "history", "pipeline", "documents"},
}
EDGES = {"cli": set(), "setup": {"cli"}, "events": {"cli"}}
"""The edges, and the only packages that may import each..."""
EDGE_EXCEPTIONS = {("events.runner", "setup.doctor")}
"""...but a failed Action run reports `pmops doctor`'s remote findings."""


def imports(path: Path) -> Iterator[str]:
    """Every pmops module `path` imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pmops."):
            yield node.module.removeprefix("pmops.")
        elif isinstance(node, ast.Import):
            yield from (a.name.removeprefix("pmops.") for a in node.names if a.name[:6] == "pmops.")


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield ".".join(path.relative_to(PACKAGE).with_suffix("").parts), path


def test_the_scan_sees_lazy_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from pmops.analyze.text import words\n    import pmops.cli\n")
    assert list(imports(module)) == ["analyze.text", "cli"]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_data_flows_one_way(package: str) -> None:
    wrong = [
        f"{name} imports {target}"
        for name, path in modules()
        if name.split(".")[0] == package
        for target in imports(path)
        if target.split(".")[0] in FORBIDDEN[package]
    ]
    assert not wrong, wrong


def test_nothing_below_the_edges_imports_them() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, path in modules()
        for target in imports(path)
        if (edge := target.split(".")[0]) in EDGES
        and name.split(".")[0] not in EDGES[edge] | {edge}
        and (name, target) not in EDGE_EXCEPTIONS
    ]
    assert not wrong, wrong


def test_only_shared_modules_stay_at_the_top() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert top == [
        "config",
        "errors",
        "gitops",
        "model",
        "pipeline",
        "resources",
        "times",
        "verify",
        "watchdog",
        "wording",
    ]
