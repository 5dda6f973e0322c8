"""`pmops doctor`: what is missing or wrong in a repository's pmops setup, and how to fix it.

Local findings read the repository's files; remote findings ask GitHub what the workflow's
GITHUB_TOKEN may read: labels, and the active rules of the default branch (the ruleset
`pmops init` writes: a pull request, code-owner review, the `pmops/check` status). Classic
branch protection and the Actions settings need admin to read: with GITHUB_TOKEN they are
notes (what to check by hand), never FIX lines a token cannot act on; so are pmops's own
labels, which pmops creates itself. Each finding says what to do; none of this changes
anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pmops.config import CONFIG_PATH, Config, load_config
from pmops.documents.document import load_yaml, read_text
from pmops.errors import PmopsError
from pmops.github.api import LABELS, STATUS_CONTEXT, GitHubApi
from pmops.lifecycle.codeowners import LOCATIONS, parse_codeowners
from pmops.setup.init import DEFAULT_OWNER, FORM_PATH, REMIND_PATH, RULESET_PATH, WORKFLOW_PATH

TOKEN_NOTE = (
    "Pull requests opened and commits pushed with GITHUB_TOKEN start no workflow runs, so "
    "CI required on the default branch never runs on pmops's pull requests (pmops sets its own "
    "pmops/check status, so that one is not affected). To run other checks, pass a GitHub App "
    "token (actions/create-github-app-token) or a fine-grained PAT as the action's `token`."
)


@dataclass(frozen=True)
class Finding:
    """One check: passed or not, what it is about, and how to fix it."""

    ok: bool
    topic: str
    message: str
    fix: str = ""
    note: bool = False
    """Something to know or check by hand that the token cannot read or need not fix."""

    def line(self) -> str:
        """`ok   topic: message`, `FIX  topic: message — fix` or `note topic: message — fix`."""
        mark = "note " if self.note else "ok  " if self.ok else "FIX "
        fix = f" — {self.fix}" if self.fix and (self.note or not self.ok) else ""
        return f"{mark}{self.topic}: {self.message}{fix}"


def local_findings(repo: Path) -> list[Finding]:
    """Files: workflow, configuration, issue form, CODEOWNERS rule for postmortems."""
    found = []
    workflow = repo / WORKFLOW_PATH
    if not workflow.is_file():
        found.append(Finding(False, "workflow", f"{WORKFLOW_PATH} is missing", "run `pmops init`"))
    else:
        text = workflow.read_text(encoding="utf-8")
        found.append(
            Finding(
                "fetch-depth: 0" in text,
                "workflow",
                "checkout fetches full history"
                if "fetch-depth: 0" in text
                else "checkout is shallow: quota and evidence need history",
                "set `fetch-depth: 0` on actions/checkout",
            )
        )
        found.append(
            Finding(
                "persist-credentials: false" in text,
                "workflow",
                "checkout keeps no credentials"
                if "persist-credentials: false" in text
                else "checkout leaves the token in .git/config",
                "set `persist-credentials: false` on actions/checkout",
            )
        )
        found.append(
            Finding(
                "statuses: write" in text,
                "workflow",
                "the job may set the pmops/check status"
                if "statuses: write" in text
                else "the job lacks `statuses: write`",
                "add `statuses: write` to the job's permissions",
            )
        )
    config: Config | None = None
    try:
        config = load_config(repo)
        found.append(
            Finding(
                True,
                "config",
                f"{CONFIG_PATH} is valid"
                if (repo / CONFIG_PATH).is_file()
                else "no config: defaults apply",
            )
        )
        found.extend(_remind_finding(repo))
    except PmopsError as exc:
        found.append(Finding(False, "config", str(exc), f"fix {CONFIG_PATH}"))
    found.append(
        Finding(
            (repo / FORM_PATH).is_file(),
            "issue form",
            FORM_PATH + (" exists" if (repo / FORM_PATH).is_file() else " is missing"),
            "run `pmops init`",
        )
    )
    found.append(
        Finding(
            (repo / RULESET_PATH).is_file(),
            "ruleset",
            RULESET_PATH
            + (
                " exists (import it in the settings)"
                if (repo / RULESET_PATH).is_file()
                else " is missing"
            ),
            "run `pmops init`; it writes the ruleset to import",
        )
    )
    folder = config.postmortems_dir if config else "postmortems"
    found.append(_codeowners_finding(repo, folder))
    return found


REMIND_KEYS = ("required_postmortems", "reminders")
"""Config sections that only act through the scheduled `pmops remind` workflow."""


def _remind_finding(repo: Path) -> list[Finding]:
    """The reminders workflow, when the (valid) config asks for reminders."""
    path = repo / CONFIG_PATH
    raw = load_yaml(read_text(path), CONFIG_PATH) if path.is_file() else None
    keys = [k for k in REMIND_KEYS if isinstance(raw, dict) and k in raw]
    if not keys:
        return []
    if (repo / REMIND_PATH).is_file():
        return [Finding(True, "reminders", f"{REMIND_PATH} runs `pmops remind`")]
    return [
        Finding(
            False,
            "reminders",
            f"{' and '.join(keys)} configured but {REMIND_PATH} is missing: nobody is reminded",
            "run `pmops init` (it keeps existing files and adds the missing one)",
        )
    ]


def _codeowners_finding(repo: Path, folder: str) -> Finding:
    location = next((loc for loc in LOCATIONS if (repo / loc).is_file()), None)
    if location is None:
        return Finding(
            False,
            "CODEOWNERS",
            "no CODEOWNERS file: only admins can publish",
            f"add `/{folder}/ @team` to .github/CODEOWNERS (`pmops init` does)",
        )
    owners = parse_codeowners((repo / location).read_text(encoding="utf-8"), location)
    who = owners.owners_of(f"{folder}/2026/2026-01-01-1-x.md")
    if not who:
        return Finding(
            False,
            "CODEOWNERS",
            f"no rule in {location} covers {folder}/",
            f"add `/{folder}/ @team` to {location}",
        )
    if DEFAULT_OWNER in who:
        return Finding(
            False,
            "CODEOWNERS",
            f"{folder}/ is owned by the placeholder {DEFAULT_OWNER} ({location})",
            f"replace {DEFAULT_OWNER} in {location} with the team or people who may publish",
        )
    return Finding(True, "CODEOWNERS", f"{folder}/ is owned by {' '.join(who)} ({location})")


IMPORT_RULESET = (
    f"import {RULESET_PATH} (written by `pmops init`): Settings → Rules → "
    "Rulesets → New ruleset → Import a ruleset; keep it Active"
)

MEMBERSHIP_NOTE = (
    "GITHUB_TOKEN cannot read team membership; with the ruleset active, pmops publishes a "
    "team's approval when GitHub reports the code-owner review approved. Optional: a token "
    "with read:org (classic) or Members: read (fine-grained) lets pmops read membership "
    "directly"
)


def remote_findings(api: GitHubApi, default_branch: str, config: Config) -> list[Finding]:
    """Repository settings as GitHub reports them to this token."""
    found = _labels_findings(api, config)
    found += _rules_findings(api, default_branch)
    settings = api.workflow_permissions()
    if settings is None:
        found.append(
            Finding(
                True,
                "actions",
                "the Actions settings are not readable with this token (they need admin)",
                "check that Settings → Actions → "
                'General → "Allow GitHub Actions to create and approve pull '
                'requests" is on, or use a GitHub App token',
                note=True,
            )
        )
    elif not settings.get("can_approve_pull_request_reviews"):
        found.append(
            Finding(
                False,
                "actions",
                "GitHub Actions may not create pull requests "
                "here, so GITHUB_TOKEN cannot open the postmortem PR",
                'turn on "Allow GitHub Actions to create and approve pull '
                'requests" (Settings → Actions → General), or use a GitHub App '
                "token",
            )
        )
    else:
        found.append(Finding(True, "actions", "GitHub Actions may create pull requests"))
    found.append(
        Finding(
            True,
            "token",
            "pull requests opened with GITHUB_TOKEN cannot trigger other workflows",
            TOKEN_NOTE,
            note=True,
        )
    )
    return found


def _labels_findings(api: GitHubApi, config: Config) -> list[Finding]:
    yours = [config.incident_label, config.resolved_label]
    missing = [name for name in yours if name.lower() not in api.label_names]
    found = [
        Finding(
            not missing,
            "labels",
            "missing: " + ", ".join(missing)
            if missing
            else "the incident and resolved labels exist",
            "create them: pmops starts when an issue carries both",
        )
    ]
    own = [name for name in LABELS if name.lower() not in api.label_names]
    if own:
        found.append(
            Finding(
                True,
                "labels",
                "pmops creates its own labels on first use: " + ", ".join(own),
                note=True,
            )
        )
    return found


def _rules_findings(api: GitHubApi, branch: str) -> list[Finding]:
    rules = api.branch_rules(branch)
    if not rules.readable:
        return [
            Finding(
                False,
                "rules",
                f"cannot read the rules of {branch}",
                "give the token read access to the repository (metadata: read)",
            )
        ]
    found = [
        Finding(
            STATUS_CONTEXT in rules.required_checks,
            "required check",
            f"`{STATUS_CONTEXT}` is required by an active ruleset"
            if STATUS_CONTEXT in rules.required_checks
            else f"no active ruleset requires `{STATUS_CONTEXT}`, so an unstamped postmortem "
            "can be merged",
            IMPORT_RULESET,
        ),
        Finding(
            rules.require_code_owner_review,
            "code-owner review",
            "an active ruleset requires code-owner review"
            if rules.require_code_owner_review
            else "no active ruleset requires code-owner "
            "review, so a team code owner's approval cannot publish",
            IMPORT_RULESET,
        ),
        Finding(
            True,
            "branch protection",
            "classic branch protection is not readable with "
            "GITHUB_TOKEN (it needs admin), so pmops reads rulesets only",
            "if you use classic protection, also require the `pmops/check` status and "
            "code-owner review there",
            note=True,
        ),
        Finding(True, "team owners", MEMBERSHIP_NOTE, note=True),
    ]
    if rules.dismiss_stale_reviews:
        found.append(
            Finding(
                True,
                "stale approvals",
                "new commits dismiss approvals: the "
                "publish stamp dismisses the approval that caused it, so the code "
                "owner approves twice (pmops pushes nothing the second time)",
            )
        )
    return found
