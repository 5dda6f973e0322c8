"""`pmops check`: every rule a postmortem file must keep, reported as `path:line: message`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pmops.documents.blameless_check import check_wording
from pmops.documents.claims_check import NumberLookup, RepoFacts, check_claims, drafts_copy
from pmops.documents.document import Document, decode, parse_document, plain, read_text
from pmops.documents.schemas import describe, iter_errors
from pmops.documents.sections import STANDARD, Layout, headings
from pmops.errors import InputError, SourceError
from pmops.follow.action_drift import action_item_drift
from pmops.history.hand_written import is_hand_written
from pmops.lifecycle.status import frozen_changes
from pmops.sources.gitcmd import git_bytes, git_output
from pmops.times import minutes_between, parse_time

TIMELINE_LINE = re.compile(r"^[-*+]\s+`?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?Z)`?\s+\S")
"""A timeline item starts with an ISO-8601 UTC time (DESIGN §3)."""

FILE_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-([A-Za-z0-9][A-Za-z0-9._-]*?)-([a-z0-9-]+)\.md$")
"""YYYY-MM-DD-<id>-<slug>.md; an id may hold dashes (INC-7), so which part is the id is
decided against the frontmatter's, not by this pattern."""
_SLUG = re.compile(r"[a-z0-9-]+")

DURATION_TOLERANCE_MIN = 1
"""duration_minutes may differ from resolved_at - started_at by rounding only."""


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, printed as `path:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def find_postmortems(root: Path, folder: str = "postmortems") -> list[Path]:
    """Postmortem files under `root/folder`: every .md except index pages and .drafts/ copies."""
    base = root / folder
    if not base.is_dir():
        return []
    return sorted(
        p
        for p in base.rglob("*.md")
        if ".drafts" not in p.relative_to(base).parts and p.name.lower() != "readme.md"
    )


def check_text(
    text: str, name: str, layout: Layout = STANDARD
) -> tuple[list[Problem], Document | None]:
    """Check one file's text against the repository's section `layout` (pmops.documents.sections);
    return its problems and the parsed document when it parsed."""
    try:
        doc = parse_document(text, name)
    except InputError as exc:
        return [_problem_from_error(str(exc), name)], None
    if is_hand_written(plain(doc.meta)):
        return _check_history(doc, name) + _check_file_name(doc, name), doc
    problems = _check_frontmatter(doc, name)
    problems += _check_sections(doc, name, headings(layout))
    problems += _check_file_name(doc, name)
    problems += _check_action_items(doc, text, name)
    return problems, doc


def _check_history(doc: Document, name: str) -> list[Problem]:
    """A postmortem written outside pmops: its basic fields and times; sections are its own."""
    meta = plain(doc.meta)
    problems = [
        Problem(name, doc.key_line(*error.absolute_path), describe(error))
        for error in iter_errors("history", meta)
        if error.validator != "anyOf"
    ]
    if "resolved_at" not in meta and "duration_minutes" not in meta:
        problems.append(Problem(name, 1, "resolved_at or duration_minutes is required"))
    problems = problems or _no_dates(doc, meta, name)
    if problems or "resolved_at" not in meta:
        return problems
    if "duration_minutes" not in meta:
        meta["duration_minutes"] = minutes_between(
            parse_time(meta["started_at"]), parse_time(meta["resolved_at"])
        )
    return _check_times(doc, meta, name)


def _check_action_items(doc: Document, text: str, name: str) -> list[Problem]:
    """The Action items section and the frontmatter's action_items list the same items."""
    items = plain(doc.meta).get("action_items")
    if not isinstance(items, list):
        return []
    heading = next((s.line for s in doc.sections if s.heading == "Action items"), None)
    drift = action_item_drift(
        text,
        heading,
        [i for i in items if isinstance(i, dict)],
        lambda i: doc.key_line("action_items", i),
    )
    return [Problem(name, d.line, d.message) for d in drift]


def _problem_from_error(message: str, name: str) -> Problem:
    match = re.match(rf"{re.escape(name)}:(\d+): (.*)", message, re.S)
    if match:
        return Problem(name, int(match.group(1)), match.group(2))
    return Problem(name, 1, message.removeprefix(f"{name}: "))


def _check_frontmatter(doc: Document, name: str) -> list[Problem]:
    meta = plain(doc.meta)
    problems = [
        Problem(name, doc.key_line(*error.absolute_path), describe(error))
        for error in iter_errors("postmortem", meta)
    ]
    problems = problems or _no_dates(doc, meta, name)
    if problems:
        return problems
    problems += _check_times(doc, meta, name)
    problems += _check_status_fields(doc, meta, name)
    return problems


TIME_KEYS = ("started_at", "detected_at", "resolved_at")


def _no_dates(doc: Document, meta: Mapping[str, Any], name: str) -> list[Problem]:
    """The times the schema's pattern lets through but the calendar does not (2026-02-30)."""
    problems = []
    for key in TIME_KEYS:
        if meta.get(key) is not None:
            try:
                parse_time(meta[key])
            except InputError:
                problems.append(
                    Problem(
                        name, doc.key_line(key), f"{key}: {meta[key]!r} is invalid: no such date"
                    )
                )
    return problems


def _check_times(doc: Document, meta: Mapping[str, Any], name: str) -> list[Problem]:
    started = parse_time(meta["started_at"])
    resolved = parse_time(meta["resolved_at"])
    problems = []
    if resolved < started:
        problems.append(
            Problem(name, doc.key_line("resolved_at"), "resolved_at is before started_at")
        )
    if meta.get("detected_at") is not None:
        detected = parse_time(meta["detected_at"])
        if detected < started:
            problems.append(
                Problem(name, doc.key_line("detected_at"), "detected_at is before started_at")
            )
    expected = minutes_between(started, resolved)
    if abs(meta["duration_minutes"] - expected) > DURATION_TOLERANCE_MIN:
        problems.append(
            Problem(
                name,
                doc.key_line("duration_minutes"),
                f"duration_minutes is {meta['duration_minutes']} but resolved_at - started_at "
                f"is {expected} minutes",
            )
        )
    return problems


def _check_status_fields(doc: Document, meta: Mapping[str, Any], name: str) -> list[Problem]:
    status = meta["status"]
    line = doc.key_line("status")
    stamped = [k for k in ("published_at", "published_by") if meta.get(k) is not None]
    if status == "published" and len(stamped) < 2:
        return [
            Problem(name, line, "status is published but published_at/published_by are missing")
        ]
    if status != "published" and stamped:
        return [
            Problem(name, doc.key_line(stamped[0]), f"{stamped[0]} is set but status is {status}")
        ]
    if status == "edited" and not meta.get("edited_by"):
        return [Problem(name, line, "status is edited but edited_by names nobody")]
    return []


def _check_sections(doc: Document, name: str, order: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for section in doc.sections:
        if section.heading in seen:
            problems.append(
                Problem(
                    name,
                    section.line,
                    f"section '{section.heading}' appears twice "
                    f"(first on line {seen[section.heading]})",
                )
            )
        else:
            seen[section.heading] = section.line
    for heading in order:
        if heading not in seen:
            problems.append(Problem(name, doc.body_line, f"missing section '## {heading}'"))
    present = [s for s in doc.sections if s.heading in order]
    previous = None
    for section in present:
        if previous and order.index(section.heading) < order.index(previous.heading):
            problems.append(
                Problem(
                    name,
                    section.line,
                    f"section '{section.heading}' must come before "
                    f"'{previous.heading}' (order: {', '.join(order)})",
                )
            )
        previous = section
    for section in present:
        if not section.text.strip():
            problems.append(Problem(name, section.line, f"section '{section.heading}' is empty"))
        elif section.heading == "Timeline":
            problems += _check_timeline(section.text, section.line, name)
    return problems


def _check_timeline(text: str, heading_line: int, name: str) -> list[Problem]:
    problems = []
    last = None
    in_fence = False
    for offset, line in enumerate(text.split("\n"), start=heading_line + 2):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or not re.match(r"^[-*+]\s", line):
            continue
        match = TIMELINE_LINE.match(line)
        if not match:
            problems.append(
                Problem(
                    name,
                    offset,
                    "timeline entry does not start with a UTC time like 2026-03-20T14:23:00Z",
                )
            )
            continue
        try:
            moment = parse_time(match.group(1))
        except InputError:
            problems.append(
                Problem(name, offset, f"timeline entry time {match.group(1)} is no valid time")
            )
            continue
        if last is not None and moment < last:
            problems.append(
                Problem(
                    name,
                    offset,
                    f"timeline entry at {match.group(1)} is out "
                    "of order (earlier than the line before)",
                )
            )
        last = moment
    return problems


def _check_file_name(doc: Document, name: str) -> list[Problem]:
    meta = plain(doc.meta)
    file_name = PurePosixPath(name).name
    match = FILE_NAME.match(file_name)
    if not match:
        return [
            Problem(
                name,
                1,
                "file name must be YYYY-MM-DD-<id>-<slug>.md "
                "(slug: lowercase letters, digits and dashes)",
            )
        ]
    try:
        started = parse_time(meta.get("started_at"))
    except InputError:
        return []
    expected_date = started.strftime("%Y-%m-%d")
    problems = []
    if "-".join(match.group(1, 2, 3)) != expected_date:
        problems.append(
            Problem(
                name,
                doc.key_line("started_at"),
                f"file name date "
                f"{'-'.join(match.group(1, 2, 3))} does not match started_at "
                f"({expected_date} UTC)",
            )
        )
    parent = PurePosixPath(name).parent.name
    if re.fullmatch(r"\d{4}", parent) and parent != started.strftime("%Y"):
        problems.append(
            Problem(
                name, 1, f"file is in folder {parent}/ but the incident started in {started:%Y}"
            )
        )
    date = "-".join(match.group(1, 2, 3))
    ident = str(meta.get("id"))
    named = file_name.removeprefix(f"{date}-")
    if not (named.startswith(f"{ident}-") and _SLUG.fullmatch(named[len(ident) + 1 : -3])):
        problems.append(
            Problem(
                name,
                doc.key_line("id"),
                f"file name {file_name} does not carry frontmatter id {meta.get('id')!r}: "
                f"expected {date}-{ident}-<slug>.md",
            )
        )
    return problems


def check_duplicate_ids(docs: Mapping[str, Document]) -> list[Problem]:
    """Two postmortems with the same id."""
    owners: dict[str, str] = {}
    problems = []
    for name, doc in sorted(docs.items()):
        key = str(doc.meta.get("id"))
        if key in owners:
            problems.append(
                Problem(name, doc.key_line("id"), f"duplicate id {key} (also in {owners[key]})")
            )
        else:
            owners[key] = name
    return problems


def default_branch(repo: Path) -> str | None:
    """The ref to compare against: origin/HEAD, else origin/main|master, else main|master."""
    head = git_output(repo, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
    if head:
        return head.removeprefix("refs/remotes/")
    for ref in ("origin/main", "origin/master", "main", "master"):
        if git_output(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"):
            return ref
    return None


def check_frozen(repo: Path, base: str, docs: Mapping[str, Document]) -> list[Problem]:
    """Published postmortems on `base` whose frozen fields changed in the working tree."""
    problems = []
    for name, doc in sorted(docs.items()):
        blob = _git_bytes(repo, "show", f"{base}:{name}")
        if blob is None:
            continue
        try:
            before = plain(parse_document(decode(blob, name), name).meta)
        except InputError:
            continue
        after = plain(doc.meta)
        for key in frozen_changes(before, after):
            problems.append(
                Problem(
                    name,
                    doc.key_line(key),
                    f"{key} of a published postmortem "
                    f"cannot change (was {before.get(key)!r} on {base})",
                )
            )
    return problems


def check_removed(repo: Path, base: str, folder: str = "postmortems") -> list[Problem]:
    """Published postmortems of `base` that the working tree no longer has: deleting or
    moving a published postmortem is a change to it (status read from the frontmatter)."""
    listing = git_output(repo, "ls-tree", "-r", "--name-only", base, "--", f"{folder.strip('/')}/")
    problems = []
    for name in (listing or "").splitlines():
        parts = PurePosixPath(name).parts
        if not name.endswith(".md") or ".drafts" in parts or parts[-1].lower() == "readme.md":
            continue
        if (repo / name).exists():
            continue
        blob = _git_bytes(repo, "show", f"{base}:{name}")
        try:
            meta = plain(parse_document(decode(blob or b"", name), name).meta)
        except InputError:
            continue
        if meta.get("status") == "published":
            problems.append(
                Problem(
                    name,
                    1,
                    f"a published postmortem on {base} is deleted or "
                    "moved: that is a change to it (edit it in place instead)",
                )
            )
    return problems


def _git_bytes(repo: Path, *args: str) -> bytes | None:
    try:
        return git_bytes(repo, *args)
    except SourceError:
        return None


def check_files(
    paths: Iterable[Path],
    repo: Path,
    base: str | None,
    layout: Layout = STANDARD,
    numbers: NumberLookup | None = None,
) -> list[Problem]:
    """Check files (named relative to `repo` when inside it); frozen fields against `base`;
    `numbers` looks up on GitHub the PR and issue numbers the history does not name."""
    problems: list[Problem] = []
    docs: dict[str, Document] = {}
    facts = RepoFacts(repo, numbers)
    for path in paths:
        name = _display_name(path, repo)
        try:
            text = read_text(path, name)
        except InputError as exc:
            problems.append(_problem_from_error(str(exc), name))
            continue
        found, doc = check_text(text, name, layout)
        problems += found
        if doc is not None:
            docs[name] = doc
            copy = repo / drafts_copy(name)
            ai_draft = read_text(copy, drafts_copy(name)) if copy.is_file() else None
            problems += check_grounding(text, doc, name, facts, ai_draft)
    problems += check_duplicate_ids(docs)
    if base:
        problems += check_frozen(repo, base, docs)
    return sorted(set(problems))


def check_grounding(
    text: str, doc: Document, name: str, facts: RepoFacts, ai_draft: str | None
) -> list[Problem]:
    """Claims humans added (not in `ai_draft`, the `.drafts/` copy) that do not resolve in
    the repository, and blaming wording (issue #20)."""
    meta = plain(doc.meta)
    found = check_claims(text, meta, doc.body_line, ai_draft, facts)
    found += check_wording(text, meta, doc.body_line)
    return [Problem(name, line, message) for line, message in found]


def _display_name(path: Path, repo: Path) -> str:
    try:
        return path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
