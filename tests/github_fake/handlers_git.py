"""Handlers backed by the bare git repository: contents, refs, branches, commits, git data."""

from __future__ import annotations

import base64

from . import builders_git as bg
from .core import Core
from .gitrepo import Ident
from .routing import ApiError, Paged, Request, Response, Router, not_found, validation_failed
from .state import Repo, iso, parse_time


class GitHandlers:
    """Contents, refs, branches, commits, compare and the Git Database API."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store

    def register(self, r: Router) -> None:
        """Add this group's routes."""
        p = "/repos/{owner}/{repo}"
        r.add("GET", f"{p}/contents/{{path}}", self.get_contents)
        r.add("PUT", f"{p}/contents/{{path}}", self.put_contents)
        r.add("GET", f"{p}/git/ref/{{ref}}", self.get_ref)
        r.add("GET", f"{p}/git/matching-refs/{{ref}}", self.matching_refs)
        r.add("POST", f"{p}/git/refs", self.create_ref)
        r.add("PATCH", f"{p}/git/refs/{{ref}}", self.update_ref)
        r.add("DELETE", f"{p}/git/refs/{{ref}}", self.delete_ref)
        r.add("GET", f"{p}/branches", self.list_branches)
        r.add("GET", f"{p}/branches/{{branch}}", self.get_branch)  # after .../protection
        r.add("GET", f"{p}/commits", self.list_commits)
        r.add("GET", f"{p}/commits/{{ref}}", self.get_commit)
        r.add("POST", f"{p}/git/blobs", self.create_blob)
        r.add("POST", f"{p}/git/trees", self.create_tree)
        r.add("GET", f"{p}/git/trees/{{tree_sha}}", self.get_tree)
        r.add("POST", f"{p}/git/commits", self.create_commit)
        r.add("GET", f"{p}/git/commits/{{commit_sha}}", self.get_git_commit)
        r.add("GET", f"{p}/compare/{{basehead}}", self.compare)

    # -- helpers -----------------------------------------------------------
    def _commitish(self, repo: Repo, ref: str | None) -> str:
        sha = repo.git.resolve(ref or repo.default_branch)
        if sha is None:
            raise ApiError(404, f"No commit found for the ref {ref}")
        return sha

    def _ident(self, data: object, fallback_login: str) -> Ident:
        if isinstance(data, dict) and data.get("name") and data.get("email"):
            return Ident(data["name"], data["email"], data.get("date"))
        u = self.store.user(fallback_login)
        return Ident(u.name or u.login, u.email or f"{u.login}@example.com")

    # -- contents ----------------------------------------------------------
    def get_contents(self, req: Request) -> Response:
        """GET contents: a file (base64) or a directory listing."""
        repo = self.core.repo(req.params)
        path = req.params["path"].strip("/")
        ref = req.q("ref") or repo.default_branch
        sha = self._commitish(repo, ref)
        entry = repo.git.entry(sha, path)
        if entry is None:
            raise not_found()
        if entry["type"] == "tree":
            listing = repo.git.ls_tree(sha, path + "/" if path else "")
            return Response(200, [bg.content_file(self.store, repo, e["path"], e, ref, None)
                                  for e in listing])
        data = repo.git.read_blob(entry["sha"])
        return Response(200, bg.content_file(self.store, repo, path, entry, ref, data))

    def put_contents(self, req: Request) -> Response:
        """PUT contents: create or update one file with a commit."""
        repo = self.core.repo(req.params)
        path = req.params["path"].strip("/")
        branch = req.json("branch") or repo.default_branch
        parent = repo.git.ref_sha(f"refs/heads/{branch}")
        if parent is None:
            raise ApiError(404, f"Branch {branch} not found")
        for name in ("message", "content"):
            if req.json(name) is None:
                raise validation_failed("Content", name, "missing_field")
        existing = repo.git.entry(parent, path)
        given = req.json("sha")
        if existing and given is None:
            raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
        if existing and given != existing["sha"]:
            raise ApiError(409, f"{path} does not match {given}")
        data = base64.b64decode(req.json("content"))
        author = self._ident(req.json("author"), req.login)
        committer = self._ident(req.json("committer"), req.login) if req.json(
            "committer") else author
        sha = repo.git.commit_files(branch, {path: data}, req.json("message"), author, committer)
        entry = repo.git.entry(sha, path)
        assert entry is not None
        info = repo.git.commit(sha)
        assert info is not None
        body = {
            "content": bg.content_file(self.store, repo, path, entry, branch, None),
            "commit": bg.git_commit(self.store, repo, info),
        }
        return Response(200 if existing else 201, body)

    # -- refs --------------------------------------------------------------
    def get_ref(self, req: Request) -> Response:
        """GET one ref (``heads/x`` or ``tags/x``)."""
        repo = self.core.repo(req.params)
        ref = "refs/" + req.params["ref"]
        sha = repo.git.refs(ref).get(ref)
        if sha is None:
            raise not_found()
        return Response(200, bg.git_ref(self.store, repo, ref, sha))

    def matching_refs(self, req: Request) -> Response:
        """GET refs whose name starts with the given prefix."""
        repo = self.core.repo(req.params)
        prefix = "refs/" + req.params["ref"]
        refs = {k: v for k, v in repo.git.refs("refs/").items() if k.startswith(prefix)}
        return Response(200, Paged([bg.git_ref(self.store, repo, k, v)
                                    for k, v in sorted(refs.items())]))

    def create_ref(self, req: Request) -> Response:
        """POST a new ref (422 if it exists or is malformed)."""
        repo = self.core.repo(req.params)
        ref, sha = req.json("ref"), req.json("sha")
        if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
            raise ApiError(422, "Reference name must start with 'refs/' and have at least two "
                           "slashes.")
        if not sha or repo.git.object_type(sha) is None:
            raise ApiError(422, "Object does not exist")
        if repo.git.ref_sha(ref):
            raise ApiError(422, "Reference already exists")
        repo.git.update_ref(ref, sha)
        return Response(201, bg.git_ref(self.store, repo, ref, sha))

    def update_ref(self, req: Request) -> Response:
        """PATCH a ref; non-fast-forward needs ``force``."""
        repo = self.core.repo(req.params)
        ref = "refs/" + req.params["ref"]
        old = repo.git.ref_sha(ref)
        sha = req.json("sha")
        if old is None:
            raise ApiError(422, "Reference does not exist")
        if not sha or repo.git.object_type(sha) is None:
            raise ApiError(422, "Object does not exist")
        if not req.json("force", False) and not repo.git.is_ancestor(old, sha):
            raise ApiError(422, "Update is not a fast forward")
        repo.git.update_ref(ref, sha, old)
        return Response(200, bg.git_ref(self.store, repo, ref, sha))

    def delete_ref(self, req: Request) -> Response:
        """DELETE a ref."""
        repo = self.core.repo(req.params)
        ref = "refs/" + req.params["ref"]
        if repo.git.ref_sha(ref) is None:
            raise ApiError(422, "Reference does not exist")
        repo.git.delete_ref(ref)
        return Response(204, None)

    # -- branches ----------------------------------------------------------
    def list_branches(self, req: Request) -> Response:
        """GET branches (optionally only ``protected=true``)."""
        repo = self.core.repo(req.params)
        heads = repo.git.refs("refs/heads/")
        items = [bg.short_branch(self.store, repo, k.removeprefix("refs/heads/"), v)
                 for k, v in sorted(heads.items())]
        if req.q("protected") == "true":
            items = [b for b in items if b["protected"]]
        return Response(200, Paged(items))

    def get_branch(self, req: Request) -> Response:
        """GET one branch with its full head commit."""
        repo = self.core.repo(req.params)
        name = req.params["branch"]
        sha = repo.git.ref_sha(f"refs/heads/{name}")
        info = repo.git.commit(sha) if sha else None
        if info is None:
            raise ApiError(404, "Branch not found")
        return Response(200, bg.branch(self.store, repo, name, info))

    # -- commits -----------------------------------------------------------
    def list_commits(self, req: Request) -> Response:
        """GET commits reachable from ``sha`` (default branch), filtered by time/path/author."""
        repo = self.core.repo(req.params)
        start = self._commitish(repo, req.q("sha"))
        since = req.q("since")
        until = req.q("until")
        commits = repo.git.log(
            start,
            since=iso(parse_time(since)) if since else None,
            until=iso(parse_time(until)) if until else None,
            path=req.q("path"),
        )
        author = req.q("author")
        if author:
            u = self.store.users.get(author)
            email = u.email if u else author
            commits = [c for c in commits if c.author.email == email or c.author.name == author]
        return Response(200, Paged([bg.commit(self.store, repo, c) for c in commits]))

    def get_commit(self, req: Request) -> Response:
        """GET one commit with stats and files."""
        repo = self.core.repo(req.params)
        sha = repo.git.resolve(req.params["ref"])
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {req.params['ref']}")
        info = repo.git.commit(sha)
        assert info is not None
        files = repo.git.changes(info.parents[0] if info.parents else None, sha)
        return Response(200, bg.commit(self.store, repo, info, files))

    def compare(self, req: Request) -> Response:
        """GET ``base...head`` comparison."""
        repo = self.core.repo(req.params)
        basehead = req.params["basehead"]
        if "..." not in basehead:
            raise not_found()
        base_ref, head_ref = basehead.split("...", 1)
        base, head = repo.git.resolve(base_ref), repo.git.resolve(head_ref)
        if base is None or head is None:
            raise not_found()
        mb = repo.git.merge_base(base, head)
        if mb is None:
            raise ApiError(404, f"No common ancestor between {base_ref} and {head_ref}.")
        commits = repo.git.log(f"{mb}..{head}") if mb != head else []
        behind = int(repo.git.git("rev-list", "--count", f"{mb}..{base}").strip() or 0)
        infos = [repo.git.commit(x) for x in (base, head, mb)]
        assert all(infos)
        files = repo.git.changes(mb, head)
        return Response(200, bg.comparison(self.store, repo, infos[0], infos[1], infos[2],
                                           commits, behind, files, basehead))  # type: ignore[arg-type]

    # -- git database ------------------------------------------------------
    def create_blob(self, req: Request) -> Response:
        """POST a blob (utf-8 or base64)."""
        repo = self.core.repo(req.params)
        content = req.json("content")
        if not isinstance(content, str):
            raise validation_failed("Blob", "content", "missing_field")
        enc = req.json("encoding", "utf-8")
        data = base64.b64decode(content) if enc == "base64" else content.encode()
        sha = repo.git.hash_blob(data)
        return Response(201, {"sha": sha,
                              "url": f"{self.store.api}/repos/{repo.full_name}/git/blobs/{sha}"})

    def create_tree(self, req: Request) -> Response:
        """POST a tree, optionally on top of ``base_tree``."""
        repo = self.core.repo(req.params)
        entries = req.json("tree")
        if not isinstance(entries, list):
            raise validation_failed("Tree", "tree", "missing_field")
        changes: dict[str, tuple[str, str] | None] = {}
        for e in entries:
            if "content" in e and e["content"] is not None:
                changes[e["path"]] = (e.get("mode", "100644"),
                                      repo.git.hash_blob(e["content"].encode()))
            elif e.get("sha") is None:
                changes[e["path"]] = None
            else:
                if repo.git.object_type(e["sha"]) is None:
                    raise ApiError(422, "Invalid tree info")
                changes[e["path"]] = (e.get("mode", "100644"), e["sha"])
        base_tree = req.json("base_tree")
        if base_tree and repo.git.object_type(base_tree) is None:
            raise ApiError(422, "Invalid tree info")
        sha = repo.git.build_tree(base_tree, changes)
        return Response(201, bg.tree(self.store, repo, sha, repo.git.ls_tree(sha)))

    def get_tree(self, req: Request) -> Response:
        """GET a tree (``recursive`` lists everything below)."""
        repo = self.core.repo(req.params)
        sha = repo.git.git("rev-parse", "--verify", "-q", f"{req.params['tree_sha']}^{{tree}}",
                           check=False).strip()
        if not sha:
            raise not_found()
        recursive = req.q("recursive") not in (None, "", "0", "false")
        entries = repo.git.ls_tree(sha, recursive=recursive)
        return Response(200, bg.tree(self.store, repo, sha, entries))

    def create_commit(self, req: Request) -> Response:
        """POST a commit object (refs are not moved)."""
        repo = self.core.repo(req.params)
        tree, message = req.json("tree"), req.json("message")
        if repo.git.object_type(tree or "") != "tree" or not isinstance(message, str):
            raise validation_failed("Commit", "tree", "invalid")
        parents = req.json("parents", [])
        for p in parents:
            if repo.git.object_type(p) != "commit":
                raise validation_failed("Commit", "parents", "invalid")
        author = self._ident(req.json("author"), req.login)
        committer = self._ident(req.json("committer"), req.login) if req.json(
            "committer") else author
        sha = repo.git.commit_tree(tree, parents, message, author, committer)
        info = repo.git.commit(sha)
        assert info is not None
        return Response(201, bg.git_commit(self.store, repo, info))

    def get_git_commit(self, req: Request) -> Response:
        """GET a commit object."""
        repo = self.core.repo(req.params)
        sha = req.params["commit_sha"]
        if repo.git.object_type(sha) != "commit":
            raise not_found()
        info = repo.git.commit(sha)
        assert info is not None
        return Response(200, bg.git_commit(self.store, repo, info))
