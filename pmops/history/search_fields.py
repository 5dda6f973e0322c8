"""Find and read postmortem files fast, pull out what the search index needs, quote queries.

*Error messages*: every line of the Timeline or Root cause whose source is `log` or `alert`
(the text after the source word), and every backticked string in the body that is not just a
time, a number or a SHA. *Paths*: slash-separated names in suspects' subjects and reasons, and
in the body those that end in a file name with an extension or have two or more slashes (URLs
excluded). *Done action items*: those ticked `- [x]` in the Action items section, matched by
title or `#issue`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from pmops.documents.document import OPENING, decode, may_have_aliases, plain, split_sections
from pmops.documents.render import from_frontmatter, validate_frontmatter
from pmops.errors import InputError
from pmops.history.hand_written import is_hand_written, read_postmortem
from pmops.model import Postmortem
from pmops.times import format_time

PARALLEL_FROM = 400
"""Files to parse from which processes pay off (starting them costs ~0.2 s)."""

MAX_WORKERS = 8

MAX_QUERY_TERMS = 32
"""Longer queries are cut: more terms add cost, not precision."""

_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z")
_SOURCE_LINE = re.compile(
    rf"^[-*+]\s+`?{_TIME.pattern}`?\s+[\[(*_]*(?:log|alert)s?[\])*_]*:?\s+(.+)$",
    re.IGNORECASE | re.MULTILINE,
)
_BACKTICKED = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_NOT_AN_ERROR = re.compile(rf"^(?:{_TIME.pattern}|[0-9a-f]{{7,40}}|[\d.,:%\s]+)$")
_PATH = re.compile(r"(?<![\w/.:@-])(?:[\w.-]{2,}/)+[\w.-]{2,}(?![\w/]|://)")
_EXTENSION = re.compile(r"/[^/]+\.[A-Za-z0-9]{1,8}$")
_RISKY_NUMBER = re.compile(
    r"^[ \t-]*(?:id|duration_minutes|users_affected|pr|issue|regenerations|\w+_tokens|score"
    r"|duration_s):\s*[-+]?(?:0\d|\d+[_:]\d)",
    re.MULTILINE,
)
_WORD = re.compile(r"\w+")
_DONE = re.compile(r"^[ \t]*[-*+][ \t]+\[[xX]\][ \t]+(.*)$", re.MULTILINE)


def scan_postmortems(repo: Path, folder: str) -> dict[str, str]:
    """The files `pmops.documents.check.find_postmortems` finds, as {repository path: file}, faster.

    Same rule (every `.md` under `folder` except README.md and `.drafts/`), but os.walk
    instead of pathlib: on 10,000 files the difference is most of a no-op update.
    """
    found = {}
    for directory, dirs, names in os.walk(repo / folder):
        dirs[:] = [d for d in dirs if d != ".drafts"]
        prefix = os.path.relpath(directory, repo).replace(os.sep, "/") + "/"
        for name in names:
            if name.endswith(".md") and name.lower() != "readme.md":
                found[f"{prefix.removeprefix('./')}{name}"] = os.path.join(directory, name)
    return dict(sorted(found.items()))


def split_file(text: str, name: str) -> tuple[str, dict[str, str]]:
    """A postmortem's raw frontmatter text and its sections (first of a repeated heading).

    Splits exactly as `pmops.documents.document.parse_document` does; InputError when it would fail.
    """
    boundaries = list(frontmatter.YAMLHandler.FM_BOUNDARY.finditer(text))
    if not OPENING.match(text) or len(boundaries) < 2:
        raise InputError(f"{name}:1: no YAML frontmatter between '---' lines")
    sections: dict[str, str] = {}
    for section in split_sections(text[boundaries[1].end() :])[1]:
        sections.setdefault(section.heading, section.text)
    return text[boundaries[0].end() : boundaries[1].start()], sections


def load_postmortem(data: bytes, name: str) -> Postmortem:
    """Parse a postmortem file, fast: libyaml first, `read_postmortem` whenever in doubt.

    libyaml reads YAML 1.1; every value it reads differently from the round-trip parser
    (yes/no, octal and sexagesimal numbers) either fails the schema or trips `_RISKY_NUMBER`,
    and then the reference parser decides (and gives the error message). Hand-written files
    (a minority) always take the reference path, which keeps their preamble.
    """
    text = decode(data, name)
    try:
        raw, sections = split_file(text, name)
        risky = _RISKY_NUMBER.search(raw) or may_have_aliases(raw)
        meta = None if risky else yaml.load(raw, Loader=yaml.CSafeLoader)
        meta = plain(meta) if isinstance(meta, dict) else None
        if meta and not is_hand_written(meta) and not validate_frontmatter(meta):
            return from_frontmatter(meta, sections)
    except (yaml.YAMLError, InputError, RecursionError):
        pass  # the reference parser decides, and explains
    return read_postmortem(text, name)


def extract_errors(sections: Mapping[str, str]) -> tuple[str, ...]:
    """Error messages of a postmortem by the rule in the module docstring, in order."""
    found: list[str] = []
    for heading in ("Timeline", "Root cause"):
        for match in _SOURCE_LINE.finditer(sections.get(heading, "")):
            found.append(match.group(1).replace("`", "").strip())
    for text in sections.values():
        found += [m.strip() for m in _BACKTICKED.findall(text) if not _NOT_AN_ERROR.match(m)]
    return tuple(dict.fromkeys(e[:300] for e in found if e))[:50]


def extract_paths(pm: Postmortem) -> tuple[str, ...]:
    """File paths a postmortem names, by the rule in the module docstring, in order."""
    texts = [t for s in pm.suspects for t in (s.subject, *s.reasons)]
    found = [p.strip(".") for text in texts for p in _PATH.findall(text)]
    for text in pm.sections.values():
        paths = [p.strip(".") for p in _PATH.findall(text)]
        found += [p for p in paths if p.count("/") >= 2 or _EXTENSION.search(p)]
    return tuple(dict.fromkeys(found))[:50]


def count_done(pm: Postmortem) -> int:
    """Action items ticked `- [x]` in the Action items section (by title or `#issue`)."""
    return sum(done_items(pm))


def done_items(pm: Postmortem) -> list[bool]:
    """For each action item, whether it is ticked `- [x]` in Action items (title or `#issue`)."""
    ticked = [line.lower() for line in _DONE.findall(pm.sections.get("Action items", ""))]
    return [
        any(
            item.title.lower() in line or bool(item.issue and f"#{item.issue}" in line)
            for line in ticked
        )
        for item in pm.action_items
    ]


def index_columns(pm: Postmortem, paths: Sequence[str], errors: Sequence[str]) -> tuple[str, ...]:
    """Texts of the FTS columns, in the order of `pmops.history.search.WEIGHTS`."""
    body = [text for heading, text in pm.sections.items() if heading != "Root cause"]
    body += [pm.impact.description, *(a.title for a in pm.action_items)]
    return (
        pm.title,
        " ".join(pm.impact.affected_services),
        pm.sections.get("Root cause", ""),
        "\n".join(errors),
        " ".join(paths),
        "\n\n".join(body),
    )


@dataclass(frozen=True)
class Prepared:
    """One file made ready for the index: its `docs` values, services and FTS column texts."""

    name: str
    values: tuple[Any, ...]
    services: tuple[str, ...]
    columns: tuple[str, ...]


def prepare(job: tuple[str, bytes]) -> Prepared | str:
    """Parse and extract one file (name, bytes); the error message if it does not parse."""
    name, data = job
    try:
        pm = load_postmortem(data, name)
    except InputError as exc:
        return str(exc)
    paths, errors = extract_paths(pm), extract_errors(pm.sections)
    services = tuple(dict.fromkeys(pm.impact.affected_services))
    values = (json.dumps(pm.id), pm.title, pm.status.value, pm.severity.value,
              format_time(pm.started_at), format_time(pm.resolved_at), pm.duration_minutes,
              json.dumps(services), json.dumps(paths), json.dumps(errors),
              len(pm.action_items), count_done(pm))  # fmt: skip
    return Prepared(name, values, services, index_columns(pm, paths, errors))


def prepare_all(jobs: Sequence[tuple[str, bytes]]) -> list[Prepared | str]:
    """`prepare` every job, in processes when there are many (a full build)."""
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2 or len(jobs) < PARALLEL_FROM:
        return [prepare(job) for job in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(prepare, jobs, chunksize=64))


def fts_terms(text: str) -> list[str]:
    """User text as safe FTS5 terms: each one quoted, so no text is ever FTS5 syntax.

    `"a phrase"` stays a phrase, a trailing `*` makes a prefix term, and everything else
    (operators, `-`, `:`, parentheses, stray quotes) is just a word separator.
    """
    text = text.encode("utf-8", "ignore").decode("utf-8")
    terms: list[str] = []
    for phrase, word in re.findall(r'"([^"]*)"|([^\s"]+)', text):
        tokens = _WORD.findall((phrase or word).lower())
        if tokens:
            star = "*" if word.endswith("*") else ""
            terms.append(f'"{" ".join(tokens)}"{star}')
    return list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]


def fts_query(text: str, operator: str = "AND") -> str:
    """A safe FTS5 query: the `fts_terms` of `text` joined by `operator`."""
    return f" {operator} ".join(fts_terms(text))
