"""`pmops remind`: comment once per period on overdue postmortems and overdue action items.

Reads one request per page of 100, never one per incident: the incident issues (one list by
label, state=all), the open pull requests (their `updated_at` tells how long they were quiet),
the tracking issues (one list by label), the repository's comments since the period began (the
hidden markers of this period's reminders, so a second run in the same period posts nothing
twice; only pmops's own comments count: a person who types the marker stops nothing). One
fact costs a request each: when an issue still open got its resolved label (closed
issues carry their close time). Published postmortems come from the default branch's file
names (`<date>-<issue>-<slug>.md`), which cost no request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from github.Repository import Repository

from pmops.config import Config
from pmops.documents.templating import render_template
from pmops.follow.action_items import parse_owner
from pmops.follow.item_issues import _is_pull, list_tracking_issues
from pmops.follow.overdue import (
    Draft,
    Incident,
    Kind,
    Reminder,
    deadline,
    overdue_items,
    overdue_postmortems,
    period_of,
    period_start,
    reminder_key,
)
from pmops.github.own import OwnAccount
from pmops.model import Severity
from pmops.safety.sanitize import neutralize_mentions, one_line
from pmops.sources.github_issue import parse_form, parse_severity

_PMOPS_BRANCH = re.compile(r"^pmops/incident-(\d+)$")
_MARKER = re.compile(r"<!-- pmops:remind:([a-z-]+-\d+-p\d+) -->")
DEFAULT_SEVERITY = Severity.SEV3
"""An incident that states no severity counts as SEV-3, as the drafter assumes."""

MAX_COMMENTS = 40
"""Reminders posted per run, oldest due first: GitHub's secondary limit allows about 80
content-creating requests a minute, shared with every other workflow. The rest get theirs on
the next run of the same period (their markers are still missing), so nothing is lost."""


@dataclass
class RemindReport:
    """What one run found and did."""

    period: int
    reminders: list[Reminder] = field(default_factory=list)
    posted: list[Reminder] = field(default_factory=list)
    skipped: list[Reminder] = field(default_factory=list)  # already reminded this period
    deferred: list[Reminder] = field(default_factory=list)  # over MAX_COMMENTS: next run
    late: list[int] = field(default_factory=list)  # incidents whose postmortem is overdue

    def lines(self) -> list[str]:
        """The job summary's lines (and `--dry-run`'s output)."""
        rows = [
            f"{self._verb(r)} #{r.target} ({r.kind.value}, due {r.due.isoformat()}): "
            f"{one_line(r.title, 80)}"
            for r in self.reminders
        ]
        head = (
            f"{len(self.late)} postmortem(s) overdue; {len(self.reminders)} reminders due, "
            f"{len(self.posted)} reminded now, "
            f"{len(self.skipped)} already reminded this period (period {self.period})"
        )
        if self.deferred:
            head += f", {len(self.deferred)} left for the next run (at most {MAX_COMMENTS} a run)"
        return [head, *rows]

    def _verb(self, reminder: Reminder) -> str:
        if reminder in self.posted:
            return "reminded"
        if reminder in self.deferred:
            return "next run:"
        return "already reminded" if reminder in self.skipped else "would remind"


def incident_of_issue(
    issue: Any, config: Config, published: set[int], resolved_at: Callable[[Any], datetime | None]
) -> Incident:
    """An incident issue from the list, with its severity (label first, then the form)."""
    labels = [label.name for label in issue.labels]
    severity = next((s for s in map(parse_severity, labels) if s), None)
    if severity is None:
        fields, _ = parse_form(issue.body or "")
        severity = parse_severity(fields["severity"].text) if "severity" in fields else None
    return Incident(
        issue.number,
        issue.title,
        severity or DEFAULT_SEVERITY,
        resolved_at(issue),
        issue.number in published,
        tuple(user.login for user in issue.assignees),
    )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Reminders:
    """One `pmops remind` run against a repository."""

    def __init__(
        self,
        repo: Repository,
        config: Config,
        published: Iterable[int],
        now: datetime,
        own: OwnAccount | None = None,
    ) -> None:
        self.repo = repo
        self.own = own or OwnAccount(lambda: _whoami(repo))
        self.config = config
        self.follow = config.follow
        self.published = set(published)
        self.now = now

    def run(self, *, dry_run: bool = False) -> RemindReport:
        """Find what is overdue and comment where this period has no reminder yet."""
        period = period_of(self.now, self.follow.period_days)
        report = RemindReport(period)
        incidents = self._incidents()
        report.late = [i.number for i in incidents if self._late(i)]
        drafts = self._drafts([i for i in incidents if self._late(i)])
        report.reminders = overdue_postmortems(incidents, drafts, self.follow, self.now)
        report.reminders += overdue_items(list_tracking_issues(self.repo), self.now.date())
        report.reminders.sort(key=lambda r: (r.due, r.target))
        if not report.reminders:
            return report
        done = self._reminded(period)
        for reminder in report.reminders:
            if reminder_key(reminder, period) in done:
                report.skipped.append(reminder)
            elif len(report.posted) >= MAX_COMMENTS:
                report.deferred.append(reminder)
            elif not dry_run:
                self._post(reminder, period)
                report.posted.append(reminder)
        return report

    def overdue_incidents(self) -> list[int]:
        """Incidents whose required postmortem is past its deadline and unpublished (reads
        the incident list only; for `pmops stats` and the index page)."""
        return [i.number for i in self._incidents() if self._late(i)]

    def _late(self, incident: Incident) -> bool:
        due = deadline(incident, self.follow)
        return due is not None and not incident.published and self.now > due

    def _incidents(self) -> list[Incident]:
        """Every incident issue, from one list by label (state=all)."""
        found = []
        for issue in self.repo.get_issues(state="all", labels=[self.config.incident_label]):
            if not _is_pull(issue):
                found.append(
                    incident_of_issue(issue, self.config, self.published, self._resolved_at)
                )
        return found

    def _resolved_at(self, issue: Any) -> datetime | None:
        """Closed: its close time. Open with the resolved label: when the label was added
        (one events request, only for such issues). Else unresolved."""
        if issue.state == "closed":
            return _utc(issue.closed_at)
        wanted = self.config.resolved_label.lower()
        if wanted not in (label.name.lower() for label in issue.labels):
            return None
        when = None
        for event in issue.get_events():
            if event.event == "labeled" and event.label and event.label.name.lower() == wanted:
                when = _utc(event.created_at)
        return when

    def _drafts(self, late: Sequence[Incident]) -> list[Draft]:
        """The open pmops pull requests of late incidents, from one list: its `updated_at`
        moves with every review, push and comment, so no per-PR request is needed."""
        wanted = {i.number for i in late if not i.published}
        if not wanted:
            return []
        drafts = []
        for pull in self.repo.get_pulls(state="open"):
            match = _PMOPS_BRANCH.match(pull.head.ref)
            if match and int(match.group(1)) in wanted:
                drafts.append(
                    Draft(
                        pull.number,
                        int(match.group(1)),
                        _utc(pull.updated_at) or self.now,
                        tuple(u.login for u in pull.requested_reviewers),
                    )
                )
        return drafts

    def _reminded(self, period: int) -> set[str]:
        """Keys of this period's reminders already posted (one list of recent comments)."""
        since = period_start(period, self.follow.period_days)
        keys = set()
        for comment in self.repo.get_issues_comments(sort="created", since=since):
            body, user = comment.body or "", comment.user
            if user is not None and self.own.wrote(user.login, user.type, body):
                keys.update(_MARKER.findall(body))
        return {k for k in keys if k.endswith(f"-p{period}")}

    def _post(self, reminder: Reminder, period: int) -> None:
        body = render_reminder(reminder, self.follow.mention_owners)
        tag = f"<!-- pmops:remind:{reminder_key(reminder, period)} -->"
        self.repo.requester.requestJsonAndCheck(
            "POST",
            f"{self.repo.url}/issues/{reminder.target}/comments",
            input={"body": f"{body.rstrip()}\n\n{tag}\n"},
        )


def _whoami(repo: Repository) -> str | None:
    """The token's login (`GET /user`), or None when the token may not read it."""
    status, _, data = repo.requester.requestJson("GET", "/user")
    if status != 200:  # 401/403/404 for an App's or Actions' token: pmops knows bots only
        return None
    login = json.loads(data or "{}").get("login")
    return str(login) if login else None


def render_reminder(reminder: Reminder, mention: bool) -> str:
    """The comment's text; people are @mentioned only where the config allows."""
    people = []
    for login in reminder.people:
        owner = parse_owner(login)
        if owner is None:
            continue
        text = f"@{owner.name}"
        people.append(text if mention else neutralize_mentions(text))
    return (
        render_template(
            f"comments/remind_{reminder.kind.value.replace('-', '_')}.md.j2",
            number=reminder.incident,
            title=one_line(reminder.title, 200),
            due=reminder.due.isoformat(),
            people=people,
            kind=reminder.kind.value,
        ).strip()
        + "\n"
    )


__all__ = ["Kind", "RemindReport", "Reminders", "published_incidents", "render_reminder"]


_PUBLISHED = re.compile(r"/\d{4}/\d{4}-\d\d-\d\d-(\d+)-[^/]+\.md$")


def published_incidents(paths: Iterable[str], folder: str) -> set[int]:
    """Incident numbers of the postmortem files on the default branch (all published there)."""
    prefix = f"{folder.strip('/')}/"
    return {
        int(m.group(1))
        for p in paths
        if p.startswith(prefix) and "/.drafts/" not in p and (m := _PUBLISHED.search(p))
    }
