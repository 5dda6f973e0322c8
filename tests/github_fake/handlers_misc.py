"""Handlers for repository/user metadata, collaborators, protection, deployments,
releases, workflow runs and commit statuses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import builders as b
from . import builders_misc as bm
from .routing import ApiError, Paged, Request, Response, Router, not_found, validation_failed
from .search import date_pred
from .state import CommitStatus, Deployment, DeploymentStatus, Release

if TYPE_CHECKING:
    from .core import Core


class MiscHandlers:
    """Everything that is neither git data, issues nor pulls."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store

    def register(self, r: Router) -> None:
        """Add this group's routes (registered first: some shadow greedy git routes)."""
        p = "/repos/{owner}/{repo}"
        r.add("GET", "/user", self.get_user)
        r.add("GET", "/rate_limit", self.rate_limit)
        r.add("GET", p, self.get_repo)
        r.add("GET", f"{p}/collaborators", self.list_collaborators)
        r.add("GET", f"{p}/collaborators/{{username}}/permission", self.get_permission)
        r.add("GET", f"{p}/collaborators/{{username}}", self.check_collaborator)
        r.add("GET", f"{p}/assignees/{{assignee}}", self.check_assignee)
        r.add("GET", f"{p}/branches/{{branch}}/protection", self.get_protection)
        r.add("GET", f"{p}/actions/permissions/workflow", self.workflow_permissions)
        r.add("GET", f"{p}/deployments", self.list_deployments)
        r.add("POST", f"{p}/deployments", self.create_deployment)
        r.add("GET", f"{p}/deployments/{{deployment_id}}/statuses", self.list_dep_statuses)
        r.add("POST", f"{p}/deployments/{{deployment_id}}/statuses", self.create_dep_status)
        r.add("GET", f"{p}/releases", self.list_releases)
        r.add("POST", f"{p}/releases", self.create_release)
        r.add("GET", f"{p}/actions/runs", self.list_runs)
        r.add("POST", f"{p}/statuses/{{sha}}", self.create_status)
        r.add("GET", f"{p}/commits/{{ref}}/status", self.combined_status)
        r.add("GET", f"{p}/commits/{{ref}}/statuses", self.list_statuses)

    # -- metadata ----------------------------------------------------------
    def get_user(self, req: Request) -> Response:
        """GET the authenticated user."""
        return Response(200, b.private_user(self.store, req.login))

    def rate_limit(self, req: Request) -> Response:
        """GET /rate_limit (filled in by the server, which owns the counters)."""
        raise AssertionError("served by the server itself")

    def get_repo(self, req: Request) -> Response:
        """GET the repository."""
        return Response(200, b.repository(self.store, self.core.repo(req.params), full=True))

    # -- collaborators -----------------------------------------------------
    def list_collaborators(self, req: Request) -> Response:
        """GET collaborators (owner first)."""
        repo = self.core.repo(req.params)
        logins = [repo.owner, *[u for u in repo.collaborators if u != repo.owner]]
        return Response(200, Paged([b.collaborator(self.store, repo, u) for u in logins]))

    def get_permission(self, req: Request) -> Response:
        """GET a user's permission: ``permission`` coarse, ``role_name`` fine-grained."""
        repo = self.core.repo(req.params)
        login = req.params["username"]
        if self.store.find_user(login) is None:  # logins are case-insensitive
            raise not_found()
        return Response(200, b.permission(self.store, repo, login))

    def check_collaborator(self, req: Request) -> Response:
        """GET: 204 if a collaborator, else 404."""
        repo = self.core.repo(req.params)
        if repo.role(req.params["username"]) == "none":
            raise ApiError(404, "Not Found")
        return Response(204, None)

    def check_assignee(self, req: Request) -> Response:
        """GET: 204 if the user may be assigned issues (any access to the repository), else
        404, as GitHub answers for a login that is unknown or has no access."""
        repo = self.core.repo(req.params)
        if repo.role(req.params["assignee"]) == "none":
            raise ApiError(404, "Not Found")
        return Response(204, None)

    # -- settings ----------------------------------------------------------
    def get_protection(self, req: Request) -> Response:
        """GET branch protection (404 ``Branch not protected``)."""
        repo = self.core.repo(req.params)
        name = req.params["branch"]
        if repo.git.ref_sha(f"refs/heads/{name}") is None:
            raise ApiError(404, "Branch not found")
        prot = repo.protection.get(name)
        if prot is None:
            raise ApiError(404, "Branch not protected")
        return Response(200, bm.protection(self.store, repo, name, prot))

    def workflow_permissions(self, req: Request) -> Response:
        """GET the default GITHUB_TOKEN permissions and the PR-approval switch."""
        repo = self.core.repo(req.params)
        return Response(200, {
            "default_workflow_permissions": repo.default_workflow_permissions,
            "can_approve_pull_request_reviews": repo.can_approve_pull_request_reviews,
        })

    # -- deployments -------------------------------------------------------
    def list_deployments(self, req: Request) -> Response:
        """GET deployments (newest first) filtered by sha/ref/task/environment."""
        repo = self.core.repo(req.params)
        items = list(reversed(repo.deployments))
        for key in ("sha", "ref", "task", "environment"):
            val = req.q(key)
            if val:
                items = [d for d in items if getattr(d, key) == val]
        return Response(200, Paged([bm.deployment(self.store, repo, d) for d in items]))

    def create_deployment(self, req: Request) -> Response:
        """POST a deployment of ``ref``."""
        repo = self.core.repo(req.params)
        ref = req.json("ref")
        sha = repo.git.resolve(ref or "")
        if sha is None:
            raise ApiError(409, f"No ref found for: {ref}")
        payload = req.json("payload") or {}
        d = Deployment(self.store.new_id(), sha, ref, req.json("task") or "deploy",
                       req.json("environment") or "production", req.login,
                       req.json("description"), self.store.now(),
                       payload if isinstance(payload, dict) else {})
        repo.deployments.append(d)
        return Response(201, bm.deployment(self.store, repo, d))

    def _deployment(self, req: Request) -> tuple[Any, Deployment]:
        repo = self.core.repo(req.params)
        for d in repo.deployments:
            if str(d.id) == req.params["deployment_id"]:
                return repo, d
        raise not_found()

    def list_dep_statuses(self, req: Request) -> Response:
        """GET a deployment's statuses, newest first."""
        repo, d = self._deployment(req)
        return Response(200, Paged([bm.deployment_status(self.store, repo, d, s)
                                    for s in reversed(d.statuses)]))

    def create_dep_status(self, req: Request) -> Response:
        """POST a deployment status."""
        repo, d = self._deployment(req)
        state = req.json("state")
        valid = {"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}
        if state not in valid:
            raise validation_failed("DeploymentStatus", "state", "invalid")
        s = DeploymentStatus(self.store.new_id(), state, req.login,
                             req.json("description") or "",
                             req.json("environment") or d.environment, self.store.now(),
                             req.json("log_url") or req.json("target_url") or "",
                             req.json("environment_url") or "")
        d.statuses.append(s)
        return Response(201, bm.deployment_status(self.store, repo, d, s))

    # -- releases ----------------------------------------------------------
    def list_releases(self, req: Request) -> Response:
        """GET releases, newest first."""
        repo = self.core.repo(req.params)
        items = sorted(repo.releases, key=lambda r: (r.created_at, r.id), reverse=True)
        return Response(200, Paged([bm.release(self.store, repo, r) for r in items]))

    def create_release(self, req: Request) -> Response:
        """POST a release; creates the tag at ``target_commitish`` if missing."""
        repo = self.core.repo(req.params)
        tag = req.json("tag_name")
        if not tag:
            raise validation_failed("Release", "tag_name", "missing_field")
        if any(r.tag_name == tag for r in repo.releases):
            raise validation_failed("Release", "tag_name", "already_exists")
        target = req.json("target_commitish") or repo.default_branch
        if repo.git.ref_sha(f"refs/tags/{tag}") is None:
            sha = repo.git.resolve(target)
            if sha is None:
                raise validation_failed("Release", "target_commitish", "invalid")
            repo.git.update_ref(f"refs/tags/{tag}", sha)
        now = self.store.now()
        draft = bool(req.json("draft", False))
        rel = Release(self.store.new_id(), tag, target, req.json("name"), req.json("body"),
                      req.login, now, None if draft else now, draft,
                      bool(req.json("prerelease", False)))
        repo.releases.append(rel)
        return Response(201, bm.release(self.store, repo, rel))

    # -- workflow runs -----------------------------------------------------
    def list_runs(self, req: Request) -> Response:
        """GET workflow runs filtered by branch/status/event/head_sha/actor/created."""
        repo = self.core.repo(req.params)
        runs = sorted(repo.runs, key=lambda r: (r.created_at, r.id), reverse=True)
        if req.q("branch"):
            runs = [r for r in runs if r.head_branch == req.q("branch")]
        if req.q("event"):
            runs = [r for r in runs if r.event == req.q("event")]
        if req.q("head_sha"):
            runs = [r for r in runs if r.head_sha == req.q("head_sha")]
        if req.q("actor"):
            runs = [r for r in runs if r.actor == req.q("actor")]
        status = req.q("status")
        if status:
            runs = [r for r in runs if status in (r.status, r.conclusion)]
        created = req.q("created")
        if created:
            pred = date_pred(created)
            runs = [r for r in runs if pred(r.created_at)]
        items = [bm.workflow_run(self.store, repo, r) for r in runs]
        total = len(items)

        def wrap(page: list[Any], _total: int) -> dict[str, Any]:
            return {"total_count": total, "workflow_runs": page}

        return Response(200, Paged(items, wrap))

    # -- commit statuses ---------------------------------------------------
    def create_status(self, req: Request) -> Response:
        """POST a commit status for a full SHA."""
        repo = self.core.repo(req.params)
        sha = req.params["sha"]
        if repo.git.object_type(sha) != "commit":
            raise validation_failed("Status", "sha", "invalid", f"No commit found for SHA: {sha}")
        state = req.json("state")
        if state not in {"error", "failure", "pending", "success"}:
            raise validation_failed("Status", "state", "invalid")
        full = repo.git.resolve(sha)
        assert full is not None
        s = CommitStatus(self.store.new_id(), full, state, req.json("context") or "default",
                         req.json("description"), req.json("target_url"), req.login,
                         self.store.now())
        repo.statuses.append(s)
        return Response(201, bm.commit_status(self.store, repo, s))

    def _sha(self, req: Request) -> tuple[Any, str]:
        repo = self.core.repo(req.params)
        sha = repo.git.resolve(req.params["ref"])
        if sha is None:
            raise ApiError(404, f"No commit found for SHA: {req.params['ref']}")
        return repo, sha

    def combined_status(self, req: Request) -> Response:
        """GET the combined status of a ref."""
        repo, sha = self._sha(req)
        return Response(200, bm.combined_status(self.store, repo, sha))

    def list_statuses(self, req: Request) -> Response:
        """GET all statuses of a ref, newest first."""
        repo, sha = self._sha(req)
        items = sorted((s for s in repo.statuses if s.sha == sha), key=lambda s: -s.id)
        return Response(200, Paged([bm.commit_status(self.store, repo, s) for s in items]))
