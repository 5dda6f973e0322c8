"""`pmops remind` against the fake GitHub, run by the Action on the `schedule` and
`workflow_dispatch` events the scheduled workflow gets: overdue required postmortems (no pull
request, or one waiting for a review), overdue action items; once per period; mentions only
where the config allows; the job summary; `--dry-run`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pmops.cli.main import cli
from pmops.config import default_config, parse_config
from pmops.follow.overdue import add_business_days, period_of
from tests.github_fake import FakeGitHub
from tests.github_fake.payloads import load_workflow_payload
from tests.test_action_support import OWNER, REPO, T0, Story

FORM = "### Severity\n\n{sev}\n\n### Services\n\napi\n"
NOW = T0 + timedelta(days=14)  # 2026-04-03, a Friday: T0's deadline (5 business days) is past


def incident(
    story: Story,
    title: str,
    sev: str,
    *,
    closed: bool = True,
    resolved_label: bool = False,
    at: datetime = T0,
) -> int:
    fake = story.fake
    with fake.at(at):
        issue = fake.create_issue(
            OWNER, REPO, title, FORM.format(sev=sev), user="alice", labels=["incident"]
        )
        if resolved_label:
            fake.add_labels(OWNER, REPO, issue.number, "resolved", actor="alice")
        if closed:
            fake.close_issue(OWNER, REPO, issue.number, actor="alice")
    return issue.number


@pytest.fixture
def story(fake_github: FakeGitHub, tmp_path: Path) -> Story:
    s = Story(fake_github, tmp_path)
    s.seed()
    return s


def build(story: Story) -> dict[str, int]:
    """Incidents in every state, one open postmortem PR, tracking issues."""
    fake = story.fake
    n = {
        "missing": incident(story, "Checkout down", "SEV-1"),
        "waiting": incident(story, "Search slow", "SEV-2"),
        "minor": incident(story, "Typo on a page", "SEV-3"),
        "done": incident(story, "Login errors", "SEV-1"),
        "labelled": incident(story, "Cart empty", "SEV-2", closed=False, resolved_label=True),
        "recent": incident(story, "Fresh outage", "SEV-1", at=NOW - timedelta(days=1)),
    }
    with fake.at(T0 + timedelta(days=1)):
        fake.create_branch(OWNER, REPO, f"pmops/incident-{n['waiting']}")
        fake.push_commit(
            OWNER,
            REPO,
            f"pmops/incident-{n['waiting']}",
            {f"postmortems/2026/2026-03-20-{n['waiting']}-search.md": "draft\n"},
            "Draft",
            author="pmops-bot",
        )
        pr = fake.create_pull(
            OWNER, REPO, "Postmortem: Search slow", f"pmops/incident-{n['waiting']}"
        )
        fake.push_commit(
            OWNER,
            REPO,
            "main",
            {f"postmortems/2026/2026-03-20-{n['done']}-login.md": "published\n"},
            "Publish",
            author="carol",
        )
    n["pr"] = pr.number
    with fake.at(T0 + timedelta(days=2)):
        late = fake.create_issue(
            OWNER,
            REPO,
            "Add pool alerts",
            f"x\n\nDue: 2026-03-30\n\n<!-- pmops:action-item:{n['missing']}-0123456789ab -->",
            user="pmops-bot",
            labels=["postmortem:action-item", "priority: high"],
        )
        late.assignees.append("alice")
        done = fake.create_issue(
            OWNER,
            REPO,
            "Old fix",
            f"Due: 2026-03-25\n\n<!-- pmops:action-item:{n['missing']}-ba9876543210 -->",
            user="pmops-bot",
            labels=["postmortem:action-item"],
        )
        fake.close_issue(OWNER, REPO, done.number)
        later = fake.create_issue(
            OWNER,
            REPO,
            "Later fix",
            f"Due: 2026-06-01\n\n<!-- pmops:action-item:{n['missing']}-aaaaaaaaaaaa -->",
            user="pmops-bot",
            labels=["postmortem:action-item"],
        )
    n.update(late=late.number, closed_item=done.number, later=later.number)
    return n


def schedule(story: Story, at: datetime) -> object:
    return story.deliver(
        "schedule", load_workflow_payload("schedule"), at=at, extra_env={"PMOPS_COMMAND": "remind"}
    )


def reminders(story: Story, number: int) -> list[str]:
    return [c for c in story.comments(number) if "pmops:remind:" in c]


def test_business_days_and_periods() -> None:
    friday = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)
    assert add_business_days(friday, 5) == datetime(2026, 3, 27, 14, 0, tzinfo=UTC)
    assert add_business_days(friday, 1).weekday() == 0  # Monday
    saturday = datetime(2026, 3, 21, 9, 0, tzinfo=UTC)
    assert add_business_days(saturday, 0) == datetime(2026, 3, 23, tzinfo=UTC)
    assert period_of(datetime(2026, 3, 23, tzinfo=UTC), 7) == period_of(
        datetime(2026, 3, 29, 23, 59, tzinfo=UTC), 7
    )
    assert (
        period_of(datetime(2026, 3, 30, tzinfo=UTC), 7)
        == period_of(datetime(2026, 3, 29, tzinfo=UTC), 7) + 1
    )


def test_schedule_reminds_once_per_period(story: Story) -> None:
    n = build(story)
    run = schedule(story, NOW)
    assert run.code == 0 and run.status == "reminded", run.log
    assert len(reminders(story, n["missing"])) == 1
    assert len(reminders(story, n["labelled"])) == 1  # open, labelled resolved 14 days ago
    assert len(reminders(story, n["pr"])) == 1  # no review for 13 days
    assert len(reminders(story, n["late"])) == 1
    for quiet in ("waiting", "minor", "done", "recent", "closed_item", "later"):
        assert reminders(story, n[quiet]) == [], quiet
    late = reminders(story, n["late"])[0]
    assert "`@alice`" in late and "was due on 2026-03-30" in late  # inert by default
    assert "3 postmortem(s) overdue; 4 reminders due, 4 reminded now" in run.summary
    assert f"reminded #{n['late']} (action-item, due 2026-03-30)" in run.summary

    # The same period again (another weekday run): nothing new. The reminder itself was
    # activity on the pull request, so it is not quiet for 3 days yet.
    again = schedule(story, NOW + timedelta(days=2))
    assert again.status == "checked" and "3 already reminded this period" in again.summary
    assert len(reminders(story, n["missing"])) == 1 and len(reminders(story, n["pr"])) == 1
    # The next period: once more, each.
    schedule(story, NOW + timedelta(days=7))
    for key in ("missing", "labelled", "pr", "late"):
        assert len(reminders(story, n[key])) == 2, key


def test_review_resets_the_wait_and_publishing_ends_it(story: Story) -> None:
    n = build(story)
    with story.fake.at(NOW - timedelta(days=1)):
        story.fake.submit_review(OWNER, REPO, n["pr"], "carol", "COMMENTED", "looking")
    story.fake.push_commit(
        OWNER,
        REPO,
        "main",
        {f"postmortems/2026/2026-03-20-{n['missing']}-checkout.md": "published\n"},
        "Publish",
        author="carol",
    )
    schedule(story, NOW)
    assert reminders(story, n["pr"]) == [] and reminders(story, n["missing"]) == []
    assert len(reminders(story, n["labelled"])) == 1


def test_mentions_when_the_config_allows(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = Story(fake_github, tmp_path)
    story.seed(config="reminders:\n  mention_owners: true\n  period_days: 14\n")
    n = build(story)
    schedule(story, NOW)
    late = reminders(story, n["late"])[0]
    assert "@alice" in late and "`@alice`" not in late


def dispatch(story: Story, inputs: dict[str, str]) -> dict:
    """The real workflow_dispatch payload, for the fake's repository."""
    return load_workflow_payload(
        "workflow_dispatch",
        owner=OWNER,
        repo=REPO,
        api_url=story.fake.api_url,
        html_url=story.fake.url,
        inputs=inputs,
        sender="alice",
    )


def test_dispatch_dry_run_comments_nothing(story: Story) -> None:
    n = build(story)
    payload = dispatch(story, {"dry-run": "true"})
    story.fake.reset_log()
    run = story.deliver("workflow_dispatch", payload, at=NOW, extra_env={"PMOPS_COMMAND": "remind"})
    assert run.code == 0 and run.status == "checked", run.log
    assert f"would remind #{n['missing']}" in run.summary
    assert all(reminders(story, v) == [] for v in n.values())
    assert not [r for r in story.fake.requests if r.method == "POST"]


def test_a_plain_dispatch_still_generates(story: Story) -> None:
    payload = dispatch(story, {})
    run = story.deliver("workflow_dispatch", payload, at=NOW)
    assert run.code == 1 and "needs the issue number" in run.log


def clone(story: Story, tmp_path: Path) -> Path:
    import subprocess

    checkout = tmp_path / "checkout"
    subprocess.run(
        ["git", "clone", "-q", story.fake.clone_url(OWNER, REPO), str(checkout)], check=True
    )
    return checkout


def cli_remind(story: Story, checkout: Path, repo: str, *extra: str) -> Any:
    """`pmops remind` from the command line, with the fake's default user's token."""
    args = [
        "remind",
        "--github",
        repo,
        "--repo",
        str(checkout),
        "--token-env",
        "PMOPS_TEST_TOKEN",
        "--api-url",
        story.fake.api_url,
        *extra,
    ]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_cli_dry_run(story: Story, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    n = build(story)
    monkeypatch.setenv("PMOPS_TEST_TOKEN", "test-token")
    checkout = clone(story, tmp_path)
    result = cli_remind(story, checkout, f"{OWNER}/{REPO}", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would remind #{n['late']}" in result.output  # due dates are long past today
    assert all(reminders(story, v) == [] for v in n.values())
    gone = cli_remind(story, checkout, f"{OWNER}/nope")
    assert gone.exit_code == 2 and "GitHub answered 404 for acme/nope" in gone.output


def test_cli_counts_the_tokens_own_reminders_only(
    story: Story, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With a personal token, pmops's account is the token's login (`GET /user`): its
    reminders count, another person's planted marker (even a bot-looking name) does not."""
    n = build(story)
    monkeypatch.setenv("PMOPS_TEST_TOKEN", "test-token")
    checkout = clone(story, tmp_path)
    period = period_of(datetime.now(UTC), 7)
    planted = f"<!-- pmops:remind:action-item-{n['later']}-p{period} -->"
    story.fake.add_comment(OWNER, REPO, n["later"], planted, user="mallory-bot")
    first = cli_remind(story, checkout, f"{OWNER}/{REPO}")
    assert first.exit_code == 0, first.output
    assert f"\nreminded #{n['later']}" in first.output  # due 2026-06-01, past by now
    assert len(reminders(story, n["later"])) == 2  # the planted marker and pmops's reminder
    again = cli_remind(story, checkout, f"{OWNER}/{REPO}")
    assert again.exit_code == 0, again.output
    assert f"already reminded #{n['later']}" in again.output
    assert f"already reminded #{n['late']}" in again.output
    assert len(reminders(story, n["later"])) == 2


def test_config_defaults() -> None:
    follow = default_config().follow
    assert follow.business_days == 5 and follow.period_days == 7 and not follow.mention_owners
    custom = parse_config("required_postmortems:\n  severities: [SEV-1]\n  business_days: 2\n")
    assert [s.value for s in custom.follow.required_severities] == ["SEV-1"]


def test_at_most_forty_comments_a_run_and_the_rest_next_run(story: Story) -> None:
    from pmops.follow.remind import MAX_COMMENTS, Reminders

    fake = story.fake
    with fake.at(T0):
        for i in range(MAX_COMMENTS + 5):
            fake.create_issue(
                OWNER,
                REPO,
                f"Fix {i}",
                f"Due: 2026-03-2{i % 5}\n\n<!-- pmops:action-item:1-{i:012x} -->",
                labels=["postmortem:action-item"],
            )
    repo = fake.client().get_repo(f"{OWNER}/{REPO}")
    with fake.at(NOW):
        first = Reminders(repo, default_config(), set(), NOW).run()
    assert len(first.posted) == MAX_COMMENTS and len(first.deferred) == 5
    assert "5 left for the next run (at most 40 a run)" in first.lines()[0]
    assert max(r.due for r in first.posted) <= min(r.due for r in first.deferred)
    with fake.at(NOW + timedelta(hours=3)):
        second = Reminders(repo, default_config(), set(), NOW + timedelta(hours=3)).run()
    assert second.posted == first.deferred and len(second.skipped) == MAX_COMMENTS


def test_a_persons_planted_marker_stops_no_reminder(story: Story) -> None:
    """Only pmops's own comments (its marker AND its account) count as this period's
    reminders: a person who posts the hidden marker does not silence one."""
    n = build(story)
    period = period_of(NOW, 7)
    for key in ("missing", "late"):
        kind = "no-postmortem" if key == "missing" else "action-item"
        planted = f"ok\n\n<!-- pmops:remind:{kind}-{n[key]}-p{period} -->"
        with story.fake.at(NOW - timedelta(hours=1)):
            story.fake.add_comment(OWNER, REPO, n[key], planted, user="mallory")
    run = schedule(story, NOW)
    assert run.code == 0 and "4 reminded now" in run.summary, run.log
    assert "0 already reminded this period" in run.summary
    own = [c for c in reminders(story, n["late"]) if "ok\n" not in c]
    assert len(own) == 1 and "was due on 2026-03-30" in own[0]
    # pmops's own reminder does count: the same period again posts nothing.
    again = schedule(story, NOW + timedelta(hours=2))
    assert again.status == "checked" and "already reminded this period" in again.summary
