"""Action items' state read back from their tracking issues on the fake GitHub: `pmops stats`
and `pmops index` with `--github` (one list request per page of issues), and offline, where
the state is reported unknown instead of guessed."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmops.cli.history import index_command, stats_command
from pmops.cli.main import PmopsGroup
from pmops.follow.action_items import ITEM_LABEL, count_items, tracking_issue
from pmops.follow.item_status import ItemStatus
from pmops.history.index_page import STATUS_START, build_index_page, write_index_page
from pmops.model import Severity, Status
from tests.corpus import THEMES, make_postmortem, write_postmortem
from tests.github_fake import FakeGitHub

OWNER, REPO = "acme", "shop"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PMOPS_TEST_TOKEN", "test-token")


def _item(
    fake: FakeGitHub,
    incident: int,
    n: int,
    *,
    due: str,
    priority: str,
    closed_after: timedelta | None = None,
) -> None:
    with fake.at(T0):
        issue = fake.create_issue(
            OWNER,
            REPO,
            f"Item {n} of #{incident}",
            f"Due: {due}\n\n<!-- pmops:action-item:{incident}-{n:012x} -->",
            labels=[ITEM_LABEL, f"priority: {priority}"],
        )
    if closed_after is not None:
        with fake.at(T0 + closed_after):
            fake.close_issue(OWNER, REPO, issue.number)


@pytest.fixture
def repo(tmp_path: Path, fake_github: FakeGitHub) -> Path:
    """Two published postmortems (incidents 4 and 5) locally; 150 tracking issues on GitHub."""
    with fake_github.at(T0 - timedelta(days=30)):
        fake_github.create_repo(OWNER, REPO, files={"README.md": "x\n"})
        late = fake_github.create_issue(
            OWNER, REPO, "Checkout down", "### Severity\n\nSEV-1\n", labels=["incident"]
        )
        fake_github.close_issue(OWNER, REPO, late.number)  # no postmortem: overdue
    theme = THEMES[0]
    for number in (4, 5):
        pm = make_postmortem(
            random.Random(number),
            number,
            theme,
            theme.variants[0],
            ("api",),
            Severity.SEV2,
            T0 - timedelta(days=number),
        )
        write_postmortem(tmp_path, pm.__class__(**{**pm.__dict__, "status": Status.PUBLISHED}))
    for n in range(140):  # many open items of incident 4, not yet due
        _item(fake_github, 4, n, due="2099-12-01", priority="low")
    for n in range(140, 146):  # closed: 2 and 4 days to close
        _item(
            fake_github,
            5,
            n,
            due="2026-03-10",
            priority="high",
            closed_after=timedelta(days=2 if n % 2 else 4),
        )
    for n in range(146, 150):  # overdue
        _item(fake_github, 5, n, due="2026-03-05", priority="medium")
    return tmp_path


def _run(fake: FakeGitHub, *args: str) -> str:
    group = PmopsGroup(commands=[stats_command, index_command])
    result = CliRunner().invoke(
        group,
        [
            *args,
            "--github",
            f"{OWNER}/{REPO}",
            "--token-env",
            "PMOPS_TEST_TOKEN",
            "--api-url",
            fake.api_url,
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_counts_and_days_to_close() -> None:
    def issue(n: int, state: str, due: str, closed: int | None, label: str) -> object:
        return tracking_issue(
            n,
            "t",
            f"Due: {due}\n<!-- pmops:action-item:1-{n:012x} -->",
            state,
            T0,
            T0 + timedelta(days=closed) if closed else None,
            [label],
        )

    issues = [
        issue(1, "open", "2026-03-02", None, "priority: high"),
        issue(2, "open", "2026-03-09", None, "priority: high"),
        issue(3, "closed", "2026-03-02", 3, "priority: high"),
        issue(4, "closed", "2026-03-02", 5, "priority: low"),
    ]
    counts = count_items(issues, date(2026, 3, 5))  # type: ignore[arg-type]
    assert (counts.open, counts.overdue, counts.closed) == (1, 1, 2)
    assert counts.close_days == {"high": 3.0, "low": 5.0}
    assert tracking_issue(9, "t", "no marker", "open", T0, None, []) is None


def test_stats_reads_state_in_one_request_per_page(repo: Path, fake_github: FakeGitHub) -> None:
    fake_github.reset_log()
    figures = json.loads(_run(fake_github, "stats", "--repo", str(repo), "--json"))
    items = figures["action_items"]
    assert items["state"] == "github" and items["tracked"] == 150
    assert (items["open"], items["done"], items["overdue"]) == (140, 6, 4)
    assert items["median_days_to_close"] == {"high": 3.0}
    assert items["done_share"] == round(6 / 150, 4)
    lists = [r for r in fake_github.requests if r.route == "/repos/{owner}/{repo}/issues"]
    assert len(lists) == 3  # 150 tracking issues, 100 a page; one page of incidents
    text = _run(fake_github, "stats", "--repo", str(repo))
    assert "150 tracked: 6 closed, 140 open, 4 overdue" in text
    assert "days to close:    high 3 (median, by priority)" in text
    assert "overdue postmortems: #1" in text
    assert figures["postmortems_overdue"] == [1]


def test_stats_offline_says_unknown(repo: Path) -> None:
    group = PmopsGroup(commands=[stats_command])
    result = CliRunner().invoke(group, ["stats", "--repo", str(repo)], catch_exceptions=False)
    assert "open/closed/overdue unknown offline" in result.stdout
    assert "overdue postmortems" not in result.stdout
    missing = CliRunner().invoke(
        group, ["stats", "--repo", str(repo), "--github", "a/b", "--token-env", "PMOPS_NO_SUCH_VAR"]
    )
    assert missing.exit_code != 0 and "needs a token in $PMOPS_NO_SUCH_VAR" in missing.output


def test_index_page_shows_state_and_check_ignores_it(repo: Path, fake_github: FakeGitHub) -> None:
    _run(fake_github, "index", "--repo", str(repo))
    page = (repo / "postmortems" / "README.md").read_text()
    assert STATUS_START in page and "6 closed, 140 open, 4 overdue" in page
    assert '"Overdue" : 4' in page and "| high | 3 |" in page
    assert page.count("(due 2026-03-05)") == 4
    assert "Postmortems overdue (required, past their deadline, not published): #1." in page
    # CI has no token: the page without state is not stale, and a real change still is.
    _, stale = write_index_page(repo, check=True)
    assert not stale
    # An offline refresh (a later pmops PR, `pmops index` without a token) keeps the dated
    # state block instead of erasing it.
    write_index_page(repo)
    assert "6 closed, 140 open, 4 overdue" in (repo / "postmortems" / "README.md").read_text()
    offline = build_index_page(repo).text
    assert "open, closed and overdue items here" in offline and "Overdue" not in offline
    status = ItemStatus(date(2026, 3, 20), ())
    assert "0 closed, 0 open, 0 overdue" in build_index_page(repo, status).text
