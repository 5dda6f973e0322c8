"""gather_github end to end against the fake GitHub: the incident issue, PRs, deployments,
releases, runs, a second repository, request counts, partial failures and the budget.

Nothing here mocks PyGithub: every request is HTTP to tests/github_fake. Git dates follow
the fake's clock (GIT_*_DATE), so merges the fake makes land at the scenario's times.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pmops.analyze.timeline import build_timeline
from pmops.config import default_config
from pmops.errors import SourceError
from pmops.github.budget import RequestBudget
from pmops.github.client import RequestCounter, connect
from pmops.model import Severity
from pmops.pipeline import draft_from_evidence
from pmops.sources.github import gather_github
from pmops.sources.github_issue import (
    FormField,
    build_record,
    parse_form,
    parse_form_time,
    parse_services,
    parse_severity,
)
from tests.github_fake import FakeGitHub
from tests.gitrepo import GitRepo, build_linear_history, git_date, run_git

T0 = datetime(2026, 3, 20, 14, 23, tzinfo=UTC)
OWNER, NAME = "acme", "svc"
FULL = f"{OWNER}/{NAME}"
FORM = """### Severity

SEV-2

### Services

auth-service, api-gateway

### Started at

2026-03-20 14:23 UTC

### Detected at

2026-03-20T14:25:00Z

### Customer impact

Logins failed for about 2,300 users.

### Users affected

2300

### What happened

Auth answered 503 after the timeout change; suspect PR #1.
"""


@contextmanager
def moment(fake: FakeGitHub, when: datetime) -> Iterator[None]:
    """Make the fake's clock, and the dates of commits the fake makes, read `when`."""
    saved = {k: os.environ.get(k) for k in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")}
    os.environ.update(GIT_AUTHOR_DATE=git_date(when), GIT_COMMITTER_DATE=git_date(when))
    try:
        with fake.at(when):
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class Scenario:
    """A seeded incident: issue #2 of acme/svc, its clone, and the SHAs that matter."""

    fake: FakeGitHub
    checkout: Path
    culprit: str
    rollback_to: str
    issue: int


def history(path: Path, filler: int = 3) -> GitRepo:
    """A local repository: `filler` commits a minute apart from 20 h before the start (fast
    import), then the auth config."""
    start = T0 - timedelta(hours=20)
    repo = build_linear_history(path, filler, start, timedelta(minutes=1))
    repo.commit(
        {"auth/config.yaml": "timeout: 30\n"},
        "Add the auth config",
        start + timedelta(minutes=filler + 1),
    )
    return repo


def seed(fake: FakeGitHub, tmp_path: Path, filler: int = 3) -> Scenario:
    """Seed acme/svc with an incident whose culprit is PR #1 (rebase-merged)."""
    fake.add_user("alice", name="Alice", email="alice@example.com")
    fake.add_user("pmops[bot]", type="Bot")
    local = history(tmp_path / "src", filler)
    fake.create_repo(OWNER, NAME, from_path=local.path)
    previous = fake.head(OWNER, NAME)
    with moment(fake, T0 - timedelta(hours=20)):
        fake.add_deployment(
            OWNER, NAME, previous, statuses=[("success", T0 - timedelta(hours=19, minutes=58))]
        )
    with moment(fake, T0 - timedelta(hours=3)):
        fake.push_commit(
            OWNER,
            NAME,
            "auth-timeout",
            {"auth/config.yaml": "timeout: 1\n"},
            "Lower the auth timeout",
            author="alice",
            date=T0 - timedelta(hours=3),
        )
        fake.create_pull(
            OWNER,
            NAME,
            "Lower the auth timeout",
            "auth-timeout",
            body="Faster failure",
            user="alice",
        )
    with moment(fake, T0 - timedelta(hours=2)):
        culprit = fake.merge_pull(OWNER, NAME, 1, method="rebase")
    with moment(fake, T0 - timedelta(hours=1)):
        fake.add_release(OWNER, NAME, "v1.4.0")
    with moment(fake, T0 - timedelta(minutes=30)):
        fake.add_workflow_run(
            OWNER, NAME, head_sha=culprit, workflow="Deploy", conclusion="failure"
        )
        fake.add_workflow_run(OWNER, NAME, head_sha=culprit, workflow="CI")
    with moment(fake, T0 - timedelta(minutes=15)):
        fake.add_deployment(
            OWNER, NAME, culprit, statuses=[("success", T0 - timedelta(minutes=12))]
        )
    with moment(fake, T0 + timedelta(minutes=5)):
        issue = fake.create_issue(
            OWNER, NAME, "Auth 5xx after deploy", FORM, labels=["incident"]
        ).number
    with moment(fake, T0 + timedelta(minutes=10)):
        fake.add_comment(
            OWNER, NAME, issue, "Error rate is 40%, looking at the deploy", user="alice"
        )
        fake.add_comment(OWNER, NAME, issue, "Drafting the postmortem...", user="pmops[bot]")
        fake.add_comment(OWNER, NAME, issue, "/postmortem", user="alice")
    with moment(fake, T0 + timedelta(minutes=20)):
        fake.add_deployment(
            OWNER,
            NAME,
            previous,
            description="rollback",
            statuses=[("success", T0 + timedelta(minutes=22))],
        )
        fake.push_commit(
            OWNER,
            NAME,
            "revert-timeout",
            {"auth/config.yaml": "timeout: 30\n"},
            f"Restore the auth timeout\n\nFixes #{issue}",
            author="alice",
            date=T0 + timedelta(minutes=20),
        )
        fix = fake.create_pull(
            OWNER,
            NAME,
            "Restore the auth timeout",
            "revert-timeout",
            body=f"Fixes #{issue}",
            user="alice",
        ).number
    with moment(fake, T0 + timedelta(minutes=40)):
        fake.merge_pull(OWNER, NAME, fix, method="squash")
    with moment(fake, T0 + timedelta(minutes=47)):
        fake.add_labels(OWNER, NAME, issue, "resolved")
    checkout = tmp_path / "checkout"
    run_git(tmp_path, "clone", "-q", fake.clone_url(OWNER, NAME), str(checkout))
    return Scenario(fake, checkout, culprit, previous, issue)


def gather(s: Scenario, config=None, **kwargs):  # type: ignore[no-untyped-def]
    """gather_github through `connect` (retries on, sleeping recorded), counting requests."""
    counter = RequestCounter()
    waits: list[float] = kwargs.pop("waits", [])
    gh = connect("test-token", s.fake.api_url, counter=counter, sleep=waits.append)
    budget = kwargs.pop("budget", None) or RequestBudget(200, counter)
    kwargs.setdefault("checkout", s.checkout)
    s.fake.reset_log()
    evidence = gather_github(gh, FULL, s.issue, config or default_config(), budget=budget, **kwargs)
    return evidence, counter


@pytest.fixture
def scenario(fake_github: FakeGitHub, tmp_path: Path) -> Scenario:
    """The seeded incident."""
    return seed(fake_github, tmp_path)


def test_gathers_the_incident_and_its_evidence(scenario: Scenario) -> None:
    evidence, counter = gather(scenario)
    incident = evidence.incident
    assert (incident.id, incident.title, incident.severity) == (
        2,
        "Auth 5xx after deploy",
        Severity.SEV2,
    )
    assert incident.services == ("auth-service", "api-gateway")
    assert incident.started_at == T0 and incident.detected_at == T0 + timedelta(minutes=2)
    assert incident.resolved_at == T0 + timedelta(minutes=47)
    assert incident.users_affected == 2300 and "2,300 users" in incident.impact
    assert incident.url.endswith(f"/{FULL}/issues/2")
    assert evidence.repo_url.endswith(f"/{FULL}")
    assert [(u.author, u.text[:20]) for u in evidence.updates] == [
        ("pmops-bot", "What happened: Auth "),
        ("alice", "Error rate is 40%, l"),
    ]
    culprit = next(c for c in evidence.changes if c.sha == scenario.culprit)
    assert culprit.pr == 1 and culprit.files[0].path == "auth/config.yaml"
    assert {p.number for p in evidence.pull_requests} == {1, 3}
    assert next(p for p in evidence.pull_requests if p.number == 1).merge_sha == scenario.culprit
    deploys = [(d.sha, d.status, d.at) for d in evidence.deploys]
    assert deploys == [
        (scenario.rollback_to, "success", T0 - timedelta(hours=19, minutes=58)),
        (scenario.culprit, "success", T0 - timedelta(minutes=12)),
        (scenario.rollback_to, "rollback", T0 + timedelta(minutes=22)),
    ]
    assert [(r.tag, r.sha) for r in evidence.releases] == [("v1.4.0", scenario.culprit)]
    assert [(w.name, w.conclusion) for w in evidence.workflow_runs] == [("Deploy", "failure")]
    # a run failed: where the workflows last passed is read too (one page)
    assert [(w.name, w.sha) for w in evidence.passed_runs] == [("CI", scenario.culprit)]
    assert evidence.unavailable == ()
    assert counter.count == scenario.fake.request_count <= 11
    assert [(r.number, r.is_pull) for r in evidence.references] == [(3, True)]
    timeline = build_timeline(evidence, (), (), ())
    assert any(e.text.startswith("PR #3 mentioned the incident") for e in timeline)


def test_draft_from_github_evidence_names_the_culprit(scenario: Scenario) -> None:
    evidence, _ = gather(scenario)
    result = draft_from_evidence(evidence, default_config(), now=T0 + timedelta(hours=1))
    assert result.analysis.suspects[0].sha == scenario.culprit


def test_request_count_does_not_grow_with_commits(fake_github: FakeGitHub, tmp_path: Path) -> None:
    few, _ = gather(seed(fake_github, tmp_path / "few", filler=3))
    small = fake_github.request_count
    with FakeGitHub() as other:
        many, _ = gather(seed(other, tmp_path / "many", filler=400))
        assert len(many.changes) - len(few.changes) == 397
        assert other.request_count == small  # commits come from the clone: no request


def test_a_failing_source_costs_only_its_own_evidence(scenario: Scenario) -> None:
    scenario.fake.fail_next(20, status=502, route="/repos/{owner}/{repo}/deployments")
    waits: list[float] = []
    evidence, counter = gather(scenario, waits=waits)
    assert evidence.deploys == ()
    assert evidence.unavailable == ("Deployments of acme/svc unavailable: HTTP 502: Server Error",)
    assert evidence.pull_requests and evidence.changes and evidence.releases
    assert waits == [1.0, 2.0, 4.0] and counter.retries == 3  # retried, then given up


def test_failed_status_reads_leave_the_outcome_unknown(scenario: Scenario) -> None:
    route = "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"
    scenario.fake.fail_next(40, status=500, route=route)
    evidence, _ = gather(scenario)
    assert {d.status for d in evidence.deploys} == {"unknown"}
    assert len(evidence.unavailable) == 1 and "could not be read" in evidence.unavailable[0]


def test_secondary_rate_limit_waits_for_retry_after(scenario: Scenario) -> None:
    scenario.fake.secondary_rate_limit(1, retry_after=7)
    waits: list[float] = []
    evidence, counter = gather(scenario, waits=waits)
    assert waits == [7.0] and counter.by_status[403] == 1
    assert evidence.unavailable == () and evidence.incident.title


def test_budget_exhaustion_degrades_instead_of_failing(scenario: Scenario) -> None:
    counter = RequestCounter()
    gh = connect("test-token", scenario.fake.api_url, counter=counter)
    budget = RequestBudget(5, counter)
    evidence = gather_github(
        gh, FULL, scenario.issue, default_config(), checkout=scenario.checkout, budget=budget
    )
    assert counter.count == 5
    assert evidence.incident.severity is Severity.SEV2 and evidence.changes
    assert evidence.pull_requests and not evidence.workflow_runs
    assert [r.tag for r in evidence.releases] == ["v1.4.0"]  # the clone's tag costs nothing
    assert "GitHub request budget of 5 reached: skipped releases of acme/svc" in (
        evidence.unavailable
    )


def test_unreadable_issue_is_the_one_fatal_error(scenario: Scenario) -> None:
    gh = connect("test-token", scenario.fake.api_url, retry=False)
    with pytest.raises(SourceError, match="incident issue #99 of acme/svc: HTTP 404"):
        gather_github(gh, FULL, 99, default_config(), checkout=None)


def test_enterprise_server_base_url(scenario: Scenario) -> None:
    assert scenario.fake.api_url.endswith("/api/v3")  # GHES layout
    gh = connect("test-token", scenario.fake.api_url + "/")
    evidence = gather_github(gh, FULL, scenario.issue, default_config(), checkout=scenario.checkout)
    assert evidence.incident.title == "Auth 5xx after deploy"


def test_without_a_checkout_commits_come_from_the_api(scenario: Scenario) -> None:
    evidence, counter = gather(scenario, checkout=None)
    culprit = next(c for c in evidence.changes if c.sha == scenario.culprit)
    assert culprit.pr == 1 and [f.path for f in culprit.files] == ["auth/config.yaml"]
    assert counter.count <= 18


def test_second_repository_through_the_api(scenario: Scenario, tmp_path: Path) -> None:
    fake = scenario.fake
    infra = GitRepo(tmp_path / "infra")
    infra.commit({"k8s/auth.yaml": "replicas: 3\n"}, "Initial infra", T0 - timedelta(days=9))
    change = infra.commit(
        {"k8s/auth.yaml": "replicas: 1\n"}, "Scale auth down", T0 - timedelta(minutes=40)
    )
    fake.create_repo(OWNER, "infra", from_path=infra.path)
    with moment(fake, T0 - timedelta(minutes=35)):
        fake.add_deployment(
            OWNER,
            "infra",
            change,
            environment="production",
            statuses=[("success", T0 - timedelta(minutes=33))],
        )
    config = replace(default_config(), repositories=(f"{OWNER}/infra",))
    evidence, counter = gather(scenario, config)
    theirs = [c for c in evidence.changes if c.repo == "acme/infra"]
    assert [(c.sha, [f.path for f in c.files]) for c in theirs] == [(change, ["k8s/auth.yaml"])]
    assert [d.repo for d in evidence.deploys].count("acme/infra") == 1
    routes = [r.path for r in fake.requests if "/infra" in r.path]
    assert len(routes) <= 6 and counter.count <= 17
    assert evidence.unavailable == ()


def test_unresolved_issue_lasts_until_now(fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.create_repo(OWNER, NAME)
    with fake_github.at(T0):
        number = fake_github.create_issue(OWNER, NAME, "Slow pages", "It is slow.").number
    gh = connect("test-token", fake_github.api_url)
    now = T0 + timedelta(hours=2)
    evidence = gather_github(gh, FULL, number, default_config(), checkout=None, now=now)
    assert (evidence.incident.started_at, evidence.incident.resolved_at) == (T0, now)
    assert evidence.incident.severity is Severity.SEV3
    assert any("taken to last until now" in n for n in evidence.unavailable)
    assert evidence.updates[0].text == "It is slow."


def test_budget_drops_the_other_repository_before_the_primary(
    scenario: Scenario, tmp_path: Path
) -> None:
    infra = GitRepo(tmp_path / "infra")
    infra.commit({"k8s/auth.yaml": "replicas: 1\n"}, "Scale auth down", T0 - timedelta(hours=1))
    scenario.fake.create_repo(OWNER, "infra", from_path=infra.path)
    config = replace(default_config(), repositories=(f"{OWNER}/infra",))
    full, counter = gather(scenario)
    allowed = counter.count + 1  # the primary's 11 requests and the infra commits
    evidence, _ = gather(scenario, config, budget=RequestBudget(allowed))
    assert evidence.deploys == full.deploys and evidence.releases == full.releases
    assert [c.repo for c in evidence.changes].count("acme/infra") == 1
    assert allowed == 12 and evidence.unavailable == tuple(
        f"GitHub request budget of 12 reached: skipped {what} of acme/infra"
        for what in ("merged PRs", "deployments", "files of commits", "releases")
    )


# ---------------------------------------------------------------- the issue form


def test_form_fields_and_free_text() -> None:
    fields, rest = parse_form(
        "Intro line\n\n### Severity\n\nsev 1 (critical)\n\n### Affected services\n\n"
        "- [X] api\n- [ ] web\n- [x] auth\n\n### Started at (UTC)\n\n2026-03-20 14:23\n\n"
        "### Detected at\n\n_No response_\n\n### Notes\n\nSee #12\n"
    )
    assert sorted(fields) == ["services", "severity", "started_at"]
    assert parse_severity(fields["severity"].text) is Severity.SEV1
    assert parse_services(fields["services"].text) == ("api", "auth")
    assert parse_form_time(fields["started_at"]) == T0  # the heading says UTC
    assert rest == "Intro line\n\nNotes: See #12"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SEV-2", Severity.SEV2),
        ("Sev3", Severity.SEV3),
        ("2 - major", Severity.SEV2),
        ("Severity 4", Severity.SEV4),
        ("critical", Severity.SEV1),
        ("whatever", None),
    ],
)
def test_severity_answers(text: str, expected: Severity | None) -> None:
    assert parse_severity(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-20 14:23 UTC", T0),
        ("2026-03-20T14:23:00Z", T0),
        ("2026-03-20 16:23 +02:00", T0),
        ("`2026-03-20 14:23 utc`", T0),
    ],
)
def test_form_times_with_a_zone(text: str, expected: datetime) -> None:
    assert parse_form_time(FormField("Started at", text)) == expected


def test_form_time_without_a_zone_falls_back_with_a_note() -> None:
    issue = {
        "number": 5,
        "title": "x",
        "created_at": "2026-03-20T14:30:00Z",
        "closed_at": "2026-03-20T15:00:00Z",
        "body": "### Started at\n\n2026-03-20 14:23\n\n### Severity\n\nbad",
    }
    record = build_record(issue, [], default_config(), now=T0)
    assert record.incident.started_at == datetime(2026, 3, 20, 14, 30, tzinfo=UTC)
    assert record.incident.resolved_at == datetime(2026, 3, 20, 15, tzinfo=UTC)  # closed_at
    assert record.incident.severity is Severity.SEV3
    assert [n.split(":")[0] for n in record.notes] == ["Incident issue", "Incident issue"]
    assert "has no time zone" in record.notes[0] and "'bad' is not understood" in record.notes[1]


def test_last_resolved_label_wins_and_bots_are_not_updates() -> None:
    def labeled(name: str, at: str) -> dict[str, object]:
        return {"event": "labeled", "label": {"name": name}, "created_at": at}

    timeline = [
        labeled("Resolved", "2026-03-20T15:00:00Z"),
        labeled("incident", "2026-03-20T15:05:00Z"),
        labeled("resolved", "2026-03-20T15:10:00Z"),
        {
            "event": "commented",
            "body": "deploying fix",
            "created_at": "2026-03-20T14:50:00Z",
            "user": {"login": "carol", "type": "User"},
        },
        {
            "event": "commented",
            "body": "CI passed",
            "created_at": "2026-03-20T14:51:00Z",
            "user": {"login": "ci[bot]", "type": "User"},
        },
        {
            "event": "cross-referenced",
            "created_at": "2026-03-20T14:55:00Z",
            "source": {
                "issue": {
                    "number": 9,
                    "title": "Fix",
                    "pull_request": {"merged_at": "2026-03-20T15:01:00Z"},
                    "repository_url": "https://x/repos/a/b",
                }
            },
        },
    ]
    issue = {"number": 5, "title": "x", "created_at": "2026-03-20T14:30:00Z", "body": None}
    record = build_record(issue, timeline, default_config(), now=T0)
    assert record.incident.resolved_at == datetime(2026, 3, 20, 15, 10, tzinfo=UTC)
    assert [(u.author, u.text) for u in record.updates] == [("carol", "deploying fix")]
    [ref] = record.cross_references
    assert (ref.repo, ref.number, ref.is_pull) == ("a/b", 9, True)


def test_rollbacks_are_told_from_reruns() -> None:
    from pmops.model import Change, Deploy, Window
    from pmops.sources.github_activity import mark_rollbacks

    def change(sha: str, hours: int) -> Change:
        at = T0 - timedelta(hours=hours)
        return Change(sha=sha * 40, subject=sha, authored_at=at, committed_at=at)

    def deploy(sha: str, minutes: int) -> Deploy:
        return Deploy(at=T0 + timedelta(minutes=minutes), sha=sha * 40)

    window = Window(T0 - timedelta(hours=24), T0, T0 + timedelta(hours=1))
    changes = [change("a", 5), change("b", 3), change("c", 2)]
    deploys = [
        deploy("a", -200),
        deploy("c", -60),
        deploy("c", 10),
        deploy("b", 20),
        deploy("c", 50),
    ]
    marked = mark_rollbacks(deploys, changes, window, window.end)
    assert [d.status for d in marked] == ["success", "success", "success", "rollback", "success"]


def test_form_written_with_crlf_line_ends() -> None:
    fields, rest = parse_form("### Severity\r\n\r\nSEV-1\r\n\r\n### Services\r\n\r\napi\r\n")
    assert (fields["severity"].text, fields["services"].text, rest) == ("SEV-1", "api", "")


def test_passed_runs_are_read_only_when_a_run_failed(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    s = seed(fake_github, tmp_path)
    runs = fake_github.repo(OWNER, NAME).runs
    runs[:] = [r for r in runs if r.conclusion != "failure"]
    evidence, counter = gather(s)
    assert evidence.workflow_runs == () and evidence.passed_runs == ()
    listed = [r for r in fake_github.requests if r.route.endswith("/actions/runs")]
    assert len(listed) == 1 and counter.count == 10  # the failed runs' list only


def test_a_workflow_that_turned_red_on_the_culprit_blames_it(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    s = seed(fake_github, tmp_path)
    with moment(fake_github, T0 - timedelta(hours=19)):
        fake_github.add_workflow_run(OWNER, NAME, head_sha=s.rollback_to, workflow="Build")
    with moment(fake_github, T0 - timedelta(minutes=25)):
        fake_github.add_workflow_run(
            OWNER, NAME, head_sha=s.culprit, workflow="Build", conclusion="failure"
        )
    evidence, _ = gather(s)
    assert {(w.name, w.sha) for w in evidence.passed_runs} >= {("Build", s.rollback_to)}
    result = draft_from_evidence(evidence, default_config(), now=T0 + timedelta(hours=1))
    reasons = {x.sha: x.reasons for x in result.analysis.suspects}
    assert any(
        f"blamelist of workflow \u201cBuild\u201d: it passed on {s.rollback_to[:7]}" in r
        for r in reasons[s.culprit]
    )
    assert not any("blamelist" in r for sha, rs in reasons.items() if sha != s.culprit for r in rs)
