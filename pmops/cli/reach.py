"""`pmops import` and `pmops site`: parse the arguments, call the library, report.

Messages go to stderr; a file-by-file report of `import` goes to stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pmops.cli.history import ITEMS_HELP, parse_severity
from pmops.cli.options import github_options, repo_option, token_from
from pmops.site import DEFAULT_TITLE

# Libraries are imported inside each command (start-up stays close to importing click).


@click.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--severity",
    "default_severity",
    metavar="SEV-n",
    help="Severity of the files that name none (otherwise they are not imported).",
)
@click.option("--dry-run", is_flag=True, help="Report what would be written; write nothing.")
@repo_option("The repository.")
def import_command(folder: Path, default_severity: str | None, dry_run: bool, repo: Path) -> None:
    """Turn a folder of markdown postmortems into pmops history files (never overwrites)."""
    from pmops.config import load_config
    from pmops.history.importer import import_files, plan_import

    severity = parse_severity(default_severity).value if default_severity else None
    plans = plan_import(folder, repo, load_config(repo).postmortems_dir, severity)
    if not dry_run:
        plans = import_files(repo, plans)
    verb = "would write" if dry_run else "wrote"
    counts = {"written": 0, "exists": 0, "failed": 0}
    for plan in plans:
        if plan.problem:
            counts["failed"] += 1
            click.echo(f"{plan.source}: not imported: {plan.problem}")
        elif plan.exists:
            counts["exists"] += 1
            click.echo(f"{plan.source}: {plan.dest} exists, left as it is")
        else:
            counts["written"] += 1
            click.echo(f"{plan.source}: {verb} {plan.dest}")
            for note in plan.inferred:
                click.echo(f"    {note}")
    click.echo(
        f"{counts['written']} {verb}, {counts['exists']} already there, "
        f"{counts['failed']} not imported",
        err=True,
    )
    if counts["failed"]:
        sys.exit(1)


@click.command("site")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default=DEFAULT_TITLE, show_default=True, help="The site's title.")
@click.option("--drafts", is_flag=True, help="Show drafts and edited ones too, marked (a preview).")
@repo_option("The repository.")
@github_options(ITEMS_HELP)
def site_command(
    out: Path,
    title: str,
    drafts: bool,
    repo: Path,
    github_repo: str | None,
    token_env: str,
    api_url: str | None,
) -> None:
    """Build a static HTML site of the published postmortems in OUT (incremental)."""
    from datetime import UTC, datetime

    from pmops.follow.item_status import fetch_item_status
    from pmops.history.search import note_skipped
    from pmops.site.build import build_site
    from pmops.site.entries import ItemStates

    states = None
    if github_repo:
        token = token_from(token_env, "--github")
        status = fetch_item_status(github_repo, token, api_url, datetime.now(UTC))
        states = ItemStates(status.today, {i.number: i for i in status.issues})
    report = build_site(repo, out, title, drafts=drafts, states=states)
    note_skipped(report.skipped)
    click.echo(
        f"{report.pages} postmortems: {report.rendered} pages rendered, {report.unchanged} "
        f"files unchanged, {report.removed} pages removed",
        err=True,
    )
    if report.unpublished:
        click.echo(
            f"{report.unpublished} not published yet, not shown (--drafts previews them)",
            err=True,
        )
    click.echo(str(report.index))
