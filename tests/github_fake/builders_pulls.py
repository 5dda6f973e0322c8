"""Builders for pull requests, review comments and timeline entries."""

from __future__ import annotations

from typing import Any

from .builders import (
    author_association,
    comment,
    issue,
    issue_event,
    label,
    maybe_user,
    node_id,
    reactions,
    repository,
    review,
    simple_user,
)
from .state import Event, Issue, Repo, ReviewComment, Store, iso


def _end(repo: Repo, store: Store, ref: str, sha: str) -> dict[str, Any]:
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": simple_user(store, repo.owner),
        "repo": repository(store, repo),
    }


def pull_request(store: Store, repo: Repo, iss: Issue, *, full: bool,
                 mergeable: bool | None = None, mergeable_state: str = "unknown"
                 ) -> dict[str, Any]:
    """``pull-request`` (``full``) or ``pull-request-simple`` (list entries)."""
    pr = iss.pull
    assert pr is not None
    r = f"{store.api}/repos/{repo.full_name}"
    p = f"{r}/pulls/{iss.number}"
    h = f"{store.html}/{repo.full_name}/pull/{iss.number}"
    out: dict[str, Any] = {
        "url": p,
        "id": iss.id,
        "node_id": node_id("PR", iss.id),
        "html_url": h,
        "diff_url": f"{h}.diff",
        "patch_url": f"{h}.patch",
        "issue_url": f"{r}/issues/{iss.number}",
        "commits_url": f"{p}/commits",
        "review_comments_url": f"{p}/comments",
        "review_comment_url": f"{r}/pulls/comments{{/number}}",
        "comments_url": f"{r}/issues/{iss.number}/comments",
        "statuses_url": f"{r}/statuses/{pr.head_sha}",
        "number": iss.number,
        "state": iss.state,
        "locked": False,
        "title": iss.title,
        "user": simple_user(store, iss.user),
        "body": iss.body,
        "labels": [label(store, repo, repo.labels[n]) for n in iss.labels if n in repo.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso(iss.created_at),
        "updated_at": iso(iss.updated_at),
        "closed_at": iso(iss.closed_at) if iss.closed_at else None,
        "merged_at": iso(pr.merged_at) if pr.merged_at else None,
        "merge_commit_sha": pr.merge_commit_sha,
        "assignee": maybe_user(store, iss.assignees[0] if iss.assignees else None),
        "assignees": [simple_user(store, a) for a in iss.assignees],
        "requested_reviewers": [simple_user(store, u) for u in pr.requested_reviewers],
        "requested_teams": [],
        "head": _end(repo, store, pr.head, pr.head_sha),
        "base": _end(repo, store, pr.base, pr.base_sha),
        "_links": {
            "self": {"href": p},
            "html": {"href": h},
            "issue": {"href": f"{r}/issues/{iss.number}"},
            "comments": {"href": f"{r}/issues/{iss.number}/comments"},
            "review_comments": {"href": f"{p}/comments"},
            "review_comment": {"href": f"{r}/pulls/comments{{/number}}"},
            "commits": {"href": f"{p}/commits"},
            "statuses": {"href": f"{r}/statuses/{pr.head_sha}"},
        },
        "author_association": author_association(repo, iss.user),
        "auto_merge": None,
        "draft": pr.draft,
    }
    if full:
        files, adds, dels, commits = _stats(repo, pr.base_sha, pr.head_sha)
        out.update(
            merged=pr.merged,
            mergeable=mergeable,
            rebaseable=mergeable,
            mergeable_state=mergeable_state,
            merged_by=maybe_user(store, pr.merged_by),
            comments=len(iss.comments),
            review_comments=len(pr.review_comments),
            maintainer_can_modify=pr.maintainer_can_modify,
            commits=commits,
            additions=adds,
            deletions=dels,
            changed_files=files,
        )
    return out


def _stats(repo: Repo, base: str, head: str) -> tuple[int, int, int, int]:
    mb = repo.git.merge_base(base, head) or base
    out = repo.git.git("diff", "--numstat", mb, head)
    files = adds = dels = 0
    for line in out.splitlines():
        a, d, _ = line.split("\t", 2)
        files += 1
        adds += int(a) if a.isdigit() else 0
        dels += int(d) if d.isdigit() else 0
    commits = int(repo.git.git("rev-list", "--count", f"{mb}..{head}").strip() or 0)
    return files, adds, dels, commits


def review_comment(store: Store, repo: Repo, number: int, c: ReviewComment) -> dict[str, Any]:
    """``pull-request-review-comment``."""
    r = f"{store.api}/repos/{repo.full_name}"
    p = f"{r}/pulls/{number}"
    url = f"{r}/pulls/comments/{c.id}"
    html = f"{store.html}/{repo.full_name}/pull/{number}#discussion_r{c.id}"
    return {
        "url": url,
        "id": c.id,
        "node_id": node_id("PRRC", c.id),
        "pull_request_review_id": c.review_id,
        "diff_hunk": f"@@ -{c.line},1 +{c.line},1 @@",
        "path": c.path,
        "position": c.line,
        "original_position": c.line,
        "commit_id": c.commit_id,
        "original_commit_id": c.commit_id,
        "user": simple_user(store, c.user),
        "body": c.body,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.created_at),
        "html_url": html,
        "pull_request_url": p,
        "author_association": author_association(repo, c.user),
        "_links": {"self": {"href": url}, "html": {"href": html},
                   "pull_request": {"href": p}},
        "line": c.line,
        "original_line": c.line,
        "side": "RIGHT",
        "subject_type": "line",
        "reactions": reactions(url),
    }


def timeline(store: Store, repo: Repo, iss: Issue) -> list[dict[str, Any]]:
    """``timeline-issue-events``: events, comments and reviews in time order."""
    items: list[tuple[Any, int, dict[str, Any]]] = []
    for ev in iss.events:
        items.append((ev.created_at, ev.id, _timeline_event(store, repo, iss, ev)))
    for c in iss.comments:
        body = comment(store, repo, iss.number, c)
        body["event"] = "commented"
        body["actor"] = simple_user(store, c.user)
        items.append((c.created_at, c.id, body))
    if iss.pull:
        for rv in iss.pull.reviews:
            body = review(store, repo, iss.number, rv)
            body["event"] = "reviewed"
            body.pop("author_association")
            body["author_association"] = author_association(repo, rv.user)
            items.append((rv.submitted_at, rv.id, body))
    items.sort(key=lambda t: (t[0], t[1]))
    return [body for _, _, body in items]


def _timeline_event(store: Store, repo: Repo, iss: Issue, ev: Event) -> dict[str, Any]:
    if ev.event != "cross-referenced":
        return issue_event(store, repo, iss, ev)
    src = repo.issues[ev.source_number] if ev.source_number else iss
    return {
        "event": "cross-referenced",
        "actor": simple_user(store, ev.actor),
        "created_at": iso(ev.created_at),
        "updated_at": iso(ev.created_at),
        "source": {"type": "issue", "issue": issue(store, repo, src)},
    }
