"""GET JSON from the REST API page by page, inside a request budget.

Sources read plain JSON through the PyGithub client's `Requester` rather than PyGithub's
object model: a PyGithub object completes itself with a hidden extra request when code
touches an attribute its list answer lacked, and request counts are a contract here
(`python -m bench github-requests`). Retries, rate limits and counting still come from the
client `pmops.github.client.connect` built.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import requests
from github import Github, GithubException, RateLimitExceededException
from github.Requester import Requester
from requests.utils import parse_header_links

from pmops.errors import SourceError
from pmops.github.budget import RequestBudget
from pmops.github.client import PER_PAGE


class Skipped(Exception):
    """An optional request the budget refused (the budget already recorded it)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class Api:
    """JSON GETs through one client's requester, charged to one budget."""

    def __init__(self, requester: Requester, budget: RequestBudget) -> None:
        self.requester = requester
        self.budget = budget

    @classmethod
    def of(cls, gh: Github, budget: RequestBudget) -> Api:
        """The Api of a PyGithub client."""
        return cls(gh.requester, budget)

    def _ask(self, what: str | None) -> None:
        if what is None:
            self.budget.charge()
        elif not self.budget.allow(1, what):
            raise Skipped(what)

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, what: str | None = None
    ) -> Any:
        """One GET; `what` names an optional request (refused: Skipped), None an essential one."""
        self._ask(what)
        _, data = self.requester.requestJsonAndCheck("GET", path, dict(params or {}) or None)
        return data

    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        what: str,
        key: str | None = None,
        essential: bool = False,
    ) -> Iterator[list[dict[str, Any]]]:
        """The items of each page in turn, following `Link: rel="next"`.

        Every page asks the budget (the first one too unless `essential`); a refusal ends
        the iteration quietly, the budget keeping the sentence. `key` names the list in
        answers that wrap it (`workflow_runs`). Stop early by leaving the loop: no further
        page is requested.
        """
        url: str | None = path
        query: dict[str, Any] | None = {**(params or {}), "per_page": PER_PAGE}
        page = 1
        while url:
            try:
                self._ask(None if essential and page == 1 else _page_label(what, page))
            except Skipped:
                return
            headers, data = self.requester.requestJsonAndCheck("GET", url, query)
            yield list(data.get(key, ()) if key else data)
            url, query = _next_link(headers), None
            page += 1


def _page_label(what: str, page: int) -> str:
    return what if page == 1 else f"{what} (page {page} onward)"


def _next_link(headers: Mapping[str, Any]) -> str | None:
    for link in parse_header_links(headers.get("link", "") or ""):
        if link.get("rel") == "next":
            return str(link["url"])
    return None


SOURCE_ERRORS: tuple[type[Exception], ...] = (
    GithubException,  # any error answer, rate limits included (after the client's retries)
    requests.RequestException,  # the network: refused, timed out, retries exhausted
    SourceError,  # the local git clone
    KeyError,  # an answer without a field GitHub documents
    TypeError,
    ValueError,
)
"""What one evidence source may fail with; the gather turns each into a sentence."""


def github_message(error: GithubException) -> str:
    """GitHub's own words for a failed request: its message, then each listed error's
    message (a 422 names the field there); "" when it gave none. The one describer of
    GitHub's errors, for the gather's sentences and the event handlers' notes alike."""
    data = error.data if isinstance(error.data, dict) else {}
    parts = [str(data.get("message") or error.message or "").strip()]
    for item in data.get("errors") or []:
        if isinstance(item, dict) and item.get("message"):
            parts.append(str(item["message"]).strip())
    return "; ".join(part for part in parts if part)


def describe(error: Exception) -> str:
    """A short reason for a failed source, for `Evidence.unavailable`."""
    if isinstance(error, RateLimitExceededException):
        return "GitHub rate limit exceeded"
    if isinstance(error, GithubException):
        message = github_message(error)
        return f"HTTP {error.status}" + (f": {message}" if message else "")
    if isinstance(error, requests.RequestException):
        return f"network error ({type(error).__name__})"
    if isinstance(error, SourceError):
        return str(error)
    return f"unexpected answer ({type(error).__name__}: {error})"
