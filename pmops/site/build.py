"""Build the site incrementally: only pages whose postmortem changed are rendered again.

The build manifest (`OUT/.pmops-site.json`) records each postmortem file's size, mtime and
SHA-256 and its index entry. A file whose size and mtime are unchanged is not read; one whose
content hash is unchanged is not parsed; a change to the site templates or to pmops's version
renders every page again. With the tracking issues read from GitHub, a page records the
issues its action items link and a digest of their states: when one of them changes (closed,
reopened, overdue since), only the pages that show it are rendered again. The index, its
search data and the charts are rebuilt from the manifest's entries every time (no file is
parsed for them). Every file is written whole (temporary file, then rename) and the manifest
last, so an interrupted build is finished by the next one. Pages of postmortems that were
removed or are no longer published are deleted; nothing else in OUT is ever touched, and a
non-empty OUT without a manifest is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pmops.config import load_config
from pmops.errors import InputError
from pmops.history.search_fields import (
    MAX_WORKERS,
    PARALLEL_FROM,
    load_postmortem,
    scan_postmortems,
)
from pmops.model import Status
from pmops.resources import resource_dir
from pmops.safety.files import write_atomic
from pmops.site import DEFAULT_TITLE
from pmops.site.entries import Entry, ItemStates, entry_of
from pmops.site.pages import ASSETS, render_index, render_page, search_index, templates_digest

MANIFEST = ".pmops-site.json"
SITE_VERSION = 3
"""Bump when the manifest's shape changes: a mismatch renders every page again."""


@dataclass(frozen=True)
class SiteReport:
    """What a build did: pages listed and rendered, pages removed, files not read again
    (`unchanged`), and one message per file that could not be read (`skipped`)."""

    index: Path
    pages: int
    rendered: int
    removed: int
    unchanged: int
    skipped: tuple[str, ...] = ()
    unpublished: int = 0
    """Postmortems read but not shown: not published yet (and no `drafts` preview asked)."""


def write_file(path: Path, data: str) -> None:
    """Write a file whole (temporary file, then rename); no fsync: the site is rebuildable."""
    write_atomic(path, data, sync=False)


def load_manifest(out: Path) -> dict[str, Any]:
    """The manifest of a previous build in `out` ({} for a new or empty folder)."""
    path = out / MANIFEST
    if not path.is_file():
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise InputError(
                f"{out}: not empty and not a site built by pmops (no {MANIFEST}); "
                "choose a new or empty folder"
            )
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"files": {}}  # unreadable: render everything again, delete nothing unknown
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return {"files": {}}
    return data


Job = tuple[str, bytes, str, str, bool, ItemStates | None]
"""(repository path, bytes, postmortems folder, output folder, include drafts, item states)."""


def render_job(job: Job) -> tuple[str, dict[str, Any]]:
    """Parse one postmortem and write its page: (name, manifest fields: its entry or None if
    not shown, the error that kept it out, the tracking issues it shows)."""
    name, data, folder, out, drafts, states = job
    try:
        pm = load_postmortem(data, name)
    except InputError as exc:
        return name, {"entry": None, "error": str(exc), "issues": []}
    issues = sorted({item.issue for item in pm.action_items if item.issue is not None})
    if pm.status is not Status.PUBLISHED and not drafts:
        return name, {"entry": None, "error": "", "issues": []}
    entry = entry_of(name, folder, pm, states)
    write_file(Path(out) / entry.page, render_page(name, entry.page, pm, states))
    return name, {"entry": entry.to_json(), "error": "", "issues": issues}


def _render_all(jobs: Sequence[Job]) -> list[tuple[str, dict[str, Any]]]:
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2 or len(jobs) < PARALLEL_FROM:
        return [render_job(job) for job in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(render_job, jobs, chunksize=32))


def _stale(
    files: dict[str, str], known: dict[str, Any], fresh: bool, states: ItemStates | None
) -> tuple[list[tuple[str, bytes]], dict[str, Any]]:
    """Files to render (name, bytes), and manifest records (`entry` kept for unchanged ones):
    a file is rendered again when it changed or a tracking issue its page shows did."""
    jobs: list[tuple[str, bytes]] = []
    records: dict[str, Any] = {}
    for name, path in files.items():
        old = known.get(name) if not fresh else None
        if old and old.get("items") != items_digest(old.get("issues", ()), states):
            old = None
        stat = os.stat(path)
        stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        if old and (old["size"], old["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns):
            records[name] = old
            continue
        data = Path(path).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if old and old["sha256"] == digest:
            records[name] = {**old, **stamp}
            continue
        records[name] = {**stamp, "sha256": digest, "entry": None, "error": ""}
        jobs.append((name, data))
    return jobs, records


def items_digest(issues: Iterable[int], states: ItemStates | None) -> str:
    """A digest of the states, today, of the tracking issues a page shows ("" offline or
    when it shows none)."""
    numbers = list(issues)
    if states is None or not numbers:
        return ""
    rows = [
        (n, i.state(states.today).value if (i := states.issues.get(n)) else "") for n in numbers
    ]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def _copy_assets(out: Path) -> None:
    for name in ASSETS:
        source = resource_dir("templates") / "site" / name
        write_file(out / name, source.read_text(encoding="utf-8"))


def _remove_pages(out: Path, pages: set[str]) -> None:
    """Delete pages of an earlier build, and folders they leave empty under pm/."""
    for page in sorted(pages):
        path = out / page
        path.unlink(missing_ok=True)
        for parent in path.parents:
            if parent == out or not parent.is_relative_to(out / "pm"):
                break
            if parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()


def build_site(
    repo: Path,
    out: Path,
    title: str = DEFAULT_TITLE,
    *,
    drafts: bool = False,
    states: ItemStates | None = None,
) -> SiteReport:
    """Build or bring up to date the site of `repo`'s published postmortems in `out`.

    With `drafts`, drafts and edited postmortems are shown too, marked (a local preview).
    With `states` (the tracking issues read from GitHub), action items show their issue's
    state; a change of a state renders the pages that show that issue again. When nothing
    changed, nothing is written at all."""
    repo, out = repo.resolve(), out.resolve()
    folder = load_config(repo).postmortems_dir
    manifest = load_manifest(out)
    known: dict[str, Any] = manifest.get("files", {})
    settings = {
        "version": SITE_VERSION,
        "templates": templates_digest(),
        "drafts": drafts,
        "online": states is not None,
    }
    fresh = any(manifest.get(key) != value for key, value in settings.items())
    files = scan_postmortems(repo, folder)
    jobs, records = _stale(files, known, fresh, states)
    out.mkdir(parents=True, exist_ok=True)
    rendered = 0
    for name, fields in _render_all([(n, d, folder, str(out), drafts, states) for n, d in jobs]):
        fields["items"] = items_digest(fields["issues"], states)
        records[name].update(fields)
        rendered += fields["entry"] is not None
    skipped = tuple(r["error"] for r in records.values() if r.get("error"))
    hidden = sum(1 for r in records.values() if not r.get("entry") and not r.get("error"))
    report = SiteReport(out / "index.html", 0, rendered, 0, len(files) - len(jobs), skipped, hidden)
    if not fresh and records == known and manifest.get("title") == title:
        return replace(report, pages=sum(1 for r in records.values() if r.get("entry")))
    old_pages = {r["entry"]["page"] for r in known.values() if r.get("entry")}
    entries = [Entry.from_json(r["entry"]) for r in records.values() if r.get("entry")]
    entries.sort(key=lambda e: (e.started_at, e.source), reverse=True)
    gone = old_pages - {e.page for e in entries}
    _remove_pages(out, gone)
    if fresh:
        _copy_assets(out)
    write_file(out / "search-index.js", search_index(entries))
    write_file(out / "index.html", render_index(entries, title, drafts))
    data = {**settings, "title": title, "files": records}
    write_file(out / MANIFEST, json.dumps(data, separators=(",", ":")))
    return replace(report, pages=len(entries), removed=len(gone))
