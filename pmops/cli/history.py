"""`pmops search`, `pmops index` and `pmops stats`: parse the arguments, call the library, print.

Register them with `cli.add_command(...)`; they raise `PmopsError` for bad input, which the
`pmops` group turns into a one-line message and an exit code. JSON goes to stdout, messages
to stderr.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pmops.cli.options import github_options, repo_option, token_from
from pmops.errors import InputError
from pmops.times import format_time, parse_time

if TYPE_CHECKING:
    from pmops.history.search import Hit
    from pmops.history.stats import Stats
    from pmops.model import Severity

_BOLD = ("\x1b[1m", "\x1b[0m")  # click.echo drops ANSI codes when stdout is not a terminal


def parse_severity(value: str) -> Severity:
    """`SEV-2`, `sev2` or `2` to a Severity; InputError otherwise."""
    from pmops.model import Severity

    match = re.fullmatch(r"(?:sev-?)?([1-4])", value.strip(), re.IGNORECASE)
    if not match:
        known = ", ".join(s.value for s in Severity)
        raise InputError(f"--severity: {value!r} is not a severity (one of {known})")
    return Severity(f"SEV-{match.group(1)}")


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """`YYYY-MM-DD` (midnight UTC), an ISO-8601 time with a zone, or `N d` days ago."""
    text = value.strip()
    days = re.fullmatch(r"(\d{1,5})\s*d", text)
    if days:
        return (now or datetime.now(UTC)) - timedelta(days=int(days.group(1)))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise InputError(f"--since: {value!r} is not a valid date") from None
    try:
        return parse_time(text, "--since")
    except InputError:
        raise InputError(
            f"--since: {value!r} is not a date (2026-03-20), a time with a zone "
            "(2026-03-20T14:23:00Z) or a number of days (90d)"
        ) from None


ITEMS_HELP = (
    "Read the action items' state from this repository's issues (one request per 100 issues); "
    "without it the state is unknown."
)
"""What `--github` does for `index`, `stats` and `site`."""


def _item_status(github_repo: str | None, token_env: str, api_url: str | None, root: Path) -> Any:
    from pmops.follow.item_status import fetch_item_status

    if not github_repo:
        return None
    token = token_from(token_env, "--github")
    return fetch_item_status(github_repo, token, api_url, datetime.now(UTC), root)


def hit_json(hit: Hit) -> dict[str, Any]:
    """One search hit as printed by `pmops search --json`."""
    record = hit.record
    return {
        "id": record.id,
        "title": record.title,
        "date": record.started_at.strftime("%Y-%m-%d"),
        "started_at": format_time(record.started_at),
        "severity": record.severity,
        "status": record.status,
        "services": list(record.services),
        "path": record.path,
        "score": hit.score,
        "snippet": hit.snippet,
    }


@click.command("search")
@click.argument("query")
@click.option(
    "--service",
    "services",
    multiple=True,
    metavar="S",
    help="Only incidents that affected this service (repeat for any of several).",
)
@click.option("--severity", metavar="SEV-n", help="Only this severity (SEV-1 .. SEV-4).")
@click.option(
    "--since",
    metavar="DATE",
    help="Only incidents started on or after DATE (YYYY-MM-DD, an ISO-8601 time, or 90d).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="Most hits to show.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON on stdout.")
@repo_option("The repository.")
def search_command(
    query: str,
    services: tuple[str, ...],
    severity: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
    repo: Path,
) -> None:
    """Search past postmortems, best match first (title, root cause, services, errors)."""
    from pmops.history.search import open_index

    level = parse_severity(severity) if severity else None
    start = parse_since(since) if since else None
    highlight = ("**", "**") if as_json else _BOLD
    with open_index(repo) as index:
        hits = index.search(
            query, services=services, severity=level, since=start, limit=limit, highlight=highlight
        )
    if as_json:
        click.echo(json.dumps([hit_json(h) for h in hits], indent=2, ensure_ascii=False))
    for hit in [] if as_json else hits:
        record = hit.record
        click.echo(
            f"{record.started_at:%Y-%m-%d}  {record.severity}  {record.status:<9}  "
            f"{click.style(record.title, bold=True)}"
        )
        click.echo(f"    {record.path}")
        click.echo(f"    {hit.snippet}")
    if not hits:
        click.echo(f"no postmortem matches {query!r}", err=True)


@click.command("index")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if the page is stale (CI).")
@repo_option("The repository.")
@github_options(ITEMS_HELP)
def index_command(
    check: bool, repo: Path, github_repo: str | None, token_env: str, api_url: str | None
) -> None:
    """Write postmortems/README.md: every postmortem in a table, and Mermaid charts."""
    from pmops.history.index_page import write_index_page

    status = _item_status(github_repo, token_env, api_url, repo)
    page, stale = write_index_page(repo, check=check, status=status)
    name = page.path.relative_to(repo.resolve()).as_posix()
    if check and stale:
        click.echo(f"{name} is stale: run `pmops index` and commit it", err=True)
        sys.exit(1)
    click.echo(f"wrote {name}" if stale else f"{name} is up to date", err=True)


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON on stdout.")
@repo_option("The repository.")
@github_options(ITEMS_HELP)
def stats_command(
    as_json: bool, repo: Path, github_repo: str | None, token_env: str, api_url: str | None
) -> None:
    """MTTR, incidents by severity, service and month, action items, and draft edits."""
    from pmops.history.stats import compute_stats, stats_json

    status = _item_status(github_repo, token_env, api_url, repo)
    stats = compute_stats(
        repo, status.counts() if status else None, status.late_postmortems if status else None
    )
    if as_json:
        click.echo(json.dumps(stats_json(stats), indent=2, ensure_ascii=False))
    else:
        for line in stats_lines(stats):
            click.echo(line)


def _item_lines(stats: Stats) -> list[str]:
    """Action items: their issues' state, or that it is unknown offline."""
    items = stats.items
    if items is None:
        return [
            f"action items:     {stats.action_items} in the files "
            f"({stats.action_items_done} ticked); open/closed/overdue unknown offline: "
            f"add --github OWNER/NAME"
        ]
    lines = [
        f"action items:     {items.total} tracked: {items.closed} closed, {items.open} "
        f"open, {items.overdue} overdue ({_percent(stats.action_items_done_share)} done)"
    ]
    if stats.late_postmortems is not None:
        late = ", ".join(f"#{n}" for n in stats.late_postmortems) or "none"
        lines.append(f"overdue postmortems: {late}")
    if items.close_days:
        days = ", ".join(f"{p} {d:g}" for p, d in items.close_days.items())
        lines.append(f"days to close:    {days} (median, by priority)")
    return lines


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.0f}%"


def stats_lines(stats: Stats) -> list[str]:
    """The human-readable report of `pmops stats`."""
    if not stats.incidents:
        return ["no postmortems yet"]
    severities = ", ".join(f"{k} {v}" for k, v in stats.by_severity.items())
    services = ", ".join(f"{k} {v}" for k, v in list(stats.by_service.items())[:5])
    lines = [
        f"incidents:        {stats.incidents} ({severities})",
        f"MTTR:             {stats.mttr_minutes:g} min (median {stats.median_minutes:g} min)",
        f"top services:     {services}",
        *_item_lines(stats),
    ]
    months = list(stats.by_month.items())[-6:]
    lines.append("last months:      " + ", ".join(f"{m} {sum(v.values())}" for m, v in months))
    drafts = stats.drafts
    if drafts and drafts.compared:
        lines.append(
            f"draft edits:      median {_percent(drafts.median_changed)} of body lines changed "
            f"by reviewers ({drafts.compared} published with an AI draft)"
        )
        lines += [f"  {h + ':':<22}{_percent(v)}" for h, v in drafts.by_section.items()]
    else:
        lines.append("draft edits:      no published postmortem has an AI draft copy")
    return lines
