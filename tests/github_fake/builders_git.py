"""Builders for git-backed objects: commits, contents, refs, branches, trees, compare."""

from __future__ import annotations

import base64
from typing import Any

from .builders import maybe_user, node_id
from .gitrepo import CommitInfo, FileChange, Ident
from .state import Repo, Store, iso, parse_time

_UNVERIFIED = {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
               "verified_at": None}


def _ident(i: Ident) -> dict[str, Any]:
    return {"name": i.name, "email": i.email, "date": iso(parse_time(i.date or ""))}


def _login_for(store: Store, email: str) -> str | None:
    u = store.user_by_email(email)
    return u.login if u else None


def git_commit(store: Store, repo: Repo, c: CommitInfo) -> dict[str, Any]:
    """``git-commit`` (the Git Database API commit)."""
    r = f"{store.api}/repos/{repo.full_name}"
    return {
        "sha": c.sha,
        "node_id": node_id("C", c.sha),
        "url": f"{r}/git/commits/{c.sha}",
        "html_url": f"{store.html}/{repo.full_name}/commit/{c.sha}",
        "author": _ident(c.author),
        "committer": _ident(c.committer),
        "message": c.message,
        "tree": {"sha": c.tree, "url": f"{r}/git/trees/{c.tree}"},
        "parents": [
            {"sha": p, "url": f"{r}/git/commits/{p}",
             "html_url": f"{store.html}/{repo.full_name}/commit/{p}"}
            for p in c.parents
        ],
        "verification": dict(_UNVERIFIED),
    }


def commit(
    store: Store, repo: Repo, c: CommitInfo, files: list[FileChange] | None = None
) -> dict[str, Any]:
    """``commit`` (the REST commit); with ``files`` also ``stats`` and ``files``."""
    r = f"{store.api}/repos/{repo.full_name}"
    inner = {
        "url": f"{r}/git/commits/{c.sha}",
        "author": _ident(c.author),
        "committer": _ident(c.committer),
        "message": c.message,
        "comment_count": 0,
        "tree": {"sha": c.tree, "url": f"{r}/git/trees/{c.tree}"},
        "verification": dict(_UNVERIFIED),
    }
    out: dict[str, Any] = {
        "url": f"{r}/commits/{c.sha}",
        "sha": c.sha,
        "node_id": node_id("C", c.sha),
        "html_url": f"{store.html}/{repo.full_name}/commit/{c.sha}",
        "comments_url": f"{r}/commits/{c.sha}/comments",
        "commit": inner,
        "author": maybe_user(store, _login_for(store, c.author.email)),
        "committer": maybe_user(store, _login_for(store, c.committer.email)),
        "parents": [
            {"sha": p, "url": f"{r}/commits/{p}",
             "html_url": f"{store.html}/{repo.full_name}/commit/{p}"}
            for p in c.parents
        ],
    }
    if files is not None:
        adds = sum(f.additions for f in files)
        dels = sum(f.deletions for f in files)
        out["stats"] = {"additions": adds, "deletions": dels, "total": adds + dels}
        out["files"] = [diff_entry(store, repo, c.sha, f) for f in files]
    return out


def diff_entry(store: Store, repo: Repo, ref: str, f: FileChange) -> dict[str, Any]:
    """``diff-entry``: one changed file."""
    r = f"{store.api}/repos/{repo.full_name}"
    h = f"{store.html}/{repo.full_name}"
    out: dict[str, Any] = {
        "sha": f.blob_sha,
        "filename": f.filename,
        "status": f.status,
        "additions": f.additions,
        "deletions": f.deletions,
        "changes": f.additions + f.deletions,
        "blob_url": f"{h}/blob/{ref}/{f.filename}",
        "raw_url": f"{h}/raw/{ref}/{f.filename}",
        "contents_url": f"{r}/contents/{f.filename}?ref={ref}",
        "patch": f.patch,
    }
    if f.previous_filename:
        out["previous_filename"] = f.previous_filename
    return out


def content_file(store: Store, repo: Repo, path: str, entry: dict[str, str], ref: str,
                 data: bytes | None) -> dict[str, Any]:
    """``content-file`` (with ``data``) or a directory-listing entry (without)."""
    r = f"{store.api}/repos/{repo.full_name}"
    typ = {"blob": "file", "tree": "dir", "commit": "submodule"}[entry["type"]]
    git_url = f"{r}/git/{'trees' if typ == 'dir' else 'blobs'}/{entry['sha']}"
    url = f"{r}/contents/{path}?ref={ref}"
    html = f"{store.html}/{repo.full_name}/{'tree' if typ == 'dir' else 'blob'}/{ref}/{path}"
    out: dict[str, Any] = {
        "type": typ,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": entry["sha"],
        "size": int(entry["size"]) if entry["size"].isdigit() else 0,
        "url": url,
        "git_url": git_url,
        "html_url": html,
        "download_url": (f"{store.html}/{repo.full_name}/raw/{ref}/{path}"
                         if typ == "file" else None),
        "_links": {"self": url, "git": git_url, "html": html},
    }
    if data is not None:
        out["encoding"] = "base64"
        out["content"] = base64.encodebytes(data).decode()
    return out


def git_ref(store: Store, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
    """``git-ref``."""
    r = f"{store.api}/repos/{repo.full_name}"
    typ = repo.git.object_type(sha) or "commit"
    return {
        "ref": ref,
        "node_id": node_id("REF", ref),
        "url": f"{r}/git/{ref}",
        "object": {"type": typ, "sha": sha, "url": f"{r}/git/{typ}s/{sha}"},
    }


def short_branch(store: Store, repo: Repo, name: str, sha: str) -> dict[str, Any]:
    """``short-branch`` (branch list entry)."""
    r = f"{store.api}/repos/{repo.full_name}"
    protected = name in repo.protection
    return {
        "name": name,
        "commit": {"sha": sha, "url": f"{r}/commits/{sha}"},
        "protected": protected,
        "protection": {"enabled": protected, "required_status_checks": {
            "enforcement_level": "non_admins" if protected else "off",
            "contexts": list(repo.protection[name].required_status_checks) if protected else [],
            "checks": []}},
        "protection_url": f"{r}/branches/{name}/protection",
    }


def branch(store: Store, repo: Repo, name: str, c: CommitInfo) -> dict[str, Any]:
    """``branch-with-protection``."""
    r = f"{store.api}/repos/{repo.full_name}"
    out = short_branch(store, repo, name, c.sha)
    out["commit"] = commit(store, repo, c)
    out["_links"] = {"self": f"{r}/branches/{name}",
                     "html": f"{store.html}/{repo.full_name}/tree/{name}"}
    return out


def tree(store: Store, repo: Repo, sha: str, entries: list[dict[str, str]]) -> dict[str, Any]:
    """``git-tree``."""
    r = f"{store.api}/repos/{repo.full_name}"
    items = []
    for e in entries:
        item: dict[str, Any] = {"path": e["path"], "mode": e["mode"], "type": e["type"],
                                "sha": e["sha"], "url": f"{r}/git/{e['type']}s/{e['sha']}"}
        if e["type"] == "blob":
            item["size"] = int(e["size"])
        items.append(item)
    return {"sha": sha, "url": f"{r}/git/trees/{sha}", "tree": items, "truncated": False}


def comparison(store: Store, repo: Repo, base: CommitInfo, head: CommitInfo,
               merge_base: CommitInfo, commits: list[CommitInfo], behind: int,
               files: list[FileChange], basehead: str) -> dict[str, Any]:
    """``commit-comparison``."""
    r = f"{store.api}/repos/{repo.full_name}"
    h = f"{store.html}/{repo.full_name}"
    ahead = len(commits)
    if ahead and behind:
        status = "diverged"
    elif ahead:
        status = "ahead"
    elif behind:
        status = "behind"
    else:
        status = "identical"
    return {
        "url": f"{r}/compare/{basehead}",
        "html_url": f"{h}/compare/{basehead}",
        "permalink_url": f"{h}/compare/{base.sha}...{head.sha}",
        "diff_url": f"{h}/compare/{basehead}.diff",
        "patch_url": f"{h}/compare/{basehead}.patch",
        "base_commit": commit(store, repo, base),
        "merge_base_commit": commit(store, repo, merge_base),
        "status": status,
        "ahead_by": ahead,
        "behind_by": behind,
        "total_commits": ahead,
        "commits": [commit(store, repo, c) for c in reversed(commits)],
        "files": [diff_entry(store, repo, head.sha, f) for f in files],
    }
