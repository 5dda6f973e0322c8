"""The fake's in-memory state (everything but git objects, which live on disk)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .gitrepo import BareRepo

#: GitHub's fine-grained role → the coarse ``permission`` of the collaborator endpoint.
ROLE_TO_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
    "none": "none",
}
ROLE_RANK = ["none", "read", "triage", "write", "maintain", "admin"]


def iso(dt: datetime) -> str:
    """GitHub's timestamp format: UTC, seconds, ``Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse an ISO-8601 timestamp or date (naive = UTC)."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@dataclass
class User:
    """A GitHub account."""

    id: int
    login: str
    name: str | None = None
    email: str | None = None
    type: str = "User"
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))


@dataclass
class Label:
    """A repository label."""

    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class Comment:
    """An issue/PR conversation comment."""

    id: int
    user: str
    body: str
    created_at: datetime
    updated_at: datetime


@dataclass
class Event:
    """An issue event (labeled, unlabeled, closed, reopened, merged, cross-referenced, ...)."""

    id: int
    event: str
    actor: str
    created_at: datetime
    label: str | None = None
    commit_id: str | None = None
    source_number: int | None = None  # cross-referenced: the referring issue/PR
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Review:
    """A pull request review."""

    id: int
    user: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    body: str
    commit_id: str
    submitted_at: datetime


@dataclass
class ReviewComment:
    """A review (diff) comment."""

    id: int
    review_id: int | None
    user: str
    body: str
    path: str
    line: int
    commit_id: str
    created_at: datetime


@dataclass
class PullInfo:
    """The pull-request half of an issue."""

    head: str
    base: str
    head_sha: str
    base_sha: str
    draft: bool = False
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    maintainer_can_modify: bool = True
    requested_reviewers: list[str] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    review_comments: list[ReviewComment] = field(default_factory=list)


@dataclass
class Issue:
    """An issue or (when ``pull`` is set) a pull request."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    pull: PullInfo | None = None


@dataclass
class DeploymentStatus:
    """One status of a deployment."""

    id: int
    state: str
    creator: str
    description: str
    environment: str
    created_at: datetime
    log_url: str = ""
    environment_url: str = ""


@dataclass
class Deployment:
    """A deployment of a ref to an environment."""

    id: int
    sha: str
    ref: str
    task: str
    environment: str
    creator: str
    description: str | None
    created_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    statuses: list[DeploymentStatus] = field(default_factory=list)


@dataclass
class Release:
    """A release (tag + notes)."""

    id: int
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    author: str
    created_at: datetime
    published_at: datetime | None
    draft: bool = False
    prerelease: bool = False


@dataclass
class WorkflowRun:
    """A GitHub Actions workflow run."""

    id: int
    name: str
    head_branch: str
    head_sha: str
    event: str
    status: str
    conclusion: str | None
    created_at: datetime
    updated_at: datetime
    run_number: int
    workflow_id: int
    path: str
    actor: str
    head_message: str = ""


@dataclass
class CommitStatus:
    """A commit status (``POST /statuses/{sha}``)."""

    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: datetime


@dataclass
class Protection:
    """The branch protection rules the fake enforces on merge."""

    required_approving_review_count: int = 1
    require_code_owner_reviews: bool = False
    dismiss_stale_reviews: bool = False
    required_status_checks: list[str] = field(default_factory=list)
    strict: bool = False
    enforce_admins: bool = False


@dataclass
class Ruleset:
    """A repository ruleset (Settings → Rules → Rulesets) targeting branches.

    ``include``/``exclude`` hold GitHub's ref patterns (``~DEFAULT_BRANCH``, ``~ALL``,
    ``refs/heads/main``, ``refs/heads/release/*``); ``rules`` GitHub's rule objects as the
    API takes them (``{"type": "pull_request", "parameters": {...}}``).
    """

    id: int
    name: str
    enforcement: str  # active | evaluate | disabled
    include: list[str]
    exclude: list[str]
    rules: list[dict[str, Any]]
    created_at: datetime
    bypass_actors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Team:
    """An organization team: ``members`` maps login → role (member | maintainer)."""

    id: int
    org: str
    slug: str
    name: str
    members: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Token:
    """What a token acts as.

    ``kind`` "user": a personal access token acting as ``login`` with that user's access
    and the classic OAuth ``scopes``. ``kind`` "actions": a workflow's ``GITHUB_TOKEN``
    (``github-actions[bot]``), valid for ``repo`` only, with the workflow's ``permissions``
    (``contents: write`` …; ``metadata: read`` always).
    """

    login: str
    kind: str = "user"
    scopes: frozenset[str] = frozenset({"repo"})
    repo: str = ""
    permissions: tuple[tuple[str, str], ...] = ()

    def permission(self, scope: str) -> str:
        """The token's level (none | read | write) for a fine-grained permission."""
        if scope == "metadata":
            return "read"
        return dict(self.permissions).get(scope, "none")


@dataclass
class Repo:
    """A repository: metadata plus its bare git repository."""

    id: int
    owner: str
    name: str
    git: BareRepo
    default_branch: str
    private: bool
    created_at: datetime
    description: str | None = None
    pushed_at: datetime | None = None
    collaborators: dict[str, str] = field(default_factory=dict)  # login → role
    labels: dict[str, Label] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    deployments: list[Deployment] = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)
    runs: list[WorkflowRun] = field(default_factory=list)
    statuses: list[CommitStatus] = field(default_factory=list)
    protection: dict[str, Protection] = field(default_factory=dict)
    rulesets: list[Ruleset] = field(default_factory=list)
    default_workflow_permissions: str = "read"
    can_approve_pull_request_reviews: bool = False

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    @property
    def path(self) -> Path:
        """The bare repository's directory."""
        return self.git.path

    def role(self, login: str) -> str:
        """The user's fine-grained role (owner = admin); logins compare case-insensitively."""
        if login.lower() == self.owner.lower():
            return "admin"
        for name, role in self.collaborators.items():
            if name.lower() == login.lower():
                return role
        return "none"

    def next_number(self) -> int:
        """The next issue/PR number (shared sequence, as on GitHub)."""
        return max(self.issues, default=0) + 1


class Store:
    """All state of one fake GitHub, plus ID generation and the clock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repo] = {}
        self.tokens: dict[str, Token] = {}
        self.teams: dict[str, Team] = {}  # "org/slug" lowercased → team
        self.default_login = "pmops-bot"
        self.api = ""
        self.html = ""
        self._ids = itertools.count(1000)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def new_id(self) -> int:
        """A fresh numeric ID (unique across object kinds)."""
        return next(self._ids)

    def now(self) -> datetime:
        """The fake's current time."""
        return self.clock()

    def find_user(self, login: str) -> User | None:
        """The account ``login`` (case-insensitive, as GitHub), or None."""
        found = self.users.get(login)
        if found is None:
            found = next((u for u in self.users.values() if u.login.lower() == login.lower()),
                         None)
        return found

    def user(self, login: str) -> User:
        """The account ``login`` (case-insensitive), created on first use."""
        found = self.find_user(login)
        if found is not None:
            return found
        if login not in self.users:
            kind = "Bot" if login.endswith("[bot]") else "User"
            self.users[login] = User(self.new_id(), login, type=kind,
                                     email=f"{login}@users.noreply.example.com")
        return self.users[login]

    def user_by_email(self, email: str) -> User | None:
        """The account whose email is ``email``, if any."""
        for u in self.users.values():
            if u.email and u.email.lower() == email.lower():
                return u
        return None

    def repo(self, owner: str, name: str) -> Repo | None:
        """A repository by owner and name (case-insensitive, like GitHub)."""
        return self.repos.get(f"{owner}/{name}".lower())

    def team(self, org: str, slug: str) -> Team | None:
        """A team by organization and slug (case-insensitive)."""
        return self.teams.get(f"{org}/{slug}".lower())

    def in_team(self, org_slug: str, login: str) -> bool:
        """Whether ``login`` is an active member of ``org/slug``."""
        org, _, slug = org_slug.partition("/")
        team = self.team(org, slug)
        return team is not None and login.lower() in {m.lower() for m in team.members}

    def in_org(self, org: str, login: str) -> bool:
        """Whether ``login`` belongs to ``org`` (a member of one of its teams)."""
        return any(t.org.lower() == org.lower() and login.lower() in
                   {m.lower() for m in t.members} for t in self.teams.values())
