"""The `pmops` command line: parse arguments, call the library, report. No logic of its own.

Start-up stays close to importing click: this module and the command modules it registers
import only click and light pmops modules at the top; each command imports the libraries it
needs when it runs (tests/test_startup.py checks which modules `pmops --help` loads).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pmops import __version__
from pmops.cli.action import COMMANDS as ACTION_COMMANDS
from pmops.cli.history import index_command, search_command, stats_command
from pmops.cli.options import github_options, repo_option, token_from
from pmops.cli.reach import import_command, site_command
from pmops.cli.remind import remind_command
from pmops.cli.remote import remote_error
from pmops.errors import PmopsError
from pmops.safety.files import write_atomic
from pmops.sources.gitcmd import repo_root as _repo_root

if TYPE_CHECKING:
    from pmops.config import Config
    from pmops.documents.claims_check import NumberLookup
    from pmops.pipeline import Result


class UserError(click.ClickException):
    """A PmopsError shown as one line on stderr; exit code 2 like a usage error."""

    exit_code = PmopsError.exit_code

    def __init__(self, error: PmopsError) -> None:
        super().__init__(str(error))

    def show(self, file: object = None) -> None:
        click.echo(f"pmops: error: {self.message}", err=True)


class PmopsGroup(click.Group):
    """Turns every PmopsError raised by a command, and GitHub's or the network's failures,
    into a UserError; `-h` works everywhere.

    The help option names are the group's default, so a group built around a few commands (as
    tests do) caches the same help option on them as `pmops` itself: click caches a command's
    help option the first time it is asked for, whichever group asked.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
        super().__init__(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PmopsError as exc:
            raise UserError(exc) from None
        except Exception as exc:  # GitHub or the network: a message; anything else re-raised
            remote = remote_error(exc)
            if remote is None:
                raise
            raise UserError(remote) from None


@click.group(cls=PmopsGroup)
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
@github_options(
    "Look up on this repository's GitHub the PR and issue numbers humans added that the "
    "history does not name (one request each, at most 20); without it they are flagged."
)
def check(
    paths: tuple[Path, ...],
    base: str | None,
    github_repo: str | None,
    token_env: str,
    api_url: str | None,
) -> None:
    """Check postmortem files (default: every one under postmortems/).

    Prints each problem as `path:line: message` and exits 1 if there are any.
    """
    from pmops.config import load_config
    from pmops.documents.check import (
        Problem,
        check_files,
        check_removed,
        default_branch,
        find_postmortems,
    )

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
    if base is None and repo is not None:
        base = default_branch(repo)
    removed: list[Problem] = []
    if not paths:
        folder = load_config(root).postmortems_dir
        files = find_postmortems(root, folder)
        removed = check_removed(root, base, folder) if base else []
        if not files and not removed:
            click.echo(f"no postmortems found under {folder}/", err=True)
            return
    numbers = _numbers(github_repo, token_env, api_url)
    problems = check_files(files, root, base, load_config(root).sections, numbers) + removed
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(files)} file(s)", err=True)
        sys.exit(1)
    click.echo(f"{len(files)} postmortem(s) OK", err=True)


def _numbers(github_repo: str | None, token_env: str, api_url: str | None) -> NumberLookup | None:
    """`--github`: the GitHub lookup of PR and issue numbers (None: offline)."""
    if not github_repo:
        return None
    token = token_from(token_env, "--github")
    from pmops.github.client import connect
    from pmops.github.numbers import IssueNumbers

    return IssueNumbers(connect(token, api_url), github_repo)


def _progress(quiet: bool) -> Callable[[str], None]:
    def report(message: str) -> None:
        if not quiet:
            click.echo(f"pmops: {message}", err=True)

    return report


def _incident_option(func: Callable[..., None]) -> Callable[..., None]:
    return click.option(
        "--incident",
        "incident_file",
        required=True,
        type=click.Path(path_type=Path),
        help="Incident file (YAML or JSON, schemas/incident.schema.json).",
    )(func)


def _lookback_option(func: Callable[..., None]) -> Callable[..., None]:
    return click.option(
        "--lookback",
        type=click.FloatRange(min=0, max=720, min_open=True),
        metavar="HOURS",
        help="Hours before the start to look for suspects (overrides lookback_hours); "
        "commits a deploy shipped are candidates whatever their age.",
    )(func)


def _with_lookback(config: Config, hours: float | None) -> Config:
    from dataclasses import replace

    return config if hours is None else replace(config, lookback_hours=hours)


@cli.command()
@repo_option("The git repository to read.")
@_incident_option
@_lookback_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here instead of the conventional path under postmortems/.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json"]),
    default="md",
    show_default=True,
    help="md: the postmortem file; json: the draft and its checks.",
)
@click.option("--model", help="Model name (overrides the config); none: deterministic drafter.")
@click.option("--offline", is_flag=True, help="Never call a model or a remote backend.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
def draft(
    repo: Path,
    incident_file: Path,
    lookback: float | None,
    out: Path | None,
    fmt: str,
    model: str | None,
    offline: bool,
    quiet: bool,
) -> None:
    """Draft a postmortem for an incident from a local repository."""
    from dataclasses import replace

    from pmops.config import load_config
    from pmops.documents.render import render_postmortem
    from pmops.draft.compose import draft_files, postmortem_path
    from pmops.pipeline import draft_local, result_json

    config = _with_lookback(load_config(repo), lookback)
    if offline or model == "none":
        config = replace(config, model=replace(config.model, name=None), observability=())
    elif model:
        config = replace(config, model=replace(config.model, name=model))
    result = draft_local(repo, incident_file, config=config, progress=_progress(quiet))
    if fmt == "json":
        text = json.dumps(result_json(result, config.document), indent=2, sort_keys=True) + "\n"
    else:
        path = postmortem_path(result.analysis.evidence.incident, config.postmortems_dir)
        text = render_postmortem(result.postmortem, config.document, path)
    if out is None and fmt == "json":
        click.echo(text, nl=False)
        return
    if out is None:
        path = postmortem_path(result.analysis.evidence.incident, config.postmortems_dir)
        for name, body in draft_files(path, text, config.postmortems_dir).items():
            write_atomic(repo / name, body, root=repo)
        target = repo / path
    else:
        target = out
        write_atomic(target, text)
    _report(result, quiet)
    click.echo(str(target))


def _report(result: Result, quiet: bool) -> None:
    if quiet:
        return
    pm = result.postmortem
    top = pm.suspects[0] if pm.suspects else None
    verification = result.verification
    fell_back = result.draft.generator.fallback_reason
    if fell_back:  # said in the postmortem too; here so nobody thinks the model wrote it
        click.echo(
            f"pmops: the model's draft could not be used ({fell_back}); "
            "this is the deterministic draft",
            err=True,
        )
    click.echo(
        f"pmops: {len(pm.suspects)} suspect(s); top: "
        f"{top.sha[:7] + ' ' + top.subject if top else 'none'}",
        err=True,
    )
    click.echo(
        f"pmops: confidence {pm.confidence.value}; "
        f"{len(verification.claims) - len(verification.unverified)} of "
        f"{len(verification.claims)} claims verified",
        err=True,
    )


@cli.command()
@repo_option("The git repository to read.")
@_incident_option
@_lookback_option
@click.option("--json", "as_json", is_flag=True, help="Print the ranked list as JSON on stdout.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many suspects to list; 0 lists every candidate.",
)
def suspects(
    repo: Path, incident_file: Path, lookback: float | None, as_json: bool, limit: int
) -> None:
    """Rank the changes most likely to have caused an incident."""
    from pmops.analyze.suspects import suspects_json
    from pmops.config import load_config
    from pmops.pipeline import rank_local

    config = _with_lookback(load_config(repo), lookback)
    ranked = rank_local(
        repo, incident_file, limit=limit or None, config=config, progress=_progress(False)
    )
    if as_json:
        click.echo(json.dumps(suspects_json(ranked), indent=2))
        return
    if not ranked:
        click.echo("no change landed in the lookback window before the start", err=True)
    for i, suspect in enumerate(ranked, 1):
        pr = f" #{suspect.pr}" if suspect.pr else ""
        click.echo(f"{i:2}. {suspect.sha[:10]} {suspect.score:.2f}{pr} {suspect.subject}")
        for reason in suspect.reasons:
            click.echo(f"      - {reason}")


@cli.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Build the sample here (must not exist) instead of a temporary folder.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
def demo(folder: Path | None, quiet: bool) -> None:
    """Build a sample repository and incident, draft its postmortem, and show where it is."""
    from pmops.documents.render import render_postmortem
    from pmops.draft.compose import draft_files, postmortem_path
    from pmops.pipeline import draft_local
    from pmops.setup.demo import build_demo
    from pmops.site.build import build_site

    base = folder or Path(tempfile.mkdtemp(prefix="pmops-demo-"))
    if folder is not None and folder.exists():
        raise click.BadParameter(f"{folder} already exists", param_hint="--dir")
    progress = _progress(quiet)
    progress(f"building a sample repository in {base}")
    repo, incident = build_demo(base)
    result = draft_local(repo, incident, progress=progress)
    name = postmortem_path(result.analysis.evidence.incident)
    text = render_postmortem(result.postmortem)
    for written, body in draft_files(name, text).items():
        write_atomic(repo / written, body, root=repo)
    path = repo / name
    pm = result.postmortem
    site = build_site(repo, base / "site", "Postmortems (pmops demo)", drafts=True)
    click.echo(f"Sample repository: {repo}")
    click.echo(f"Incident file:     {incident}")
    click.echo(f"Postmortem:        {path}")
    click.echo(f"Site:              {site.index}  (drafts shown as a preview)")
    click.echo("")
    click.echo(
        f"{pm.title} ({pm.severity.value}, {pm.duration_minutes} min, "
        f"confidence {pm.confidence.value})"
    )
    for i, suspect in enumerate(pm.suspects[:3], 1):
        click.echo(f"  {i}. {suspect.sha[:7]} {suspect.score:.2f} {suspect.subject}")
    click.echo("")
    click.echo(f"Next: cat {path}   |   cd {repo} && pmops check")


_HISTORY = (search_command, index_command, stats_command, import_command, site_command)
for _command in (*ACTION_COMMANDS, *_HISTORY, remind_command):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="pmops")


if __name__ == "__main__":
    main()
