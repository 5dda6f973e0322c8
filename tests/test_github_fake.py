"""Tests of the fake GitHub API (tests/github_fake), driven through PyGithub and raw HTTP."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import github
import pytest
import requests
from github.GithubRetry import GithubRetry

from tests.github_fake import FakeGitHub, load_payload, operations
from tests.github_fake import builders as fake_builders
from tests.github_fake.contract import load as load_contract
from tests.github_fake.fixtures import fake_github  # noqa: F401 - fixture
from tests.github_fake.payloads import WEBHOOKS

OWNER, REPO = "acme", "svc"

http = requests.Session()
"""Raw HTTP as the fake's default user (its registered token; unknown tokens get 401)."""
http.headers["Authorization"] = "token test-token"


def git(repo: Path, *args: str) -> str:
    """Run git against a bare or work-tree repository."""
    flag = [f"--git-dir={repo}"] if repo.suffix == ".git" else ["-C", str(repo)]
    return subprocess.run(["git", *flag, *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:  # noqa: F811 - fixture use
    """A fake with ``acme/svc`` (CODEOWNERS: docs/ → alice), alice maintain, bob write."""
    fake_github.add_user("alice", name="Alice", email="alice@example.com")
    fake_github.add_user("bob", name="Bob", email="bob@example.com")
    fake_github.create_repo(OWNER, REPO, files={
        "README.md": "# svc\n",
        ".github/CODEOWNERS": "*       @bob\ndocs/   @alice\n",
        "docs/CODEOWNERS": "* @nobody\n",
    })
    fake_github.add_collaborator(OWNER, REPO, "alice", "maintain")
    fake_github.add_collaborator(OWNER, REPO, "bob", "write")
    return fake_github


@pytest.fixture
def gh(fake: FakeGitHub) -> github.Github:
    """PyGithub pointed at the fake."""
    return fake.client()


def open_pr(fake: FakeGitHub, gh: github.Github, branch: str = "feature",
            files: dict[str, str | bytes | None] | None = None) -> Any:
    """Push a branch and open a PR for it through the API."""
    fake.push_commit(OWNER, REPO, branch, files or {"docs/postmortem.md": "# PM\n"},
                     "Add postmortem", author="alice")
    return gh.get_repo(f"{OWNER}/{REPO}").create_pull(title="Postmortem", body="Closes #1",
                                               head=branch, base="main")


# -- state transitions -------------------------------------------------------------------
@pytest.mark.parametrize("method", ["merge", "squash", "rebase"])
def test_merge_updates_base_branch_in_bare_repo(fake: FakeGitHub, gh: github.Github,
                                                method: str) -> None:
    pr = open_pr(fake, gh)
    fake.push_commit(OWNER, REPO, "main", {"other.txt": "x\n"}, "Unrelated change on main")
    before = git(fake.repo_path(OWNER, REPO), "rev-parse", "main")
    status = pr.merge(merge_method=method)
    assert status.merged
    main = git(fake.repo_path(OWNER, REPO), "rev-parse", "main")
    assert main == status.sha != before
    parents = git(fake.repo_path(OWNER, REPO), "rev-list", "--parents", "-n1", "main").split()[1:]
    assert len(parents) == (2 if method == "merge" else 1)
    assert git(fake.repo_path(OWNER, REPO), "show", "main:docs/postmortem.md") == "# PM"
    pr = gh.get_repo(f"{OWNER}/{REPO}").get_pull(pr.number)
    assert pr.merged and pr.merged_at is not None and pr.merge_commit_sha == main
    assert pr.state == "closed" and pr.merged_by.login == fake.store.default_login
    assert pr.head.ref == "feature" and pr.base.ref == "main"


def test_protected_branch_needs_code_owner_approval(fake: FakeGitHub,
                                                    gh: github.Github) -> None:
    fake.set_protection(OWNER, REPO, "main", require_code_owner_reviews=True,
                        required_approving_review_count=1)
    pr = open_pr(fake, gh)
    with pytest.raises(github.GithubException) as err:
        pr.merge()
    assert err.value.status == 405
    assert err.value.data["message"].startswith("At least 1 approving review is required")
    assert gh.get_repo(f"{OWNER}/{REPO}").get_pull(pr.number).mergeable_state == "blocked"

    fake.submit_review(OWNER, REPO, pr.number, "bob")  # write access, but not docs/'s owner
    with pytest.raises(github.GithubException) as err:
        pr.merge()
    assert err.value.data["message"] == "Waiting on code owner review from alice."

    fake.submit_review(OWNER, REPO, pr.number, "alice", body="LGTM")
    assert [(r.user.login, r.state) for r in pr.get_reviews()] == [
        ("bob", "APPROVED"), ("alice", "APPROVED")]
    assert pr.merge().merged
    fake.set_token("acme-admin", OWNER)  # reading protection needs admin
    prot = fake.client("acme-admin").get_repo(f"{OWNER}/{REPO}").get_branch("main"
                                                                           ).get_protection()
    assert prot.required_pull_request_reviews.require_code_owner_reviews


def test_push_through_git_dismisses_stale_approval(fake: FakeGitHub, gh: github.Github,
                                                   tmp_path: Path) -> None:
    fake.set_protection(OWNER, REPO, "main", dismiss_stale_reviews=True)
    pr = open_pr(fake, gh)
    fake.submit_review(OWNER, REPO, pr.number, "alice")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--branch", "feature", fake.clone_url(OWNER, REPO),
                    str(clone)], check=True)
    (clone / "docs" / "postmortem.md").write_text("# PM v2\n")
    git(clone, "-c", "user.name=Alice", "-c", "user.email=alice@example.com",
        "commit", "-qam", "Edit")
    git(clone, "push", "-q", "origin", "feature")
    pr = gh.get_repo(f"{OWNER}/{REPO}").get_pull(pr.number)
    assert pr.head.sha == git(clone, "rev-parse", "HEAD")
    assert [r.state for r in pr.get_reviews()] == ["DISMISSED"]
    with pytest.raises(github.GithubException):
        pr.merge()
    fake.submit_review(OWNER, REPO, pr.number, "alice")
    assert pr.merge(merge_method="squash").merged


def test_required_status_check_blocks_until_success(fake: FakeGitHub,
                                                    gh: github.Github) -> None:
    fake.set_protection(OWNER, REPO, "main", required_approving_review_count=0,
                        required_status_checks=["pmops/check"])
    pr = open_pr(fake, gh)
    with pytest.raises(github.GithubException) as err:
        pr.merge()
    assert err.value.data["message"] == 'Required status check "pmops/check" is expected.'
    commit = gh.get_repo(f"{OWNER}/{REPO}").get_commit(pr.head.sha)
    commit.create_status("failure", context="pmops/check", description="bad")
    assert commit.get_combined_status().state == "failure"
    commit.create_status("success", context="pmops/check")
    assert commit.get_combined_status().state == "success"
    assert pr.merge().merged


def test_labels_comments_and_cross_references_in_timeline(fake: FakeGitHub,
                                                          gh: github.Github) -> None:
    repo = gh.get_repo(f"{OWNER}/{REPO}")
    issue = repo.create_issue("API 5xx", body="Gateway errors", labels=["incident"])
    issue.add_to_labels("resolved")
    issue.create_comment("/postmortem")
    issue.remove_from_labels("incident")
    pr = open_pr(fake, gh)  # body "Closes #1" cross-references the issue
    issue.edit(state="closed")
    assert pr.number == 2
    timeline = [e.event for e in issue.get_timeline()]
    assert timeline == ["labeled", "labeled", "commented", "unlabeled", "cross-referenced",
                        "closed"]
    events = [(e.event, (e.raw_data.get("label") or {}).get("name")) for e in issue.get_events()]
    assert events == [("labeled", "incident"), ("labeled", "resolved"),
                      ("unlabeled", "incident"), ("closed", None)]
    assert [c.body for c in issue.get_comments()] == ["/postmortem"]
    assert {lab.name for lab in repo.get_labels()} == {"incident", "resolved"}
    assert [lab.name for lab in repo.get_issue(1).labels] == ["resolved"]
    with pytest.raises(github.GithubException) as err:
        repo.create_label("resolved", "ff0000")
    assert err.value.status == 422 and err.value.data["errors"][0]["code"] == "already_exists"


def test_search_merged_prs_in_window(fake: FakeGitHub, gh: github.Github) -> None:
    for i, day in enumerate((1, 10, 20)):
        with fake.at(datetime(2026, 3, day, 12, tzinfo=UTC)):
            fake.push_commit(OWNER, REPO, f"b{i}", {f"f{i}.txt": "x\n"}, f"change {i}")
            pr = fake.create_pull(OWNER, REPO, f"PR {i}", f"b{i}")
            fake.add_labels(OWNER, REPO, pr.number, "deploy")
            fake.merge_pull(OWNER, REPO, pr.number)
    fake.push_commit(OWNER, REPO, "open", {"g.txt": "x\n"}, "still open")
    fake.create_pull(OWNER, REPO, "open PR", "open")
    hits = gh.search_issues(f"repo:{OWNER}/{REPO} is:pr is:merged merged:2026-03-05..2026-03-25")
    assert sorted(i.title for i in hits) == ["PR 1", "PR 2"]
    assert hits.totalCount == 2
    assert [i.title for i in gh.search_issues(f"repo:{OWNER}/{REPO} is:pr is:open")] == ["open PR"]
    assert len(list(gh.search_issues(f"repo:{OWNER}/{REPO} label:deploy"))) == 3


def test_collaborator_permissions_map_like_github(fake: FakeGitHub,
                                                  gh: github.Github) -> None:
    roles = {"m": "maintain", "w": "write", "t": "triage", "r": "read", "a": "admin"}
    for login, role in roles.items():
        fake.add_collaborator(OWNER, REPO, login, role)
    fake.add_user("stranger")
    repo = gh.get_repo(f"{OWNER}/{REPO}")
    coarse = {login: repo.get_collaborator_permission(login) for login in [*roles, "stranger"]}
    assert coarse == {"m": "write", "w": "write", "t": "read", "r": "read", "a": "admin",
                      "stranger": "none"}
    raw = http.get(f"{fake.api_url}/repos/{OWNER}/{REPO}/collaborators/t/permission").json()
    assert (raw["permission"], raw["role_name"]) == ("read", "triage")
    assert repo.get_collaborator_permission(OWNER) == "admin"


def test_git_data_contents_refs_and_compare(fake: FakeGitHub, gh: github.Github) -> None:
    repo = gh.get_repo(f"{OWNER}/{REPO}")
    created = repo.create_file("postmortems/a.md", "draft", "v1\n", branch="main")
    content = repo.get_contents("postmortems/a.md")
    assert content.decoded_content == b"v1\n"
    repo.update_file("postmortems/a.md", "edit", "v2\n", content.sha, branch="main")
    with pytest.raises(github.GithubException) as err:
        repo.update_file("postmortems/a.md", "stale", "v3\n", content.sha, branch="main")
    assert err.value.status == 409
    main = repo.get_branch("main").commit.sha
    blob = repo.create_git_blob("hello", "utf-8")
    tree = repo.create_git_tree(
        [github.InputGitTreeElement("x/hello.txt", "100644", "blob", sha=blob.sha)],
        base_tree=repo.get_git_tree(main))
    commit = repo.create_git_commit("Add hello", tree, [repo.get_git_commit(main)])
    ref = repo.create_git_ref("refs/heads/pmops/incident-1", commit.sha)
    assert ref.object.sha == commit.sha
    assert [e.path for e in repo.get_git_tree(commit.sha, recursive=True).tree
            if e.type == "blob"] == [".github/CODEOWNERS", "README.md", "docs/CODEOWNERS",
                                      "postmortems/a.md", "x/hello.txt"]
    cmp = repo.compare("main", "pmops/incident-1")
    assert (cmp.status, cmp.ahead_by, [f.filename for f in cmp.files]) == (
        "ahead", 1, ["x/hello.txt"])
    with pytest.raises(github.GithubException) as err:
        repo.get_git_ref("heads/main").edit(created["commit"].sha)  # not a fast-forward
    assert err.value.status == 422
    assert [c.sha for c in repo.get_commits(path="postmortems/a.md")][0] == main
    bare_sha = git(fake.repo_path(OWNER, REPO), "rev-parse", "pmops/incident-1")
    assert bare_sha == commit.sha
    assert {r.ref for r in repo.get_git_matching_refs("heads/pmops")} == {
        "refs/heads/pmops/incident-1"}
    repo.get_git_ref("heads/pmops/incident-1").delete()
    assert "pmops/incident-1" not in [b.name for b in repo.get_branches()]


def test_commits_filters_and_files(fake: FakeGitHub, gh: github.Github) -> None:
    with fake.at(datetime(2026, 3, 20, 14, 0, tzinfo=UTC)):
        fake.push_commit(OWNER, REPO, "main", {"svc/auth/config.yaml": "a: 1\n"}, "Tune auth",
                         author="bob", date=datetime(2026, 3, 20, 14, 0, tzinfo=UTC))
    repo = gh.get_repo(f"{OWNER}/{REPO}")
    window = repo.get_commits(since=datetime(2026, 3, 20, 13, tzinfo=UTC),
                              until=datetime(2026, 3, 20, 15, tzinfo=UTC))
    [c] = list(window)
    assert c.author.login == "bob" and c.commit.message == "Tune auth"
    full = repo.get_commit(c.sha)
    assert [(f.filename, f.status, f.additions) for f in full.files] == [
        ("svc/auth/config.yaml", "added", 1)]


def test_deployments_releases_runs_and_workflow_permissions(fake: FakeGitHub,
                                                           gh: github.Github) -> None:
    repo = gh.get_repo(f"{OWNER}/{REPO}")
    dep = repo.create_deployment(ref="main", environment="production", auto_merge=False,
                                 required_contexts=[])
    dep.create_status("success", description="deployed")
    fake.add_deployment(OWNER, REPO, "main", environment="staging",
                        statuses=[("failure", datetime(2026, 1, 1, tzinfo=UTC))])
    assert [d.environment for d in repo.get_deployments()] == ["staging", "production"]
    assert [d.environment for d in repo.get_deployments(environment="production")] == [
        "production"]
    assert [s.state for s in dep.get_statuses()] == ["success"]
    repo.create_git_release("v1.0.0", "v1.0.0", "notes")
    fake.add_release(OWNER, REPO, "v1.0.1")
    assert {r.tag_name for r in repo.get_releases()} == {"v1.0.0", "v1.0.1"}
    with fake.at(datetime(2026, 3, 20, tzinfo=UTC)):
        fake.add_workflow_run(OWNER, REPO, conclusion="failure")
    fake.add_workflow_run(OWNER, REPO, branch="main")
    runs = repo.get_workflow_runs(branch="main", status="failure")
    assert [r.conclusion for r in runs] == ["failure"]
    assert repo.get_workflow_runs(created="2026-03-19..2026-03-21").totalCount == 1
    fake.set_token("acme-admin", OWNER)  # the Actions settings need admin
    perms = http.get(f"{fake.api_url}/repos/{OWNER}/{REPO}/actions/permissions/workflow",
                     headers={"Authorization": "token acme-admin"}).json()
    assert perms == {"default_workflow_permissions": "read",
                     "can_approve_pull_request_reviews": False}


def test_actions_token_cannot_open_pr_unless_allowed(fake: FakeGitHub) -> None:
    fake.set_actions_token("ghs_actions", OWNER, REPO,
                           {"contents": "write", "pull-requests": "write"})
    fake.push_commit(OWNER, REPO, "feature", {"a.txt": "a\n"}, "a")
    repo = fake.client("ghs_actions").get_repo(f"{OWNER}/{REPO}")
    with pytest.raises(github.GithubException) as err:
        repo.create_pull(title="t", body="", head="feature", base="main")
    assert err.value.status == 403
    assert "not permitted to create or approve pull requests" in err.value.data["message"]
    fake.set_workflow_permissions(OWNER, REPO, can_approve_pull_requests=True)
    assert repo.create_pull(title="t", body="", head="feature", base="main").user.login == (
        "github-actions[bot]")


def test_list_pulls_filters_and_reviewers(fake: FakeGitHub, gh: github.Github) -> None:
    repo = gh.get_repo(f"{OWNER}/{REPO}")
    for name in ("a", "b", "c"):
        fake.push_commit(OWNER, REPO, f"pmops/{name}", {f"{name}.md": "x\n"}, name)
        repo.create_pull(title=name, body="", head=f"pmops/{name}", base="main")
    repo.get_pull(2).edit(state="closed")
    assert [p.title for p in repo.get_pulls()] == ["c", "a"]
    assert [p.title for p in repo.get_pulls(state="all", sort="created",
                                           direction="asc")] == ["a", "b", "c"]
    assert [p.number for p in repo.get_pulls(state="all", head=f"{OWNER}:pmops/b")] == [2]
    with pytest.raises(github.GithubException) as err:
        repo.create_pull(title="dup", body="", head="pmops/a", base="main")
    assert "already exists" in err.value.data["errors"][0]["message"]
    pr = repo.get_pull(1)
    pr.create_review_request(reviewers=["alice"])
    users, _teams = pr.get_review_requests()
    assert [u.login for u in users] == ["alice"]
    fake.add_review_comment(OWNER, REPO, 1, "alice", "typo", "a.md")
    assert [c.body for c in pr.get_review_comments()] == ["typo"]
    assert [f.filename for f in pr.get_files()] == ["a.md"]


def test_deleting_the_head_branch_closes_the_pull_request(fake: FakeGitHub,
                                                         gh: github.Github) -> None:
    """As on GitHub: an open PR whose head branch is deleted (API or git push) is closed,
    so "no branch" means "no open PR of that branch"."""
    repo = gh.get_repo(f"{OWNER}/{REPO}")
    pr = open_pr(fake, gh, "pmops/incident-1")
    repo.get_git_ref("heads/pmops/incident-1").delete()
    assert [p.number for p in repo.get_pulls(state="open")] == []
    assert repo.get_pull(pr.number).state == "closed" and not repo.get_pull(pr.number).merged
    assert repo.get_issue(pr.number).get_events()[0].event == "closed"


# -- GitHub's manners ---------------------------------------------------------------------
def test_pagination_link_headers(fake: FakeGitHub, gh: github.Github) -> None:
    for i in range(45):
        fake.create_issue(OWNER, REPO, f"issue {i}")
    url = f"{fake.api_url}/repos/{OWNER}/{REPO}/issues"
    first = http.get(url, params={"per_page": 10})
    assert len(first.json()) == 10
    assert set(first.links) == {"next", "last"}
    assert first.links["last"]["url"].endswith("page=5")
    middle = http.get(first.links["next"]["url"])
    assert set(middle.links) == {"next", "last", "prev", "first"}
    assert len(http.get(url).json()) == 30  # default per_page
    assert len(http.get(url, params={"per_page": 500}).json()) == 45  # capped at 100
    fake.reset_log()
    issues = gh.get_repo(f"{OWNER}/{REPO}").get_issues(state="open")
    gh.per_page = 10
    titles = [i.title for i in gh.get_repo(f"{OWNER}/{REPO}").get_issues()]
    assert len(titles) == 45 and titles[0] == "issue 44"
    assert issues.totalCount == 45
    assert sum(1 for r in fake.requests if r.route == "/repos/{owner}/{repo}/issues") >= 5


def test_rate_limit_headers_and_exhaustion(fake: FakeGitHub) -> None:
    url = f"{fake.api_url}/repos/{OWNER}/{REPO}"
    one = http.get(url).headers
    two = http.get(url).headers
    assert one["x-ratelimit-limit"] == "5000" and one["x-ratelimit-resource"] == "core"
    assert int(two["x-ratelimit-remaining"]) == int(one["x-ratelimit-remaining"]) - 1
    assert int(two["x-ratelimit-used"]) == 2 and int(two["x-ratelimit-reset"]) > time.time()
    search = http.get(f"{fake.api_url}/search/issues", params={"q": f"repo:{OWNER}/{REPO}"})
    assert search.headers["x-ratelimit-resource"] == "search"
    fake.set_rate_limit(1000, used=1000)
    denied = http.get(url)
    assert denied.status_code == 403 and denied.headers["x-ratelimit-remaining"] == "0"
    assert denied.json()["message"].startswith("API rate limit exceeded")
    with pytest.raises(github.RateLimitExceededException):
        fake.client().get_repo(f"{OWNER}/{REPO}")


def test_secondary_rate_limit_with_retry_after(fake: FakeGitHub) -> None:
    fake.secondary_rate_limit(1, retry_after=1, status=429)
    raw = http.get(f"{fake.api_url}/repos/{OWNER}/{REPO}")
    assert raw.status_code == 429 and raw.headers["Retry-After"] == "1"
    assert "secondary rate limit" in raw.json()["message"]
    fake.secondary_rate_limit(1, retry_after=1)
    with pytest.raises(github.RateLimitExceededException):
        fake.client().get_repo(f"{OWNER}/{REPO}")
    fake.secondary_rate_limit(1, retry_after=1)
    started = time.monotonic()
    retrying = fake.client(retry=GithubRetry(total=3, secondary_rate_wait=1))
    assert retrying.get_repo(f"{OWNER}/{REPO}").name == REPO  # PyGithub honoured Retry-After
    assert time.monotonic() - started >= 0.9
    assert [r.status for r in fake.requests[-2:]] == [403, 200]


def test_injected_server_errors(fake: FakeGitHub) -> None:
    fake.fail_next(2, status=502)
    url = f"{fake.api_url}/repos/{OWNER}/{REPO}"
    assert [http.get(url).status_code for _ in range(3)] == [502, 502, 200]
    fake.fail_next(1, status=500, route="/repos/{owner}/{repo}/pulls")
    assert http.get(url).status_code == 200
    assert http.get(f"{url}/pulls").status_code == 500
    missing = http.get(f"{fake.api_url}/repos/{OWNER}/nope")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Not Found" and "documentation_url" in missing.json()


def test_etag_if_none_match_gives_304(fake: FakeGitHub) -> None:
    url = f"{fake.api_url}/repos/{OWNER}/{REPO}/issues"
    first = http.get(url)
    etag = first.headers["ETag"]
    again = http.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]
    fake.create_issue(OWNER, REPO, "new")
    assert http.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_latency_and_request_log(fake: FakeGitHub, gh: github.Github) -> None:
    fake.reset_log()
    fake.latency = 0.05
    started = time.monotonic()
    gh.get_repo(f"{OWNER}/{REPO}").get_pulls().totalCount  # noqa: B018 - triggers requests
    assert time.monotonic() - started >= 0.1
    assert [(r.method, r.route, r.status) for r in fake.requests] == [
        ("GET", "/repos/{owner}/{repo}", 200), ("GET", "/repos/{owner}/{repo}/pulls", 200)]
    assert fake.request_count == 2


# -- the contract check -------------------------------------------------------------------
def test_every_served_operation_is_in_the_trimmed_spec() -> None:
    contract = load_contract()
    assert contract.source.startswith("@octokit/openapi@")
    missing = [op for op in operations() if contract.operation(*op) is None]
    assert missing == []
    assert len(operations()) >= 60


def test_contract_catches_a_response_missing_a_required_field(
        fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    real = fake_builders.simple_user

    def broken(store: Any, login: str) -> dict[str, Any]:
        out = real(store, login)
        del out["node_id"]
        return out

    monkeypatch.setattr(fake_builders, "simple_user", broken)
    http.get(f"{fake.api_url}/repos/{OWNER}/{REPO}/collaborators/bob/permission")
    monkeypatch.undo()
    assert fake.violations, "a response without user.node_id must be flagged"
    v = fake.violations[0]
    assert v.kind == "response" and v.template.endswith("/collaborators/{username}/permission")
    assert "'node_id' is a required property" in v.message
    with pytest.raises(AssertionError, match="node_id"):
        fake.assert_no_violations()
    fake.violations.clear()


def test_contract_flags_unserved_operations_and_bad_request_bodies(fake: FakeGitHub) -> None:
    http.get(f"{fake.api_url}/repos/{OWNER}/{REPO}/hooks")
    http.post(f"{fake.api_url}/repos/{OWNER}/{REPO}/issues",
                  json={"title": ["not", "a string"]})
    kinds = sorted({v.kind for v in fake.violations})
    assert kinds == ["request-body", "unserved"]
    fake.violations.clear()


def test_fake_without_validation_records_nothing() -> None:
    with FakeGitHub(validate=False) as plain:
        plain.create_repo(OWNER, REPO)
        assert http.get(f"{plain.api_url}/repos/{OWNER}/{REPO}/hooks").status_code == 404
        assert plain.violations == []


# -- webhook payloads ---------------------------------------------------------------------
def test_load_payload_rewrites_ids_to_match_state(fake: FakeGitHub) -> None:
    labeled = load_payload("issues.labeled", owner=OWNER, repo=REPO, number=7, label="resolved",
                           labels=["incident", "resolved"], sender="alice")
    assert labeled["repository"]["full_name"] == f"{OWNER}/{REPO}"
    assert labeled["issue"]["number"] == 7 and labeled["issue"]["url"].endswith(f"{REPO}/issues/7")
    assert labeled["label"]["name"] == "resolved" and labeled["sender"]["login"] == "alice"
    comment = load_payload("issue_comment.created", owner=OWNER, repo=REPO, number=3,
                           on_pull_request=True, body="/regenerate more detail", user="bob",
                           api_url=fake.api_url)
    assert comment["issue"]["pull_request"]["url"] == f"{fake.api_url}/repos/{OWNER}/{REPO}/pulls/3"
    assert comment["comment"]["user"]["login"] == "bob"
    assert "pull_request" not in load_payload("issue_comment.created")["issue"]
    sync = load_payload("pull_request.synchronize", head_ref="pmops/incident-7",
                        head_sha="a" * 40)
    assert sync["after"] == "a" * 40 and sync["pull_request"]["head"]["ref"] == (
        "pmops/incident-7")
    closed = load_payload("pull_request.closed", merged=True, merge_commit_sha="b" * 40)
    assert closed["pull_request"]["merged"] is True
    assert closed["pull_request"]["merge_commit_sha"] == "b" * 40
    review = load_payload("pull_request_review.submitted", user="alice",
                          review_state="approved")
    assert review["review"]["state"] == "approved"
    vendored = json.loads((WEBHOOKS / "issues.labeled.json").read_text())
    assert vendored["repository"]["full_name"] == "Codertocat/Hello-World"
    with pytest.raises(TypeError):
        load_payload("issues.labeled", bogus=1)
