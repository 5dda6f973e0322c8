"""`pmops remind`: the reminders of the scheduled workflow, from a terminal (`--dry-run`
lists them without commenting). Registered on the `pmops` group in pmops/cli/main.py."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from pmops.errors import InputError, PmopsError


@click.command("remind")
@click.option(
    "--github",
    "github_repo",
    metavar="OWNER/NAME",
    required=True,
    help="The repository whose incidents, pull requests and action items to check.",
)
@click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False),
    default=".",
    show_default=True,
    help="A checkout of its default branch (published files, config).",
)
@click.option(
    "--token-env",
    default="GITHUB_TOKEN",
    show_default=True,
    help="Environment variable holding the token.",
)
@click.option("--api-url", default=None, help="REST API root (GitHub Enterprise Server).")
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

    token = os.environ.get(token_env, "")
    try:
        if not token:
            raise InputError(f"pmops remind needs a token in ${token_env}")
        config = load_config(repo)
        root = repo.resolve()
        paths = [
            p.relative_to(root).as_posix() for p in find_postmortems(root, config.postmortems_dir)
        ]
        published = published_incidents(paths, config.postmortems_dir)
        gh_repo = connect(token, api_url).get_repo(github_repo)
        report = Reminders(gh_repo, config, published, datetime.now(UTC)).run(dry_run=dry_run)
    except PmopsError as exc:
        click.echo(f"pmops: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except GithubException as exc:
        click.echo(f"pmops: error: GitHub answered {exc.status} for {github_repo}", err=True)
        sys.exit(1)
    for line in report.lines():
        click.echo(line)
