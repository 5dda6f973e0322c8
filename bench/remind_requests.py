"""pmops remind: requests per run for 10 to 1,000 incidents, against the fake GitHub.

Each incident is a closed issue (SEV-1 to SEV-4 in turn, resolved 30 days before the run)
with two action items (tracking issues, one overdue and open, one closed); a third of the
incidents have a published postmortem, one in ten an open postmortem pull request with no
review. `reads` are the GET requests of one `Reminders.run` (fake's own log), `posts` the
comments it made (at most `MAX_COMMENTS` a run, oldest due first); the second run in the same
period posts only what the first left for later, and `duplicates` counts targets reminded
twice in the period (must be 0). Reads grow with pages of 100 (incidents, tracking issues,
comments, pull requests), never one per incident or per item. `seconds` include PyGithub's
one second between writes.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.table import print_table

OWNER, NAME = "acme", "svc"
NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
RESOLVED = NOW - timedelta(days=30)
SIZES = (10, 100, 1000)
QUICK_SIZES = (10, 100)
SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4")


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Seed and run twice for each size; print the table; return the rows."""
    rows = [measure(n) for n in (QUICK_SIZES if quick else SIZES)]
    print_table("remind-requests: one pmops remind run, then a second in the same period", rows)
    return {"rows": rows}


def seed(fake: Any, incidents: int) -> set[int]:
    """Incidents, tracking issues, published files and open PRs; the published numbers."""
    from tests.github_fake.state import Issue, PullInfo

    fake.create_repo(OWNER, NAME, files={"README.md": "x\n"})
    repo = fake.repo(OWNER, NAME)
    published: set[int] = set()
    for i in range(incidents):
        with fake.at(RESOLVED - timedelta(hours=2)):
            issue = fake.create_issue(
                OWNER,
                NAME,
                f"Outage {i}",
                f"### Severity\n\n{SEVERITIES[i % 4]}\n",
                labels=["incident"],
            )
        with fake.at(RESOLVED):
            fake.close_issue(OWNER, NAME, issue.number)
        if i % 3 == 0:
            published.add(issue.number)
        elif i % 10 == 1:
            number = repo.next_number()
            pull = PullInfo(
                head=f"pmops/incident-{issue.number}",
                base="main",
                head_sha="a" * 40,
                base_sha="b" * 40,
            )
            repo.issues[number] = Issue(
                fake.store.new_id(),
                number,
                f"Postmortem {i}",
                "",
                OWNER,
                RESOLVED,
                RESOLVED,
                pull=pull,
            )
        for j, closed in ((0, False), (1, True)):
            with fake.at(RESOLVED + timedelta(days=1)):
                item = fake.create_issue(
                    OWNER,
                    NAME,
                    f"Fix {i}.{j}",
                    f"Due: {(RESOLVED + timedelta(days=14)).date()}\n\n"
                    f"<!-- pmops:action-item:{issue.number}-{j:012x} -->",
                    labels=["postmortem:action-item", "priority: high"],
                )
            if closed:
                with fake.at(RESOLVED + timedelta(days=5)):
                    fake.close_issue(OWNER, NAME, item.number)
    return published


def measure(incidents: int) -> dict[str, Any]:
    """One size: two runs; their reads and posts."""
    from pmops.config import default_config
    from pmops.follow.remind import Reminders
    from pmops.github.client import connect
    from tests.github_fake import FakeGitHub

    with FakeGitHub(validate=False) as fake:
        published = seed(fake, incidents)
        gh_repo = connect("bench-token", fake.api_url).get_repo(f"{OWNER}/{NAME}")
        figures: dict[str, Any] = {"incidents": incidents}
        for label in ("first", "second"):
            fake.reset_log()
            started = time.perf_counter()
            with fake.at(NOW):
                report = Reminders(gh_repo, default_config(), published, NOW).run()
            seconds = time.perf_counter() - started
            reads = sum(r.method == "GET" for r in fake.requests)
            posts = sum(r.method == "POST" for r in fake.requests)
            figures.update({f"{label}_reads": reads, f"{label}_posts": posts})
            if label == "first":
                figures.update(overdue=len(report.reminders), seconds=round(seconds, 2))
        markers = [
            m
            for iss in fake.repo(OWNER, NAME).issues.values()
            for c in iss.comments
            for m in re.findall(r"<!-- pmops:remind:(\S+) -->", c.body)
        ]
        figures["duplicates"] = len(markers) - len(set(markers))
        return figures
