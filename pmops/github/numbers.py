"""PR and issue numbers looked up in one repository on GitHub, for `pmops check`'s claims.

`GET /repos/{owner}/{repo}/issues/{number}` answers for issues and pull requests alike. One
request per number, remembered for the run, and at most `MAX_LOOKUPS` per run: the numbers
asked about are only those a human added and the history does not name. A 404 (or 410, a
deleted issue) is "not found"; any other failure (a refused token, a rate limit, an outage,
the network) is "could not be checked" with GitHub's reason, never a pass.
"""

from __future__ import annotations

import requests
from github import Github, GithubException

from pmops.documents.claims_check import Lookup
from pmops.github.rest import describe

MAX_LOOKUPS = 20
"""Numbers looked up per run; beyond it, the rest are reported as not checked."""
MISSING = frozenset({404, 410})


class IssueNumbers:
    """A `NumberLookup` over one repository's issues endpoint, with a per-run cache."""

    def __init__(self, gh: Github, full_name: str, limit: int = MAX_LOOKUPS) -> None:
        self.gh = gh
        self.full_name = full_name
        self.limit = limit
        self.answers: dict[int, Lookup] = {}
        self.asked = 0
        """Numbers asked about so far (one request each, the client's retries aside)."""

    def __call__(self, number: int) -> Lookup:
        """Whether `number` is an issue or pull request of the repository."""
        if number not in self.answers:
            self.answers[number] = self._ask(number)
        return self.answers[number]

    def _ask(self, number: int) -> Lookup:
        if self.asked >= self.limit:
            return Lookup(None, f"more than {self.limit} numbers to look up in one run")
        self.asked += 1
        path = f"/repos/{self.full_name}/issues/{number}"
        try:
            self.gh.requester.requestJsonAndCheck("GET", path)
        except GithubException as error:
            if error.status in MISSING:
                return Lookup(False, f"HTTP {error.status}")
            return Lookup(None, describe(error))
        except requests.RequestException as error:
            return Lookup(None, describe(error))
        return Lookup(True)
