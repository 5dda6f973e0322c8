"""Postmortem <-> markdown with YAML frontmatter (templates/postmortem.md.j2).

`parse_postmortem(render_postmortem(pm)) == normalize_sections(pm)` for every valid postmortem,
and parsing tolerates human edits: reordered keys, extra keys and sections, YAML comments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from pmops.documents.doc_template import DocumentTemplate, check_output, render_override
from pmops.documents.document import Document, dump_yaml, parse_document, plain
from pmops.documents.fences import code_lines
from pmops.documents.schemas import describe, iter_errors
from pmops.documents.templating import render_template
from pmops.errors import InputError
from pmops.model import (
    ActionItem,
    Confidence,
    Generator,
    Impact,
    Postmortem,
    Priority,
    Severity,
    Status,
    Suspect,
)
from pmops.times import parse_time

KNOWN_KEYS = (
    "id", "title", "status", "severity", "started_at", "detected_at", "resolved_at",
    "duration_minutes", "impact", "confidence", "suspects", "action_items", "generated_at",
    "generator", "edited_by", "published_at", "published_by", "accepted_claims",
    "accepted_wording",
)  # fmt: skip
"""Frontmatter keys in the order pmops writes them (DESIGN §3)."""

_TOP_HEADING = re.compile(r"^(\s{0,3})(#{1,2})(?=[ \t])", re.MULTILINE)


def demote_headings(text: str) -> str:
    """Turn `#`/`##` headings inside a section's text into `###` so they cannot split it."""
    lines = code_lines(text.split("\n"))
    return "\n".join(ln if code else _TOP_HEADING.sub(r"\1###", ln) for ln, code in lines).strip()


def normalize_sections(pm: Postmortem) -> Postmortem:
    """The postmortem as it reads back: section texts stripped, headings inside them demoted."""
    sections = {h.strip(): demote_headings(t) for h, t in pm.sections.items()}
    return replace(pm, sections=sections)


def ordered_sections(sections: Mapping[str, str]) -> dict[str, str]:
    """The sections in the document's order, none added: a repository's own layout
    (`sections` in the config, pmops.documents.sections) may rename, reorder or drop the
    standard ones, and a round trip must not bring them back. `pmops check` says what is missing."""
    return dict(sections)


def to_frontmatter(pm: Postmortem) -> dict[str, Any]:
    """The frontmatter mapping, keys in DESIGN order, optional empties left out."""
    impact: dict[str, Any] = {"description": pm.impact.description}
    if pm.impact.affected_services:
        impact["affected_services"] = list(pm.impact.affected_services)
    if pm.impact.users_affected is not None:
        impact["users_affected"] = pm.impact.users_affected
    generator: dict[str, Any] = {
        "version": pm.generator.version,
        "model": pm.generator.model,
        "regenerations": pm.generator.regenerations,
    }
    for key in ("prompt_tokens", "output_tokens", "duration_s", "fallback_reason"):
        value = getattr(pm.generator, key)
        if value is not None:
            generator[key] = value
    data: dict[str, Any] = {
        "id": pm.id,
        "title": pm.title,
        "status": pm.status.value,
        "severity": pm.severity.value,
        "started_at": pm.started_at,
        "detected_at": pm.detected_at,
        "resolved_at": pm.resolved_at,
        "duration_minutes": pm.duration_minutes,
        "impact": impact,
        "confidence": pm.confidence.value,
        "suspects": [_suspect_dict(s) for s in pm.suspects],
        "action_items": [_action_dict(a) for a in pm.action_items],
        "generated_at": pm.generated_at,
        "generator": generator,
        "edited_by": list(pm.edited_by) or None,
        "published_at": pm.published_at,
        "published_by": pm.published_by,
        "accepted_claims": list(pm.accepted_claims) or None,
        "accepted_wording": list(pm.accepted_wording) or None,
    }
    data = {k: v for k, v in data.items() if v is not None}
    data.update({k: v for k, v in pm.extra.items() if k not in data})
    return data


def _suspect_dict(suspect: Suspect) -> dict[str, Any]:
    data: dict[str, Any] = {"sha": suspect.sha}
    if suspect.pr is not None:
        data["pr"] = suspect.pr
    if suspect.repo:
        data["repo"] = suspect.repo
    if suspect.subject:
        data["subject"] = suspect.subject
    data["score"] = suspect.score
    data["reasons"] = list(suspect.reasons)
    return data


def action_item_dict(item: ActionItem) -> dict[str, Any]:
    """An action item as the frontmatter holds it."""
    return _action_dict(item)


def _action_dict(item: ActionItem) -> dict[str, Any]:
    data: dict[str, Any] = {"title": item.title, "priority": item.priority.value}
    if item.owner is not None:
        data["owner"] = item.owner
    if item.issue is not None:
        data["issue"] = item.issue
    if item.due is not None:
        data["due"] = item.due.isoformat()
    return data


def render_postmortem(
    pm: Postmortem, template: DocumentTemplate | None = None, name: str = "<text>"
) -> str:
    """Markdown with frontmatter: the document pmops writes, with the repository's own
    `template` (pmops.documents.doc_template) when it has one; ConfigError when that breaks the
    contract for this postmortem at path `name`."""
    sections = ordered_sections({h: demote_headings(t) for h, t in pm.sections.items()})
    meta = to_frontmatter(pm)
    context = {
        "frontmatter": dump_yaml(meta),
        "title": pm.title,
        "sections": list(sections.items()),
    }
    standard = render_template("postmortem.md.j2", **context)
    if template is None:
        return standard
    text = render_override(template, {**context, "meta": plain(meta)})
    check_output(template, text, standard, normalize_sections(pm), name)
    return text


def validate_frontmatter(meta: Mapping[str, Any]) -> list[str]:
    """Schema problems of a frontmatter mapping, one message each (empty when valid)."""
    return [describe(error) for error in iter_errors("postmortem", plain(meta))]


def from_document(doc: Document, name: str = "<text>") -> Postmortem:
    """Build a Postmortem from a parsed document; InputError lists every schema problem."""
    meta = plain(doc.meta)
    problems = validate_frontmatter(meta)
    if problems:
        raise InputError(f"{name}: invalid frontmatter: " + "; ".join(problems))
    return from_frontmatter(meta, doc.section_map())


def from_frontmatter(meta: Mapping[str, Any], sections: Mapping[str, str]) -> Postmortem:
    """Build a Postmortem from a schema-valid plain frontmatter mapping and its sections."""
    impact = meta["impact"]
    gen = meta["generator"]
    return Postmortem(
        id=meta["id"],
        title=meta["title"],
        status=Status(meta["status"]),
        severity=Severity(meta["severity"]),
        started_at=parse_time(meta["started_at"]),
        detected_at=_optional_time(meta.get("detected_at")),
        resolved_at=parse_time(meta["resolved_at"]),
        duration_minutes=meta["duration_minutes"],
        impact=Impact(
            description=impact["description"],
            affected_services=tuple(impact.get("affected_services", ())),
            users_affected=impact.get("users_affected"),
        ),
        confidence=Confidence(meta["confidence"]),
        suspects=tuple(suspect_of(s) for s in meta["suspects"]),
        action_items=tuple(action_item_of(a) for a in meta["action_items"]),
        generated_at=parse_time(meta["generated_at"]),
        generator=Generator(
            version=gen["version"],
            model=gen["model"],
            regenerations=gen.get("regenerations", 0),
            prompt_tokens=gen.get("prompt_tokens"),
            output_tokens=gen.get("output_tokens"),
            duration_s=gen.get("duration_s"),
            fallback_reason=gen.get("fallback_reason"),
        ),
        edited_by=tuple(meta.get("edited_by") or ()),
        published_at=_optional_time(meta.get("published_at")),
        published_by=meta.get("published_by"),
        accepted_claims=tuple(meta.get("accepted_claims") or ()),
        accepted_wording=tuple(meta.get("accepted_wording") or ()),
        sections=ordered_sections(sections),
        extra={k: v for k, v in meta.items() if k not in KNOWN_KEYS},
    )


def suspect_of(data: Mapping[str, Any]) -> Suspect:
    """A Suspect from a schema-valid frontmatter entry."""
    return Suspect(
        sha=data["sha"],
        score=data["score"],
        reasons=tuple(data["reasons"]),
        pr=data.get("pr"),
        repo=data.get("repo", ""),
        subject=data.get("subject", ""),
    )


def action_item_of(data: Mapping[str, Any]) -> ActionItem:
    """An ActionItem from a schema-valid frontmatter entry."""
    return ActionItem(
        title=data["title"],
        priority=Priority(data["priority"]),
        owner=data.get("owner"),
        issue=data.get("issue"),
        due=date.fromisoformat(str(data["due"])) if data.get("due") else None,
    )


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else parse_time(value)


def parse_postmortem(text: str, name: str = "<text>") -> Postmortem:
    """Parse a postmortem file's text; InputError on malformed YAML, markdown or schema."""
    return from_document(parse_document(text, name), name)
