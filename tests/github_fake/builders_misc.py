"""Builders for deployments, releases, workflow runs, statuses and branch protection."""

from __future__ import annotations

from typing import Any

from .builders import gravatar, minimal_repo, node_id, simple_user
from .state import (
    CommitStatus,
    Deployment,
    DeploymentStatus,
    Protection,
    Release,
    Repo,
    Store,
    WorkflowRun,
    iso,
)


def deployment(store: Store, repo: Repo, d: Deployment) -> dict[str, Any]:
    """``deployment``."""
    r = f"{store.api}/repos/{repo.full_name}"
    return {
        "url": f"{r}/deployments/{d.id}",
        "id": d.id,
        "node_id": node_id("DE", d.id),
        "sha": d.sha,
        "ref": d.ref,
        "task": d.task,
        "payload": d.payload,
        "original_environment": d.environment,
        "environment": d.environment,
        "description": d.description,
        "creator": simple_user(store, d.creator),
        "created_at": iso(d.created_at),
        "updated_at": iso(d.statuses[-1].created_at if d.statuses else d.created_at),
        "statuses_url": f"{r}/deployments/{d.id}/statuses",
        "repository_url": r,
        "transient_environment": False,
        "production_environment": d.environment == "production",
        "performed_via_github_app": None,
    }


def deployment_status(store: Store, repo: Repo, d: Deployment,
                      s: DeploymentStatus) -> dict[str, Any]:
    """``deployment-status``."""
    r = f"{store.api}/repos/{repo.full_name}"
    return {
        "url": f"{r}/deployments/{d.id}/statuses/{s.id}",
        "id": s.id,
        "node_id": node_id("DES", s.id),
        "state": s.state,
        "creator": simple_user(store, s.creator),
        "description": s.description,
        "environment": s.environment,
        "target_url": s.log_url,
        "log_url": s.log_url,
        "environment_url": s.environment_url,
        "created_at": iso(s.created_at),
        "updated_at": iso(s.created_at),
        "deployment_url": f"{r}/deployments/{d.id}",
        "repository_url": r,
        "performed_via_github_app": None,
    }


def release(store: Store, repo: Repo, rel: Release) -> dict[str, Any]:
    """``release``."""
    r = f"{store.api}/repos/{repo.full_name}"
    h = f"{store.html}/{repo.full_name}"
    return {
        "url": f"{r}/releases/{rel.id}",
        "html_url": f"{h}/releases/tag/{rel.tag_name}",
        "assets_url": f"{r}/releases/{rel.id}/assets",
        "upload_url": f"{store.api}/uploads/repos/{repo.full_name}/releases/{rel.id}"
        "/assets{?name,label}",
        "tarball_url": f"{r}/tarball/{rel.tag_name}",
        "zipball_url": f"{r}/zipball/{rel.tag_name}",
        "id": rel.id,
        "node_id": node_id("RE", rel.id),
        "tag_name": rel.tag_name,
        "target_commitish": rel.target_commitish,
        "name": rel.name,
        "body": rel.body,
        "draft": rel.draft,
        "prerelease": rel.prerelease,
        "immutable": False,
        "created_at": iso(rel.created_at),
        "updated_at": iso(rel.created_at),
        "published_at": iso(rel.published_at) if rel.published_at else None,
        "author": simple_user(store, rel.author),
        "assets": [],
    }


def workflow_run(store: Store, repo: Repo, run: WorkflowRun) -> dict[str, Any]:
    """``workflow-run``."""
    r = f"{store.api}/repos/{repo.full_name}"
    u = f"{r}/actions/runs/{run.id}"
    actor = simple_user(store, run.actor)
    info = repo.git.commit(run.head_sha)
    author = {"name": info.author.name, "email": info.author.email} if info else {
        "name": run.actor, "email": f"{run.actor}@example.com"}
    return {
        "id": run.id,
        "name": run.name,
        "node_id": node_id("WFR", run.id),
        "check_suite_id": run.id + 1,
        "check_suite_node_id": node_id("CS", run.id + 1),
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "path": run.path,
        "run_number": run.run_number,
        "run_attempt": 1,
        "display_title": run.head_message.splitlines()[0] if run.head_message else run.name,
        "event": run.event,
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": run.workflow_id,
        "url": u,
        "html_url": f"{store.html}/{repo.full_name}/actions/runs/{run.id}",
        "pull_requests": [],
        "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at),
        "run_started_at": iso(run.created_at),
        "actor": actor,
        "triggering_actor": actor,
        "jobs_url": f"{u}/jobs",
        "logs_url": f"{u}/logs",
        "check_suite_url": f"{r}/check-suites/{run.id + 1}",
        "artifacts_url": f"{u}/artifacts",
        "cancel_url": f"{u}/cancel",
        "rerun_url": f"{u}/rerun",
        "previous_attempt_url": None,
        "workflow_url": f"{r}/actions/workflows/{run.workflow_id}",
        "head_commit": {
            "id": run.head_sha,
            "tree_id": info.tree if info else run.head_sha,
            "message": run.head_message or (info.message if info else ""),
            "timestamp": iso(run.created_at),
            "author": author,
            "committer": author,
        },
        "repository": minimal_repo(store, repo),
        "head_repository": minimal_repo(store, repo),
    }


def commit_status(store: Store, repo: Repo, s: CommitStatus) -> dict[str, Any]:
    """``status``."""
    return {
        "url": f"{store.api}/repos/{repo.full_name}/statuses/{s.sha}",
        "avatar_url": gravatar(s.creator),
        "id": s.id,
        "node_id": node_id("SC", s.id),
        "state": s.state,
        "description": s.description,
        "target_url": s.target_url,
        "context": s.context,
        "created_at": iso(s.created_at),
        "updated_at": iso(s.created_at),
        "creator": simple_user(store, s.creator),
    }


def latest_statuses(repo: Repo, sha: str) -> list[CommitStatus]:
    """The newest status per context for ``sha``, newest first."""
    seen: dict[str, CommitStatus] = {}
    for s in sorted((s for s in repo.statuses if s.sha == sha), key=lambda s: -s.id):
        seen.setdefault(s.context, s)
    return list(seen.values())


def combined_state(statuses: list[CommitStatus]) -> str:
    """GitHub's roll-up: failure if any error/failure, pending if any pending or none."""
    states = {s.state for s in statuses}
    if states & {"error", "failure"}:
        return "failure"
    if not statuses or "pending" in states:
        return "pending"
    return "success"


def combined_status(store: Store, repo: Repo, sha: str) -> dict[str, Any]:
    """``combined-commit-status``."""
    latest = latest_statuses(repo, sha)
    return {
        "state": combined_state(latest),
        "statuses": [
            {k: v for k, v in commit_status(store, repo, s).items() if k != "creator"}
            | {"required": None}
            for s in latest
        ],
        "sha": sha,
        "total_count": len(latest),
        "repository": minimal_repo(store, repo),
        "commit_url": f"{store.api}/repos/{repo.full_name}/commits/{sha}",
        "url": f"{store.api}/repos/{repo.full_name}/commits/{sha}/status",
    }


def protection(store: Store, repo: Repo, branch: str, p: Protection) -> dict[str, Any]:
    """``branch-protection``."""
    u = f"{store.api}/repos/{repo.full_name}/branches/{branch}/protection"
    return {
        "url": u,
        "required_status_checks": {
            "url": f"{u}/required_status_checks",
            "strict": p.strict,
            "contexts": list(p.required_status_checks),
            "contexts_url": f"{u}/required_status_checks/contexts",
            "checks": [{"context": c, "app_id": None} for c in p.required_status_checks],
        },
        "required_pull_request_reviews": {
            "url": f"{u}/required_pull_request_reviews",
            "dismiss_stale_reviews": p.dismiss_stale_reviews,
            "require_code_owner_reviews": p.require_code_owner_reviews,
            "required_approving_review_count": p.required_approving_review_count,
            "require_last_push_approval": False,
        },
        "enforce_admins": {"url": f"{u}/enforce_admins", "enabled": p.enforce_admins},
        "required_linear_history": {"enabled": False},
        "allow_force_pushes": {"enabled": False},
        "allow_deletions": {"enabled": False},
        "block_creations": {"enabled": False},
        "required_conversation_resolution": {"enabled": False},
        "lock_branch": {"enabled": False},
        "allow_fork_syncing": {"enabled": False},
        "required_signatures": {"url": f"{u}/required_signatures", "enabled": False},
    }
