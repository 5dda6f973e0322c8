"""GitHub gather: requests made and wall time per window size, fake GitHub at 30 ms latency.

For windows of 10, 100, 1,000 and 5,000 commits (`--quick`: up to 1,000), with one merged
PR per 10 commits, one deployment per 50 (at least one) and a failed deploy run per 200,
`pmops.sources.github.gather_github` reads the incident issue, the merged PRs, deployments
and statuses, releases and failed runs from the fake GitHub (tests/github_fake, without
contract validation, every request delayed 30 ms) and the commits from a local clone.
`requests` is what the client counted (checked against the fake's own log); `seconds` is
the gather's wall time, git included. The gather is given the repository and issue JSON
that the Action's event payload carries, as the Action gives them. `whole_run_requests`:
every request of one Action run from the resolved label to the opened PR. A per-commit
approach (one `GET /commits/{sha}/pulls` per commit) would need more requests than the
window has commits.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.table import print_table

T0 = datetime(2026, 3, 20, 14, 23, tzinfo=UTC)
OWNER, NAME = "acme", "svc"
LATENCY_S = 0.030
SIZES = (10, 100, 1000, 5000)
QUICK_SIZES = (10, 100, 1000)
COMMITS_PER_PR = 10
COMMITS_PER_DEPLOY = 50
COMMITS_PER_FAILED_RUN = 200
SPAN = timedelta(hours=20)
"""The window's commits are spread over the 20 hours before the start (lookback is 24 h)."""

FORM = """### Severity\n\nSEV-2\n\n### Services\n\nsvc1\n\n### Started at\n\n{start}\n"""


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Seed, gather and measure each size; print the table; return rows."""
    try:
        from tests.github_fake import FakeGitHub  # noqa: F401
    except ImportError as error:
        raise RuntimeError(f"run from the repository root (tests/github_fake): {error}") from None
    rows = []
    with tempfile.TemporaryDirectory(prefix="pmops-bench-github-") as tmp:
        for size in QUICK_SIZES if quick else SIZES:
            rows.append(measure(size, Path(tmp) / str(size)))
        whole = whole_run(Path(tmp) / "whole-run")
    print_table(f"github-requests: gather_github at {LATENCY_S * 1000:.0f} ms per request", rows)
    print_table("github-requests: one whole label -> PR run of the Action", [whole])
    return {
        "rows": [{k: row[k] for k in ("commits", "prs", "requests", "seconds")} for row in rows],
        "whole_run_requests": whole["requests"],
    }


def whole_run(work: Path) -> dict[str, Any]:
    """Requests of one Action run from the resolved label to the opened PR, on the story
    repository of the Action's tests (first run: pmops's labels are created)."""
    from tests.github_fake import FakeGitHub
    from tests.test_action_support import T0, Story

    work.mkdir(parents=True)
    with FakeGitHub(validate=False) as fake:
        story = Story(fake, work)
        story.seed()
        number = story.open_incident()
        fake.reset_log()
        run = story.resolve(number, at=T0 + timedelta(minutes=60))
        if run.status != "opened":
            raise RuntimeError(f"the run ended {run.status!r}: {run.log[-500:]}")
        by_kind: dict[str, int] = {}
        for request in fake.requests:
            by_kind[request.method] = by_kind.get(request.method, 0) + 1
        return {"requests": fake.request_count, **by_kind}


def measure(commits: int, work: Path) -> dict[str, Any]:
    """One size: seed a fake GitHub, gather once, return the row."""
    from pmops.config import default_config
    from pmops.github.budget import RequestBudget
    from pmops.github.client import RequestCounter, connect
    from pmops.sources.github import gather_github
    from tests.github_fake import FakeGitHub

    with FakeGitHub(validate=False) as fake:
        shas, issue, prs, deploys = seed(fake, commits, work)
        checkout = work / "checkout"
        subprocess.run(
            ["git", "clone", "-q", fake.clone_url(OWNER, NAME), str(checkout)],
            check=True,
            capture_output=True,
        )
        # The Action's GITHUB_TOKEN, with what `pmops init`'s workflow grants the job.
        fake.set_actions_token(
            "bench-token",
            OWNER,
            NAME,
            {
                "contents": "write",
                "pull-requests": "write",
                "issues": "write",
                "statuses": "write",
                "actions": "read",
                "deployments": "read",
            },
        )
        # what the Action's event payload carries: the repository and the incident issue
        payload = fake.client().get_repo(f"{OWNER}/{NAME}")
        repository, issue_json = payload.raw_data, payload.get_issue(issue).raw_data
        fake.latency = LATENCY_S
        fake.reset_log()
        counter = RequestCounter()
        gh = connect("bench-token", fake.api_url, counter=counter)
        config = default_config()
        started = time.perf_counter()
        evidence = gather_github(
            gh,
            f"{OWNER}/{NAME}",
            issue,
            config,
            checkout=checkout,
            budget=RequestBudget(10_000, counter),
            repository=repository,
            issue=issue_json,
        )
        seconds = time.perf_counter() - started
        if counter.count != fake.request_count:
            raise RuntimeError(
                f"counted {counter.count} requests, the fake served {fake.request_count}"
            )
        if len(evidence.changes) < commits:
            raise RuntimeError(f"gathered {len(evidence.changes)} of {commits} commits")
        found_prs = sum(1 for c in evidence.changes if c.pr is not None)
        return {
            "commits": commits,
            "prs": prs,
            "deploys": deploys,
            "changes_with_pr": found_prs,
            "requests": counter.count,
            "seconds": round(seconds, 3),
            "unavailable": len(evidence.unavailable),
        }


def seed(fake: Any, commits: int, work: Path) -> tuple[list[str], int, int, int]:
    """A repository whose window holds `commits` commits, with PRs, deployments, a release,
    failed runs and the resolved incident issue; returns (shas, issue, prs, deploys)."""
    from tests.gitrepo import build_linear_history

    step = SPAN / commits
    start = T0 - SPAN
    local = build_linear_history(work / "src", commits, start, step)
    fake.create_repo(OWNER, NAME, from_path=local.path)
    shas = local.git("rev-list", "--reverse", "HEAD").split()
    prs = 0
    for i in range(COMMITS_PER_PR - 1, commits, COMMITS_PER_PR):
        seed_merged_pull(fake, shas[i], shas[i - 1], start + step * i)
        prs += 1
    deploys = 0
    for i in range(COMMITS_PER_DEPLOY - 1, commits, COMMITS_PER_DEPLOY) or [commits - 1]:
        at = start + step * i + timedelta(minutes=5)
        with fake.at(at):
            fake.add_deployment(
                OWNER, NAME, shas[i], statuses=[("success", at + timedelta(minutes=2))]
            )
        deploys += 1
    for i in range(commits // COMMITS_PER_FAILED_RUN + 1):
        with fake.at(start + step * (i * COMMITS_PER_FAILED_RUN)):
            fake.add_workflow_run(OWNER, NAME, workflow="Deploy", conclusion="failure")
    with fake.at(T0 - timedelta(hours=1)):
        fake.add_release(OWNER, NAME, "v2.0.0")
    with fake.at(T0 + timedelta(minutes=5)):
        issue = fake.create_issue(
            OWNER,
            NAME,
            "Errors in svc1",
            FORM.format(start=f"{T0:%Y-%m-%d %H:%M} UTC"),
            labels=["incident"],
        ).number
    for minutes in (10, 20, 30):
        with fake.at(T0 + timedelta(minutes=minutes)):
            fake.add_comment(OWNER, NAME, issue, f"Update after {minutes} minutes")
    with fake.at(T0 + timedelta(minutes=47)):
        fake.add_labels(OWNER, NAME, issue, "resolved")
    return shas, issue, prs, deploys


def seed_merged_pull(fake: Any, sha: str, parent: str, at: datetime) -> None:
    """A PR merged at `at` whose merge commit is `sha`, written straight into the fake's
    state: merging hundreds of PRs through git would take minutes and measure nothing."""
    from tests.github_fake.state import Issue, PullInfo

    repo = fake.repo(OWNER, NAME)
    number = repo.next_number()
    pull = PullInfo(
        head=f"change-{number}",
        base="main",
        head_sha=sha,
        base_sha=parent,
        merged=True,
        merged_at=at,
        merged_by=OWNER,
        merge_commit_sha=sha,
    )
    repo.issues[number] = Issue(
        fake.store.new_id(),
        number,
        f"Change {number}",
        "",
        OWNER,
        at - timedelta(hours=1),
        at,
        state="closed",
        closed_at=at,
        pull=pull,
    )
