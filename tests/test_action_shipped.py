"""The Action's gather reaches what deployments shipped, as the local one does (issue #20): a
commit that landed 35 h before the start and was deployed 12 min before it is a suspect with
the default 24 h lookback, from a full or a shallow checkout; a deployment of an earlier SHA
during the incident is a rollback; an update naming an older commit is a hint in the draft.
Real webhook payloads, deployments with statuses in the fake GitHub; and the local gather on a
shallow clone, through the same code."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from pmops.config import default_config
from pmops.model import Deploy, Incident
from pmops.pipeline import gather_local
from pmops.sources.incident_file import IncidentFile
from tests.github_fake import FakeGitHub
from tests.gitrepo import GitRepo, run_git
from tests.test_action_support import CODEOWNERS, OWNER, REPO, T0, Run, Story

START = T0 + timedelta(minutes=5)
"""The incident's start in the issue form (INCIDENT_BODY: 14:05 UTC)."""
DAYS_4, HOURS_35, HOURS_3 = timedelta(days=4), timedelta(hours=35), timedelta(hours=3)


@dataclass
class Shipped:
    """The seeded repository's SHAs: `tuned` was deployed 3 days before the start, `late`
    landed 35 h before it and shipped with `docs` 12 min before it."""

    tuned: str
    late: str
    docs: str


def seed(story: Story, *, rollback: bool = False) -> Shipped:
    """History from 5 days before the start; deployments of `tuned` (3 days before) and of
    the head (12 min before); with `rollback`, production back on `tuned` during it (a
    deployment whose text does not say "rollback")."""
    fake = story.fake
    with fake.at(START - timedelta(days=5)):
        fake.create_repo(
            OWNER,
            REPO,
            files={
                "README.md": "# shop\n",
                "api/pool.py": "POOL = 10\n",
                "api/retry.py": "RETRIES = 3\n",
                ".github/CODEOWNERS": CODEOWNERS,
                ".github/pmops.yml": "plan: pro\n",
            },
        )
    story.add_people()
    tuned, late, docs = (
        fake.push_commit(OWNER, REPO, "main", files, subject, author=who, date=START - ago)
        for files, subject, who, ago in (
            ({"api/pool.py": "POOL = 20\n"}, "Raise the api pool size", "carol", DAYS_4),
            ({"api/retry.py": "RETRIES = 0\n"}, "Drop the api retry budget", "dave", HOURS_35),
            ({"docs/oncall.md": "# On call\n"}, "Document the on-call rota", "carol", HOURS_3),
        )
    )
    deployed = ((tuned, START - timedelta(days=3)), (docs, START - timedelta(minutes=15)))
    if rollback:
        deployed += ((tuned, START + timedelta(minutes=20)),)
    for sha, at in deployed:
        with fake.at(at):
            fake.add_deployment(
                OWNER,
                REPO,
                sha,
                description=f"Deploy {sha[:7]}",
                statuses=[("success", at + timedelta(minutes=3))],
            )
    return Shipped(tuned, late, docs)


@dataclass
class Drafted:
    """What one run left: its log, the postmortem file, its pull request's suspects table."""

    run: Run
    document: str
    suspects: str


def draft(story: Story, number: int | None = None, *, depth: int | None = None) -> Drafted:
    """Resolve incident `number` (opened now if None) an hour after T0: what the run left."""
    number = number or story.open_incident()
    run = story.resolve(number, at=T0 + timedelta(minutes=60), depth=depth)
    assert run.status == "opened", run.log[-2000:]
    body = next(p.body for p in story.pulls() if p.number == int(run.outputs["pr-number"]))
    table = body.split("## Suspects", 1)[1].split("\n## ", 1)[0]
    return Drafted(
        run, story.show(f"pmops/incident-{number}", run.outputs["postmortem-path"]), table
    )


def test_a_commit_shipped_long_after_it_landed_is_a_suspect(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    story = Story(fake_github, tmp_path)
    shas = seed(story)
    fake_github.reset_log()
    table = draft(story).suspects
    assert shas.late[:7] in table and "landed 35 h before the incident started" in table
    assert shas.tuned[:7] not in table  # shipped 3 days ago by the deployment before
    assert "deployed to production 12 min before the incident started" in table
    # the deployment before the window comes with the one list: no request for its statuses
    gets = [r.path for r in fake_github.requests if r.method == "GET"]
    assert gets.count("/repos/acme/shop/deployments") == 1
    assert len([p for p in gets if re.fullmatch(r".*/deployments/\d+/statuses", p)]) == 1


def test_a_shallow_checkout_is_deepened_to_what_the_deployment_shipped(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    story = Story(fake_github, tmp_path)
    shas = seed(story)
    drafted = draft(story, depth=1)
    assert shas.late[:7] in drafted.suspects
    workspace = tmp_path / f"run{story.runs}" / "workspace"
    # the SHA deployed before, 4 days old, is what the shipped range starts from
    held = subprocess.run(
        ["git", "-C", str(workspace), "cat-file", "-e", shas.tuned], capture_output=True
    )
    assert held.returncode == 0
    assert "the deployments shipped older commits" in drafted.run.log


def test_a_deployment_of_an_earlier_sha_during_the_incident_is_a_rollback(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    story = Story(fake_github, tmp_path)
    shas = seed(story, rollback=True)
    drafted = draft(story)
    assert f"Rolled back {shas.tuned[:7]} to production" in drafted.document
    assert f"rollback of production to `{shas.tuned[:7]}`" in drafted.document
    late = next(line for line in drafted.suspects.splitlines() if shas.late[:7] in line)
    assert "rolled back during the incident" in late


@pytest.mark.parametrize("depth", [None, 1])
def test_an_update_naming_an_older_commit_is_a_hint(
    fake_github: FakeGitHub, tmp_path: Path, depth: int | None
) -> None:
    story = Story(fake_github, tmp_path)
    shas = seed(story)
    with fake_github.at(START + timedelta(minutes=10)):
        number = story.open_incident()
        fake_github.add_comment(
            OWNER,
            REPO,
            number,
            f"Could {shas.tuned[:7]} (the pool change) be involved?",
            user="alice",
        )
    document = draft(story, number, depth=depth).document
    assert (
        f"Evidence points before the 24 h lookback window: an update names {shas.tuned[:7]}, "
        "which landed earlier"
    ) in document


def test_the_local_gather_deepens_a_shallow_clone_the_same_way(tmp_path: Path) -> None:
    """`pmops draft` on a shallow clone: the same code reaches the SHA deployed before."""
    source = GitRepo(tmp_path / "source")
    tuned = source.commit({"api/pool.py": "POOL = 20\n"}, "Raise the pool", START - DAYS_4)
    late = source.commit({"api/retry.py": "RETRIES = 0\n"}, "Drop retries", START - HOURS_35)
    head = source.commit({"docs/oncall.md": "# On call\n"}, "Document on-call", START - HOURS_3)
    clone = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", "--depth", "1", source.path.as_uri(), str(clone))
    deploys = (
        Deploy(START - timedelta(days=3), tuned[:7]),
        Deploy(START - timedelta(minutes=12), head),
    )
    incident = Incident(1, "Checkout API 5xx errors", START, START + timedelta(minutes=45))
    evidence = gather_local(clone, IncidentFile(incident, deploys=deploys), default_config())
    assert late in {c.sha for c in evidence.changes}
    assert evidence.window.since == START - HOURS_35
    assert [d.sha for d in evidence.deploys] == [tuned, head] and not evidence.unavailable
