"""CLI commands for running pmops as an Action: init, doctor, quota, status.

Registered on the `pmops` group in pmops/cli/main.py (`cli.add_command`). Each parses, calls the
library and reports; a PmopsError they raise becomes the group's one-line message and exit code.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from pmops.cli.options import github_options, repo_option, token_from
from pmops.documents.sections import LAYOUTS
from pmops.errors import PmopsError
from pmops.setup.init import DEFAULT_ACTION, DEFAULT_OWNER, InitOptions, init_repository


@click.command()
@repo_option("The git repository.", exists=False)
@click.option(
    "--plan",
    type=click.Choice(["free", "starter", "pro"]),
    default="starter",
    show_default=True,
    help="Monthly quota plan written to .github/pmops.yml.",
)
@click.option("--model", help="Model name for the config and workflow (default: deterministic).")
@click.option(
    "--owner",
    default=DEFAULT_OWNER,
    show_default=True,
    help="Code owner of postmortems/ (@user or @org/team): their approval publishes.",
)
@click.option(
    "--action",
    "action_ref",
    default=DEFAULT_ACTION,
    show_default=True,
    help="The action reference the workflow uses (pin a tag or SHA).",
)
@click.option("--force", is_flag=True, help="Overwrite existing workflow, config and form.")
@click.option(
    "--site",
    is_flag=True,
    help="Also a workflow publishing `pmops site` to GitHub Pages on each merge.",
)
@click.option(
    "--template",
    type=click.Choice(list(LAYOUTS)),
    default="standard",
    show_default=True,
    help="Postmortem sections: pmops's ten, the Google SRE book's, or a short one for SEV-3/4.",
)
def init(
    repo: Path,
    plan: str,
    model: str | None,
    owner: str,
    action_ref: str,
    force: bool,
    site: bool,
    template: str,
) -> None:
    """Write the workflow, .github/pmops.yml, an incident form, a CODEOWNERS rule, a ruleset."""
    options = InitOptions(
        plan=plan, model=model, action=action_ref, owner=owner, site=site, template=template
    )
    written = init_repository(repo, options, force=force)
    for item in written:
        click.echo(f"{item.action:8} {item.path}")
    if owner == DEFAULT_OWNER:
        click.echo(f"pmops: replace {DEFAULT_OWNER} in CODEOWNERS with the real owners", err=True)
    click.echo(
        "pmops: next: commit these files; import .github/rulesets/pmops-publish.json "
        "(Settings → Rules → Rulesets → New ruleset → Import a ruleset); then run "
        "`pmops doctor --github OWNER/NAME`",
        err=True,
    )


@click.command()
@repo_option("The git repository.")
@github_options("Also check the repository's GitHub settings (token from --token-env).")
def doctor(repo: Path, github_repo: str | None, token_env: str, api_url: str | None) -> None:
    """Report what is missing or wrong in the pmops setup; exit 1 if anything is."""
    from pmops.config import load_config
    from pmops.setup.doctor import local_findings, remote_findings

    findings = local_findings(repo)
    if github_repo:
        token = token_from(token_env, "--github")
        from pmops.github.api import GitHubApi
        from pmops.github.client import connect

        api = GitHubApi(connect(token, api_url), github_repo)
        config = load_config(repo)
        findings += remote_findings(api, api.repo.default_branch, config)
    for finding in findings:
        click.echo(finding.line())
    if any(not f.ok for f in findings):
        sys.exit(1)


@click.command()
@repo_option("The git repository.")
@click.option("--month", metavar="YYYY-MM", help="Month to count [default: this month, UTC].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def quota(repo: Path, month: str | None, as_json: bool) -> None:
    """How many new postmortems this month's quota has used, counted from git history."""
    from pmops.config import load_config
    from pmops.documents.check import default_branch
    from pmops.lifecycle.quota import count_quota, parse_month

    config = load_config(repo)
    start = parse_month(month) if month else datetime.now(UTC)
    ref = default_branch(repo) or "HEAD"
    use = count_quota(repo, ref, start, config.plan, config.quota_limit, config.postmortems_dir)
    if as_json:
        click.echo(json.dumps(use.as_json(), indent=2, sort_keys=True))
        return
    listed = ", ".join(f"#{i}" if str(i).isdigit() else str(i) for i in use.incidents) or "none"
    click.echo(
        f"{use.month}: {use.used} of {use.limit} new postmortems ({use.plan} plan); "
        f"incidents: {listed}; resets {use.resets_at:%Y-%m-%d}"
    )


@click.command()
@repo_option("The git repository.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def status(repo: Path, as_json: bool) -> None:
    """Postmortems on this branch and on pmops/* branches, with their status."""
    from pmops.config import load_config
    from pmops.documents.check import find_postmortems
    from pmops.documents.document import read_text
    from pmops.sources.gitcmd import git_bytes, git_output

    config = load_config(repo)
    rows = []
    for path in find_postmortems(repo, config.postmortems_dir):
        rows.append(_row(path.relative_to(repo).as_posix(), read_text(path), "working tree"))
    branches = (
        git_output(
            repo,
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads/pmops/",
            "refs/remotes/origin/pmops/",
        )
        or ""
    )
    for branch in branches.split():
        files = (
            git_output(
                repo, "diff", "--name-only", f"HEAD...{branch}", "--", f"{config.postmortems_dir}/"
            )
            or ""
        )
        for name in files.split():
            if "/.drafts/" in name or not name.endswith(".md"):
                continue
            try:
                shown = git_bytes(repo, "show", f"{branch}:{name}")
            except PmopsError:
                continue
            rows.append(_row(name, shown.decode("utf-8", "replace"), branch))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['status']:10} {row['where']:28} {row['path']}")
    if not rows:
        click.echo(f"no postmortems under {config.postmortems_dir}/", err=True)


def _row(path: str, text: str, where: str) -> dict[str, str]:
    from pmops.documents.document import parse_document, plain

    try:
        meta = plain(parse_document(text, path).meta)
    except PmopsError:
        meta = {}
    return {
        "path": path,
        "where": where,
        "status": str(meta.get("status", "invalid")),
        "id": str(meta.get("id", "")),
    }


COMMANDS = (init, doctor, quota, status)
"""Register each with `cli.add_command(command)`."""
