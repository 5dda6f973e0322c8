"""Action items' state read back from their tracking issues, for `pmops stats` and the index
page: one list request per page of issues (by label, state=all), never one per item.

Without a token the state is unknown, and the reports say so instead of guessing from the
ticked boxes of the files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from pmops.action_items import ItemCounts, State, TrackingIssue, count_items
from pmops.errors import InputError


@dataclass(frozen=True)
class ItemStatus:
    """The tracking issues as GitHub reported them on `today`."""

    today: date
    issues: tuple[TrackingIssue, ...]

    def counts(self) -> ItemCounts:
        """Open, closed and overdue items, and the median days to close by priority."""
        return count_items(self.issues, self.today)

    def by_incident(self) -> Mapping[int, ItemCounts]:
        """The same figures per incident (postmortem)."""
        groups: dict[int, list[TrackingIssue]] = {}
        for issue in self.issues:
            groups.setdefault(issue.incident, []).append(issue)
        return {n: count_items(g, self.today) for n, g in sorted(groups.items())}

    def overdue(self) -> list[TrackingIssue]:
        """Open items past their due date, the oldest due first."""
        late = [i for i in self.issues if i.state(self.today) is State.OVERDUE]
        return sorted(late, key=lambda i: (i.due or self.today, i.number))


def fetch_item_status(
    github_repo: str, token_env: str, api_url: str | None, today: date
) -> ItemStatus:
    """Read every tracking issue of `github_repo` with the token in `$token_env`."""
    from github import GithubException

    from pmops.github.client import connect
    from pmops.item_issues import list_tracking_issues

    token = os.environ.get(token_env, "")
    if not token:
        raise InputError(f"--github needs a token in ${token_env}")
    try:
        repo = connect(token, api_url).get_repo(github_repo)
        return ItemStatus(today, tuple(list_tracking_issues(repo)))
    except GithubException as exc:
        raise InputError(
            f"could not read the action-item issues of {github_repo}: GitHub answered {exc.status}"
        ) from None
