"""The deterministic draft keeps the link policy of model output: links and images only to
the repository and `allowed_link_hosts`, whatever the quoted updates, alerts and commits say."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from pmops.config import default_config
from pmops.documents.render import render_postmortem
from pmops.model import Alert, Change, Evidence, FileChange, Incident, Update, Window
from pmops.pipeline import draft_from_evidence
from tests.github_render import violations

START = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)
REPO = "https://github.com/acme/shop"


def evidence() -> Evidence:
    incident = Incident(
        id=7, title="Checkout errors", started_at=START, resolved_at=START + timedelta(hours=1)
    )  # type: ignore[call-arg]
    change = Change(
        sha="a" * 40,
        subject="Tune pool, see [docs](https://phish.example/login)",
        authored_at=START - timedelta(minutes=30),
        committed_at=START - timedelta(minutes=30),
        files=(FileChange("src/pool.py", 3, 1),),
    )  # type: ignore[call-arg]
    updates = (
        Update(
            START + timedelta(minutes=5),
            "Dashboard [here](https://grafana.acme.dev/d/1) and ![x](https://track.example/p.png)"
            f" and https://phish.example/reset; the PR is {REPO}/pull/12 @oncall",
            "amy",
        ),
    )
    alerts = (Alert(START, "Errors", "see <https://phish.example/alert>"),)
    return Evidence(
        incident=incident,
        window=Window(START - timedelta(hours=24), START, START + timedelta(hours=1)),
        changes=(change,),
        updates=updates,
        alerts=alerts,
        repo_url=REPO,
    )


def drafted(hosts: tuple[str, ...] = ()) -> str:
    """The rendered sections (the frontmatter keeps commit subjects as data, verbatim)."""
    config = replace(default_config(), allowed_link_hosts=hosts)
    result = draft_from_evidence(evidence(), config, now=START + timedelta(hours=2))
    return render_postmortem(result.postmortem).split("\n---\n", 1)[1]


def test_links_outside_the_repository_are_removed_from_a_deterministic_draft() -> None:
    text = drafted()
    assert violations(text, (REPO,)) == []  # GitHub would render no foreign link or image
    assert "track.example" not in text and "grafana.acme.dev" not in text
    assert "`https://phish.example/reset;`" in text  # a bare foreign URL is shown, inert
    assert f"{REPO}/pull/12" in text  # the repository's own links stay
    assert "Dashboard here" in text  # a removed link keeps its words
    assert "`@oncall`" in text


def test_allowed_hosts_keep_their_links() -> None:
    text = drafted(("grafana.acme.dev",))
    assert "[here](https://grafana.acme.dev/d/1)" in text
    assert violations(text, (REPO, "grafana.acme.dev")) == []
