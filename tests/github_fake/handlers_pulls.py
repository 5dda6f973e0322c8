"""Handlers for pull requests: CRUD, files, commits, reviews, reviewers, merge."""

from __future__ import annotations

from . import builders as b
from . import builders_git as bg
from .builders_pulls import pull_request, review_comment
from .core import Core
from .routing import ApiError, Paged, Request, Response, Router, validation_failed
from .state import Issue, PullInfo, Repo

CREATE_DOCS = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"


class PullHandlers:
    """Pull requests."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store

    def register(self, r: Router) -> None:
        """Add this group's routes."""
        p = "/repos/{owner}/{repo}/pulls"
        r.add("GET", p, self.list_pulls)
        r.add("POST", p, self.create_pull)
        r.add("GET", f"{p}/{{pull_number}}", self.get_pull)
        r.add("PATCH", f"{p}/{{pull_number}}", self.update_pull)
        r.add("GET", f"{p}/{{pull_number}}/files", self.list_files)
        r.add("GET", f"{p}/{{pull_number}}/commits", self.list_commits)
        r.add("GET", f"{p}/{{pull_number}}/reviews", self.list_reviews)
        r.add("POST", f"{p}/{{pull_number}}/reviews", self.create_review)
        r.add("GET", f"{p}/{{pull_number}}/comments", self.list_review_comments)
        r.add("GET", f"{p}/{{pull_number}}/requested_reviewers", self.get_reviewers)
        r.add("POST", f"{p}/{{pull_number}}/requested_reviewers", self.request_reviewers)
        r.add("DELETE", f"{p}/{{pull_number}}/requested_reviewers", self.remove_reviewers)
        r.add("GET", f"{p}/{{pull_number}}/merge", self.check_merged)
        r.add("PUT", f"{p}/{{pull_number}}/merge", self.merge)

    def full(self, repo: Repo, iss: Issue, actor: str) -> dict[str, object]:
        """The full PR object with a computed ``mergeable``/``mergeable_state``."""
        pr = iss.pull
        assert pr is not None
        mergeable: bool | None = None
        state = "unknown"
        if iss.state == "open":
            mergeable = repo.git.merge_tree(pr.base_sha, pr.head_sha) is not None
            if not mergeable:
                state = "dirty"
            elif pr.draft:
                state = "draft"
            elif self.core.merge_blocker(repo, iss, iss.user):
                state = "blocked"
            elif not repo.git.is_ancestor(pr.base_sha, pr.head_sha):
                state = "behind"
            else:
                state = "clean"
        return pull_request(self.store, repo, iss, full=True, mergeable=mergeable,
                            mergeable_state=state)

    # -- CRUD --------------------------------------------------------------
    def list_pulls(self, req: Request) -> Response:
        """GET pulls filtered by state/head/base, sorted like GitHub."""
        repo = self.core.repo(req.params)
        state = req.q("state", "open")
        items = [self.core.pull(repo, n) for n, i in list(repo.issues.items()) if i.pull]
        items = [i for i in items if state == "all" or i.state == state]
        head = req.q("head")
        if head:
            owner, _, ref = head.partition(":")
            items = [i for i in items
                     if i.pull and ref and owner.lower() == repo.owner.lower()
                     and i.pull.head == ref]
        base = req.q("base")
        if base:
            items = [i for i in items if i.pull and i.pull.base == base]
        sort = req.q("sort", "created") or "created"
        default_dir = "desc" if sort == "created" else "asc"
        keyf = {"updated": lambda i: i.updated_at, "popularity": lambda i: len(i.comments),
                "long-running": lambda i: i.created_at}.get(sort, lambda i: i.created_at)
        desc = req.q("direction", default_dir) == "desc"
        if sort == "long-running":
            desc = not desc
        items.sort(key=keyf, reverse=desc)  # type: ignore[arg-type]
        return Response(200, Paged([pull_request(self.store, repo, i, full=False)
                                    for i in items]))

    def create_pull(self, req: Request) -> Response:
        """POST a pull request."""
        repo = self.core.repo(req.params)
        for name in ("head", "base"):
            if not req.json(name):
                raise validation_failed("PullRequest", name, "missing_field")
        if not req.json("title") and not req.json("issue"):
            raise validation_failed("PullRequest", "title", "missing_field")
        if req.login == "github-actions[bot]" and not repo.can_approve_pull_request_reviews:
            raise ApiError(403, "GitHub Actions is not permitted to create or approve pull "
                           "requests.", documentation_url=CREATE_DOCS)
        iss = self.core.create_pull(repo, req.login, req.json("title"), req.json("head"),
                                    req.json("base"), req.json("body"),
                                    bool(req.json("draft", False)))
        return Response(201, self.full(repo, iss, req.login),
                        {"Location": f"{self.store.api}/repos/{repo.full_name}/pulls/"
                                     f"{iss.number}"})

    def get_pull(self, req: Request) -> Response:
        """GET one pull request."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        return Response(200, self.full(repo, iss, req.login))

    def update_pull(self, req: Request) -> Response:
        """PATCH title/body/state/base."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        pr = iss.pull
        assert pr is not None
        data = req.body if isinstance(req.body, dict) else {}
        if "title" in data:
            iss.title = data["title"]
        if "body" in data:
            iss.body = data["body"]
            self.core.cross_reference(repo, iss, iss.body, req.login)
        if "base" in data:
            sha = repo.git.ref_sha(f"refs/heads/{data['base']}")
            if sha is None:
                raise validation_failed("PullRequest", "base", "invalid")
            pr.base, pr.base_sha = data["base"], sha
        if data.get("state") in ("open", "closed") and not pr.merged:
            self.core.set_state(iss, data["state"], req.login)
        if "maintainer_can_modify" in data:
            pr.maintainer_can_modify = bool(data["maintainer_can_modify"])
        iss.updated_at = self.store.now()
        return Response(200, self.full(repo, iss, req.login))

    # -- diff --------------------------------------------------------------
    def list_files(self, req: Request) -> Response:
        """GET the files a PR changes (merge base → head)."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        pr = iss.pull
        assert pr is not None
        mb = _pr_base(repo, pr)
        files = repo.git.changes(mb, pr.head_sha)
        return Response(200, Paged([bg.diff_entry(self.store, repo, pr.head_sha, f)
                                    for f in files]))

    def list_commits(self, req: Request) -> Response:
        """GET the commits of a PR, oldest first."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        pr = iss.pull
        assert pr is not None
        mb = _pr_base(repo, pr)
        commits = list(reversed(repo.git.log(f"{mb}..{pr.head_sha}")))
        return Response(200, Paged([bg.commit(self.store, repo, c) for c in commits]))

    # -- reviews -----------------------------------------------------------
    def list_reviews(self, req: Request) -> Response:
        """GET reviews, oldest first."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        assert iss.pull is not None
        return Response(200, Paged([b.review(self.store, repo, iss.number, rv)
                                    for rv in iss.pull.reviews]))

    def create_review(self, req: Request) -> Response:
        """POST a review as the token's user (``event`` APPROVE/REQUEST_CHANGES/COMMENT)."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        event = req.json("event") or "PENDING"
        state = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED",
                 "COMMENT": "COMMENTED", "PENDING": "PENDING"}.get(event)
        if state is None:
            raise validation_failed("PullRequestReview", "event", "invalid")
        if (state == "APPROVED" and req.login == "github-actions[bot]"
                and not repo.can_approve_pull_request_reviews):
            raise ApiError(403, "GitHub Actions is not permitted to approve pull requests.")
        rv = self.core.submit_review(repo, iss, req.login, state, req.json("body") or "",
                                     req.json("commit_id"))
        return Response(200, b.review(self.store, repo, iss.number, rv))

    def list_review_comments(self, req: Request) -> Response:
        """GET review (diff) comments."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        assert iss.pull is not None
        return Response(200, Paged([review_comment(self.store, repo, iss.number, c)
                                    for c in iss.pull.review_comments]))

    # -- reviewers ---------------------------------------------------------
    def get_reviewers(self, req: Request) -> Response:
        """GET requested reviewers."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        assert iss.pull is not None
        return Response(200, {"users": [b.simple_user(self.store, u)
                                        for u in iss.pull.requested_reviewers], "teams": []})

    def request_reviewers(self, req: Request) -> Response:
        """POST reviewers; each must be a collaborator and not the author."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        pr = iss.pull
        assert pr is not None
        for login in req.json("reviewers") or []:
            if login == iss.user:
                raise ApiError(422, "Review cannot be requested from pull request author.")
            if repo.role(login) == "none":
                raise ApiError(422, "Reviews may only be requested from collaborators. One or "
                               "more of the users or teams you specified is not a collaborator "
                               f"of the {repo.full_name} repository.")
            if login not in pr.requested_reviewers:
                pr.requested_reviewers.append(login)
                self.core.event(iss, "review_requested", req.login)
        return Response(201, pull_request(self.store, repo, iss, full=False))

    def remove_reviewers(self, req: Request) -> Response:
        """DELETE requested reviewers."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        pr = iss.pull
        assert pr is not None
        for login in req.json("reviewers") or []:
            if login in pr.requested_reviewers:
                pr.requested_reviewers.remove(login)
        return Response(200, pull_request(self.store, repo, iss, full=False))

    # -- merge -------------------------------------------------------------
    def check_merged(self, req: Request) -> Response:
        """GET: 204 if merged, else 404."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        assert iss.pull is not None
        if not iss.pull.merged:
            raise ApiError(404, "Not Found")
        return Response(204, None)

    def merge(self, req: Request) -> Response:
        """PUT: merge/squash/rebase into the base branch, enforcing branch protection."""
        repo = self.core.repo(req.params)
        iss = self.core.pull(repo, req.params["pull_number"])
        method = req.json("merge_method") or "merge"
        if method not in ("merge", "squash", "rebase"):
            raise validation_failed("PullRequest", "merge_method", "invalid")
        if not req.app and repo.role(req.login) not in ("admin", "maintain", "write"):
            raise ApiError(403, "Resource not accessible by integration")
        sha = self.core.merge(repo, iss, req.login, method, req.json("sha"),
                              req.json("commit_title"), req.json("commit_message"))
        return Response(200, {"sha": sha, "merged": True,
                              "message": "Pull Request successfully merged"})


def _pr_base(repo: Repo, pr: PullInfo) -> str:
    """Where a PR's changes start: the merge base, or the merge commit's first parent."""
    base = repo.git.merge_base(pr.base_sha, pr.head_sha) or pr.base_sha
    if pr.merged and pr.merge_commit_sha:
        first = repo.git.commit(pr.merge_commit_sha)
        base = first.parents[0] if first and first.parents else base
    return base
