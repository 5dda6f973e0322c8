"""Turn a verified Draft into a Postmortem document and name its file (DESIGN §3)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from pmops.documents.sections import STANDARD, Layout, apply_layout
from pmops.model import (
    SECTIONS,
    Analysis,
    Draft,
    Impact,
    Incident,
    Postmortem,
    Status,
    Verification,
)
from pmops.safety.sanitize import one_line
from pmops.times import format_time, minutes_between

MAX_SLUG = 50
MAX_UNVERIFIED_LISTED = 20


def slugify(title: str) -> str:
    """ASCII, lowercase, dash-separated, at most MAX_SLUG characters ("incident" if empty)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    return slug or "incident"


def postmortem_path(incident: Incident, folder: str = "postmortems") -> str:
    """`postmortems/YYYY/YYYY-MM-DD-<id>-<slug>.md`, the date being the start in UTC."""
    start = incident.started_at
    return f"{folder}/{start:%Y}/{start:%Y-%m-%d}-{incident.id}-{slugify(incident.title)}.md"


def drafts_path(path: str, folder: str = "postmortems") -> str:
    """Where the latest AI draft of `path` is kept: `postmortems/.drafts/<same name>`."""
    relative = path.removeprefix(folder.rstrip("/") + "/")
    return f"{folder}/.drafts/{relative}"


def draft_files(path: str, text: str, folder: str = "postmortems") -> dict[str, str]:
    """The files a new draft writes: the postmortem at `path` and its `.drafts` copy, which
    keeps the AI draft when reviewers edit the postmortem (DESIGN §3)."""
    return {path: text, drafts_path(path, folder): text}


def _bullets(items: tuple[str, ...], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else empty


def render_timeline(draft: Draft) -> str:
    """One line per event: `- 2026-03-20T14:23:00Z [deploy] text`."""
    if not draft.timeline:
        return "- No events were recorded."
    return "\n".join(f"- {format_time(e.at)} [{e.source.value}] {e.text}" for e in draft.timeline)


def render_action_items(draft: Draft) -> str:
    """A checklist with priority and suggested owner."""
    if not draft.action_items:
        return "No action items were derived; reviewers should add them."
    lines = []
    for item in draft.action_items:
        owner = f" \u2014 suggested owner: {item.owner}" if item.owner else ""
        lines.append(f"- [ ] **{item.priority.value}** {item.title}{owner}")
    return "\n".join(lines)


def render_confidence(draft: Draft, verification: Verification) -> str:
    """The level and its reason, the verification report and the drafting notes."""
    total = len(verification.claims)
    ok = total - len(verification.unverified)
    lines = [
        f"**{draft.confidence.value}** \u2014 {draft.confidence_reason}",
        "",
        f"Verification: {ok} of {total} checkable claims (SHAs, references, times, "
        "durations, numbers) match the evidence.",
    ]
    for claim in verification.unverified[:MAX_UNVERIFIED_LISTED]:
        lines.append(f"- Unverified {claim.kind} in {claim.section}: `{claim.text}`")
    extra = len(verification.unverified) - MAX_UNVERIFIED_LISTED
    if extra > 0:
        lines.append(f"- \u2026 and {extra} more")
    if draft.notes:
        lines += ["", *[f"- {note}" for note in draft.notes]]
    return "\n".join(lines)


def draft_sections(draft: Draft, verification: Verification) -> dict[str, str]:
    """The ten sections' markdown, in order."""
    texts = {
        "Summary": draft.summary,
        "Customer impact": draft.customer_impact,
        "Timeline": render_timeline(draft),
        "Root cause": draft.root_cause,
        "Resolution": draft.resolution,
        "Contributing factors": _bullets(draft.contributing_factors, "None identified yet."),
        "What went well": _bullets(draft.went_well, "Nothing recorded yet."),
        "What went poorly": _bullets(draft.went_poorly, "Nothing recorded yet."),
        "Action items": render_action_items(draft),
        "Confidence": render_confidence(draft, verification),
    }
    return {heading: texts[heading] for heading in SECTIONS}


def compose_postmortem(
    analysis: Analysis,
    draft: Draft,
    verification: Verification,
    now: datetime,
    layout: Layout = STANDARD,
) -> Postmortem:
    """A new postmortem in status draft, generated `now`, in the repository's `layout`."""
    incident = analysis.evidence.incident
    return Postmortem(
        id=incident.id,
        title=one_line(incident.title, 200),
        status=Status.DRAFT,
        severity=draft.severity,
        started_at=incident.started_at,
        detected_at=incident.detected_at,
        resolved_at=incident.resolved_at,
        duration_minutes=minutes_between(incident.started_at, incident.resolved_at),
        impact=Impact(
            description=one_line(incident.impact, 1000) if incident.impact else "",
            affected_services=incident.services,
            users_affected=incident.users_affected,
        ),
        confidence=draft.confidence,
        generated_at=now.replace(microsecond=0),
        generator=draft.generator,
        sections=apply_layout(
            draft_sections(draft, verification), layout, dict(draft.extra_sections)
        ),
        suspects=tuple(analysis.suspects[:5]),
        action_items=draft.action_items,
    )
