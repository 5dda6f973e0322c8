"""Action items' state read back from their tracking issues, for `pmops stats` and the index
page: one list request per page of issues (by label, state=all), never one per item.

Without a token the state is unknown, and the reports say so instead of guessing from the
ticked boxes of the files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pmops.errors import InputError
from pmops.follow.action_items import ItemCounts, State, TrackingIssue, count_items


@dataclass(frozen=True)
class ItemStatus:
    """The tracking issues as GitHub reported them on `today`."""

    today: date
    issues: tuple[TrackingIssue, ...]
    late_postmortems: tuple[int, ...] | None = None  # overdue incidents; None: not read

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
    github_repo: str, token: str, api_url: str | None, now: datetime, root: Path | None = None
) -> ItemStatus:
    """Read every tracking issue of `github_repo` with `token`; with the local checkout
    `root`, also which incidents' required postmortems are overdue."""
    from github import GithubException

    from pmops.follow.item_issues import list_tracking_issues
    from pmops.github.client import connect

    try:
        repo = connect(token, api_url).get_repo(github_repo)
        issues = tuple(list_tracking_issues(repo))
        late = None if root is None else tuple(_late_postmortems(repo, root, now))
        return ItemStatus(now.date(), issues, late)
    except GithubException as exc:
        raise InputError(
            f"could not read the action-item issues of {github_repo}: GitHub answered {exc.status}"
        ) from None


def _late_postmortems(repo: Any, root: Path, now: datetime) -> list[int]:
    """Incidents past their deadline with no postmortem in the checkout (one list request
    per page of incidents)."""
    from pmops.config import load_config
    from pmops.documents.check import find_postmortems
    from pmops.follow.remind import Reminders, published_incidents

    config = load_config(root)
    paths = [
        p.relative_to(root.resolve()).as_posix()
        for p in find_postmortems(root.resolve(), config.postmortems_dir)
    ]
    published = published_incidents(paths, config.postmortems_dir)
    return Reminders(repo, config, published, now).overdue_incidents()
