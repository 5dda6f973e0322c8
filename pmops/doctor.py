"""`pmops doctor`: what is missing or wrong in a repository's pmops setup, and how to fix it.

Local findings read the repository's files; remote findings ask GitHub (labels, branch
protection, the required `pmops/check`, code-owner reviews, the Actions pull-request switch).
Each finding says what to do; none of this changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from github import GithubException

from pmops.codeowners import LOCATIONS, parse_codeowners
from pmops.config import CONFIG_PATH, Config, load_config
from pmops.errors import PmopsError
from pmops.events.api import LABELS, STATUS_CONTEXT, GitHubApi
from pmops.init import FORM_PATH, WORKFLOW_PATH

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

    def line(self) -> str:
        """`✓ topic: message` or `✗ topic: message — fix`."""
        mark = "ok  " if self.ok else "FIX "
        fix = f" — {self.fix}" if self.fix and not self.ok else ""
        return f"{mark}{self.topic}: {self.message}{fix}"


def local_findings(repo: Path) -> list[Finding]:
    """Files: workflow, configuration, issue form, CODEOWNERS rule for postmortems."""
    found = []
    workflow = repo / WORKFLOW_PATH
    if not workflow.is_file():
        found.append(Finding(False, "workflow", f"{WORKFLOW_PATH} is missing",
                             "run `pmops init`"))
    else:
        text = workflow.read_text(encoding="utf-8")
        found.append(Finding("fetch-depth: 0" in text, "workflow",
                             "checkout fetches full history" if "fetch-depth: 0" in text
                             else "checkout is shallow: quota and evidence need history",
                             "set `fetch-depth: 0` on actions/checkout"))
        found.append(Finding("persist-credentials: false" in text, "workflow",
                             "checkout keeps no credentials" if "persist-credentials: false"
                             in text else "checkout leaves the token in .git/config",
                             "set `persist-credentials: false` on actions/checkout"))
        found.append(Finding("statuses: write" in text, "workflow",
                             "the job may set the pmops/check status" if "statuses: write" in
                             text else "the job lacks `statuses: write`",
                             "add `statuses: write` to the job's permissions"))
    config: Config | None = None
    try:
        config = load_config(repo)
        found.append(Finding(True, "config", f"{CONFIG_PATH} is valid"
                             if (repo / CONFIG_PATH).is_file() else "no config: defaults apply"))
    except PmopsError as exc:
        found.append(Finding(False, "config", str(exc), f"fix {CONFIG_PATH}"))
    found.append(Finding((repo / FORM_PATH).is_file(), "issue form",
                         FORM_PATH + (" exists" if (repo / FORM_PATH).is_file() else
                                      " is missing"), "run `pmops init`"))
    folder = config.postmortems_dir if config else "postmortems"
    found.append(_codeowners_finding(repo, folder))
    return found


def _codeowners_finding(repo: Path, folder: str) -> Finding:
    location = next((loc for loc in LOCATIONS if (repo / loc).is_file()), None)
    if location is None:
        return Finding(False, "CODEOWNERS", "no CODEOWNERS file: only admins can publish",
                       f"add `/{folder}/ @team` to .github/CODEOWNERS (`pmops init` does)")
    owners = parse_codeowners((repo / location).read_text(encoding="utf-8"), location)
    who = owners.owners_of(f"{folder}/2026/2026-01-01-1-x.md")
    if not who:
        return Finding(False, "CODEOWNERS", f"no rule in {location} covers {folder}/",
                       f"add `/{folder}/ @team` to {location}")
    return Finding(True, "CODEOWNERS", f"{folder}/ is owned by {' '.join(who)} ({location})")


def remote_findings(api: GitHubApi, default_branch: str, config: Config) -> list[Finding]:
    """Repository settings as GitHub reports them (some need admin access to read)."""
    found = [_labels_finding(api, config)]
    found += _protection_findings(api, default_branch)
    settings = api.workflow_permissions()
    if settings is None:
        found.append(Finding(False, "actions", "cannot read the Actions settings (needs admin)",
                             "check Settings → Actions → General → Workflow permissions"))
    elif not settings.get("can_approve_pull_request_reviews"):
        found.append(Finding(False, "actions", "GitHub Actions may not create pull requests "
                             "here, so GITHUB_TOKEN cannot open the postmortem PR",
                             "turn on \"Allow GitHub Actions to create and approve pull "
                             "requests\" (Settings → Actions → General), or use a GitHub App "
                             "token"))
    else:
        found.append(Finding(True, "actions", "GitHub Actions may create pull requests"))
    found.append(Finding(False, "token", "pull requests opened with GITHUB_TOKEN cannot "
                         "trigger other workflows", TOKEN_NOTE))
    return found


def _labels_finding(api: GitHubApi, config: Config) -> Finding:
    wanted = [config.incident_label, config.resolved_label, *LABELS]
    missing = [name for name in wanted if name.lower() not in api.label_names]
    if missing:
        return Finding(False, "labels", "missing: " + ", ".join(missing),
                       "create them (pmops creates its own pmops:* labels on first use; the "
                       "incident and resolved labels are yours)")
    return Finding(True, "labels", "all present")


def _protection_findings(api: GitHubApi, branch: str) -> list[Finding]:
    try:
        protection = api.repo.get_branch(branch).get_protection()
    except GithubException as exc:
        if exc.status == 404:
            return [Finding(False, "protection", f"{branch} is not protected: anything merges",
                            f"protect {branch}; require the `{STATUS_CONTEXT}` status check "
                            "and code-owner reviews")]
        return [Finding(False, "protection", f"cannot read the protection of {branch} "
                        f"(HTTP {exc.status}; needs admin)", "check it in Settings → Branches")]
    found = []
    checks = protection.required_status_checks
    contexts = list(checks.contexts) if checks else []
    found.append(Finding(STATUS_CONTEXT in contexts, "required check",
                         f"`{STATUS_CONTEXT}` is required" if STATUS_CONTEXT in contexts else
                         f"`{STATUS_CONTEXT}` is not a required status check, so an unstamped "
                         "postmortem can be merged", f"add `{STATUS_CONTEXT}` to the required "
                         f"status checks of {branch}"))
    reviews = protection.required_pull_request_reviews
    owners = bool(reviews and reviews.require_code_owner_reviews)
    found.append(Finding(owners, "code-owner review",
                         "code-owner review is required" if owners else
                         "code-owner review is not required",
                         "turn on \"Require review from Code Owners\""))
    if reviews and reviews.dismiss_stale_reviews:
        found.append(Finding(True, "stale approvals", "new commits dismiss approvals: the "
                             "publish stamp dismisses the approval that caused it, so the code "
                             "owner approves twice (pmops pushes nothing the second time)"))
    return found
