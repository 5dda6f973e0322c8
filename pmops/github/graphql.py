"""GraphQL where REST lacks a fact: the pull request's review decision.

GitHub computes `reviewDecision` from the branch's rules (required approvals, code-owner
review) and the reviews; it is readable with `pull-requests: read`, so a workflow's
GITHUB_TOKEN can ask whether a code owner approved without reading team membership. The
queries are constants so a test can validate them against GitHub's published schema.
"""

from __future__ import annotations

from typing import Any

from github import Github, GithubException

REVIEW_DECISION = """\
query PullRequestReviewDecision($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewDecision
      headRefOid
    }
  }
}
"""

QUERIES = {"review_decision": REVIEW_DECISION}
"""Every query pmops sends, by name (tests validate them against GitHub's schema)."""

DECISIONS = frozenset({"APPROVED", "CHANGES_REQUESTED", "REVIEW_REQUIRED"})


def review_decision(gh: Github, full_name: str, number: int) -> tuple[str | None, str]:
    """(`reviewDecision`, head SHA GitHub computed it for) of a pull request.

    The decision is None when the base branch requires no review; GithubException when the
    request fails (the caller decides what an unknown decision means).
    """
    owner, _, name = full_name.partition("/")
    _, data = gh.requester.graphql_query(
        REVIEW_DECISION, {"owner": owner, "name": name, "number": number}
    )
    pull: Any = ((data.get("data") or {}).get("repository") or {}).get("pullRequest")
    if not isinstance(pull, dict):
        raise GithubException(404, data, None)
    decision = pull.get("reviewDecision")
    return (decision if decision in DECISIONS else None), str(pull.get("headRefOid") or "")
