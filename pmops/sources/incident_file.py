"""The CLI incident file (schemas/incident.schema.json): what the incident issue would hold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pmops.config import BackendConfig, parse_backends
from pmops.documents.document import line_of, load_yaml, plain, read_text
from pmops.documents.schemas import describe, iter_errors
from pmops.errors import InputError
from pmops.model import Alert, Deploy, Incident, Severity, Update
from pmops.safety.files import repair_strings
from pmops.times import parse_time


@dataclass(frozen=True)
class IncidentFile:
    """An incident and the evidence its file carries (updates, deploys, alerts)."""

    incident: Incident
    updates: tuple[Update, ...] = ()
    deploys: tuple[Deploy, ...] = ()
    alerts: tuple[Alert, ...] = ()
    observability: tuple[BackendConfig, ...] = ()


def load_incident_file(path: Path) -> IncidentFile:
    """Read and validate an incident file (YAML or JSON); InputError names each problem's line."""
    name = str(path)
    if not path.is_file():
        raise InputError(f"{name}: no such incident file")
    raw = load_yaml(read_text(path, name), name)
    return parse_incident(raw, name)


def parse_incident(raw: Any, name: str = "<incident>") -> IncidentFile:
    """Validate parsed YAML/JSON data and build the incident and its evidence."""
    if not isinstance(raw, Mapping):
        raise InputError(f"{name}:1: an incident file must be a mapping of keys to values")
    data = repair_strings(plain(raw))  # `"\ud83d\ude00"` escapes: one character, not two
    for i, deploy in enumerate(data.get("deploys") or ()):
        if isinstance(deploy, dict) and isinstance(deploy.get("sha"), int):
            line = line_of(raw, ["deploys", i, "sha"])
            raise InputError(
                f"{name}:{line}: deploys.{i}.sha {deploy['sha']} reads as a number: "
                f'quote it (sha: "{deploy["sha"]}")'
            )
    problems = [
        f"{name}:{line_of(raw, list(error.absolute_path))}: {describe(error)}"
        for error in iter_errors("incident", data)
    ]
    if problems:
        raise InputError("invalid incident file:\n  " + "\n  ".join(problems))

    def time_of(value: Any, what: str) -> datetime:
        return parse_time(value, f"{name}: {what}")  # the schema passed it: only its range fails

    started = time_of(data["started_at"], "started_at")
    resolved = time_of(data["resolved_at"], "resolved_at")
    detected = time_of(data["detected_at"], "detected_at") if "detected_at" in data else None
    if resolved < started:
        line = line_of(raw, ["resolved_at"])
        raise InputError(
            f"{name}:{line}: resolved_at ({data['resolved_at']}) is before "
            f"started_at ({data['started_at']})"
        )
    if detected is not None and not started <= detected <= resolved:
        raise InputError(
            f"{name}:{line_of(raw, ['detected_at'])}: detected_at must lie between "
            "started_at and resolved_at"
        )
    impact = data.get("impact", {})
    incident = Incident(
        id=data["id"],
        title=data["title"].strip(),
        started_at=started,
        resolved_at=resolved,
        severity=Severity(data.get("severity", Severity.SEV3.value)),
        detected_at=detected,
        services=tuple(dict.fromkeys(data.get("services", ()))),
        impact=impact.get("description", ""),
        users_affected=impact.get("users_affected"),
    )
    return IncidentFile(
        incident=incident,
        updates=tuple(
            sorted(
                (
                    Update(time_of(u["at"], f"updates.{i}.at"), u["text"], u.get("author", ""))
                    for i, u in enumerate(data.get("updates", ()))
                ),
                key=lambda u: u.at,
            )
        ),
        deploys=tuple(
            sorted(
                (
                    Deploy(
                        at=time_of(d["at"], f"deploys.{i}.at"),
                        sha=d["sha"].lower(),
                        service=d.get("service", ""),
                        environment=d.get("environment", "production"),
                        status=d.get("status", "success"),
                    )
                    for i, d in enumerate(data.get("deploys", ()))
                ),
                key=lambda d: d.at,
            )
        ),
        alerts=tuple(
            sorted(
                (
                    Alert(
                        time_of(a["at"], f"alerts.{i}.at"),
                        a["name"],
                        a.get("text", ""),
                        a.get("service", ""),
                    )
                    for i, a in enumerate(data.get("alerts", ()))
                ),
                key=lambda a: a.at,
            )
        ),
        observability=parse_backends(data.get("observability", {})),
    )
