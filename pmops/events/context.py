"""The typed run context every handler gets: inputs, clients, configuration, clock, outcome.

`ActionInputs.from_env` validates everything the Action is given (GitHub's variables and the
action's `PMOPS_*` inputs) up front; a handler never reads the environment itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from github import Github

from pmops.config import Config
from pmops.errors import InputError
from pmops.github.api import GitHubApi
from pmops.gitops import Workspace
from pmops.model import Evidence

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class Gather(Protocol):
    """`pmops.sources.github.gather_github`'s signature."""

    def __call__(
        self,
        gh: Any,
        repo_full_name: str,
        issue_number: int,
        config: Config,
        *,
        checkout: Path | None,
        budget: Any = None,
        env: Mapping[str, str] | None = None,
        progress: Callable[[str], None] = ...,
        repository: Mapping[str, Any] | None = None,
        issue: Mapping[str, Any] | None = None,
    ) -> Evidence: ...


@dataclass(frozen=True)
class ActionInputs:
    """Everything the entrypoint is given, validated."""

    event_name: str
    event: Mapping[str, Any]
    repository: str
    api_url: str
    server_url: str
    workspace: Path
    token: str
    clone_url: str
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    issue_number: int | None = None
    config_path: str = ".github/pmops.yml"
    output_path: Path | None = None
    summary_path: Path | None = None
    run_url: str = ""
    run_doctor: bool = False
    command: str = ""  # "remind": the scheduled workflow's runs (and its manual dispatch)
    membership_token: str | None = None
    """Optional token that may read team membership (read:org); never required."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ActionInputs:
        """Read and check GITHUB_* and PMOPS_* variables; InputError lists every problem."""
        problems = []
        name = env.get("GITHUB_EVENT_NAME", "").strip()
        if not name:
            problems.append("GITHUB_EVENT_NAME is not set (run pmops as a GitHub Action)")
        event: Mapping[str, Any] = {}
        event_path = env.get("GITHUB_EVENT_PATH", "")
        try:
            event = json.loads(Path(event_path).read_text(encoding="utf-8")) if event_path else {}
        except (OSError, ValueError) as exc:
            problems.append(f"GITHUB_EVENT_PATH {event_path!r} is not a readable JSON file: {exc}")
        if event_path == "":
            problems.append("GITHUB_EVENT_PATH is not set")
        repository = env.get("GITHUB_REPOSITORY", "")
        if not _REPO.match(repository):
            problems.append(f"GITHUB_REPOSITORY {repository!r} is not owner/name")
        token = env.get("PMOPS_TOKEN", "").strip()
        if not token:
            problems.append(
                "the `token` input is empty: pass `token: ${{ github.token }}` or "
                "a GitHub App token"
            )
        issue = env.get("PMOPS_ISSUE_NUMBER", "").strip().lstrip("#")
        if issue and not issue.isdigit():
            problems.append(f"the `issue-number` input {issue!r} is not a number")
        base_url = env.get("PMOPS_BASE_URL", "").strip() or None
        if base_url and not re.match(r"^https?://", base_url):
            problems.append(f"the `base-url` input {base_url!r} is not an http(s) URL")
        command = env.get("PMOPS_COMMAND", "").strip()
        if command not in ("", "remind"):
            problems.append(f"the `command` input {command!r} is not `remind` (or empty)")
        if problems:
            raise InputError("invalid action inputs:\n  " + "\n  ".join(problems))
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        run_id = env.get("GITHUB_RUN_ID", "")
        return cls(
            event_name=name,
            event=event,
            repository=repository,
            api_url=env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
            server_url=server,
            workspace=Path(env.get("GITHUB_WORKSPACE") or ".").resolve(),
            token=token,
            clone_url=env.get("PMOPS_CLONE_URL", "").strip() or f"{server}/{repository}.git",
            model=env.get("PMOPS_MODEL", "").strip() or None,
            base_url=base_url,
            api_key=env.get("PMOPS_API_KEY", "").strip() or None,
            issue_number=int(issue) if issue else None,
            config_path=env.get("PMOPS_CONFIG", "").strip() or ".github/pmops.yml",
            output_path=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
            summary_path=(
                Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None
            ),
            run_url=f"{server}/{repository}/actions/runs/{run_id}" if run_id else "",
            run_doctor=env.get("PMOPS_DOCTOR", "").strip().lower() in ("1", "true", "yes"),
            command=command,
            membership_token=env.get("PMOPS_MEMBERSHIP_TOKEN", "").strip() or None,
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values to mask in logs."""
        return tuple(s for s in (self.token, self.api_key, self.membership_token) if s)


@dataclass
class Outcome:
    """What a handler did: the Action's outputs and step summary come from here."""

    status: str
    message: str
    pr_number: int | None = None
    postmortem_path: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Context:
    """What a handler may use. Built once per run by `pmops.events.runner`."""

    inputs: ActionInputs
    gh: Github
    api: GitHubApi
    workspace: Workspace
    config: Config
    default_branch: str
    gather: Gather
    env: Mapping[str, str]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    progress: Callable[[str], None] = print

    @property
    def repo(self) -> str:
        """owner/name."""
        return self.inputs.repository

    @property
    def default_ref(self) -> str:
        """The remote-tracking ref of the default branch in the workspace."""
        return f"refs/remotes/origin/{self.default_branch}"

    def now(self) -> datetime:
        """The current time, UTC, whole seconds."""
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def html(self, path: str) -> str:
        """A github.com (or GHES) URL inside the repository, e.g. `pull/7`."""
        return f"{self.inputs.server_url}/{self.repo}/{path.lstrip('/')}"
