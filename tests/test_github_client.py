"""The GitHub client wrapper against the fake GitHub: retries, rate limits, counting, budget.

Waiting goes through an injected `sleep` that records the seconds asked for, so the tests
check the waits GitHub's headers call for without spending them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import github
import pytest

from pmops.github.budget import RequestBudget
from pmops.github.client import MAX_WAIT_S, RequestCounter, connect
from pmops.github.rest import Api
from tests.github_fake import FakeGitHub

OWNER, NAME = "acme", "svc"


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    """The fake with one repository."""
    fake_github.create_repo(OWNER, NAME)
    fake_github.reset_log()
    return fake_github


def client(fake: FakeGitHub, **kwargs: object) -> tuple[github.Github, RequestCounter,
                                                         list[float]]:
    """connect() to the fake with a counter and a recording sleep."""
    counter = RequestCounter()
    waits: list[float] = []
    sleep: Callable[[float], None] = waits.append
    gh = connect("test-token", fake.api_url, counter=counter, sleep=sleep, **kwargs)  # type: ignore[arg-type]
    return gh, counter, waits


def test_counts_every_request_like_the_server_log(fake: FakeGitHub) -> None:
    for i in range(250):
        fake.create_issue(OWNER, NAME, f"issue {i}")
    gh, counter, _ = client(fake)
    repo = gh.get_repo(f"{OWNER}/{NAME}")
    assert len(list(repo.get_issues())) == 250  # three pages of 100
    assert counter.count == fake.request_count == 4
    assert counter.by_status == {200: 4} and counter.retries == 0


def test_server_errors_are_retried_with_backoff(fake: FakeGitHub) -> None:
    fake.fail_next(2, status=502)
    gh, counter, waits = client(fake)
    assert gh.get_repo(f"{OWNER}/{NAME}").name == NAME
    assert waits == [1.0, 2.0]
    assert counter.count == fake.request_count == 3 and counter.retries == 2


def test_server_errors_give_up_after_the_retries(fake: FakeGitHub) -> None:
    fake.fail_next(10, status=503)
    gh, counter, waits = client(fake)
    with pytest.raises(github.GithubException) as err:
        gh.get_repo(f"{OWNER}/{NAME}")
    assert err.value.status == 503
    assert waits == [1.0, 2.0, 4.0] and counter.count == 4


def test_a_post_is_not_retried_after_a_server_error(fake: FakeGitHub) -> None:
    gh, counter, waits = client(fake)
    repo = gh.get_repo(f"{OWNER}/{NAME}")
    fake.fail_next(1, status=502, method="POST")
    with pytest.raises(github.GithubException) as err:
        repo.create_issue("maybe created twice otherwise")
    assert err.value.status == 502 and waits == [] and counter.count == 2


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_honours_retry_after(fake: FakeGitHub, status: int) -> None:
    fake.secondary_rate_limit(1, retry_after=3, status=status)
    gh, counter, waits = client(fake)
    assert gh.get_repo(f"{OWNER}/{NAME}").name == NAME
    assert waits == [3.0] and counter.by_status == {status: 1, 200: 1}


def test_secondary_rate_limit_really_waits(fake: FakeGitHub) -> None:
    fake.secondary_rate_limit(1, retry_after=1)
    gh = connect("test-token", fake.api_url)  # the real time.sleep
    started = time.monotonic()
    assert gh.get_repo(f"{OWNER}/{NAME}").name == NAME
    assert 0.9 <= time.monotonic() - started < 5


def test_a_wait_longer_than_the_cap_is_not_slept(fake: FakeGitHub) -> None:
    fake.secondary_rate_limit(1, retry_after=int(MAX_WAIT_S) + 60)
    gh, counter, waits = client(fake)
    with pytest.raises(github.RateLimitExceededException):
        gh.get_repo(f"{OWNER}/{NAME}")
    assert waits == [] and counter.count == 1


def test_primary_rate_limit_waits_until_the_reset(fake: FakeGitHub) -> None:
    fake.set_rate_limit(1000, used=1000)
    reset = fake.buckets["core"].reset
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the hour passes: the bucket is refilled
        waits.append(seconds)
        fake.set_rate_limit(1000)

    gh = connect("test-token", fake.api_url, sleep=sleep, max_wait_s=7200)
    assert gh.get_repo(f"{OWNER}/{NAME}").name == NAME
    [wait] = waits
    assert abs(wait - (reset - time.time() + 1)) < 5


def test_primary_rate_limit_beyond_the_cap_gives_up(fake: FakeGitHub) -> None:
    fake.set_rate_limit(1000, used=1000)
    gh, counter, waits = client(fake)
    with pytest.raises(github.RateLimitExceededException):
        gh.get_repo(f"{OWNER}/{NAME}")
    assert waits == [] and counter.count == 1


def test_a_forbidden_request_keeps_its_message(fake: FakeGitHub) -> None:
    fake.set_actions_token("ghs_actions", OWNER, NAME,
                           {"contents": "write", "pull-requests": "write"})
    fake.push_commit(OWNER, NAME, "feature", {"a.txt": "a\n"}, "a")
    counter = RequestCounter()
    waits: list[float] = []
    gh = connect("ghs_actions", fake.api_url, counter=counter, sleep=waits.append)
    repo = gh.get_repo(f"{OWNER}/{NAME}")
    with pytest.raises(github.GithubException) as err:
        repo.create_pull(title="t", body="", head="feature", base="main")
    assert err.value.status == 403 and "not permitted" in err.value.data["message"]
    assert waits == [] and counter.count == 2


def test_a_429_without_headers_backs_off_a_minute(fake: FakeGitHub) -> None:
    fake.fail_next(1, status=429)
    gh, _, waits = client(fake)
    assert gh.get_repo(f"{OWNER}/{NAME}").name == NAME
    assert waits == [60.0]


def test_without_retry_nothing_is_retried_but_all_is_counted(fake: FakeGitHub) -> None:
    fake.fail_next(1, status=502)
    gh, counter, waits = client(fake, retry=False)
    with pytest.raises(github.GithubException):
        gh.get_repo(f"{OWNER}/{NAME}")
    assert gh.get_repo(f"{OWNER}/{NAME}").name == NAME
    assert waits == [] and counter.count == 2


def test_enterprise_base_url_with_trailing_slash(fake: FakeGitHub) -> None:
    gh = connect("test-token", fake.api_url + "/")
    assert gh.get_repo(f"{OWNER}/{NAME}").full_name == f"{OWNER}/{NAME}"
    assert fake.requests[-1].route == "/repos/{owner}/{repo}"


# ---------------------------------------------------------------- budget and pages


def test_budget_refuses_and_remembers_what() -> None:
    budget = RequestBudget(3)
    budget.charge(2)
    assert budget.allow(1, "releases") and budget.remaining == 0
    assert not budget.allow(1, "workflow runs") and not budget.allow(1, "workflow runs")
    assert budget.skipped == ("workflow runs",)
    assert budget.sentences() == ("GitHub request budget of 3 reached: skipped workflow runs",)
    with pytest.raises(ValueError):
        RequestBudget(0)


def test_budget_follows_the_counter(fake: FakeGitHub) -> None:
    fake.fail_next(1, status=502)
    gh, counter, _ = client(fake)
    budget = RequestBudget(3, counter)
    gh.get_repo(f"{OWNER}/{NAME}")
    assert budget.spent == 2  # the retry counts: it used the rate limit too
    assert budget.allow(1, "a") and not budget.allow(1, "b")


def test_pages_stop_where_the_budget_ends(fake: FakeGitHub) -> None:
    for i in range(250):
        fake.create_issue(OWNER, NAME, f"issue {i}")
    gh, counter, _ = client(fake)
    budget = RequestBudget(2, counter)
    pages = list(Api.of(gh, budget).pages(f"/repos/{OWNER}/{NAME}/issues", what="issues"))
    assert [len(p) for p in pages] == [100, 100]
    assert budget.skipped == ("issues (page 3 onward)",) and counter.count == 2


def test_pages_unwrap_and_stop_early(fake: FakeGitHub) -> None:
    for _ in range(3):
        fake.add_workflow_run(OWNER, NAME, conclusion="failure")
    gh, counter, _ = client(fake)
    api = Api.of(gh, RequestBudget(10, counter))
    runs = next(api.pages(f"/repos/{OWNER}/{NAME}/actions/runs", what="runs",
                          key="workflow_runs"))
    assert len(runs) == 3 and counter.count == 1


def test_one_describer_for_sources_and_handlers(fake: FakeGitHub) -> None:
    """A 422 names its reason in `errors`: the gather's sentence and the handlers' note
    both carry it, from the one describer in github/rest.py."""
    from pmops.github.api import error_message
    from pmops.github.rest import describe

    fake.push_commit(OWNER, NAME, "feature", {"a.txt": "a\n"}, "a")
    gh, _, _ = client(fake)
    repo = gh.get_repo(f"{OWNER}/{NAME}")
    repo.create_pull(title="t", body="", head="feature", base="main")
    with pytest.raises(github.GithubException) as err:
        repo.create_pull(title="again", body="", head="feature", base="main")
    reason = err.value.data["errors"][0]["message"]
    assert reason.startswith("A pull request already exists")
    assert describe(err.value) == f"HTTP 422: {err.value.data['message']}; {reason}"
    assert error_message(err.value) == f"{err.value.data['message']}; {reason}"
