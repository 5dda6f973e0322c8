"""Test helpers that seed or change the fake's state without going through HTTP."""

from __future__ import annotations

import subprocess
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .gitrepo import BareRepo, Ident
from .state import (
    Comment,
    CommitStatus,
    Deployment,
    DeploymentStatus,
    Issue,
    Protection,
    Release,
    Repo,
    Review,
    ReviewComment,
    Ruleset,
    Team,
    Token,
    User,
    WorkflowRun,
)

ACTIONS_LOGIN = "github-actions[bot]"

if TYPE_CHECKING:
    from .core import Core
    from .handlers_issues import IssueHandlers
    from .state import Store


class Seeder:
    """Mixin of :class:`~.server.FakeGitHub`: direct state manipulation for tests."""

    store: Store
    core: Core
    issues: IssueHandlers

    # -- time and accounts -------------------------------------------------
    @contextmanager
    def at(self, when: datetime) -> Iterator[None]:
        """Make everything inside the block (HTTP too) happen at ``when``."""
        old = self.store.clock
        self.store.clock = lambda: when
        try:
            yield
        finally:
            self.store.clock = old

    def add_user(self, login: str, *, name: str | None = None, email: str | None = None,
                 type: str = "User") -> User:  # noqa: A002 - GitHub's field name
        """Create (or update) an account; commits by ``email`` are attributed to it."""
        u = self.store.user(login)
        u.name = name or u.name
        u.email = email or u.email
        u.type = type
        return u

    def set_token(self, token: str, login: str, *, scopes: tuple[str, ...] = ("repo",)) -> None:
        """A personal access token: requests with it act as ``login`` (classic ``scopes``)."""
        if login == ACTIONS_LOGIN:
            raise ValueError("use set_actions_token for a workflow's GITHUB_TOKEN")
        self.store.user(login)
        self.store.tokens[token] = Token(login, "user", frozenset(scopes))

    def set_actions_token(self, token: str, owner: str, name: str,
                          permissions: dict[str, str]) -> None:
        """A workflow's ``GITHUB_TOKEN`` for ``owner/name`` with the job's ``permissions:``
        (keys as in a workflow, ``pull-requests`` or ``pull_requests``; ``metadata: read``
        is always granted, nothing else unless listed)."""
        self.store.user(ACTIONS_LOGIN).type = "Bot"
        perms = tuple(sorted((k.replace("-", "_"), v) for k, v in permissions.items()))
        self.store.tokens[token] = Token(ACTIONS_LOGIN, "actions", frozenset(),
                                         f"{owner}/{name}", perms)

    def add_team(self, org: str, slug: str, members: dict[str, str] | list[str]) -> Team:
        """A team ``org/slug``; ``members`` are logins (or login → member|maintainer)."""
        roles = members if isinstance(members, dict) else dict.fromkeys(members, "member")
        for login in roles:
            self.store.user(login)
        self.store.user(org).type = "Organization"
        team = Team(self.store.new_id(), org, slug, slug.replace("-", " ").title(), dict(roles))
        self.store.teams[f"{org}/{slug}".lower()] = team
        return team

    def add_ruleset(self, owner: str, name: str, ruleset: dict[str, Any]) -> Ruleset:
        """A ruleset as ``POST /repos/{owner}/{repo}/rulesets`` takes it (an imported JSON)."""
        repo = self.repo(owner, name)
        ref = (ruleset.get("conditions") or {}).get("ref_name") or {}
        rs = Ruleset(self.store.new_id(), ruleset["name"], ruleset["enforcement"],
                     list(ref.get("include") or []), list(ref.get("exclude") or []),
                     list(ruleset.get("rules") or []), self.store.now(),
                     list(ruleset.get("bypass_actors") or []))
        repo.rulesets.append(rs)
        return rs

    # -- repositories ------------------------------------------------------
    def create_repo(self, owner: str, name: str, *, default_branch: str = "main",
                    from_path: Path | str | None = None,
                    files: dict[str, str] | None = None, private: bool = True,
                    description: str | None = None) -> Repo:
        """A repository backed by a new bare git repo.

        ``from_path`` pushes all branches and tags of an existing local repo;
        otherwise one initial commit holds ``files`` (default: a README).
        The default login is added as a ``write`` collaborator.
        """
        self.store.user(owner)
        path = self.store.root / "repos" / owner / f"{name}.git"
        git = BareRepo.init(path, default_branch)
        repo = Repo(self.store.new_id(), owner, name, git, default_branch, private,
                    self.store.now(), description)
        self.store.repos[repo.full_name.lower()] = repo
        if self.store.default_login != owner:
            repo.collaborators[self.store.default_login] = "write"
        if from_path is not None:
            subprocess.run(["git", "-C", str(from_path), "push", "-q", str(path),
                            "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"],
                           check=True, capture_output=True)
        else:
            self.push_commit(owner, name, default_branch,
                             files or {"README.md": f"# {name}\n"}, "Initial commit",
                             author=owner)
        return repo

    def repo(self, owner: str, name: str) -> Repo:
        """The state object of a repository."""
        repo = self.store.repo(owner, name)
        if repo is None:
            raise KeyError(f"{owner}/{name}")
        return repo

    def repo_path(self, owner: str, name: str) -> Path:
        """The bare repository's directory (``git clone``/``git push`` to it directly)."""
        return self.repo(owner, name).path

    def clone_url(self, owner: str, name: str) -> str:
        """A ``file://`` URL of the bare repository."""
        return self.repo_path(owner, name).as_uri()

    def add_collaborator(self, owner: str, name: str, login: str, role: str = "write") -> None:
        """Give ``login`` a role: admin, maintain, write, triage or read (none removes)."""
        self.store.user(login)
        repo = self.repo(owner, name)
        if role == "none":
            repo.collaborators.pop(login, None)
        else:
            repo.collaborators[login] = role

    def set_protection(self, owner: str, name: str, branch: str = "main", *,
                       required_approving_review_count: int = 1,
                       require_code_owner_reviews: bool = False,
                       dismiss_stale_reviews: bool = False,
                       required_status_checks: list[str] | None = None,
                       strict: bool = False, enforce_admins: bool = False) -> Protection:
        """Protect a branch; merges that break the rules are refused with 405."""
        prot = Protection(required_approving_review_count, require_code_owner_reviews,
                          dismiss_stale_reviews, list(required_status_checks or []), strict,
                          enforce_admins)
        self.repo(owner, name).protection[branch] = prot
        return prot

    def set_workflow_permissions(self, owner: str, name: str, *, default: str = "read",
                                 can_approve_pull_requests: bool = False) -> None:
        """The repository's Actions settings (``GITHUB_TOKEN`` default, PR creation switch)."""
        repo = self.repo(owner, name)
        repo.default_workflow_permissions = default
        repo.can_approve_pull_request_reviews = can_approve_pull_requests

    # -- git ---------------------------------------------------------------
    def push_commit(self, owner: str, name: str, branch: str,
                    files: dict[str, str | bytes | None], message: str, *,
                    author: str | None = None, date: datetime | None = None) -> str:
        """Commit ``files`` (None deletes) on ``branch``; the new SHA.

        A missing branch starts at the default branch (a root commit in an empty repo).
        """
        repo = self.repo(owner, name)
        if repo.git.ref_sha(f"refs/heads/{branch}") is None:
            start = repo.git.ref_sha(f"refs/heads/{repo.default_branch}")
            if start:
                repo.git.update_ref(f"refs/heads/{branch}", start)
        u = self.store.user(author or self.store.default_login)
        when = (date or self.store.now()).isoformat()
        ident = Ident(u.name or u.login, u.email or f"{u.login}@example.com", when)
        return repo.git.commit_files(branch, dict(files), message, ident)

    def create_branch(self, owner: str, name: str, branch: str, from_ref: str | None = None
                      ) -> str:
        """Create ``branch`` at ``from_ref`` (default branch); its SHA."""
        repo = self.repo(owner, name)
        sha = repo.git.resolve(from_ref or repo.default_branch)
        assert sha, from_ref
        repo.git.update_ref(f"refs/heads/{branch}", sha)
        return sha

    def head(self, owner: str, name: str, branch: str | None = None) -> str:
        """The SHA ``branch`` (default branch) points at, read from git."""
        repo = self.repo(owner, name)
        sha = repo.git.ref_sha(f"refs/heads/{branch or repo.default_branch}")
        assert sha
        return sha

    # -- issues and pulls --------------------------------------------------
    def create_issue(self, owner: str, name: str, title: str, body: str | None = None, *,
                     user: str | None = None, labels: list[str] | None = None) -> Issue:
        """Open an issue (labels produce ``labeled`` events)."""
        return self.issues.new_issue((owner, name), title, body,
                                     user or self.store.default_login, labels or [], [])

    def add_comment(self, owner: str, name: str, number: int, body: str, *,
                    user: str | None = None) -> Comment:
        """Comment on an issue or PR."""
        repo = self.repo(owner, name)
        return self.issues.add_comment(repo, self.core.issue(repo, number),
                                       user or self.store.default_login, body)

    def add_labels(self, owner: str, name: str, number: int, *labels: str,
                   actor: str | None = None) -> None:
        """Label an issue or PR."""
        repo = self.repo(owner, name)
        self.core.add_labels(repo, self.core.issue(repo, number), list(labels),
                             actor or self.store.default_login)

    def remove_label(self, owner: str, name: str, number: int, label: str, *,
                     actor: str | None = None) -> None:
        """Unlabel an issue or PR."""
        repo = self.repo(owner, name)
        self.core.remove_label(repo, self.core.issue(repo, number), label,
                               actor or self.store.default_login)

    def close_issue(self, owner: str, name: str, number: int, *, actor: str | None = None,
                    reason: str = "completed") -> None:
        """Close an issue."""
        repo = self.repo(owner, name)
        self.core.set_state(self.core.issue(repo, number), "closed",
                            actor or self.store.default_login, reason)

    def create_pull(self, owner: str, name: str, title: str, head: str, *,
                    base: str | None = None, body: str | None = None,
                    user: str | None = None, draft: bool = False) -> Issue:
        """Open a PR from ``head`` into ``base`` (default branch)."""
        repo = self.repo(owner, name)
        return self.core.create_pull(repo, user or self.store.default_login, title, head,
                                     base or repo.default_branch, body, draft)

    def submit_review(self, owner: str, name: str, number: int, user: str,
                      state: str = "APPROVED", body: str = "") -> Review:
        """Submit a review as ``user`` (APPROVED, CHANGES_REQUESTED or COMMENTED)."""
        repo = self.repo(owner, name)
        return self.core.submit_review(repo, self.core.pull(repo, number), user, state, body)

    def add_review_comment(self, owner: str, name: str, number: int, user: str, body: str,
                           path: str, line: int = 1) -> ReviewComment:
        """A diff comment on the PR's head commit."""
        repo = self.repo(owner, name)
        iss = self.core.pull(repo, number)
        assert iss.pull is not None
        c = ReviewComment(self.store.new_id(), None, user, body, path, line,
                          iss.pull.head_sha, self.store.now())
        iss.pull.review_comments.append(c)
        return c

    def merge_pull(self, owner: str, name: str, number: int, *, user: str | None = None,
                   method: str = "merge") -> str:
        """Merge as ``user`` (protection applies); the merge commit SHA."""
        repo = self.repo(owner, name)
        return self.core.merge(repo, self.core.pull(repo, number), user or repo.owner, method)

    # -- deployments, releases, runs, statuses -----------------------------
    def add_deployment(self, owner: str, name: str, ref: str, *,
                       environment: str = "production", task: str = "deploy",
                       creator: str | None = None, description: str | None = None,
                       statuses: list[tuple[str, datetime]] | None = None) -> Deployment:
        """A deployment of ``ref`` (created now) with (state, time) statuses."""
        repo = self.repo(owner, name)
        sha = repo.git.resolve(ref)
        assert sha, ref
        who = creator or self.store.default_login
        d = Deployment(self.store.new_id(), sha, ref, task, environment, who, description,
                       self.store.now())
        for state, when in statuses or []:
            d.statuses.append(DeploymentStatus(self.store.new_id(), state, who, "",
                                               environment, when))
        repo.deployments.append(d)
        return d

    def add_release(self, owner: str, name: str, tag: str, *, target: str | None = None,
                    title: str | None = None, body: str | None = None,
                    author: str | None = None, draft: bool = False) -> Release:
        """A published release (and its tag) at ``target`` (default branch)."""
        repo = self.repo(owner, name)
        sha = repo.git.resolve(target or repo.default_branch)
        assert sha
        if repo.git.ref_sha(f"refs/tags/{tag}") is None:
            repo.git.update_ref(f"refs/tags/{tag}", sha)
        now = self.store.now()
        rel = Release(self.store.new_id(), tag, target or repo.default_branch, title or tag,
                      body, author or self.store.default_login, now, None if draft else now,
                      draft)
        repo.releases.append(rel)
        return rel

    def add_workflow_run(self, owner: str, name: str, *, head_sha: str | None = None,
                         branch: str | None = None, workflow: str = "CI",
                         status: str = "completed", conclusion: str | None = "success",
                         event: str = "push", actor: str | None = None) -> WorkflowRun:
        """A workflow run created now (use :meth:`at` to backdate)."""
        repo = self.repo(owner, name)
        branch = branch or repo.default_branch
        sha = head_sha or repo.git.resolve(branch)
        assert sha
        info = repo.git.commit(sha)
        now = self.store.now()
        wid = zlib.crc32(workflow.encode()) % 10_000_000
        run = WorkflowRun(self.store.new_id(), workflow, branch, sha, event, status,
                          conclusion if status == "completed" else None, now, now,
                          len(repo.runs) + 1, wid,
                          f".github/workflows/{workflow.lower()}.yml",
                          actor or self.store.default_login, info.message if info else "")
        repo.runs.append(run)
        return run

    def add_status(self, owner: str, name: str, sha: str, state: str, context: str, *,
                   creator: str | None = None, description: str | None = None
                   ) -> CommitStatus:
        """A commit status (as ``POST /statuses/{sha}`` makes)."""
        repo = self.repo(owner, name)
        full = repo.git.resolve(sha)
        assert full
        s = CommitStatus(self.store.new_id(), full, state, context, description, None,
                         creator or self.store.default_login, self.store.now())
        repo.statuses.append(s)
        return s
