"""Shared helpers for the Action tests (no tests here): seed a repository in the fake GitHub,
write real webhook payloads where GITHUB_EVENT_PATH points, run the entrypoint in-process like
GitHub Actions does, read GITHUB_OUTPUT and the step summary back."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.github_fake import FakeGitHub, builders, load_payload

OWNER, REPO = "acme", "shop"
FULL = f"{OWNER}/{REPO}"
WORKFLOW_TOKEN = "ghs_workflow_token"
"""The run's GITHUB_TOKEN, with the permissions `pmops init`'s workflow grants the job."""
T0 = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent

CODEOWNERS = "* @admin-al\n/postmortems/ @carol\n"
CONFIG = "plan: starter\n"
INCIDENT_BODY = """### Severity

SEV-2

### Services

api

### Started at (UTC)

2026-03-20T14:05:00Z

### Customer impact

Checkout requests failed with HTTP 500.
"""


def workflow_permissions() -> dict[str, str]:
    """The `permissions:` of the job in the workflow `pmops init` writes."""
    from ruamel.yaml import YAML

    from pmops.setup.init import InitOptions, render_workflow

    workflow = YAML(typ="safe").load(render_workflow(InitOptions()))
    return dict(workflow["jobs"]["pmops"]["permissions"])


def load_entrypoint() -> Any:
    """action/entrypoint.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("pmops_entrypoint", ROOT / "action" /
                                                  "entrypoint.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Run:
    """What one Action run left behind."""

    code: int
    outputs: dict[str, str]
    summary: str
    log: str

    @property
    def status(self) -> str:
        return self.outputs.get("status", "")


@dataclass
class Story:
    """A repository in the fake GitHub and a way to deliver events to the Action."""

    fake: FakeGitHub
    tmp: Path
    now: datetime = T0
    runs: int = 0
    issues: dict[str, int] = field(default_factory=dict)

    def seed(self, config: str = CONFIG, codeowners: str = CODEOWNERS) -> None:
        """A repository with history before the incident, people with roles, an issue."""
        fake = self.fake
        with fake.at(T0 - timedelta(days=3)):
            fake.create_repo(OWNER, REPO, files={
                "README.md": "# shop\n", "api/pool.py": "POOL = 10\n",
                ".github/CODEOWNERS": codeowners, ".github/pmops.yml": config})
        self.add_people()
        fake.push_commit(OWNER, REPO, "main", {"api/pool.py": "POOL = 2\n"},
                         "Shrink the api connection pool", author="dave",
                         date=T0 - timedelta(minutes=10))

    def add_people(self) -> None:
        """People with roles, and the workflow token with `pmops init`'s permissions."""
        fake = self.fake
        for login, role in (("alice", "write"), ("rita", "read"), ("carol", "write"),
                            ("wendy", "write"), ("admin-al", "admin"), ("dave", "write")):
            fake.add_user(login, email=f"{login}@example.com")
            fake.add_collaborator(OWNER, REPO, login, role)
        # GitHub Actions may open pull requests here, with the init workflow's token.
        fake.set_workflow_permissions(OWNER, REPO, can_approve_pull_requests=True)
        fake.set_actions_token(WORKFLOW_TOKEN, OWNER, REPO, workflow_permissions())

    def open_incident(self, title: str = "Checkout API 5xx errors", *,
                      resolved_after: timedelta = timedelta(minutes=50)) -> int:
        """An incident issue, labeled incident at once and resolved later (by alice)."""
        with self.fake.at(T0 + timedelta(minutes=6)):
            issue = self.fake.create_issue(OWNER, REPO, title, INCIDENT_BODY, user="alice",
                                           labels=["incident"])
        with self.fake.at(T0 + resolved_after):
            self.fake.add_labels(OWNER, REPO, issue.number, "resolved", actor="alice")
        return issue.number

    def payload(self, name: str, **overrides: Any) -> dict[str, Any]:
        """A real webhook payload, adjusted to the fake's repository and URLs."""
        data = load_payload(name, owner=OWNER, repo=REPO, api_url=self.fake.api_url,
                            html_url=self.fake.url, **overrides)
        data["repository"]["default_branch"] = "main"  # the fake repository's default branch
        issue = self.repo().issues.get(overrides.get("number", -1))
        if "issue" in data and issue is not None:  # as GitHub sends it: the issue as it is
            data["issue"] = builders.issue(self.fake.store, self.repo(), issue)
        return data

    def deliver(self, event_name: str, payload: dict[str, Any], *,
                at: datetime | None = None, extra_env: dict[str, str] | None = None,
                token: str = WORKFLOW_TOKEN, out: io.StringIO | None = None,
                depth: int | None = None) -> Run:
        """Run the Action for one event, as GitHub Actions would (fresh checkout, env, files);
        `depth` makes the checkout shallow (actions/checkout's default `fetch-depth: 1`)."""
        self.runs += 1
        when = at or self.now
        base = self.tmp / f"run{self.runs}"
        base.mkdir()
        event_path = base / "event.json"
        event_path.write_text(json.dumps(payload))
        workspace = base / "workspace"
        shallow = ["--depth", str(depth)] if depth else []
        subprocess.run(["git", "clone", "-q", *shallow, self.fake.clone_url(OWNER, REPO),
                        str(workspace)], check=True, capture_output=True)
        env = {
            "GITHUB_EVENT_NAME": event_name, "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": FULL, "GITHUB_API_URL": self.fake.api_url,
            "GITHUB_SERVER_URL": self.fake.url, "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(base / "output"), "GITHUB_STEP_SUMMARY": str(base / "summary"),
            "GITHUB_RUN_ID": str(1000 + self.runs), "PMOPS_TOKEN": token,
            "PATH": "/usr/bin:/bin", "HOME": str(self.tmp),
        }
        env.update(extra_env or {})
        (base / "output").touch()
        (base / "summary").touch()
        out = out if out is not None else io.StringIO()
        from pmops.events.runner import run_action

        with self.fake.at(when):
            code = run_action(env, clock=lambda: when, out=out,
                              connect_github=lambda token, _url: self.fake.client(token))
        outputs = dict(line.split("=", 1) for line in
                       (base / "output").read_text().splitlines() if "=" in line)
        return Run(code, outputs, (base / "summary").read_text(), out.getvalue())

    def resolve(self, number: int, *, at: datetime, sender: str = "alice",
                depth: int | None = None) -> Run:
        """Deliver `issues.labeled` with the resolved label on incident `number` at `at`."""
        payload = self.payload("issues.labeled", number=number, labels=["incident", "resolved"],
                               label="resolved", sender=sender)
        return self.deliver("issues", payload, at=at, depth=depth)

    # ------------------------------------------------------------ reading the fake
    def repo(self) -> Any:
        return self.fake.repo(OWNER, REPO)

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.fake.repo_path(OWNER, REPO)), *args],
                              check=True, capture_output=True, text=True).stdout

    def show(self, ref: str, path: str) -> str:
        return self.git("show", f"{ref}:{path}")

    def comments(self, number: int) -> list[str]:
        return [c.body for c in self.repo().issues[number].comments]

    def labels(self, number: int) -> list[str]:
        return list(self.repo().issues[number].labels)

    def pulls(self) -> list[Any]:
        return [i for i in self.repo().issues.values() if i.pull]

    def status(self, sha: str) -> str | None:
        found = [s for s in self.repo().statuses if s.sha == sha and s.context == "pmops/check"]
        return found[-1].state if found else None
