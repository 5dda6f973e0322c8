"""``POST /graphql``: GitHub's GraphQL API for the fields pmops asks, from the REST state.

Queries are parsed, validated and executed by ``graphql-core`` against
``schema.trimmed.graphql`` (GitHub's own schema, trimmed by :mod:`.extract_graphql`), so a
query that GitHub would refuse is refused here too. Errors come back as GitHub sends them:
HTTP 200 with ``errors`` items carrying a ``type`` (``NOT_FOUND``, ``FORBIDDEN``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLSchema, build_schema, graphql_sync

from .auth import NOT_ACCESSIBLE
from .rules import review_decision
from .state import ROLE_RANK, Token

if TYPE_CHECKING:
    from .core import Core

SCHEMA_PATH = Path(__file__).with_name("schema.trimmed.graphql")


@cache
def schema() -> GraphQLSchema:
    """The trimmed schema (built once per process)."""
    return build_schema(SCHEMA_PATH.read_text())


class Refused(Exception):
    """A field GitHub would not resolve: ``kind`` is GitHub's error ``type``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class GraphQL:
    """Resolvers over the fake's state, for one token per request."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store

    def execute(self, token: Token, body: dict[str, Any]) -> dict[str, Any]:
        """Run one request body (``query``, ``variables``) as ``token``."""
        query = body.get("query")
        if not isinstance(query, str):
            return {
                "errors": [{"message": "A query attribute must be specified and must be a string."}]
            }
        root = {"repository": lambda _info, owner, name, **_: self._repository(token, owner, name)}
        result = graphql_sync(
            schema(), query, root_value=root, variable_values=body.get("variables") or {}
        )
        out: dict[str, Any] = {}
        if result.errors:
            out["errors"] = [_error(e) for e in result.errors]
        if result.data is not None:
            out["data"] = result.data
        return out

    def _repository(self, token: Token, owner: str, name: str) -> dict[str, Any]:
        repo = self.store.repo(owner, name)
        visible = repo is not None and (
            not repo.private
            or (token.kind == "actions" and token.repo.lower() == repo.full_name.lower())
            or (token.kind == "user" and ROLE_RANK.index(repo.role(token.login)) >= 1)
        )
        if repo is None or not visible:
            raise Refused(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
            )

        def pull_request(_info: Any, number: int) -> dict[str, Any]:
            if token.kind == "actions" and token.permission("pull_requests") == "none":
                raise Refused("FORBIDDEN", NOT_ACCESSIBLE)
            iss = repo.issues.get(number)
            if iss is None or iss.pull is None:
                raise Refused(
                    "NOT_FOUND", f"Could not resolve to a PullRequest with the number of {number}."
                )
            self.core.sync_pull(repo, iss)
            decision = review_decision(self.store, repo, iss, self.core.code_owners(repo, iss))
            return {"reviewDecision": decision, "headRefOid": iss.pull.head_sha}

        return {"pullRequest": pull_request}


def _error(err: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": err.message}
    if isinstance(err.original_error, Refused):
        out["type"] = err.original_error.kind
    if err.path:
        out["path"] = list(err.path)
    if err.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    return out
