"""`pmops remind`: the reminders of the scheduled workflow, from a terminal (`--dry-run`
lists them without commenting). Registered on the `pmops` group in pmops/cli/main.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from pmops.cli.options import github_options, repo_option, token_from
from pmops.errors import SourceError


@click.command("remind")
@github_options(
    "The repository whose incidents, pull requests and action items to check.", required=True
)
@repo_option("A checkout of its default branch (published files, config).")
@click.option("--dry-run", is_flag=True, help="Print what would be commented; comment nothing.")
def remind_command(
    github_repo: str, repo: Path, token_env: str, api_url: str | None, dry_run: bool
) -> None:
    """Comment once per period on overdue postmortems and overdue action items."""
    from github import GithubException

    from pmops.config import load_config
    from pmops.documents.check import find_postmortems
    from pmops.follow.remind import Reminders, published_incidents
    from pmops.github.client import connect

    token = token_from(token_env, "pmops remind")
    config = load_config(repo)
    root = repo.resolve()
    paths = [p.relative_to(root).as_posix() for p in find_postmortems(root, config.postmortems_dir)]
    published = published_incidents(paths, config.postmortems_dir)
    try:
        gh_repo = connect(token, api_url).get_repo(github_repo)
        report = Reminders(gh_repo, config, published, datetime.now(UTC)).run(dry_run=dry_run)
    except GithubException as exc:
        raise SourceError(f"GitHub answered {exc.status} for {github_repo}") from None
    for line in report.lines():
        click.echo(line)
