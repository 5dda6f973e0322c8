"""Maintainer script: trim GitHub's REST OpenAPI description to what the fake serves.

Run from the repository root (needs npm and network access to the npm registry)::

    python -m tests.github_fake.extract_spec            # installs @octokit/openapi in a tmpdir
    python -m tests.github_fake.extract_spec --from node_modules/@octokit/openapi

It writes ``tests/github_fake/openapi.trimmed.json``: the operations of
:func:`~.server.operations` plus every component they reference, with
``example``/``examples`` dropped. The non-dereferenced description is used
(``generated/api.github.com.json``): its ``$ref``s keep the trimmed file small
(the dereferenced one is ~73 MB and inlines each schema everywhere it is used).
CI never runs this; the trimmed file is committed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .server import operations

PACKAGE = "@octokit/openapi"
OUT = Path(__file__).with_name("openapi.trimmed.json")


def _strip_examples(node: Any, parent_key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _strip_examples(v, k) for k, v in node.items()
                if parent_key == "properties" or k not in ("example", "examples")}
    if isinstance(node, list):
        return [_strip_examples(v) for v in node]
    return node


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for v in node.values():
            _refs(v, found)
    elif isinstance(node, list):
        for v in node:
            _refs(v, found)


def trim(doc: dict[str, Any], ops: list[tuple[str, str]], version: str) -> dict[str, Any]:
    """The trimmed description holding ``ops`` and their referenced components."""
    paths: dict[str, Any] = {}
    for method, template in ops:
        item = doc["paths"].get(template)
        if item is None or method.lower() not in item:
            raise SystemExit(f"{method} {template} is not in {PACKAGE} {version}")
        target = paths.setdefault(template, {})
        if "parameters" in item:
            target["parameters"] = item["parameters"]
        target[method.lower()] = _strip_examples(item[method.lower()])
    components: dict[str, dict[str, Any]] = {}
    todo: set[str] = set()
    _refs(paths, todo)
    done: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in done:
            continue
        done.add(ref)
        _, _, section, name = ref.split("/", 3)
        value = _strip_examples(doc["components"][section][name])
        components.setdefault(section, {})[name] = value
        _refs(value, todo)
    return {
        "openapi": doc["openapi"],
        "info": {**doc["info"], "version": version},
        "x-trimmed-from": f"{PACKAGE}@{version} generated/api.github.com.json",
        "x-trimmed-by": "tests/github_fake/extract_spec.py",
        "paths": dict(sorted(paths.items())),
        "components": {s: dict(sorted(v.items())) for s, v in sorted(components.items())},
    }


@contextmanager
def package_dir(package: str, src: Path | None) -> Iterator[Path]:
    """`src` (an installed npm package), or `package` installed into a temporary folder."""
    if src is not None:
        yield src
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "install", "--silent", "--prefix", tmp, package], check=True)
        yield Path(tmp) / "node_modules" / package


def main() -> None:
    """Install (or reuse) the package, trim, write :data:`OUT`."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--from", dest="src", type=Path, help="an installed @octokit/openapi dir")
    args = ap.parse_args()
    with package_dir(PACKAGE, args.src) as src:
        version = json.loads((src / "package.json").read_text())["version"]
        doc = json.loads((src / "generated" / "api.github.com.json").read_text())
    out = trim(doc, operations(), version)
    OUT.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB, {len(out['paths'])} paths) "
          f"from {PACKAGE}@{version}")


if __name__ == "__main__":
    main()
