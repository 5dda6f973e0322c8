"""The history step: past postmortems read back for a new draft (similar incidents and
recurrence), the one place a draft's run opens the search index.

The pipeline calls `similar_incidents` once per draft and hands its result on (the draft,
the verifier and the PR body read the same `SimilarResult`); `analyze/similar.py` ranks over
an index it is given and does no I/O of its own. The index code loads only when the
repository has a postmortems folder.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pmops.analyze.mentions import incident_text
from pmops.config import Config
from pmops.errors import PmopsError
from pmops.model import Analysis

if TYPE_CHECKING:
    from pmops.history.similar import SimilarResult

TOP_SUSPECTS = 3
"""Suspects whose files describe the incident to the similarity (the likeliest causes)."""
FILES_PER_SUSPECT = 10
"""Files of each suspect compared with past incidents' paths (a huge change adds noise)."""


def similar_incidents(repo: Path, analysis: Analysis, config: Config) -> SimilarResult | None:
    """Past incidents among `repo`'s postmortems like the analyzed one; None when the
    repository has none or the index cannot be read (the draft goes on without them)."""
    if not (repo / config.postmortems_dir).is_dir():
        return None
    evidence = analysis.evidence
    shas = {s.sha for s in analysis.suspects[:TOP_SUSPECTS]}
    paths = [f.path for c in evidence.changes if c.sha in shas for f in c.files[:FILES_PER_SUSPECT]]
    errors = [log.message for log in evidence.logs] + [a.name for a in evidence.alerts]
    try:
        return find_similar(
            repo,
            services=evidence.incident.services,
            paths=paths,
            text=incident_text(evidence),
            errors=errors,
            exclude_id=evidence.incident.id,
            now=evidence.incident.started_at,
            folder=config.postmortems_dir,
        )
    except (PmopsError, OSError, sqlite3.Error):
        return None


def find_similar(
    repo: Path,
    *,
    services: Sequence[str],
    paths: Sequence[str],
    text: str,
    errors: Sequence[str],
    limit: int = 5,
    exclude_id: int | str | None = None,
    now: datetime | None = None,
    folder: str | None = None,
) -> SimilarResult:
    """Past incidents of `repo` (started before `now`) most like the one described, from
    its index brought up to date (postmortems under `folder`; None: the configured one)."""
    from pmops.history.search import SearchIndex
    from pmops.history.similar import similar_in

    with SearchIndex(repo, folder=folder) as index:
        index.update()
        return similar_in(
            index,
            services=services,
            paths=paths,
            text=text,
            errors=errors,
            limit=limit,
            exclude_id=exclude_id,
            now=now,
        )
