"""Which pull requests the quota must look at: pmops's own, updated since a time.

The quota counts `generate` commits of this month, and a PR that received one was updated
this month. So instead of fetching every `refs/pull/*/head` (every PR ever opened: the cost
of a fetch and of every count grew with the repository's age), the Action lists PRs by last
update, newest first, and stops at the first page that reaches before the month: one
request per 100 PRs updated this month, whatever the number of older ones.
"""

from __future__ import annotations

from datetime import datetime

from pmops.github.rest import Api
from pmops.times import parse_time

BRANCH_PREFIX = "pmops/"
"""pmops opens its PRs from `pmops/incident-<n>` branches of the repository itself."""


def pmops_pulls_since(api: Api, repo: str, since: datetime) -> list[int]:
    """Numbers of `repo`'s PRs from pmops branches updated at or after `since`, ascending.

    A failed request raises (the caller decides: a quota must not undercount silently).
    """
    found: set[int] = set()
    params = {"state": "all", "sort": "updated", "direction": "desc"}
    for page in api.pages(
        f"/repos/{repo}/pulls", params, what=f"pull requests of {repo}", essential=True
    ):
        for item in page:
            if parse_time(str(item["updated_at"]), "updated_at") < since:
                return sorted(found)
            head = item.get("head") or {}
            own = (head.get("repo") or {}).get("full_name", "").lower() == repo.lower()
            if own and str(head.get("ref", "")).startswith(BRANCH_PREFIX):
                found.add(int(item["number"]))
    return sorted(found)
