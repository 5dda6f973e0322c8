"""`pmops site --github`: each postmortem's page and the index show its action items' state
from their tracking issues (open, closed, overdue), read from the fake GitHub in one list;
offline the state is unknown, never guessed from the file's ticked boxes."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmops.cli.main import cli
from pmops.model import ActionItem, Priority, Status
from tests.corpus import write_postmortem
from tests.github_fake import FakeGitHub
from tests.samples import sample_postmortem

OWNER, REPO = "acme", "shop"
ITEM_LABEL = "postmortem:action-item"


def tracking(fake: FakeGitHub, title: str, due: str, incident: int, key: str) -> int:
    body = f"x\n\nDue: {due}\n\n<!-- pmops:action-item:{incident}-{key} -->"
    return fake.create_issue(OWNER, REPO, title, body, user="pmops-bot", labels=[ITEM_LABEL]).number


@pytest.fixture
def setup(fake_github: FakeGitHub, tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """Tracking issues (closed, overdue, open, and an issue that is not one) and a published
    postmortem whose every box is ticked."""
    fake = fake_github
    fake.create_repo(OWNER, REPO, files={"README.md": "# shop\n"})
    n = {
        "closed": tracking(fake, "Add CI check", "2026-01-10", 42, "0123456789ab"),
        "overdue": tracking(fake, "Pool alerts", "2026-01-20", 42, "ba9876543210"),
        "open": tracking(fake, "Runbook", "2999-01-01", 42, "aaaaaaaaaaaa"),
        "other": fake.create_issue(OWNER, REPO, "A bug", "no marker").number,
    }
    fake.close_issue(OWNER, REPO, n["closed"])
    items = tuple(
        ActionItem(f"Item {key}", Priority.HIGH, "@team-auth", issue=number, due=date(2026, 1, 10))
        for key, number in n.items()
    ) + (ActionItem("Item untracked", Priority.LOW),)
    ticked = "\n".join(f"- [x] **{a.priority.value}** {a.title}" for a in items)
    pm = sample_postmortem(status=Status.PUBLISHED, action_items=items)
    pm = replace(pm, sections={**pm.sections, "Action items": ticked})
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    path = write_postmortem(root, pm)
    return root / path, n


def site(root: Path, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(
        cli, ["site", str(out), "--repo", str(root), *extra], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def states(html: str) -> dict[str, str]:
    """Each action item's title and its state cell."""
    rows = re.findall(r"<tr><td>(Item \w+)</td>.*?status-(\w+)\">", html)
    return dict(rows)


def test_pages_and_index_show_the_issues_state(
    setup: tuple[Path, dict[str, int]],
    fake_github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, n = setup
    root = source.parents[2]
    monkeypatch.setenv("PMOPS_TEST_TOKEN", "test-token")
    online = (
        "--github",
        f"{OWNER}/{REPO}",
        "--token-env",
        "PMOPS_TEST_TOKEN",
        "--api-url",
        fake_github.api_url,
    )
    out = tmp_path / "site"
    fake_github.reset_log()
    site(root, out, *online)
    assert [r.path for r in fake_github.requests] == [
        f"/repos/{OWNER}/{REPO}",
        f"/repos/{OWNER}/{REPO}/issues",
    ]  # one list of issues
    page = next((out / "pm").rglob("*.html")).read_text()
    assert states(page) == {
        "Item closed": "closed",
        "Item overdue": "overdue",
        "Item open": "open",
        "Item other": "unknown",
        "Item untracked": "untracked",
    }
    assert "State unknown" not in page
    index = (out / "index.html").read_text()
    assert "1 of 5 closed" in index and "1 overdue" in index

    # The overdue item is closed on GitHub: the next build renders the page again.
    fake_github.close_issue(OWNER, REPO, n["overdue"])
    site(root, out, *online)
    page = next((out / "pm").rglob("*.html")).read_text()
    assert states(page)["Item overdue"] == "closed"
    assert "2 of 5 closed" in (out / "index.html").read_text()

    # Offline: unknown, although every box in the file is ticked.
    site(root, out)
    page = next((out / "pm").rglob("*.html")).read_text()
    assert set(states(page).values()) == {"unknown", "untracked"}
    assert "State unknown" in page and "pmops site --github OWNER/NAME" in page
    assert "5, state unknown" in (out / "index.html").read_text()


def test_a_missing_token_is_a_clear_error(
    setup: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, _ = setup
    monkeypatch.delenv("PMOPS_NO_TOKEN", raising=False)
    result = CliRunner().invoke(
        cli,
        [
            "site",
            str(tmp_path / "out"),
            "--repo",
            str(source.parents[2]),
            "--github",
            f"{OWNER}/{REPO}",
            "--token-env",
            "PMOPS_NO_TOKEN",
        ],
    )
    assert result.exit_code != 0 and "--github needs a token in $PMOPS_NO_TOKEN" in result.output
    assert not (tmp_path / "out").exists()


def test_a_changed_issue_renders_only_the_pages_that_show_it(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from pmops.follow.action_items import TrackingIssue
    from pmops.site.build import build_site
    from pmops.site.entries import ItemStates

    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    pages = {}
    for incident, issue in ((7, 101), (8, 102), (9, None)):
        item = ActionItem(f"Item {incident}", Priority.HIGH, "@team-auth", issue=issue)
        pm = sample_postmortem(status=Status.PUBLISHED, action_items=(item,))
        pm = replace(pm, id=incident)
        pages[incident] = write_postmortem(root, pm, f"postmortems/pm-{incident}.md")
    made = datetime(2026, 1, 1, tzinfo=UTC)

    def issues(closed: set[int]) -> ItemStates:
        return ItemStates(
            date(2026, 2, 1),
            {
                n: TrackingIssue(
                    n, f"{n - 94}-0123456789ab", "x", n not in closed, made, None, None, None
                )
                for n in (101, 102)
            },
        )

    out = tmp_path / "site"
    assert build_site(root, out, states=issues(set())).rendered == 3
    shown = {n: out / "pm" / f"pm-{n}.html" for n in pages}
    before = {n: page.stat().st_mtime_ns for n, page in shown.items()}
    assert build_site(root, out, states=issues(set())).rendered == 0  # nothing changed
    report = build_site(root, out, states=issues({102}))  # issue 102 was closed
    assert report.rendered == 1 and report.pages == 3
    assert [n for n, page in shown.items() if page.stat().st_mtime_ns != before[n]] == [8]
    assert states(shown[8].read_text()) == {"Item 8": "closed"}
    assert states(shown[7].read_text()) == {"Item 7": "open"}
    assert "1 of 1 closed" in (out / "index.html").read_text()
    # the state of an issue that is no longer listed is unknown: its page changes too
    assert build_site(root, out, states=ItemStates(date(2026, 2, 1), {})).rendered == 2
    # offline, every page says the states are unknown
    assert build_site(root, out).rendered == 3
