"""`pmops stats`: incident figures, action items done, and how much reviewers changed drafts."""

from __future__ import annotations

import json
import random
import statistics
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmops.cli.history import stats_command
from pmops.cli.main import PmopsGroup
from pmops.history.search import open_index
from pmops.history.stats import changed_share, compute_stats, summarize
from pmops.model import Postmortem, Severity, Status
from tests.corpus import THEMES, make_postmortem, postmortem_path, write_corpus, write_postmortem


@pytest.fixture(autouse=True)
def _cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _published(
    number: int, service: str, severity: Severity, start: datetime, minutes: int
) -> Postmortem:
    theme = THEMES[number % len(THEMES)]
    pm = make_postmortem(
        random.Random(number), number, theme, theme.variants[0], (service,), severity, start
    )
    resolved = start + timedelta(minutes=minutes)
    return replace(
        pm,
        resolved_at=resolved,
        detected_at=start,
        duration_minutes=minutes,
        status=Status.PUBLISHED,
        published_at=resolved,
        published_by="bob",
        edited_by=("alice",),
    )


def test_summary_figures(tmp_path: Path) -> None:
    jan, feb = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 2, 3, tzinfo=UTC)
    for pm in (
        _published(1, "auth-service", Severity.SEV1, jan, 30),
        _published(2, "auth-service", Severity.SEV2, jan, 90),
        _published(3, "payments", Severity.SEV2, feb, 60),
    ):
        write_postmortem(tmp_path, pm)
    with open_index(tmp_path) as index:
        stats = summarize(index.records())
    assert stats.incidents == 3
    assert stats.mttr_minutes == 60 and stats.median_minutes == 60
    assert stats.by_severity == {"SEV-1": 1, "SEV-2": 2, "SEV-3": 0, "SEV-4": 0}
    assert list(stats.by_service.items()) == [("auth-service", 2), ("payments", 1)]
    assert stats.by_month == {
        "2026-01": {"SEV-1": 1, "SEV-2": 1, "SEV-3": 0, "SEV-4": 0},
        "2026-02": {"SEV-1": 0, "SEV-2": 1, "SEV-3": 0, "SEV-4": 0},
    }
    assert stats.mttr_by_month == {"2026-01": 60, "2026-02": 60}


def test_action_items_done_share(tmp_path: Path) -> None:
    pm = _published(4, "ledger", Severity.SEV3, datetime(2026, 1, 1, tzinfo=UTC), 10)
    items = (pm.action_items[0], replace(pm.action_items[0], title="Second thing", issue=None))
    ticked = f"- [x] {items[0].title}\n- [ ] Second thing"
    write_postmortem(
        tmp_path, replace(pm, action_items=items, sections={**pm.sections, "Action items": ticked})
    )
    stats = compute_stats(tmp_path)
    # offline: one box is ticked, but whether the items are done is unknown (not guessed)
    assert (stats.action_items, stats.action_items_done, stats.action_items_done_share) == (
        2,
        1,
        None,
    )


def test_changed_share() -> None:
    assert changed_share("a\nb\nc\nd", "a\nb\nc\nd") == 0
    assert changed_share("a\nb\nc\nd", "a\nb\nc\nX") == 0.25
    assert changed_share("", "") == 0
    assert changed_share("a", "") == 1


def test_draft_edits_compare_published_files_with_their_ai_copy(tmp_path: Path) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    shares = []
    for number in range(1, 4):
        pm = _published(number, "checkout", Severity.SEV3, start + timedelta(days=number), 20)
        path = write_postmortem(tmp_path, pm)
        draft = dict(pm.sections)
        if number != 3:  # reviewers rewrote the root cause of two of three
            draft["Root cause"] = "Unknown."
        write_postmortem(
            tmp_path,
            replace(pm, sections=draft, status=Status.DRAFT, published_at=None, published_by=None),
            path.replace("postmortems/", "postmortems/.drafts/"),
        )
        shares.append(0.0 if number == 3 else 1.0)
    unpublished = _published(9, "checkout", Severity.SEV4, start, 5)
    unpublished = replace(unpublished, status=Status.EDITED, published_at=None, published_by=None)
    write_postmortem(tmp_path, unpublished)  # no draft copy compared: not published
    (tmp_path / "postmortems/.drafts" / Path(postmortem_path(unpublished)).name).write_text("x")
    drafts = compute_stats(tmp_path).drafts
    assert drafts is not None and drafts.compared == 3
    assert drafts.by_section["Root cause"] == statistics.median(shares) == 1.0
    assert drafts.by_section["Summary"] == 0
    assert 0 < drafts.median_changed < 0.2  # type: ignore[operator]


def test_stats_cli_on_a_generated_corpus(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, 60, drafts=True)
    group = PmopsGroup(commands=[stats_command])
    result = CliRunner().invoke(
        group, ["stats", "--repo", str(tmp_path), "--json"], catch_exceptions=False
    )
    figures = json.loads(result.stdout)
    assert figures["incidents"] == len(corpus.docs)
    published = sum(d.postmortem.status is Status.PUBLISHED for d in corpus.docs)
    assert figures["draft_edits"]["compared"] == published
    assert 0 <= figures["draft_edits"]["median_changed_share"] <= 1
    assert figures["action_items"]["state"] == "unknown"
    assert figures["action_items"]["done"] is None and figures["action_items"]["ticked"] >= 0
    text = CliRunner().invoke(group, ["stats", "--repo", str(tmp_path)], catch_exceptions=False)
    assert "MTTR:" in text.stdout and "draft edits:" in text.stdout


def test_stats_of_an_empty_repository(tmp_path: Path) -> None:
    group = PmopsGroup(commands=[stats_command])
    result = CliRunner().invoke(group, ["stats", "--repo", str(tmp_path)], catch_exceptions=False)
    assert result.stdout == "no postmortems yet\n"
