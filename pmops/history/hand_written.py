"""Postmortems written outside pmops (by hand, or by `pmops import`): read with the basic fields.

A file whose frontmatter has neither `generator` nor `generated_at` was not drafted by pmops.
It is valid when it has the fields of `schemas/history.schema.json` (id, title, severity,
started_at, and resolved_at or duration_minutes); everything else pmops writes is optional and
validated when present. Such a file counts for no quota (quota reads `generated_at`), is
`published` unless its `status` says otherwise, and its sections are kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pmops.documents.document import parse_document, plain
from pmops.documents.render import action_item_of, from_document, suspect_of
from pmops.documents.schemas import describe, iter_errors
from pmops.errors import InputError
from pmops.model import Confidence, Generator, Impact, Postmortem, Severity, Status
from pmops.times import minutes_between, parse_time

HAND_WRITTEN_MODEL = "hand-written"
"""`generator.model` of a history postmortem once read (never written to a file)."""

OVERVIEW = "Overview"
"""Heading given to a history file's text before its first `##` section."""

_H1 = re.compile(r"^[ \t]{0,3}#[ \t]+.*$", re.MULTILINE)

PMOPS_ONLY = ("generator", "generated_at")
"""Keys only pmops writes: a file with either is held to the full postmortem schema."""


def is_hand_written(meta: Mapping[str, Any]) -> bool:
    """Whether a frontmatter mapping is read as a history postmortem (see the module doc)."""
    return not any(key in meta for key in PMOPS_ONLY)


def history_problems(meta: Mapping[str, Any]) -> list[str]:
    """Schema problems of a history postmortem's frontmatter (plain values), one line each."""
    return [
        "resolved_at or duration_minutes is required"
        if error.validator == "anyOf" and not error.absolute_path
        else describe(error)
        for error in iter_errors("history", meta)
    ]


def from_history(
    meta: Mapping[str, Any], sections: Mapping[str, str], name: str, preamble: str = ""
) -> Postmortem:
    """A Postmortem from a history frontmatter (plain values); InputError lists its problems.

    Text before the first `##` heading (less a `# Title` line) becomes an `Overview` section:
    layouts like the SRE book's keep their summary and impact there.
    """
    problems = history_problems(meta)
    if problems:
        raise InputError(f"{name}: invalid frontmatter: " + "; ".join(problems))
    started = parse_time(meta["started_at"])
    if meta.get("resolved_at") is not None:
        resolved = parse_time(meta["resolved_at"])
    else:
        resolved = started + timedelta(minutes=meta["duration_minutes"])
    minutes = meta.get("duration_minutes", minutes_between(started, resolved))
    impact = meta.get("impact") or {}
    services = tuple(impact.get("affected_services", ())) or tuple(meta.get("services", ()))
    published = meta.get("published_at")
    return Postmortem(
        id=meta["id"],
        title=meta["title"],
        status=Status(meta.get("status", Status.PUBLISHED.value)),
        severity=Severity(meta["severity"]),
        started_at=started,
        detected_at=parse_time(meta["detected_at"]) if meta.get("detected_at") else None,
        resolved_at=resolved,
        duration_minutes=minutes,
        impact=Impact(impact.get("description", ""), services, impact.get("users_affected")),
        confidence=Confidence(meta.get("confidence", Confidence.HIGH.value)),
        suspects=tuple(suspect_of(s) for s in meta.get("suspects", ())),
        action_items=tuple(action_item_of(a) for a in meta.get("action_items", ())),
        generated_at=started,
        generator=Generator(version="", model=HAND_WRITTEN_MODEL),
        edited_by=tuple(meta.get("edited_by") or ()),
        published_at=parse_time(published) if published else None,
        published_by=meta.get("published_by"),
        sections=_with_overview(preamble, sections),
        extra={k: v for k, v in meta.items() if k in ("services", "imported_from")},
    )


def _with_overview(preamble: str, sections: Mapping[str, str]) -> dict[str, str]:
    overview = _H1.sub("", preamble, count=1).strip()
    if not overview or OVERVIEW in sections:
        return dict(sections)
    return {OVERVIEW: overview, **sections}


def read_postmortem(text: str, name: str = "<text>") -> Postmortem:
    """Parse any postmortem file: pmops's own (full schema) or a history one (basic fields)."""
    doc = parse_document(text, name)
    meta = plain(doc.meta)
    if is_hand_written(meta):
        return from_history(meta, doc.section_map(), name, doc.preamble)
    return from_document(doc, name)
