"""The history step (pmops/history/step.py) runs once per draft: the postmortem's similar
incidents and the PR body's come from the same search, linked on the default branch."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from pmops.documents.render import render_postmortem
from pmops.draft.compose import postmortem_path
from tests.corpus import generate_docs
from tests.github_fake import FakeGitHub
from tests.test_action_support import OWNER, REPO, T0, Story


def test_draft_and_pr_body_share_one_similar_search(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    story = Story(fake_github, tmp_path)
    story.seed()
    past = generate_docs(1)[0].postmortem
    past = replace(
        past,
        id=7,
        title="Checkout API 5xx errors from a small connection pool",
        impact=replace(past.impact, affected_services=["api"]),
        started_at=T0 - timedelta(days=20),
        resolved_at=T0 - timedelta(days=20) + timedelta(minutes=30),
    )
    path = postmortem_path(past)
    fake_github.push_commit(
        OWNER,
        REPO,
        "main",
        {path: render_postmortem(past)},
        "Publish postmortem #7",
        date=T0 - timedelta(days=19),
    )
    n = story.open_incident()
    run = story.resolve(n, at=T0 + timedelta(minutes=60))
    assert run.status == "opened"
    (pull,) = story.pulls()
    body = pull.body
    drafted = story.show(f"pmops/incident-{n}", run.outputs["postmortem-path"])
    line = f"Similar past incident: [{past.title}]"
    assert f"{line}({fake_github.url.rstrip('/')}/{OWNER}/{REPO}/blob/main/{path})" in body
    assert f"{line}({path.rsplit('/', 1)[1]})" in drafted  # both in postmortems/2026/
