"""Maintainer script: trim GitHub's public GraphQL schema to what pmops asks.

Run from the repository root (needs npm and network access to the npm registry)::

    python -m tests.github_fake.extract_graphql          # installs @octokit/graphql-schema
    python -m tests.github_fake.extract_graphql --from node_modules/@octokit/graphql-schema

It writes ``tests/github_fake/schema.trimmed.graphql``: every field that pmops's queries
(:data:`pmops.github.graphql.QUERIES`) select, with its arguments and exact types, and the
enums, inputs and scalars those use — copied from GitHub's schema, so a query valid against
the trimmed file is valid against GitHub's. The fake executes the queries against it and
rejects any other. CI never runs this; the trimmed file is committed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    get_named_type,
    parse,
    print_type,
    visit,
)

from pmops.github.graphql import QUERIES
from tests.github_fake.extract_spec import package_dir

PACKAGE = "@octokit/graphql-schema"
OUT = Path(__file__).with_name("schema.trimmed.graphql")


def used_fields(schema: GraphQLSchema, queries: list[str]) -> dict[str, set[str]]:
    """Object type name → the fields the queries select on it."""
    info = TypeInfo(schema)
    used: dict[str, set[str]] = {}

    class Collect(Visitor):
        def enter_field(self, node: object, *_: object) -> None:
            parent = info.get_parent_type()
            if parent is not None and info.get_field_def() is not None:
                used.setdefault(parent.name, set()).add(node.name.value)  # type: ignore[attr-defined]

    for query in queries:
        visit(parse(query), TypeInfoVisitor(info, Collect()))
    return used


def trimmed_sdl(schema: GraphQLSchema, used: dict[str, set[str]]) -> str:
    """SDL of the used object types (only used fields) and every type their fields need."""
    keep: dict[str, GraphQLNamedType] = {}
    todo: list[GraphQLNamedType] = []
    for type_name, fields in sorted(used.items()):
        obj = schema.type_map[type_name]
        assert isinstance(obj, GraphQLObjectType), type_name
        trimmed = GraphQLObjectType(
            obj.name,
            {k: v for k, v in obj.fields.items() if k in fields},
            description=obj.description,
        )
        keep[type_name] = trimmed
        for field in trimmed.fields.values():
            todo.append(get_named_type(field.type))
            todo += [get_named_type(a.type) for a in field.args.values()]
    while todo:
        named = todo.pop()
        if named.name in keep or named.name in ("String", "Int", "Boolean", "ID", "Float"):
            continue
        if isinstance(named, GraphQLObjectType):
            raise SystemExit(f"{named.name} is returned but no field of it is selected")
        keep[named.name] = named
        if isinstance(named, GraphQLInputObjectType):
            todo += [get_named_type(f.type) for f in named.fields.values()]
        assert isinstance(named, GraphQLEnumType | GraphQLScalarType | GraphQLInputObjectType)
    return "\n\n".join(print_type(t) for _, t in sorted(keep.items())) + "\n"


def main() -> None:
    """Install (or reuse) the package, trim, write :data:`OUT`."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--from", dest="src", type=Path, help="an installed package directory")
    args = ap.parse_args()
    with package_dir(PACKAGE, args.src) as src:
        version = json.loads((src / "package.json").read_text())["version"]
        # GitHub's schema defines a few enterprise fields twice; graphql-core's SDL
        # validation refuses that, so it is skipped (the trimmed file is validated).
        schema = build_schema((src / "schema.graphql").read_text(), assume_valid_sdl=True)
    sdl = trimmed_sdl(schema, used_fields(schema, list(QUERIES.values())))
    header = (
        f"# Trimmed from {PACKAGE}@{version} schema.graphql by "
        "tests/github_fake/extract_graphql.py: the fields pmops's queries select.\n\n"
    )
    OUT.write_text(header + sdl)
    print(f"wrote {OUT} ({len(sdl) // 1024} KiB) from {PACKAGE}@{version}")


if __name__ == "__main__":
    main()
