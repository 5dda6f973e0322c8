"""The tracking issues of action items on GitHub: read them all back in one paginated list
(by label, state=all), and open the missing ones with assignee, priority label and due date.

Reading costs one request per page of issues (100 a page), never one per item, and serves
`pmops.events.merged` (find existing), `pmops remind` and `pmops stats`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from github.Repository import Repository

from pmops.documents.templating import render_template
from pmops.follow.action_items import (
    ITEM_LABEL,
    PRIORITY_LABELS,
    OwnerKind,
    TrackingIssue,
    due_date,
    item_key,
    item_marker,
    parse_owner,
    tracking_issue,
)
from pmops.model import ActionItem
from pmops.safety.sanitize import neutralize_mentions, one_line


def list_tracking_issues(repo: Repository) -> list[TrackingIssue]:
    """Every tracking issue, open and closed, by number."""
    found = []
    for issue in repo.get_issues(state="all", labels=[ITEM_LABEL]):
        if _is_pull(issue):
            continue
        read = tracking_issue(
            issue.number,
            issue.title,
            issue.body,
            issue.state,
            _utc(issue.created_at),
            _utc(issue.closed_at),
            [label.name for label in issue.labels],
            [user.login for user in issue.assignees],
        )
        if read is not None:
            found.append(read)
    return sorted(found, key=lambda i: i.number)


def _is_pull(issue: Any) -> bool:
    """Whether a listed issue is a pull request. Not `issue.pull_request`: the list omits the
    key for plain issues, and PyGithub would then fetch each issue in full to look for it."""
    return "/pull/" in (issue.html_url or "")


def _utc(value: datetime | None) -> Any:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Opened:
    """An action item and its tracking issue, with what could not be done for it."""

    item: ActionItem
    number: int
    due: date | None
    created: bool
    note: str = ""


@dataclass(frozen=True)
class Source:
    """Where the items come from, for the issue body's back links."""

    incident: int
    path: str
    url: str
    pr_number: int
    published: date


class ItemOpener:
    """Opens the tracking issues of one postmortem, reusing any that already exist."""

    def __init__(
        self,
        repo: Repository,
        existing: list[TrackingIssue],
        due_days: Mapping[Any, int],
        assign_owners: bool,
        publishable: Callable[[str], str],
    ) -> None:
        self.repo = repo
        self.publishable = publishable  # the outbound policy every body pmops posts passes
        self.by_key = {i.key: i for i in existing}
        self.due_days = due_days
        self.assign_owners = assign_owners
        self._assignable: dict[str, bool] = {}

    def track(self, item: ActionItem, source: Source) -> Opened:
        """The item's issue: the one its frontmatter names, the one with its marker, or new."""
        key = item_key(source.incident, item)
        known = self.by_key.get(key)
        if item.issue or known:
            number = item.issue or (known.number if known else 0)
            due = item.due or (known.due if known else None)
            return Opened(item, number, due, created=False)
        due = due_date(source.published, item.priority, self.due_days)
        assignees, note = self._assignees(item)
        label = PRIORITY_LABELS[item.priority][0]
        body = render_template(
            "comments/action_item.md.j2",
            incident=source.incident,
            path=source.path,
            url=source.url,
            priority=item.priority.value,
            due=due.isoformat(),
            owner=neutralize_mentions(one_line(item.owner or "", 100)),
            assigned=bool(assignees),
            pr_number=source.pr_number,
        ).strip()
        created = self.repo.create_issue(
            title=one_line(item.title, 200),
            body=f"{self.publishable(body)}\n\n{item_marker(key)}\n",
            labels=[ITEM_LABEL, label],
            assignees=assignees,
        )
        return Opened(item, created.number, due, created=True, note=note)

    def _assignees(self, item: ActionItem) -> tuple[list[str], str]:
        """[login] when the owner is an assignable login; else no one, and why."""
        owner = parse_owner(item.owner)
        if owner is None or not self.assign_owners:
            return [], ""
        if owner.kind is OwnerKind.TEAM:
            return [], (
                f"owner {owner.name} is a team; GitHub assigns issues to people only, so "
                f"the team is named in the issue body"
            )
        if owner.kind is OwnerKind.PROSE:
            return [], f"owner {one_line(owner.text, 60)!r} is not a GitHub login; not assigned"
        if owner.name not in self._assignable:
            self._assignable[owner.name] = self._can_assign(owner.name)
        if not self._assignable[owner.name]:
            return [], f"{owner.name} cannot be assigned issues in this repository; not assigned"
        return [owner.name], ""

    def _can_assign(self, login: str) -> bool:
        """`GET /assignees/{login}`: 204 assignable, 404 not (PyGithub's has_in_assignees)."""
        return bool(self.repo.has_in_assignees(login))
