"""`pmops init`: the files a repository needs to run pmops as a GitHub Action.

The workflow (least permissions, pinned actions, `issue_comment` made safe and said so), a
commented `.github/pmops.yml`, an incident issue form whose headings the GitHub source reads,
and a CODEOWNERS line so that postmortems are published by the people who own them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pmops.codeowners import LOCATIONS, parse_codeowners
from pmops.errors import InputError
from pmops.files import write_atomic

# config (the schema library) and templating (jinja2) are imported where they are used, so
# `pmops --help` can show this module's defaults without loading them

WORKFLOW_PATH = ".github/workflows/pmops.yml"
FORM_PATH = ".github/ISSUE_TEMPLATE/incident.yml"
DEFAULT_ACTION = "pmops/pmops@v1"
DEFAULT_OWNER = "@your-org/incident-reviewers"


@dataclass(frozen=True)
class InitOptions:
    """What `pmops init` writes into the templates."""

    plan: str = "starter"
    model: str | None = None
    api_key_secret: str = "OPENAI_API_KEY"
    action: str = DEFAULT_ACTION
    owner: str = DEFAULT_OWNER
    incident_label: str = "incident"
    resolved_label: str = "resolved"
    postmortems_dir: str = "postmortems"


@dataclass(frozen=True)
class Written:
    """One file `pmops init` created, changed or left alone, and why."""

    path: str
    action: str  # created | updated | kept


def render_workflow(options: InitOptions) -> str:
    """The sample workflow (also the README's)."""
    from pmops.templating import render_template

    return render_template("init/workflow.yml.j2", action=options.action, model=options.model,
                           api_key_secret=options.api_key_secret,
                           postmortems_dir=options.postmortems_dir.strip("/"))


def render_config(options: InitOptions) -> str:
    """`.github/pmops.yml` with a comment on every key."""
    from pmops.templating import render_template

    return render_template("init/pmops.yml.j2", plan=options.plan, model=options.model,
                           incident_label=options.incident_label,
                           resolved_label=options.resolved_label)


def render_form(options: InitOptions) -> str:
    """The incident issue form."""
    from pmops.templating import render_template

    return render_template("init/incident-form.yml.j2", incident_label=options.incident_label,
                           resolved_label=options.resolved_label)


def codeowners_line(options: InitOptions) -> str:
    """The CODEOWNERS rule that makes the owner's approval publish a postmortem."""
    if not options.owner.startswith("@") and "@" not in options.owner:
        raise InputError(f"owner {options.owner!r} must be @user, @org/team or an e-mail")
    return f"/{options.postmortems_dir.strip('/')}/ {options.owner}"


def init_repository(repo: Path, options: InitOptions, *, force: bool = False) -> list[Written]:
    """Write the files into `repo`; existing files are kept unless `force`."""
    from pmops.config import CONFIG_PATH

    results = []
    for path, text in ((WORKFLOW_PATH, render_workflow(options)),
                       (CONFIG_PATH, render_config(options)),
                       (FORM_PATH, render_form(options))):
        target = repo / path
        if target.exists() and not force:
            results.append(Written(path, "kept"))
            continue
        existed = target.exists()
        write_atomic(target, text)
        results.append(Written(path, "updated" if existed else "created"))
    results.append(_add_codeowners(repo, options))
    return results


def _add_codeowners(repo: Path, options: InitOptions) -> Written:
    """Append the postmortems rule to the CODEOWNERS GitHub reads (or create one)."""
    location = next((loc for loc in LOCATIONS if (repo / loc).is_file()), LOCATIONS[0])
    target = repo / location
    text = target.read_text(encoding="utf-8") if target.is_file() else ""
    probe = f"{options.postmortems_dir.strip('/')}/2026/2026-01-01-1-x.md"
    rule = parse_codeowners(text).rule_for(probe)
    if rule is not None and rule.pattern.strip("/").startswith(options.postmortems_dir.strip("/")):
        return Written(location, "kept")
    line = codeowners_line(options)
    comment = "# Postmortems are published by a code owner's approval (pmops)."
    prefix = text if not text or text.endswith("\n") else text + "\n"
    write_atomic(target, f"{prefix}{comment}\n{line}\n")
    return Written(location, "updated" if text else "created")
