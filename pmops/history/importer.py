"""`pmops import DIR`: markdown postmortems written elsewhere become history postmortems.

Every `.md`/`.markdown` file under DIR (README.md excepted) is read as untrusted text,
its basic fields inferred (`pmops.history.infer`), secrets redacted, and written to
`postmortems/YYYY/YYYY-MM-DD-<id>-<slug>.md` with the frontmatter of
`schemas/history.schema.json` and the document's own body. Every file is planned before any is
written; a file that exists is never overwritten; each file appears whole or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pmops.documents.document import dump_yaml, parse_document, plain, read_text
from pmops.draft.compose import slugify
from pmops.errors import InputError
from pmops.history.hand_written import history_problems
from pmops.history.infer import infer
from pmops.safety.files import write_atomic
from pmops.safety.redact import redact_secrets
from pmops.times import format_time

SUFFIXES = (".md", ".markdown")

KEY_ORDER = ("id", "title", "status", "severity", "started_at", "detected_at", "resolved_at",
             "duration_minutes", "services", "imported_from")  # fmt: skip
"""Frontmatter keys in the order an imported file lists them (the rest follow)."""

_H1_LINE = re.compile(r"^#\s+.*\n?", re.MULTILINE)


@dataclass(frozen=True)
class Planned:
    """What importing one source file will do: `dest` and `text`, or why it cannot."""

    source: str
    dest: str | None = None
    text: str | None = None
    inferred: tuple[str, ...] = ()
    problem: str | None = None
    exists: bool = False


def find_sources(folder: Path) -> list[Path]:
    """Markdown files under `folder`, sorted; InputError when it is not a folder."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of markdown postmortems")
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in SUFFIXES and p.is_file() and p.name.lower() != "readme.md"
    )


def normalize_id(raw: Any, stem: str) -> int | str:
    """An id `pmops check` accepts and a file name keeps: digits as a number, else letters,
    digits, dots, dashes and underscores (a tracker's `INC-2025-031` stays as it is)."""
    text = str(raw).strip() if raw not in (None, "") else stem
    if text.isdigit() and int(text) > 0:
        return int(text)
    ident = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_.-")[:64].rstrip("_.-")
    return ident or "imported"


def split_source(text: str, name: str) -> tuple[dict[str, Any], str]:
    """(frontmatter mapping or {}, body) of a source file."""
    if not text.startswith("---"):
        return {}, text
    doc = parse_document(text, name)
    return plain(doc.meta), "\n".join(text.split("\n")[doc.body_line - 1 :])


def plan_one(path: Path, root: Path, repo: Path, folder: str, default: str | None) -> Planned:
    """Read and infer one source file; the file it would become, or its problem."""
    name = path.relative_to(root).as_posix()
    try:
        text, _ = redact_secrets(read_text(path, name))
        meta, body = split_source(text, name)
    except InputError as exc:
        return Planned(name, problem=str(exc).removeprefix(f"{name}: "))
    found = infer(body, meta)
    if "severity" not in found.meta and default:
        found.meta["severity"] = default
        found.sources["severity"] = "--severity"
        found.missing = [m for m in found.missing if not m.startswith("severity")]
    found.meta.setdefault("title", path.stem.replace("-", " ").replace("_", " ").strip())
    found.meta["id"] = normalize_id(found.meta.get("id"), path.stem)
    found.meta.setdefault("status", "published")
    found.meta["imported_from"] = name
    if found.missing:
        return Planned(name, problem="; ".join(found.missing))
    data = {k: found.meta[k] for k in KEY_ORDER if k in found.meta}
    data |= {k: v for k, v in found.meta.items() if k not in data}
    problems = history_problems(
        {k: format_time(v) if isinstance(v, datetime) else v for k, v in data.items()}
    )
    if problems:
        return Planned(name, problem="; ".join(problems))
    start = found.meta["started_at"]
    dest = f"{folder}/{start:%Y}/{start:%Y-%m-%d}-{data['id']}-{slugify(data['title'])}.md"
    content = (
        f"---\n{dump_yaml(data)}---\n# {data['title']}\n\n{_H1_LINE.sub('', body, 1).strip()}\n"
    )
    notes = tuple(f"{key} from {how}" for key, how in sorted(found.sources.items()))
    return Planned(name, dest, content, notes, exists=(repo / dest).exists())


def plan_import(
    folder: Path, repo: Path, postmortems: str, default_severity: str | None = None
) -> list[Planned]:
    """The plan for every source file, in order; two sources for one destination: one wins."""
    plans = [plan_one(p, folder, repo, postmortems, default_severity) for p in find_sources(folder)]
    taken: dict[str, str] = {}
    result = []
    for plan in plans:
        if plan.dest and plan.dest in taken:
            plan = Planned(plan.source, problem=f"same file as {taken[plan.dest]} ({plan.dest})")
        elif plan.dest:
            taken[plan.dest] = plan.source
        result.append(plan)
    return result


def import_files(repo: Path, plans: list[Planned]) -> list[Planned]:
    """Write every planned file that does not exist yet; the plans, `exists` updated."""
    done = []
    for plan in plans:
        if plan.dest and plan.text and not plan.exists:
            try:
                written = write_atomic(repo / plan.dest, plan.text, overwrite=False)
            except InputError as exc:
                plan = Planned(plan.source, problem=str(exc))
            else:
                plan = plan if written else replace(plan, exists=True)
        done.append(plan)
    return done
