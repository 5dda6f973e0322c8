"""`pmops init`: the files a repository needs to run pmops as a GitHub Action.

The workflow (least permissions, pinned actions, `issue_comment` made safe and said so), a
commented `.github/pmops.yml`, an incident issue form whose headings the GitHub source reads,
a CODEOWNERS line so that postmortems are published by the people who own them, and the
ruleset to import that makes GitHub enforce (and report) that code owner's review.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmops.documents.sections import layout_yaml
from pmops.errors import InputError
from pmops.lifecycle.codeowners import LOCATIONS, RULESET_PATH, parse_codeowners
from pmops.safety.files import write_atomic
from pmops.setup.site_workflow import SITE_WORKFLOW_PATH, render_site_workflow

# config (the schema library) and templating (jinja2) are imported where they are used, so
# `pmops --help` can show this module's defaults without loading them

WORKFLOW_PATH = ".github/workflows/pmops.yml"
REMIND_PATH = ".github/workflows/pmops-remind.yml"
"""The ruleset to import (Settings → Rules → Rulesets → New ruleset → Import a ruleset)."""
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
    site: bool = False  # also the GitHub Pages workflow of `pmops site` (pmops.setup.site_workflow)
    template: str = (
        "standard"  # the section layout written to the config (pmops.documents.sections)
    )


@dataclass(frozen=True)
class Written:
    """One file `pmops init` created, changed or left alone, and why."""

    path: str
    action: str  # created | updated | kept


def render_workflow(options: InitOptions) -> str:
    """The sample workflow (also the README's)."""
    from pmops.documents.templating import render_template

    return render_template(
        "init/workflow.yml.j2",
        action=options.action,
        model=options.model,
        api_key_secret=options.api_key_secret,
        postmortems_dir=options.postmortems_dir.strip("/"),
    )


def render_remind_workflow(options: InitOptions) -> str:
    """The scheduled `pmops remind` workflow (issues: write; pull-requests and contents: read)."""
    from pmops.documents.templating import render_template

    return render_template("init/remind.yml.j2", action=options.action)


def render_config(options: InitOptions) -> str:
    """`.github/pmops.yml` with a comment on every key."""
    from pmops.documents.templating import render_template

    return render_template(
        "init/pmops.yml.j2",
        plan=options.plan,
        model=options.model,
        incident_label=options.incident_label,
        resolved_label=options.resolved_label,
        template=options.template,
        sections=layout_yaml(options.template),
    )


def render_form(options: InitOptions) -> str:
    """The incident issue form."""
    from pmops.documents.templating import render_template

    return render_template(
        "init/incident-form.yml.j2",
        incident_label=options.incident_label,
        resolved_label=options.resolved_label,
    )


def ruleset(options: InitOptions) -> dict[str, Any]:
    """The default branch's ruleset that makes a code owner's approval publish with
    GITHUB_TOKEN alone: a pull request with a code owner's approval and the `pmops/check`
    status before merge. GitHub then reports the review decision that pmops reads (team
    membership is unreadable for GITHUB_TOKEN; the decision is not), and the rules are
    readable by the workflow (classic branch protection is not). Stale approvals are
    dismissed on push, so nobody's approval outlives a change; the stamp asks the owner to
    approve once more. Nobody bypasses it (add bypass actors in the settings if you must)."""
    return {
        "name": "pmops: postmortems publish by code-owner approval",
        "target": "branch",
        "enforcement": "active",
        "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
        "bypass_actors": [],
        "rules": [
            {"type": "deletion"},
            {"type": "non_fast_forward"},
            {
                "type": "pull_request",
                "parameters": {
                    "required_approving_review_count": 1,
                    "require_code_owner_review": True,
                    "dismiss_stale_reviews_on_push": True,
                    "require_last_push_approval": False,
                    "required_review_thread_resolution": False,
                },
            },
            {
                "type": "required_status_checks",
                "parameters": {
                    "strict_required_status_checks_policy": False,
                    "required_status_checks": [{"context": "pmops/check"}],
                },
            },
        ],
    }


def render_ruleset(options: InitOptions) -> str:
    """The ruleset as the JSON file GitHub's import takes."""
    return json.dumps(ruleset(options), indent=2) + "\n"


def codeowners_line(options: InitOptions) -> str:
    """The CODEOWNERS rule that makes the owner's approval publish a postmortem."""
    if not options.owner.startswith("@") and "@" not in options.owner:
        raise InputError(f"owner {options.owner!r} must be @user, @org/team or an e-mail")
    return f"/{options.postmortems_dir.strip('/')}/ {options.owner}"


def init_repository(repo: Path, options: InitOptions, *, force: bool = False) -> list[Written]:
    """Write the files into `repo`; existing files are kept unless `force`."""
    from pmops.config import CONFIG_PATH

    results = []
    files = [
        (WORKFLOW_PATH, render_workflow(options)),
        (REMIND_PATH, render_remind_workflow(options)),
        (CONFIG_PATH, render_config(options)),
        (FORM_PATH, render_form(options)),
        (RULESET_PATH, render_ruleset(options)),
    ]
    if options.site:
        files.append(
            (SITE_WORKFLOW_PATH, render_site_workflow(options.action, options.postmortems_dir))
        )
    for path, text in files:
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
