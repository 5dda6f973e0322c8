"""Who a request acts as and whether its token may do what it asks, answered as GitHub does.

- No ``Authorization`` header: anonymous; public repositories can be read, private ones are
  404, everything else is 401 ``Requires authentication``.
- An unknown token: 401 ``Bad credentials`` (GitHub never falls back to some user).
- A workflow's ``GITHUB_TOKEN`` (``github-actions[bot]``): only its own repository (other
  private repositories are 404), and only what the workflow's ``permissions:`` grant;
  anything else is 403 ``Resource not accessible by integration``. No ``permissions:``
  entry grants ``administration`` (branch protection, Actions settings) or organization
  ``members`` (teams), so those are always 403, as is ``GET /user``.
- A personal access token acts with its user's collaborator role: private repositories
  without access are 404; protection and Actions settings need admin; organization
  team endpoints need the classic ``read:org`` scope and membership of the organization.
"""

from __future__ import annotations

from dataclasses import dataclass

from .routing import ApiError
from .state import ROLE_RANK, Store, Token

NOT_ACCESSIBLE = "Resource not accessible by integration"
AUTH_DOCS = "https://docs.github.com/rest/overview/authenticating-to-the-rest-api"


@dataclass(frozen=True)
class Need:
    """What an operation needs: where (repo | org | user | none), which permission, level."""

    where: str
    scope: str
    level: str  # read | write


_REPO_SCOPES = (
    # (path fragment after /repos/{owner}/{repo}, fine-grained permission); first match wins
    ("/branches/{branch}/protection", "administration"),
    ("/actions/permissions", "administration"),
    ("/rulesets", "administration"),
    ("/rules/", "metadata"),
    ("/collaborators", "metadata"),
    ("/actions/runs", "actions"),
    ("/deployments", "deployments"),
    ("/statuses/", "statuses"),
    ("/status", "statuses"),
    ("/merge", "contents"),
    ("/pulls", "pull_requests"),
    ("/issues", "issues"),
    ("/labels", "issues"),
)


def need_of(method: str, template: str) -> Need:
    """The permission an operation needs (GitHub's "permissions required" tables)."""
    level = "read" if method in ("GET", "HEAD") else "write"
    if template in ("/rate_limit", "/search/issues"):
        return Need("none", "metadata", "read")
    if template == "/user":
        return Need("user", "user", level)
    if template.startswith("/orgs/"):
        return Need("org", "members", level)
    rest = template.removeprefix("/repos/{owner}/{repo}")
    if not rest:
        return Need("repo", "metadata" if level == "read" else "administration", level)
    for fragment, scope in _REPO_SCOPES:
        if fragment in rest:
            if scope == "statuses" and rest.endswith("/status") and level == "read":
                return Need("repo", "statuses", "read")
            return Need("repo", scope, level)
    return Need("repo", "contents", level)


def authenticate(store: Store, headers: dict[str, str]) -> Token | None:
    """The request's token (None: anonymous); 401 for a token GitHub does not know."""
    auth = headers.get("authorization", "").strip()
    if not auth:
        return None
    scheme, _, value = auth.partition(" ")
    token = store.tokens.get(value.strip()) if scheme.lower() in ("token", "bearer") else None
    if token is None:
        raise ApiError(401, "Bad credentials", documentation_url="https://docs.github.com/rest")
    return token


def authorize(store: Store, token: Token | None, need: Need, params: dict[str, str]) -> None:
    """Raise GitHub's refusal when ``token`` may not perform an operation needing ``need``."""
    if need.where == "none":
        return
    if token is None:
        _anonymous(store, need, params)
    elif token.kind == "actions":
        _actions(store, token, need, params)
    else:
        _personal(store, token, need, params)


def _anonymous(store: Store, need: Need, params: dict[str, str]) -> None:
    repo = (
        store.repo(params.get("owner", ""), params.get("repo", ""))
        if need.where == "repo"
        else None
    )
    if repo is not None and repo.private:
        raise ApiError(404, "Not Found")
    if repo is None or need.level != "read" or need.scope == "administration":
        raise ApiError(401, "Requires authentication", documentation_url=AUTH_DOCS)


def _actions(store: Store, token: Token, need: Need, params: dict[str, str]) -> None:
    if need.where == "repo":
        full = f"{params.get('owner', '')}/{params.get('repo', '')}".lower()
        repo = store.repo(params.get("owner", ""), params.get("repo", ""))
        if full != token.repo.lower() and (repo is None or repo.private):
            raise ApiError(404, "Not Found")
        if full != token.repo.lower() and need.level == "read" and need.scope != "administration":
            return
    granted = token.permission(need.scope)
    if need.scope == "issues" and granted == "none":
        granted = token.permission("pull_requests")  # PR conversations accept either
    if need.where != "repo" or not _enough(granted, need.level):
        raise ApiError(403, NOT_ACCESSIBLE)


def _enough(granted: str, level: str) -> bool:
    order = ("none", "read", "write")
    return order.index(granted) >= order.index(level)


def _personal(store: Store, token: Token, need: Need, params: dict[str, str]) -> None:
    if need.where == "org":
        org = params.get("org", "")
        if "read:org" not in token.scopes and "admin:org" not in token.scopes:
            raise ApiError(404, "Not Found")
        if not store.in_org(org, token.login):
            raise ApiError(404, "Not Found")
        return
    if need.where != "repo":
        return
    repo = store.repo(params.get("owner", ""), params.get("repo", ""))
    if repo is None:
        return  # the handler answers 404
    rank = ROLE_RANK.index(repo.role(token.login))
    if repo.private and (rank < ROLE_RANK.index("read") or "repo" not in token.scopes):
        raise ApiError(404, "Not Found")
    if need.scope == "administration" and rank < ROLE_RANK.index("admin"):
        raise ApiError(403, "Must have admin rights to Repository.")
    if need.scope == "contents" and need.level == "write" and rank < ROLE_RANK.index("write"):
        raise ApiError(403, "Must have push access to repository")
