"""The `pmops` command line: parse arguments, call the library, report. No logic of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from pmops import __version__
from pmops.check import check_files, default_branch, find_postmortems
from pmops.config import load_config
from pmops.errors import PmopsError


def _repo_root(start: Path) -> Path | None:
    result = subprocess.run(
        ["git", "-C", str(start), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=False,
    )
    return Path(result.stdout.strip()) if result.returncode == 0 else None


class UserError(click.ClickException):
    """A PmopsError shown as one line on stderr, with its exit code."""

    def __init__(self, error: PmopsError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code

    def show(self, file: object = None) -> None:
        click.echo(f"pmops: error: {self.message}", err=True)


class PmopsGroup(click.Group):
    """Turns every PmopsError raised by a command into a UserError."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PmopsError as exc:
            raise UserError(exc) from None


@click.group(cls=PmopsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pmops")
def cli() -> None:
    """Draft, check and search incident postmortems kept in a Git repository."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--base",
    metavar="REF",
    help="Ref whose published postmortems are frozen [default: the repository's default branch].",
)
def check(paths: tuple[Path, ...], base: str | None) -> None:
    """Check postmortem files (default: every one under postmortems/).

    Prints each problem as `path:line: message` and exits 1 if there are any.
    """
    cwd = Path.cwd()
    repo = _repo_root(cwd)
    root = repo or cwd
    files: list[Path] = []
    if paths:
        for path in paths:
            if path.is_dir():
                files += sorted(p for p in path.rglob("*.md") if ".drafts" not in p.parts)
            elif path.exists():
                files.append(path)
            else:
                raise click.BadParameter(f"{path}: no such file or folder", param_hint="PATHS")
    else:
        folder = load_config(root).postmortems_dir
        files = find_postmortems(root, folder)
        if not files:
            click.echo(f"no postmortems found under {folder}/", err=True)
            return
    if base is None and repo is not None:
        base = default_branch(repo)
    problems = check_files(files, root, base)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(files)} file(s)", err=True)
        sys.exit(1)
    click.echo(f"{len(files)} postmortem(s) OK", err=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="pmops")


if __name__ == "__main__":
    main()
