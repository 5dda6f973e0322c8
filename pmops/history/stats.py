"""`pmops stats`: MTTR, incidents by severity, service and month, action items done, and how
much reviewers changed the AI drafts.

Draft edits: for each published postmortem with an AI copy in `<folder>/.drafts/<same path>`
(or `.drafts/<same file name>`), the share of body lines changed is `1 - difflib ratio` of the
two bodies' lines, overall and per section. The median over postmortems is the number that
tells a team whether the drafts are good: near 0, reviewers accept them; near 1, they rewrite.

Action items: done means the tracking issue is closed (`pmops.follow.item_status`, read with a
token); offline the state is unknown and reported as such, with the boxes ticked in the files
shown as what they are.
"""

from __future__ import annotations

import difflib
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pmops.documents.document import read_text
from pmops.errors import InputError
from pmops.follow.action_items import ItemCounts
from pmops.history.search import Record, note, open_index
from pmops.history.search_fields import split_file
from pmops.model import SECTIONS, Severity, Status


@dataclass(frozen=True)
class DraftEdits:
    """How much reviewers changed AI drafts (shares of lines, 0..1)."""

    compared: int
    median_changed: float | None
    by_section: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Stats:
    """Figures over every postmortem; months are `YYYY-MM` (UTC) of the incident start."""

    incidents: int
    mttr_minutes: float | None
    median_minutes: float | None
    by_severity: Mapping[str, int]
    by_service: Mapping[str, int]
    by_month: Mapping[str, Mapping[str, int]]
    mttr_by_month: Mapping[str, float]
    action_items: int
    action_items_done: int  # ticked `- [x]` in the files
    drafts: DraftEdits | None = None
    items: ItemCounts | None = None  # from the tracking issues; None: unknown (offline)
    late_postmortems: tuple[int, ...] | None = None  # required, past deadline; None: unknown

    @property
    def action_items_done_share(self) -> float | None:
        """Closed tracking issues over all of them; None when unknown or there are none."""
        if self.items is None or not self.items.total:
            return None
        return self.items.closed / self.items.total


def summarize(records: Sequence[Record]) -> Stats:
    """Figures over indexed postmortems (draft edits are added by `compute_stats`)."""
    durations = [r.duration_minutes for r in records]
    by_severity = Counter(r.severity for r in records)
    services = Counter(s for r in records for s in dict.fromkeys(r.services))
    months: dict[str, Counter[str]] = {}
    minutes: dict[str, list[int]] = {}
    for record in records:
        month = record.started_at.strftime("%Y-%m")
        months.setdefault(month, Counter())[record.severity] += 1
        minutes.setdefault(month, []).append(record.duration_minutes)
    return Stats(
        incidents=len(records),
        mttr_minutes=round(statistics.fmean(durations), 1) if durations else None,
        median_minutes=float(statistics.median(durations)) if durations else None,
        by_severity={s.value: by_severity[s.value] for s in Severity},
        by_service=dict(sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_month={m: {s.value: months[m][s.value] for s in Severity} for m in sorted(months)},
        mttr_by_month={m: round(statistics.fmean(minutes[m]), 1) for m in sorted(minutes)},
        action_items=sum(r.actions_total for r in records),
        action_items_done=sum(r.actions_done for r in records),
    )


def changed_share(before: str, after: str) -> float:
    """Share of lines changed between two texts: 1 - difflib's similarity ratio."""
    a, b = before.strip().splitlines(), after.strip().splitlines()
    if not a and not b:
        return 0.0
    return round(1 - difflib.SequenceMatcher(None, a, b, autojunk=False).ratio(), 4)


def draft_path(repo: Path, folder: str, path: str) -> Path | None:
    """The AI copy of a postmortem: `.drafts/<same path>`, else `.drafts/<same name>`."""
    base = repo / folder
    relative = Path(path).relative_to(folder) if path.startswith(f"{folder}/") else Path(path)
    for candidate in (base / ".drafts" / relative, base / ".drafts" / relative.name):
        if candidate.is_file():
            return candidate
    return None


def draft_edits(repo: Path, folder: str, records: Sequence[Record]) -> DraftEdits:
    """Compare every published postmortem with its AI draft copy, if it has one."""
    overall: list[float] = []
    sections: dict[str, list[float]] = {}
    for record in records:
        copy = draft_path(repo, folder, record.path) if record.status == Status.PUBLISHED else None
        if copy is None:
            continue
        try:
            draft = _sections(copy, copy.relative_to(repo).as_posix())
            final = _sections(repo / record.path, record.path)
        except (InputError, OSError) as exc:
            note(f"warning: draft edits of {record.path} skipped: {exc}")
            continue
        overall.append(changed_share(_body(draft), _body(final)))
        for heading in dict.fromkeys([*draft, *final]):
            before, after = draft.get(heading, ""), final.get(heading, "")
            if before or after:
                sections.setdefault(heading, []).append(changed_share(before, after))
    order = {h: i for i, h in enumerate(SECTIONS)}
    by_section = {
        h: round(statistics.median(v), 4)
        for h, v in sorted(sections.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))
    }
    median = round(statistics.median(overall), 4) if overall else None
    return DraftEdits(len(overall), median, by_section)


def _sections(path: Path, name: str) -> dict[str, str]:
    """The body sections of a file; the frontmatter is not needed, so it is not parsed."""
    return split_file(read_text(path, name), name)[1]


def _body(sections: Mapping[str, str]) -> str:
    return "\n".join(f"## {h}\n{t}" for h, t in sections.items())


def compute_stats(
    repo: Path, items: ItemCounts | None = None, late: tuple[int, ...] | None = None
) -> Stats:
    """Every figure of `pmops stats` for a repository (updating its search index); `items`
    is the tracking issues' state when it could be read."""
    with open_index(repo) as index:
        records = index.records()
        folder = index.folder
    stats = summarize(records)
    return replace(
        stats,
        drafts=draft_edits(repo.resolve(), folder, records),
        items=items,
        late_postmortems=late,
    )


def stats_json(stats: Stats) -> dict[str, Any]:
    """The JSON object `pmops stats --json` prints (stable keys)."""
    drafts = stats.drafts
    return {
        "incidents": stats.incidents,
        "mttr_minutes": stats.mttr_minutes,
        "median_minutes": stats.median_minutes,
        "by_severity": dict(stats.by_severity),
        "by_service": dict(stats.by_service),
        "by_month": {m: dict(v) for m, v in stats.by_month.items()},
        "mttr_by_month": dict(stats.mttr_by_month),
        "action_items": _items_json(stats),
        "postmortems_overdue": None
        if stats.late_postmortems is None
        else list(stats.late_postmortems),
        "draft_edits": None
        if drafts is None
        else {
            "compared": drafts.compared,
            "median_changed_share": drafts.median_changed,
            "by_section": dict(drafts.by_section),
        },
    }


def _items_json(stats: Stats) -> dict[str, Any]:
    """Items in the files, and their issues' state (null when unknown, never guessed)."""
    items = stats.items
    return {
        "total": stats.action_items,
        "ticked": stats.action_items_done,
        "state": "unknown" if items is None else "github",
        "tracked": None if items is None else items.total,
        "done": None if items is None else items.closed,
        "open": None if items is None else items.open,
        "overdue": None if items is None else items.overdue,
        "done_share": _share(stats.action_items_done_share),
        "median_days_to_close": None if items is None else dict(items.close_days),
    }


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
