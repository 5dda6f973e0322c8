"""A failed or racing run leaves no debris: no branch without its PR, one link comment, the
quota held by runs for different incidents at once, pmops's own PR never evidence; the small
things a user sees (title prefix, links, the limit's name). Driven through the Action with
real webhook payloads against the fake GitHub."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pmops.lifecycle.trailers import format_message, pmops_trailers
from tests.github_fake import FakeGitHub
from tests.test_action_support import OWNER, REPO, T0, Run, Story

PULLS = "/repos/{owner}/{repo}/pulls"


def story_with(fake: FakeGitHub, tmp: Path, config: str) -> Story:
    s = Story(fake, tmp)
    s.seed(config=config)
    return s


def labeled(story: Story, n: int) -> dict:
    return story.payload(
        "issues.labeled",
        number=n,
        labels=["incident", "resolved"],
        label="resolved",
        sender="alice",
    )


def branches(story: Story) -> list[str]:
    return [b.strip(" *") for b in story.git("branch", "--list", "pmops/*").splitlines()]


class Pausing(io.StringIO):
    """A run's log that calls `hook` when the run prints a line containing `text`: the test's
    way to hold one run at a chosen step (a real log line) while another one goes on."""

    def __init__(self, text: str, hook: Callable[[], None]) -> None:
        super().__init__()
        self.text, self.hook, self.done = text, hook, False

    def write(self, s: str) -> int:
        written = super().write(s)
        if not self.done and self.text in s:
            self.done = True
            self.hook()
        return written


def wait(barrier: threading.Barrier) -> Callable[[], None]:
    def hook() -> None:
        try:
            barrier.wait(timeout=60)
        except threading.BrokenBarrierError:
            pass

    return hook


def in_threads(*calls: Callable[[], Run]) -> list[Run]:
    results: list[Run | None] = [None] * len(calls)

    def run(i: int) -> None:
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def test_a_502_on_pr_creation_leaves_no_branch(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "plan: starter\nmonthly_limit: 1\n")
    n = story.open_incident()
    fake_github.fail_next(1, 502, method="POST", route=PULLS)
    run = story.deliver("issues", labeled(story, n), at=T0 + timedelta(hours=1))
    assert run.code == 1 and run.status == "failed"
    assert "::error title=pmops::GitHub answered 502 while opening the pull request" in run.log
    assert branches(story) == [] and not story.pulls()
    told = story.comments(n)[-1]
    assert "pmops could not draft the postmortem" in told
    assert f"deleted the branch `pmops/incident-{n}` again" in told
    assert "Comment `/postmortem`" in told
    # The failed attempt used no quota: another incident still gets the month's one slot.
    other = story.open_incident("Search is slow")
    again = story.deliver("issues", labeled(story, other), at=T0 + timedelta(hours=2))
    assert again.status == "opened", again.log


def test_a_pr_github_made_despite_a_502_is_kept(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "plan: pro\n")
    n = story.open_incident()
    original = fake_github.handle

    def made_then_502(method: str, raw_path: str, headers: dict, body: bytes):
        status, out, data = original(method, raw_path, headers, body)
        if method == "POST" and raw_path.endswith(f"/repos/{OWNER}/{REPO}/pulls"):
            return 502, {}, b'{"message": "Server Error"}'
        return status, out, data

    fake_github.handle = made_then_502  # type: ignore[method-assign]
    try:
        run = story.deliver("issues", labeled(story, n), at=T0 + timedelta(hours=1))
    finally:
        fake_github.handle = original  # type: ignore[method-assign]
    assert run.code == 0 and run.status == "opened", run.log
    assert len(story.pulls()) == 1 and branches(story) == [f"pmops/incident-{n}"]


def test_debris_of_old_versions_does_not_count_but_a_run_in_flight_does(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    story = story_with(fake_github, tmp_path, "plan: starter\nmonthly_limit: 1\n")

    def dangling(incident: int, at: datetime) -> None:
        message = format_message(
            f"Draft postmortem for #{incident}",
            "",
            pmops_trailers(incident, "generate", "deterministic", at),
        )
        with fake_github.at(at):
            fake_github.push_commit(
                OWNER,
                REPO,
                f"pmops/incident-{incident}",
                {f"postmortems/{incident}.md": "x\n"},
                message,
                date=at,
            )

    delivered = T0 + timedelta(hours=3)
    dangling(90, delivered - timedelta(hours=2))  # left by a failed run of an old version
    n = story.open_incident()
    run = story.deliver("issues", labeled(story, n), at=delivered)
    assert run.status == "opened", run.log
    # A branch pushed minutes ago without its PR yet is a concurrent run: it holds the slot.
    dangling(91, delivered + timedelta(minutes=55))
    other = story.open_incident("Search is slow")
    late = story.deliver("issues", labeled(story, other), at=delivered + timedelta(hours=1))
    assert late.status == "over-quota"
    assert "#91" in story.comments(other)[-1] and "#90" not in story.comments(other)[-1]


def test_two_deliveries_at_once_one_pr_one_comment(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "plan: pro\n")
    n = story.open_incident()
    payload = labeled(story, n)
    at = T0 + timedelta(hours=1)
    both_linking = threading.Barrier(2)  # both runs post their link comment at the same time
    results = in_threads(
        *[
            lambda: story.deliver(
                "issues", payload, at=at, out=Pausing("linking PR #", wait(both_linking))
            )
            for _ in range(2)
        ]
    )
    assert all(r.code == 0 for r in results), [r.log for r in results]
    assert "opened" in {r.status for r in results}
    assert len(story.pulls()) == 1
    assert sum(f"pmops:pr:{n}" in c for c in story.comments(n)) == 1


def test_two_incidents_racing_for_the_last_slot(fake_github: FakeGitHub, tmp_path: Path) -> None:
    story = story_with(fake_github, tmp_path, "plan: starter\nmonthly_limit: 1\n")
    first, second = story.open_incident("Checkout down"), story.open_incident("Search down")
    at = T0 + timedelta(hours=1)
    # Both runs count the quota (empty) before either pushes; the second pushes only after
    # the first has opened its PR.
    both_counted = threading.Barrier(2)
    first_done = threading.Event()

    def run_first() -> Run:
        try:
            return story.deliver(
                "issues",
                labeled(story, first),
                at=at,
                out=Pausing("gathering evidence", wait(both_counted)),
            )
        finally:
            first_done.set()

    def run_second() -> Run:
        def hold() -> None:
            wait(both_counted)()
            first_done.wait(timeout=120)

        return story.deliver(
            "issues", labeled(story, second), at=at, out=Pausing("gathering evidence", hold)
        )

    one, two = in_threads(run_first, run_second)
    assert one.status == "opened", one.log
    assert two.code == 0 and two.status == "over-quota", two.log
    assert len(story.pulls()) == 1
    assert branches(story) == [f"pmops/incident-{first}"]
    assert "at the same moment" in story.comments(second)[-1]


def test_two_incidents_pushing_at_once_never_both_get_a_pr(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    story = story_with(fake_github, tmp_path, "plan: starter\nmonthly_limit: 1\n")
    first, second = story.open_incident("Checkout down"), story.open_incident("Search down")
    at = T0 + timedelta(hours=1)
    both_pushed = threading.Barrier(2)  # neither re-reads the quota before both pushed
    results = in_threads(
        *[
            (
                lambda n=n: story.deliver(
                    "issues",
                    labeled(story, n),
                    at=at,
                    out=Pausing("pushed pmops/incident-", wait(both_pushed)),
                )
            )
            for n in (first, second)
        ]
    )
    assert all(r.code == 0 and r.status in ("opened", "over-quota") for r in results)
    pulls = story.pulls()
    assert len(pulls) <= 1
    assert sorted(branches(story)) == sorted(p.pull.head for p in pulls)  # no branch w/o PR


@pytest.mark.parametrize(
    "title", ["[Incident] Checkout API 5xx errors", "[incident]: Checkout API 5xx errors"]
)
def test_the_form_prefix_stays_out_and_links_have_one_slash(
    fake_github: FakeGitHub, tmp_path: Path, title: str
) -> None:
    story = story_with(fake_github, tmp_path, "plan: pro\n")
    n = story.open_incident(title)
    run = story.deliver("issues", labeled(story, n), at=T0 + timedelta(hours=1))
    assert run.status == "opened", run.log
    path = run.outputs["postmortem-path"]
    assert path.endswith(f"-{n}-checkout-api-5xx-errors.md"), path
    [pr] = story.pulls()
    assert pr.title == f"Postmortem: Checkout API 5xx errors (#{n})"
    assert f"{story.fake.url}/{OWNER}/{REPO}/commit/" in pr.body
    assert f"{REPO}//" not in pr.body
    assert "title: Checkout API 5xx errors" in story.show(f"pmops/incident-{n}", path)


def test_a_persons_marker_comment_is_not_taken_for_pmops(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    story = story_with(fake_github, tmp_path, "plan: pro\n")
    n = story.open_incident()
    fake_github.add_comment(OWNER, REPO, n, f"ready? <!-- pmops:pr:{n} -->", user="alice")
    run = story.deliver("issues", labeled(story, n), at=T0 + timedelta(hours=1))
    assert run.status == "opened", run.log
    comments = story.repo().issues[n].comments
    assert [c.body for c in comments if c.user == "alice"] == [f"ready? <!-- pmops:pr:{n} -->"]
    assert any(c.user == "github-actions[bot]" and f"pmops:pr:{n}" in c.body for c in comments)
