"""The incident as its GitHub issue tells it: form fields, labels, comments, cross-references.

Two requests in the usual case: the issue, and its timeline (paginated), which carries the
`labeled` events (the resolved label's time is the resolution time), the comments (human
updates) and the cross-references (PRs and issues that mention the incident) at once.

The issue form is written elsewhere; the headings parsed here are `FORM_FIELDS`, the one
place to change when the form changes. Headings match case-insensitively, ignoring anything
in parentheses ("Started at (UTC)"). An answer GitHub left empty reads `_No response_`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from github.Repository import Repository

from pmops.config import Config
from pmops.errors import InputError
from pmops.github.budget import RequestBudget
from pmops.github.own import OwnAccount, whoami
from pmops.github.rest import Api
from pmops.model import Alert, Incident, Severity, Update
from pmops.times import format_time, parse_time

FORM_FIELDS: Mapping[str, tuple[str, ...]] = {
    "severity": ("severity",),
    "services": ("services", "affected services", "service"),
    "started_at": ("started at", "start time", "incident start", "impact started"),
    "detected_at": ("detected at", "detection time", "detected"),
    "impact": ("customer impact", "impact"),
    "users_affected": ("users affected", "affected users", "customers affected"),
}
"""Incident field -> the issue-form headings (`### Heading`) that carry it."""

NO_RESPONSE = "_No response_"
"""What GitHub writes under a heading whose optional field was left empty."""

COMMANDS = ("/postmortem", "/regenerate")
"""Comments starting with these are commands to pmops, not updates about the incident."""

_HEADING = re.compile(r"^###[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_PARENS = re.compile(r"\([^()]*\)")
_SEVERITY = re.compile(r"\bsev(?:erity)?[\s_-]*([1-4])\b|^\s*([1-4])\s*(?:$|[-:(])", re.I)
_SEVERITY_WORDS = {"critical": Severity.SEV1, "major": Severity.SEV2, "minor": Severity.SEV4}
_UTC_SUFFIX = re.compile(r"(?<!\s)\s*(?:utc|gmt)\s*$", re.I)
_CHECKBOX = re.compile(r"^[-*]\s*\[([ xX])\]\s*(.*)$")
_NUMBER = re.compile(r"\d[\d,_]*")
_TITLE_PREFIX = re.compile(r"^\s*\[\s*incident\s*\]\s*:?\s*", re.I)
"""The issue form's `title: "[Incident] "` prefix: not part of the incident's title."""


@dataclass(frozen=True)
class CrossReference:
    """A PR or issue whose text mentions the incident (from the timeline)."""

    number: int
    title: str
    is_pull: bool
    at: datetime
    url: str = ""
    merged_at: datetime | None = None
    body: str = ""
    labels: tuple[str, ...] = ()
    repo: str = ""


@dataclass(frozen=True)
class IncidentRecord:
    """What the incident issue holds; `notes` say which of its fields could not be used."""

    incident: Incident
    updates: tuple[Update, ...] = ()
    alerts: tuple[Alert, ...] = ()
    cross_references: tuple[CrossReference, ...] = ()
    labels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------- the form


@dataclass(frozen=True)
class FormField:
    """One answered field: its heading as written and the answer text."""

    heading: str
    text: str


def parse_form(body: str) -> tuple[dict[str, FormField], str]:
    """Known fields of an issue-form body, and the text of every other section.

    Unknown sections (and text before the first heading) are kept, with their headings,
    as free text: they become the first human update.
    """
    body = body.replace("\r\n", "\n")
    known: dict[str, FormField] = {}
    rest: list[str] = []
    matches = list(_HEADING.finditer(body))
    if not matches:
        return known, body.strip()
    if lead := body[: matches[0].start()].strip():
        rest.append(lead)
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
        heading = match.group(1).strip()
        text = body[match.end() : end].strip()
        if text == NO_RESPONSE:
            text = ""
        key = _field_key(heading)
        if key and key not in known:
            if text:
                known[key] = FormField(heading, text)
        elif text:
            rest.append(f"{heading}: {text}")
    return known, "\n\n".join(rest)


def _field_key(heading: str) -> str | None:
    name = " ".join(_PARENS.sub(" ", heading).lower().replace(":", " ").split())
    return next((key for key, names in FORM_FIELDS.items() if name in names), None)


def parse_severity(text: str) -> Severity | None:
    """SEV-2, sev2, "Severity 2", "2 - major", "critical"; None when not understood."""
    if match := _SEVERITY.search(text):
        return Severity(f"SEV-{match.group(1) or match.group(2)}")
    lowered = text.lower()
    return next((sev for word, sev in _SEVERITY_WORDS.items() if word in lowered), None)


def parse_services(text: str) -> tuple[str, ...]:
    """Service names from a comma or line separated answer, or ticked checkboxes."""
    names: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if box := _CHECKBOX.match(line):
            if box.group(1) == " ":
                continue
            line = box.group(2)
        line = line.lstrip("-*• ").strip()
        names += [n.strip().strip("`'\"").strip() for n in line.split(",")]
    return tuple(dict.fromkeys(n for n in names if n))


def parse_form_time(field: FormField) -> datetime:
    """An aware UTC time from a form answer; a time without a zone is UTC only when the
    answer or its heading says UTC. Raises InputError otherwise (the caller falls back)."""
    text = field.text.strip().strip("`").strip()
    said_utc = bool(_UTC_SUFFIX.search(text)) or "utc" in field.heading.lower()
    text = _UTC_SUFFIX.sub("", text)
    try:
        return parse_time(text, field.heading)
    except InputError:
        if not said_utc:
            raise
    try:
        moment = datetime.fromisoformat(text.replace("T", " ", 1))
    except ValueError:
        raise InputError(f"{field.heading}: {field.text!r} is not a date and time") from None
    if moment.tzinfo is not None:
        raise InputError(f"{field.heading}: {field.text!r} names two time zones")
    return moment.replace(tzinfo=UTC)


def parse_count(text: str) -> int | None:
    """The first whole number in an answer ("about 2,300 users" -> 2300)."""
    match = _NUMBER.search(text)
    return int(match.group().replace(",", "").replace("_", "")) if match else None


# ---------------------------------------------------------------- the issue


def read_incident(
    gh_repo: Repository,
    number: int,
    config: Config,
    *,
    budget: RequestBudget | None = None,
    now: datetime | None = None,
    issue: Mapping[str, Any] | None = None,
) -> IncidentRecord:
    """Read incident issue `number` of `gh_repo` (GithubException when the issue cannot be
    read: without it there is no incident). `issue` is the issue's JSON when the caller has
    it (the event payload's): then only its timeline is requested."""
    api = Api(gh_repo.requester, budget or RequestBudget(config.request_budget))
    base = f"/repos/{gh_repo.full_name}/issues/{number}"
    if not (issue and issue.get("number") == number and "body" in issue):
        issue = api.get(base)
    timeline: list[dict[str, Any]] = []
    for page in api.pages(f"{base}/timeline", what="the incident's timeline", essential=True):
        timeline += page
    own = OwnAccount(lambda: whoami(api))
    return build_record(issue, timeline, config, now or datetime.now(UTC), own=own)


def incident_title(title: str) -> str:
    """The issue's title without the issue form's `[Incident] ` prefix."""
    return _TITLE_PREFIX.sub("", title).strip() or title.strip()


def build_record(
    issue: Mapping[str, Any],
    timeline: Iterable[Mapping[str, Any]],
    config: Config,
    now: datetime,
    *,
    own: OwnAccount | None = None,
) -> IncidentRecord:
    """The IncidentRecord of an issue and its timeline items (REST JSON).

    pmops's own comments and PRs (`pmops.github.own`) are left out: they are not evidence.
    """
    own = own or OwnAccount(lambda: None)
    notes: list[str] = []
    fields, free_text = parse_form(issue.get("body") or "")
    created = _time(issue["created_at"])
    items = list(timeline)
    started = _form_time(fields, "started_at", notes) or created
    resolved = _resolution(issue, items, config.resolved_label, now, notes)
    if started > resolved:
        notes.append(
            f"the form's start ({format_time(started)}) is after the resolution "
            f"({format_time(resolved)}); the issue's creation time is used as the start"
        )
        started = min(created, resolved)
    detected = _form_time(fields, "detected_at", notes)
    if detected is not None and not started <= detected <= resolved:
        notes.append(
            f"the form's detection time ({format_time(detected)}) lies outside the "
            "incident and is ignored"
        )
        detected = None
    severity = Severity.SEV3
    if "severity" in fields:
        parsed = parse_severity(fields["severity"].text)
        if parsed is None:
            notes.append(
                f"the form's severity {fields['severity'].text!r} is not understood; "
                "SEV-3 is assumed"
            )
        severity = parsed or severity
    incident = Incident(
        id=int(issue["number"]),
        title=incident_title(str(issue.get("title") or "")),
        started_at=started,
        resolved_at=resolved,
        severity=severity,
        detected_at=detected,
        services=parse_services(fields["services"].text) if "services" in fields else (),
        impact=fields["impact"].text if "impact" in fields else "",
        users_affected=parse_count(fields["users_affected"].text)
        if "users_affected" in fields
        else None,
        url=str(issue.get("html_url") or ""),
    )
    updates = _updates(items, own)
    if free_text:
        author = _login(issue.get("user"))
        updates = (Update(created, free_text, author), *updates)
    return IncidentRecord(
        incident=incident,
        updates=tuple(sorted(updates, key=lambda u: u.at)),
        cross_references=_cross_references(items, int(issue["number"]), own),
        labels=tuple(str(lab.get("name", "")) for lab in issue.get("labels") or ()),
        notes=tuple(f"Incident issue: {note}." for note in notes),
    )


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _form_time(fields: Mapping[str, FormField], key: str, notes: list[str]) -> datetime | None:
    if key not in fields:
        return None
    try:
        return parse_form_time(fields[key])
    except InputError as error:
        fallback = "the issue's creation time is used" if key == "started_at" else "it is ignored"
        notes.append(f"{error}; without a zone (write e.g. 2026-03-20 14:23 UTC) {fallback}")
        return None


def _resolution(
    issue: Mapping[str, Any],
    items: list[Mapping[str, Any]],
    label: str,
    now: datetime,
    notes: list[str],
) -> datetime:
    """When the resolved label was last added; else when the issue was closed; else now."""
    added = [
        _time(item["created_at"])
        for item in items
        if item.get("event") == "labeled"
        and str((item.get("label") or {}).get("name", "")).lower() == label.lower()
    ]
    if added:
        return max(added)
    if issue.get("closed_at"):
        return _time(issue["closed_at"])
    notes.append(
        f"it has no '{label}' label and is open, so the incident is taken to last "
        f"until now ({format_time(now)})"
    )
    return now


def is_bot(user: Mapping[str, Any] | None) -> bool:
    """Bots (GitHub Apps, Actions) post status, not human updates."""
    if not user:
        return True
    return user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")


def _login(user: Mapping[str, Any] | None) -> str:
    return str((user or {}).get("login", ""))


def _wrote(own: OwnAccount, user: Mapping[str, Any] | None, body: str) -> bool:
    return own.wrote(_login(user), str((user or {}).get("type", "")), body)


def _updates(items: Iterable[Mapping[str, Any]], own: OwnAccount) -> tuple[Update, ...]:
    updates = []
    for item in items:
        if item.get("event") != "commented":
            continue
        user = item.get("user") or item.get("actor")
        text = str(item.get("body") or "").strip()
        if is_bot(user) or not text or text.startswith(COMMANDS) or _wrote(own, user, text):
            continue
        updates.append(Update(_time(item["created_at"]), text, _login(user)))
    return tuple(updates)


def _cross_references(
    items: Iterable[Mapping[str, Any]], number: int, own: OwnAccount
) -> tuple[CrossReference, ...]:
    """PRs and issues that mention the incident, less pmops's own (its postmortem PRs and
    action-item issues, by its account and with its marker)."""
    found: dict[tuple[str, int], CrossReference] = {}
    for item in items:
        if item.get("event") != "cross-referenced":
            continue
        source = (item.get("source") or {}).get("issue") or {}
        if not source.get("number") or source["number"] == number:
            continue
        if _wrote(own, source.get("user"), str(source.get("body") or "")):
            continue
        pull = source.get("pull_request") or {}
        repo = str(source.get("repository_url") or "").split("/repos/")[-1]
        ref = CrossReference(
            number=int(source["number"]),
            title=str(source.get("title") or ""),
            is_pull=bool(pull),
            at=_time(item["created_at"]),
            url=str(source.get("html_url") or ""),
            merged_at=_time(pull["merged_at"]) if pull.get("merged_at") else None,
            body=str(source.get("body") or ""),
            labels=tuple(str(lab.get("name", "")) for lab in source.get("labels") or ()),
            repo=repo,
        )
        found.setdefault((repo, ref.number), ref)
    return tuple(sorted(found.values(), key=lambda r: (r.at, r.repo, r.number)))
