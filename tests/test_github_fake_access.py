"""The fake GitHub answers each token as GitHub does: unknown tokens 401, a workflow's
GITHUB_TOKEN only what its `permissions:` grant (never protection, Actions settings or
teams), personal tokens with their user's access; team and rules endpoints; GraphQL."""

from __future__ import annotations

import github
import pytest
import requests
from graphql import build_schema, parse, validate

from pmops.github.api import GitHubApi
from pmops.github.graphql import QUERIES, review_decision
from pmops.setup.init import InitOptions, ruleset
from tests.github_fake import FakeGitHub
from tests.github_fake.fixtures import fake_github  # noqa: F401 - fixture
from tests.github_fake.graphql import SCHEMA_PATH

OWNER, REPO = "acme", "svc"
WORKFLOW = {"contents": "write", "pull-requests": "write", "issues": "write", "statuses": "write"}


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:  # noqa: F811 - fixture use
    """acme/svc with a team owning docs/; tokens for the run, a member and an outsider."""
    fake_github.create_repo(
        OWNER,
        REPO,
        files={"README.md": "# svc\n", ".github/CODEOWNERS": "/docs/ @acme/docs-team\n"},
    )
    for login, role in (("tess", "write"), ("wendy", "write"), ("al", "admin")):
        fake_github.add_user(login, email=f"{login}@example.com")
        fake_github.add_collaborator(OWNER, REPO, login, role)
    fake_github.add_team(OWNER, "docs-team", {"tess": "maintainer"})
    fake_github.set_actions_token("ghs_run", OWNER, REPO, WORKFLOW)
    fake_github.set_token("tess-org", "tess", scopes=("repo", "read:org"))
    fake_github.set_token("wendy-repo", "wendy", scopes=("repo",))
    fake_github.set_token("al-admin", "al")
    return fake_github


def get(fake: FakeGitHub, path: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.get(f"{fake.api_url}{path}", headers=headers, timeout=10)


def test_unknown_and_missing_tokens(fake: FakeGitHub) -> None:
    bad = get(fake, f"/repos/{OWNER}/{REPO}", "nobody-issued-this")
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
    assert get(fake, f"/repos/{OWNER}/{REPO}", None).status_code == 404  # private
    assert get(fake, "/user", None).status_code == 401
    with pytest.raises(github.BadCredentialsException):
        fake.client("nobody-issued-this").get_repo(f"{OWNER}/{REPO}")


def test_workflow_token_gets_what_permissions_grant(fake: FakeGitHub) -> None:
    repo = f"/repos/{OWNER}/{REPO}"
    assert get(fake, repo, "ghs_run").status_code == 200
    assert get(fake, f"{repo}/pulls", "ghs_run").status_code == 200
    for path in (
        f"{repo}/branches/main/protection",
        f"{repo}/actions/permissions/workflow",
        f"{repo}/actions/runs",
        f"{repo}/deployments",
        "/user",
        f"/orgs/{OWNER}/teams/docs-team/memberships/tess",
    ):
        answer = get(fake, path, "ghs_run")
        assert answer.status_code == 403, path
        assert answer.json()["message"] == "Resource not accessible by integration", path
    fake.set_actions_token("ghs_read", OWNER, REPO, {"contents": "read"})
    assert get(fake, f"{repo}/pulls", "ghs_read").status_code == 403
    post = requests.post(
        f"{fake.api_url}{repo}/issues",
        json={"title": "x"},
        headers={"Authorization": "token ghs_read"},
        timeout=10,
    )
    assert post.status_code == 403
    fake.create_repo(OWNER, "other")
    assert get(fake, f"/repos/{OWNER}/other", "ghs_run").status_code == 404  # not its repo


def test_personal_tokens_act_with_their_users_access(fake: FakeGitHub) -> None:
    protection = f"/repos/{OWNER}/{REPO}/branches/main/protection"
    fake.set_protection(OWNER, REPO)
    assert get(fake, protection, "wendy-repo").status_code == 403  # write is not admin
    assert get(fake, protection, "al-admin").status_code == 200
    member = get(fake, f"/orgs/{OWNER}/teams/docs-team/memberships/tess", "tess-org")
    assert member.status_code == 200 and member.json()["state"] == "active"
    assert (
        get(fake, f"/orgs/{OWNER}/teams/docs-team/memberships/wendy", "tess-org").status_code == 404
    )
    # Without read:org, or outside the organization, the team is not visible.
    assert (
        get(fake, f"/orgs/{OWNER}/teams/docs-team/memberships/tess", "wendy-repo").status_code
        == 404
    )
    members = get(fake, f"/orgs/{OWNER}/teams/docs-team/members", "tess-org").json()
    assert [m["login"] for m in members] == ["tess"]


def test_rules_of_a_branch_are_readable_by_the_workflow_token(fake: FakeGitHub) -> None:
    api = GitHubApi(fake.client("ghs_run"), f"{OWNER}/{REPO}")
    assert api.branch_rules("main").readable
    assert not api.branch_rules("main").require_code_owner_review
    created = fake.client("al-admin").requester.requestJsonAndCheck(
        "POST", f"{fake.api_url}/repos/{OWNER}/{REPO}/rulesets", input=ruleset(InitOptions())
    )
    assert created[1]["enforcement"] == "active"
    rules = api.branch_rules("main")
    assert rules.require_code_owner_review and rules.dismiss_stale_reviews
    assert rules.required_checks == ("pmops/check",)
    assert not api.branch_rules("feature").require_code_owner_review  # ~DEFAULT_BRANCH only
    denied = requests.post(
        f"{fake.api_url}/repos/{OWNER}/{REPO}/rulesets",
        json=ruleset(InitOptions()),
        timeout=10,
        headers={"Authorization": "token ghs_run"},
    )
    assert denied.status_code == 403  # administration: the workflow cannot change rules


def test_review_decision_follows_rules_and_team_membership(fake: FakeGitHub) -> None:
    fake.push_commit(OWNER, REPO, "doc", {"docs/a.md": "a\n"}, "Docs", author="wendy")
    pr = fake.create_pull(OWNER, REPO, "Docs", "doc", user="wendy")
    gh = fake.client("ghs_run")
    assert review_decision(gh, f"{OWNER}/{REPO}", pr.number)[0] is None  # nothing required
    fake.add_ruleset(OWNER, REPO, ruleset(InitOptions()))
    assert review_decision(gh, f"{OWNER}/{REPO}", pr.number)[0] == "REVIEW_REQUIRED"
    fake.submit_review(OWNER, REPO, pr.number, "al")  # an admin, but not in the team
    assert review_decision(gh, f"{OWNER}/{REPO}", pr.number)[0] == "REVIEW_REQUIRED"
    fake.submit_review(OWNER, REPO, pr.number, "tess")
    decision, head = review_decision(gh, f"{OWNER}/{REPO}", pr.number)
    assert decision == "APPROVED" and head == fake.head(OWNER, REPO, "doc")
    fake.submit_review(OWNER, REPO, pr.number, "al", state="CHANGES_REQUESTED")
    assert review_decision(gh, f"{OWNER}/{REPO}", pr.number)[0] == "CHANGES_REQUESTED"
    fake.set_actions_token("ghs_noprs", OWNER, REPO, {"contents": "read"})
    with pytest.raises(github.GithubException) as err:
        review_decision(fake.client("ghs_noprs"), f"{OWNER}/{REPO}", pr.number)
    assert err.value.data["errors"][0]["type"] == "FORBIDDEN"


def test_pmops_queries_are_valid_against_githubs_schema() -> None:
    schema = build_schema(SCHEMA_PATH.read_text())
    for name, query in QUERIES.items():
        assert validate(schema, parse(query)) == [], name
    assert validate(
        schema,
        parse(
            '{ repository(owner: "a", name: "b") { pullRequest(number: 1) { reviewDecisions } } }'
        ),
    )
