"""Builders for GitHub's JSON objects: users, repositories, labels, issues, pulls.

Every response body the fake sends is assembled here (or in
:mod:`.builders_git`), so an object has one shape everywhere and the contract
check tests that shape once.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from .state import (
    ROLE_TO_PERMISSION,
    Comment,
    Event,
    Issue,
    Label,
    Repo,
    Review,
    Store,
    User,
    iso,
)


def node_id(kind: str, ident: int | str) -> str:
    """A GraphQL-looking node ID."""
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode().rstrip("=")


def gravatar(login: str) -> str:
    """A stable avatar URL."""
    digest = hashlib.md5(login.encode()).hexdigest()  # noqa: S324 - not security
    return f"https://avatars.example.com/u/{digest}?v=4"


def simple_user(store: Store, login: str) -> dict[str, Any]:
    """``simple-user``: the account summary embedded everywhere."""
    u = store.user(login)
    api, html = store.api, store.html
    base = f"{api}/users/{u.login}"
    return {
        "login": u.login,
        "id": u.id,
        "node_id": node_id("U", u.id),
        "avatar_url": gravatar(u.login),
        "gravatar_id": "",
        "url": base,
        "html_url": f"{html}/{u.login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": u.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def maybe_user(store: Store, login: str | None) -> dict[str, Any] | None:
    """``simple-user`` or None."""
    return simple_user(store, login) if login else None


def private_user(store: Store, login: str) -> dict[str, Any]:
    """``private-user``: what ``GET /user`` returns for the token's owner."""
    u: User = store.user(login)
    out = simple_user(store, login)
    out["user_view_type"] = "private"
    out.update(
        name=u.name, company=None, blog="", location=None, email=u.email, hireable=None,
        bio=None, twitter_username=None, public_repos=0, public_gists=0, followers=0,
        following=0, created_at=iso(u.created_at), updated_at=iso(u.created_at),
        private_gists=0, total_private_repos=0, owned_private_repos=0, disk_usage=0,
        collaborators=0, two_factor_authentication=True,
        plan={"name": "free", "space": 976562499, "private_repos": 10000, "collaborators": 0},
    )
    return out


def collaborator(store: Store, repo: Repo, login: str) -> dict[str, Any]:
    """``collaborator``: a user with ``permissions`` and ``role_name``."""
    role = repo.role(login)
    out = simple_user(store, login)
    rank = ["none", "read", "triage", "write", "maintain", "admin"].index(role)
    out["permissions"] = {
        "pull": rank >= 1, "triage": rank >= 2, "push": rank >= 3,
        "maintain": rank >= 4, "admin": rank >= 5,
    }
    out["role_name"] = role
    return out


def permission(store: Store, repo: Repo, login: str) -> dict[str, Any]:
    """``repository-collaborator-permission``."""
    role = repo.role(login)
    return {
        "permission": ROLE_TO_PERMISSION[role],
        "role_name": role,
        "user": collaborator(store, repo, login),
    }


def _repo_urls(api: str, html: str, full: str) -> dict[str, str]:
    r = f"{api}/repos/{full}"
    return {
        "url": r,
        "html_url": f"{html}/{full}",
        "archive_url": f"{r}/{{archive_format}}{{/ref}}",
        "assignees_url": f"{r}/assignees{{/user}}",
        "blobs_url": f"{r}/git/blobs{{/sha}}",
        "branches_url": f"{r}/branches{{/branch}}",
        "collaborators_url": f"{r}/collaborators{{/collaborator}}",
        "comments_url": f"{r}/comments{{/number}}",
        "commits_url": f"{r}/commits{{/sha}}",
        "compare_url": f"{r}/compare/{{base}}...{{head}}",
        "contents_url": f"{r}/contents/{{+path}}",
        "contributors_url": f"{r}/contributors",
        "deployments_url": f"{r}/deployments",
        "downloads_url": f"{r}/downloads",
        "events_url": f"{r}/events",
        "forks_url": f"{r}/forks",
        "git_commits_url": f"{r}/git/commits{{/sha}}",
        "git_refs_url": f"{r}/git/refs{{/sha}}",
        "git_tags_url": f"{r}/git/tags{{/sha}}",
        "hooks_url": f"{r}/hooks",
        "issue_comment_url": f"{r}/issues/comments{{/number}}",
        "issue_events_url": f"{r}/issues/events{{/number}}",
        "issues_url": f"{r}/issues{{/number}}",
        "keys_url": f"{r}/keys{{/key_id}}",
        "labels_url": f"{r}/labels{{/name}}",
        "languages_url": f"{r}/languages",
        "merges_url": f"{r}/merges",
        "milestones_url": f"{r}/milestones{{/number}}",
        "notifications_url": f"{r}/notifications{{?since,all,participating}}",
        "pulls_url": f"{r}/pulls{{/number}}",
        "releases_url": f"{r}/releases{{/id}}",
        "stargazers_url": f"{r}/stargazers",
        "statuses_url": f"{r}/statuses/{{sha}}",
        "subscribers_url": f"{r}/subscribers",
        "subscription_url": f"{r}/subscription",
        "tags_url": f"{r}/tags",
        "teams_url": f"{r}/teams",
        "trees_url": f"{r}/git/trees{{/sha}}",
    }


def minimal_repo(store: Store, repo: Repo) -> dict[str, Any]:
    """``minimal-repository``: identity and URL templates."""
    out: dict[str, Any] = {
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": simple_user(store, repo.owner),
        "private": repo.private,
        "description": repo.description,
        "fork": False,
    }
    out.update(_repo_urls(store.api, store.html, repo.full_name))
    return out


def repository(store: Store, repo: Repo, *, full: bool = False) -> dict[str, Any]:
    """``repository`` (or ``full-repository``); ``clone_url`` is the bare repo's file:// URL."""
    out = minimal_repo(store, repo)
    open_count = sum(1 for i in repo.issues.values() if i.state == "open")
    out.update(
        clone_url=repo.path.as_uri(),
        git_url=f"git://example.invalid/{repo.full_name}.git",
        ssh_url=f"git@example.invalid:{repo.full_name}.git",
        svn_url=f"{store.html}/{repo.full_name}",
        mirror_url=None,
        homepage=None,
        language=None,
        forks=0, forks_count=0, stargazers_count=0, watchers=0, watchers_count=0, size=0,
        default_branch=repo.default_branch,
        open_issues=open_count, open_issues_count=open_count,
        is_template=False, topics=[],
        has_issues=True, has_projects=False, has_wiki=False, has_pages=False,
        has_downloads=True, has_discussions=False,
        archived=False, disabled=False,
        visibility="private" if repo.private else "public",
        pushed_at=iso(repo.pushed_at or repo.created_at),
        created_at=iso(repo.created_at), updated_at=iso(repo.created_at),
        permissions={"admin": True, "maintain": True, "push": True, "triage": True,
                     "pull": True},
        allow_rebase_merge=True, allow_squash_merge=True, allow_merge_commit=True,
        allow_auto_merge=False, delete_branch_on_merge=False, allow_forking=True,
        web_commit_signoff_required=False,
        license=None,
    )
    if full:
        out.update(network_count=0, subscribers_count=0)
    return out


def label(store: Store, repo: Repo, lab: Label) -> dict[str, Any]:
    """``label``."""
    return {
        "id": lab.id,
        "node_id": node_id("LA", lab.id),
        "url": f"{store.api}/repos/{repo.full_name}/labels/{lab.name}",
        "name": lab.name,
        "color": lab.color,
        "default": False,
        "description": lab.description,
    }


def issue_urls(store: Store, repo: Repo, number: int) -> dict[str, str]:
    """The URL fields of an issue."""
    r = f"{store.api}/repos/{repo.full_name}"
    return {
        "url": f"{r}/issues/{number}",
        "repository_url": r,
        "labels_url": f"{r}/issues/{number}/labels{{/name}}",
        "comments_url": f"{r}/issues/{number}/comments",
        "events_url": f"{r}/issues/{number}/events",
        "html_url": f"{store.html}/{repo.full_name}/"
        + ("issues" if not repo.issues.get(number) or not repo.issues[number].pull else "pull")
        + f"/{number}",
    }


def author_association(repo: Repo, login: str) -> str:
    """OWNER / COLLABORATOR / NONE."""
    if login == repo.owner:
        return "OWNER"
    return "COLLABORATOR" if login in repo.collaborators else "NONE"


def issue(store: Store, repo: Repo, iss: Issue) -> dict[str, Any]:
    """``issue`` (PRs get the ``pull_request`` link object, as GitHub does)."""
    out: dict[str, Any] = {
        "id": iss.id,
        "node_id": node_id("I", iss.id),
        "number": iss.number,
        "title": iss.title,
        "user": simple_user(store, iss.user),
        "labels": [label(store, repo, repo.labels[n]) for n in iss.labels if n in repo.labels],
        "state": iss.state,
        "state_reason": iss.state_reason,
        "locked": False,
        "assignee": maybe_user(store, iss.assignees[0] if iss.assignees else None),
        "assignees": [simple_user(store, a) for a in iss.assignees],
        "milestone": None,
        "comments": len(iss.comments),
        "created_at": iso(iss.created_at),
        "updated_at": iso(iss.updated_at),
        "closed_at": iso(iss.closed_at) if iss.closed_at else None,
        "author_association": author_association(repo, iss.user),
        "active_lock_reason": None,
        "body": iss.body,
        "closed_by": maybe_user(store, iss.closed_by),
        "reactions": reactions(f"{store.api}/repos/{repo.full_name}/issues/{iss.number}"),
        "timeline_url": f"{store.api}/repos/{repo.full_name}/issues/{iss.number}/timeline",
        "performed_via_github_app": None,
    }
    out.update(issue_urls(store, repo, iss.number))
    if iss.pull:
        p = f"{store.api}/repos/{repo.full_name}/pulls/{iss.number}"
        h = f"{store.html}/{repo.full_name}/pull/{iss.number}"
        out["draft"] = iss.pull.draft
        out["pull_request"] = {
            "url": p, "html_url": h, "diff_url": f"{h}.diff", "patch_url": f"{h}.patch",
            "merged_at": iso(iss.pull.merged_at) if iss.pull.merged_at else None,
        }
    return out


def reactions(url: str) -> dict[str, Any]:
    """An empty ``reaction-rollup``."""
    return {"url": f"{url}/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0,
            "confused": 0, "heart": 0, "hooray": 0, "eyes": 0, "rocket": 0}


def comment(store: Store, repo: Repo, number: int, c: Comment) -> dict[str, Any]:
    """``issue-comment``."""
    r = f"{store.api}/repos/{repo.full_name}"
    kind = "pull" if repo.issues[number].pull else "issues"
    return {
        "id": c.id,
        "node_id": node_id("IC", c.id),
        "url": f"{r}/issues/comments/{c.id}",
        "html_url": f"{store.html}/{repo.full_name}/{kind}/{number}#issuecomment-{c.id}",
        "issue_url": f"{r}/issues/{number}",
        "body": c.body,
        "user": simple_user(store, c.user),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "author_association": author_association(repo, c.user),
        "performed_via_github_app": None,
        "reactions": reactions(f"{r}/issues/comments/{c.id}"),
    }


def issue_event(store: Store, repo: Repo, iss: Issue, ev: Event) -> dict[str, Any]:
    """``issue-event``-style object (labeled/unlabeled/closed/reopened/merged/...)."""
    r = f"{store.api}/repos/{repo.full_name}"
    out: dict[str, Any] = {
        "id": ev.id,
        "node_id": node_id("E", ev.id),
        "url": f"{r}/issues/events/{ev.id}",
        "actor": simple_user(store, ev.actor),
        "event": ev.event,
        "commit_id": ev.commit_id,
        "commit_url": f"{r}/commits/{ev.commit_id}" if ev.commit_id else None,
        "created_at": iso(ev.created_at),
        "performed_via_github_app": None,
    }
    if ev.label is not None:
        lab = repo.labels.get(ev.label)
        out["label"] = {"name": ev.label, "color": lab.color if lab else "ededed"}
    if ev.event in {"closed", "reopened"}:
        out["state_reason"] = ev.extra.get("state_reason")
    return out


def review(store: Store, repo: Repo, number: int, rv: Review) -> dict[str, Any]:
    """``pull-request-review``."""
    p = f"{store.api}/repos/{repo.full_name}/pulls/{number}"
    html = f"{store.html}/{repo.full_name}/pull/{number}#pullrequestreview-{rv.id}"
    return {
        "id": rv.id,
        "node_id": node_id("PRR", rv.id),
        "user": simple_user(store, rv.user),
        "body": rv.body,
        "state": rv.state,
        "html_url": html,
        "pull_request_url": p,
        "_links": {"html": {"href": html}, "pull_request": {"href": p}},
        "submitted_at": iso(rv.submitted_at),
        "commit_id": rv.commit_id,
        "author_association": author_association(repo, rv.user),
    }
