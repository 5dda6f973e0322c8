"""Reference documentation generated from the sources of truth (the config schema, the CLI),
so the README cannot drift: `python -m pmops.cli.reference README.md` rewrites it, a test
compares."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click

from pmops.documents.schemas import load_schema


def _rows(schema: Mapping[str, Any], root: Mapping[str, Any], prefix: str) -> Iterator[str]:
    properties = schema.get("properties", {})
    refs = {node.get("$ref") for node in properties.values()}
    if len(properties) > 1 and len(refs) == 1 and None not in refs:
        # several keys of one shape (the observability backends): document the shape once
        kinds = ", ".join(f"`{key}`" for key in properties)
        yield f"| `{prefix}<name>` | map | | {schema.get('description', '')} `<name>`: {kinds}. |"
        yield from _rows(_resolve(root, refs.pop()), root, f"{prefix}<name>.")
        return
    for key, node in properties.items():
        name = f"{prefix}{key}"
        if "$ref" in node:
            node = _resolve(root, node["$ref"])
        if node.get("type") == "object" and "properties" in node:
            yield from _rows(node, root, f"{name}.")
            continue
        items = node.get("items", {})
        if "$ref" in items:
            items = _resolve(root, items["$ref"])
        if node.get("type") == "array" and "properties" in items:
            yield f"| `{name}` | list | | {node.get('description', '')} |"
            yield from _rows(items, root, f"{name}[].")
            continue
        default = f"`{json.dumps(node['default'])}`" if "default" in node else ""
        required = " (required)" if key in schema.get("required", ()) else ""
        yield f"| `{name}` | {_type(node)}{required} | {default} | {node.get('description', '')} |"


def _resolve(root: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    node: Any = root
    for part in ref.split("#/", 1)[1].split("/"):
        node = node[part]
    return node


def _type(node: Mapping[str, Any]) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    if "oneOf" in node:
        return " or ".join(_type(n) for n in node["oneOf"])
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {_type(node.get('items', {}))}"
    if kind == "object" and "additionalProperties" in node:
        return "map"
    return str(kind)


def config_reference() -> str:
    """A markdown table of every key of `.github/pmops.yml`."""
    schema = load_schema("config")
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    lines += list(_rows(schema, schema, ""))
    return "\n".join(lines)


def cli_reference(group: click.Group) -> str:
    """The `--help` of every command, as the README shows it."""
    parts = []
    parent = click.Context(
        group, info_name="pmops", terminal_width=100, help_option_names=["-h", "--help"]
    )
    for name in sorted(group.commands):
        command = group.commands[name]
        ctx = click.Context(command, info_name=name, parent=parent, terminal_width=100)
        parts.append(f"```text\n{command.get_help(ctx)}\n```")
    return "\n\n".join(parts)


def sample_workflow() -> str:
    """The workflow `pmops init` writes with its defaults, as a markdown code block."""
    from pmops.setup.init import InitOptions, render_workflow

    return f"```yaml\n{render_workflow(InitOptions()).rstrip()}\n```"


def generated_blocks(group: click.Group) -> dict[str, str]:
    """Every generated block of the README, by marker name."""
    return {
        "config-reference": config_reference(),
        "cli-reference": cli_reference(group),
        "sample-workflow": sample_workflow(),
    }


def update_readme(path: Path) -> bool:
    """Rewrite the generated blocks of a README in place; True if anything changed."""
    from pmops.cli.main import cli

    text = path.read_text(encoding="utf-8")
    new = text
    for name, body in generated_blocks(cli).items():
        start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
        head, rest = new.split(start, 1)
        new = head + start + body + end + rest.split(end, 1)[1]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("README.md")
    print(f"{target}: {'updated' if update_readme(target) else 'up to date'}")
