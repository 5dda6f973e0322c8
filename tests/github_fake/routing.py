"""Request/response types and the route table of the fake GitHub API.

Routes are keyed by the *OpenAPI path template* of GitHub's REST description
(e.g. ``/repos/{owner}/{repo}/pulls/{pull_number}``), so the contract check can
look every served operation up in the trimmed spec without a second mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """An HTTP error answered with a GitHub-shaped JSON body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        documentation_url: str = DOCS,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.documentation_url = documentation_url

    def body(self) -> dict[str, Any]:
        """GitHub's error body: ``message``, ``documentation_url`` and maybe ``errors``."""
        out: dict[str, Any] = {"message": self.message, "documentation_url": self.documentation_url}
        if self.errors is not None:
            out["errors"] = self.errors
        out["status"] = str(self.status)
        return out


def not_found() -> ApiError:
    """GitHub's plain 404."""
    return ApiError(404, "Not Found")


def validation_failed(resource: str, field_name: str, code: str, message: str = "") -> ApiError:
    """A 422 ``Validation Failed`` with one error entry."""
    err: dict[str, Any] = {"resource": resource, "field": field_name, "code": code}
    if message:
        err["message"] = message
    return ApiError(422, "Validation Failed", errors=[err])


@dataclass
class Paged:
    """A list result that the server paginates.

    ``wrap`` turns the items of one page into the body (for search and
    workflow runs, whose bodies are objects with a ``total_count``).
    """

    items: list[Any]
    wrap: Callable[[list[Any], int], Any] | None = None


@dataclass
class Request:
    """What a handler sees of one HTTP request."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    login: str
    headers: dict[str, str] = field(default_factory=dict)
    app: bool = False  # a workflow's GITHUB_TOKEN (permissions checked before the handler)

    def q(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, or ``default``."""
        return self.query.get(name, default)

    def json(self, name: str, default: Any = None) -> Any:
        """A field of the JSON request body, or ``default``."""
        if isinstance(self.body, dict):
            return self.body.get(name, default)
        return default


@dataclass
class Response:
    """A handler's answer: status, JSON-able body (or :class:`Paged`), extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """One served operation."""

    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str]


def _compile(template: str) -> re.Pattern[str]:
    """Turn ``/a/{b}/c`` into a regex; ``{path}`` and ``{ref}``-style tails may hold slashes."""
    out = ""
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            name = part[1:-1]
            greedy = name in {"path", "ref", "basehead", "branch"}
            out += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        else:
            out += re.escape(part)
    return re.compile(f"^{out}$")


class Router:
    """Method + path template → handler, matched in registration order."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        """Register ``handler`` for ``method template``."""
        self._routes.append(Route(method.upper(), template, handler, _compile(template)))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route serving ``method path`` and its path parameters, if any."""
        for route in self._routes:
            if route.method != method:
                continue
            m = route.pattern.match(path)
            if m:
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    def __iter__(self) -> Iterator[Route]:
        return iter(self._routes)
