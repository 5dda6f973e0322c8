"""Read a markdown file with YAML frontmatter into its parts, keeping line numbers for messages.

Everything here is tolerant of human edits: YAML comments and key order survive a rewrite
(`rewrite_frontmatter` uses ruamel's round-trip mode) and unknown sections are kept.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import frontmatter
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent

from pmops.documents.fences import code_lines
from pmops.errors import InputError
from pmops.times import format_time

MAX_BYTES = 1_000_000
"""Largest postmortem file read: a real one is a few KB; past this it is a mistake or an attack."""
MAX_DEPTH = 32
"""Lists and mappings nested deeper than this are refused: pmops's files need four levels,
and readers, validators and renderers recurse once per level."""
OPENING = re.compile(r"(?<!-)-{3,}[ \t]*\n")
"""The line a postmortem file starts with: `---` (or longer) and nothing else."""

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")


@dataclass(frozen=True)
class Section:
    """One `##` section: its heading, the line the heading is on, and its stripped text."""

    heading: str
    line: int
    text: str


@dataclass
class Document:
    """A parsed file: round-trip frontmatter, the body's sections, and where things are."""

    meta: CommentedMap
    preamble: str
    sections: list[Section]
    body_line: int

    def key_line(self, *path: str | int) -> int:
        """1-based line of a frontmatter key (or list item); line 1 if unknown."""
        return line_of(self.meta, path)

    def section_map(self) -> dict[str, str]:
        """Sections by heading in document order (a repeated heading keeps its first text)."""
        result: dict[str, str] = {}
        for section in self.sections:
            result.setdefault(section.heading, section.text)
        return result


_SEQUENCE_INDENT = re.compile(r"^( *)[^\s#-][^\n]*:[ \t]*\n( *)- ", re.MULTILINE)


def line_of(node: Any, path: Sequence[str | int]) -> int:
    """1-based line of the deepest key of `path` found in round-trip YAML data (1 if none)."""
    line = 1
    for key in path:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            line = node.lc.item(key)[0] + 1
        else:
            break
        node = node[key]
    return line


def _yaml(like: str = "") -> YAML:
    """A round-trip YAML instance; indents sequences the way the text `like` does."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    match = _SEQUENCE_INDENT.search(like)
    offset = max(0, len(match.group(2)) - len(match.group(1))) if match else 0
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    yaml.representer.add_representer(datetime, _represent_time)
    yaml.representer.ignore_aliases = lambda *_: True  # no &id001 anchors in a human's file
    yaml.constructor.add_constructor("tag:yaml.org,2002:timestamp", _construct_time)
    return yaml


def _construct_time(constructor: Any, node: Any) -> Any:
    """A timestamp, or its text when it names no date (2026-13-20T15:10:00Z): the schema then
    says which key is wrong, where YAML would raise without a line."""
    try:
        return constructor.construct_yaml_timestamp(node)
    except ValueError:
        return constructor.construct_scalar(node)


def _represent_time(representer: Any, value: datetime) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:timestamp", format_time(value))


def decode(data: bytes, name: str) -> str:
    """Bytes to text, refusing what is not a text file pmops could have written."""
    if len(data) > MAX_BYTES:
        raise InputError(f"{name}: file is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    if b"\0" in data:
        raise InputError(f"{name}: binary file (contains NUL bytes), not a markdown postmortem")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (bad byte at offset {exc.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path, name: str | None = None) -> str:
    """Read a file as checked UTF-8 text (see `decode`); messages call it `name`."""
    name = name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{name}: file is {size:,} bytes; the limit is {MAX_BYTES:,}")
        return decode(path.read_bytes(), name)
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None


_ALIAS_HINT = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]", re.MULTILINE)
"""Text that may hold a YAML alias (`*name`); only then are the parser's events checked."""


def may_have_aliases(text: str) -> bool:
    """False when `text` certainly holds no YAML alias (a cheap test before parsing)."""
    return bool(_ALIAS_HINT.search(text))


def load_yaml(text: str, name: str, first_line: int = 1) -> Any:
    """Parse YAML in round-trip mode; errors name the file and line.

    Aliases (`*name`) are refused: pmops's files never need them, and nested ones make a
    1 KB file expand to a billion values when read ("billion laughs").
    """
    try:
        if may_have_aliases(text):
            for event in _yaml().parse(text):
                if isinstance(event, AliasEvent):
                    line = event.start_mark.line + first_line
                    raise InputError(
                        f"{name}:{line}: YAML aliases (*{event.anchor}) are not allowed"
                    )
        data = _yaml().load(text)
    except RecursionError:
        raise InputError(f"{name}:{first_line}: YAML nested too deeply") from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else first_line
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"{name}:{line}: invalid YAML: {problem}") from None
    except YAMLError as exc:
        raise InputError(f"{name}:{first_line}: invalid YAML: {exc}") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a tagged value YAML cannot build
        raise InputError(f"{name}:{first_line}: invalid YAML value: {exc}") from None
    if _depth(data) > MAX_DEPTH:
        raise InputError(f"{name}:{first_line}: YAML nested more than {MAX_DEPTH} levels deep")
    return data


def _depth(value: Any) -> int:
    """How deeply lists and mappings nest in `value` (without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, Mapping) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


def dump_yaml(data: Any, like: str = "") -> str:
    """Dump in round-trip mode (comments and order kept; list indentation as in `like`)."""
    stream = io.StringIO()
    _yaml(like).dump(data, stream)
    return stream.getvalue()


def _split(text: str, name: str) -> tuple[int, int, int]:
    """Return offsets: where the frontmatter starts, where it ends, where the body starts.

    The frontmatter text `text[start:end]` begins with the newline that ends the opening
    delimiter, so its line N (0-based) is line N + 1 of the file.
    """
    if not text.strip():
        raise InputError(f"{name}:1: empty file")
    if not OPENING.match(text):
        raise InputError(f"{name}:1: no YAML frontmatter: the file must start with a '---' line")
    delimiters = frontmatter.YAMLHandler.FM_BOUNDARY.finditer(text)
    opening = next(delimiters)
    closing = next(delimiters, None)
    if closing is None:
        raise InputError(f"{name}:1: frontmatter is not closed by a '---' line")
    return opening.end(), closing.start(), closing.end()


def parse_document(text: str, name: str = "<text>") -> Document:
    """Split `text` into frontmatter and sections; raise InputError with a line on failure."""
    fm_start, fm_end, body_start = _split(text, name)
    meta = load_yaml(text[fm_start:fm_end], name, first_line=1)
    if meta is None:
        meta = CommentedMap()
    if not isinstance(meta, CommentedMap):
        kind = "a list" if isinstance(meta, list) else f"a single {type(meta).__name__} value"
        raise InputError(f"{name}:1: frontmatter must be a mapping of keys to values, not {kind}")
    body_line = text.count("\n", 0, body_start) + 1
    preamble, sections = split_sections(text[body_start:], body_line)
    return Document(meta=meta, preamble=preamble, sections=sections, body_line=body_line)


def split_sections(body: str, first_line: int = 1) -> tuple[str, list[Section]]:
    """Split a markdown body at `##` headings (not inside code fences)."""
    preamble: list[str] = []
    sections: list[tuple[str, int, list[str]]] = []
    for offset, (line, code) in enumerate(code_lines(body.split("\n"))):
        heading = None if code else _HEADING.match(line)
        if heading and len(heading.group(1)) == 2:
            sections.append((heading.group(2).strip(), first_line + offset, []))
        elif sections:
            sections[-1][2].append(line)
        else:
            preamble.append(line)
    return "\n".join(preamble).strip(), [
        Section(heading, line, "\n".join(lines).strip()) for heading, line, lines in sections
    ]


def plain(value: Any) -> Any:
    """Round-trip YAML nodes to plain JSON-like data; times become ISO-8601 UTC strings."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return str(value)


def rewrite_frontmatter(text: str, changes: Mapping[str, Any], name: str = "<text>") -> str:
    """Set (or, with None, delete) top-level keys, keeping the rest of the file byte for byte."""
    fm_start, fm_end, _ = _split(text, name)
    meta = load_yaml(text[fm_start:fm_end], name, first_line=1)
    if not isinstance(meta, CommentedMap):
        raise InputError(f"{name}:1: frontmatter must be a mapping of keys to values")
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    dumped = dump_yaml(meta, like=text[fm_start:fm_end])
    return text[:fm_start] + "\n" + dumped + text[fm_end:]
