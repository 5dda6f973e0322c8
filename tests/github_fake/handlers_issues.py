"""Handlers for issues, labels, comments, events, timeline and issue search."""

from __future__ import annotations

from typing import Any

from . import builders as b
from . import search
from .builders_pulls import timeline
from .core import Core
from .routing import ApiError, Paged, Request, Response, Router, not_found, validation_failed
from .state import Comment, Issue, parse_time


class IssueHandlers:
    """Issues and everything hanging off them."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store

    def register(self, r: Router) -> None:
        """Add this group's routes."""
        p = "/repos/{owner}/{repo}"
        r.add("GET", f"{p}/issues", self.list_issues)
        r.add("POST", f"{p}/issues", self.create_issue)
        r.add("GET", f"{p}/issues/comments/{{comment_id}}", self.get_comment)
        r.add("PATCH", f"{p}/issues/comments/{{comment_id}}", self.update_comment)
        r.add("DELETE", f"{p}/issues/comments/{{comment_id}}", self.delete_comment)
        r.add("GET", f"{p}/issues/events/{{event_id}}", self.get_event)
        r.add("GET", f"{p}/issues/{{issue_number}}", self.get_issue)
        r.add("PATCH", f"{p}/issues/{{issue_number}}", self.update_issue)
        r.add("GET", f"{p}/issues/{{issue_number}}/comments", self.list_comments)
        r.add("POST", f"{p}/issues/{{issue_number}}/comments", self.create_comment)
        r.add("GET", f"{p}/issues/{{issue_number}}/events", self.list_events)
        r.add("GET", f"{p}/issues/{{issue_number}}/timeline", self.list_timeline)
        r.add("GET", f"{p}/issues/{{issue_number}}/labels", self.list_issue_labels)
        r.add("POST", f"{p}/issues/{{issue_number}}/labels", self.add_labels)
        r.add("PUT", f"{p}/issues/{{issue_number}}/labels", self.set_labels)
        r.add("DELETE", f"{p}/issues/{{issue_number}}/labels/{{name}}", self.remove_label)
        r.add("GET", f"{p}/labels", self.list_labels)
        r.add("POST", f"{p}/labels", self.create_label)
        r.add("GET", "/search/issues", self.search_issues)

    # -- issues ------------------------------------------------------------
    def list_issues(self, req: Request) -> Response:
        """GET issues (and PRs) with state/labels/since/creator/sort/direction filters."""
        repo = self.core.repo(req.params)
        state = req.q("state", "open")
        items = [i for i in repo.issues.values() if state == "all" or i.state == state]
        if req.q("labels"):
            wanted = {n.strip().lower() for n in req.q("labels", "").split(",")}  # type: ignore[union-attr]
            items = [i for i in items if wanted <= {n.lower() for n in i.labels}]
        if req.q("creator"):
            items = [i for i in items if i.user == req.q("creator")]
        if req.q("since"):
            since = parse_time(req.q("since", ""))  # type: ignore[arg-type]
            items = [i for i in items if i.updated_at >= since]
        sort = req.q("sort", "created")
        keyf = {"updated": lambda i: i.updated_at, "comments": lambda i: len(i.comments)}.get(
            sort or "", lambda i: i.created_at)
        items.sort(key=keyf, reverse=req.q("direction", "desc") == "desc")  # type: ignore[arg-type]
        return Response(200, Paged([b.issue(self.store, repo, i) for i in items]))

    def create_issue(self, req: Request) -> Response:
        """POST an issue."""
        repo = self.core.repo(req.params)
        title = req.json("title")
        if not title:
            raise validation_failed("Issue", "title", "missing_field")
        iss = self.new_issue(repo_key=(repo.owner, repo.name), title=str(title),
                             body=req.json("body"), user=req.login,
                             labels=req.json("labels") or [],
                             assignees=req.json("assignees") or [])
        return Response(201, b.issue(self.store, repo, iss))

    def new_issue(self, repo_key: tuple[str, str], title: str, body: str | None, user: str,
                  labels: list[Any], assignees: list[str]) -> Issue:
        """Create an issue in state (shared with the seeding helper)."""
        repo = self.core.repo({"owner": repo_key[0], "repo": repo_key[1]})
        now = self.store.now()
        iss = Issue(self.store.new_id(), repo.next_number(), title, body, user, now, now,
                    assignees=list(assignees))
        repo.issues[iss.number] = iss
        names = [lab["name"] if isinstance(lab, dict) else str(lab) for lab in labels]
        self.core.add_labels(repo, iss, names, user)
        self.core.cross_reference(repo, iss, body, user)
        return iss

    def get_issue(self, req: Request) -> Response:
        """GET one issue (PRs too)."""
        repo = self.core.repo(req.params)
        return Response(200, b.issue(self.store, repo,
                                     self.core.issue(repo, req.params["issue_number"])))

    def update_issue(self, req: Request) -> Response:
        """PATCH title/body/state/labels/assignees."""
        repo = self.core.repo(req.params)
        iss = self.core.issue(repo, req.params["issue_number"])
        body = req.body if isinstance(req.body, dict) else {}
        if "title" in body:
            iss.title = body["title"]
        if "body" in body:
            iss.body = body["body"]
            self.core.cross_reference(repo, iss, iss.body, req.login)
        if "assignees" in body:
            iss.assignees = list(body["assignees"] or [])
        if "labels" in body:
            names = [x["name"] if isinstance(x, dict) else str(x) for x in body["labels"] or []]
            for old in list(iss.labels):
                if old not in names:
                    self.core.remove_label(repo, iss, old, req.login)
            self.core.add_labels(repo, iss, names, req.login)
        if body.get("state") in ("open", "closed"):
            self.core.set_state(iss, body["state"], req.login, body.get("state_reason"))
        iss.updated_at = self.store.now()
        return Response(200, b.issue(self.store, repo, iss))

    # -- comments ----------------------------------------------------------
    def _find_comment(self, req: Request) -> tuple[Any, Issue, Comment]:
        repo = self.core.repo(req.params)
        cid = int(req.params["comment_id"]) if req.params["comment_id"].isdigit() else -1
        for iss in repo.issues.values():
            for c in iss.comments:
                if c.id == cid:
                    return repo, iss, c
        raise not_found()

    def get_comment(self, req: Request) -> Response:
        """GET one issue comment."""
        repo, iss, c = self._find_comment(req)
        return Response(200, b.comment(self.store, repo, iss.number, c))

    def update_comment(self, req: Request) -> Response:
        """PATCH an issue comment's body."""
        repo, iss, c = self._find_comment(req)
        if not isinstance(req.json("body"), str):
            raise validation_failed("IssueComment", "body", "missing_field")
        c.body, c.updated_at = req.json("body"), self.store.now()
        return Response(200, b.comment(self.store, repo, iss.number, c))

    def delete_comment(self, req: Request) -> Response:
        """DELETE an issue comment (GitHub answers 204, then 404 for it)."""
        _, iss, c = self._find_comment(req)
        iss.comments.remove(c)
        return Response(204, None)

    def list_comments(self, req: Request) -> Response:
        """GET the conversation comments of an issue/PR (``since`` supported)."""
        repo = self.core.repo(req.params)
        iss = self.core.issue(repo, req.params["issue_number"])
        comments = iss.comments
        if req.q("since"):
            since = parse_time(req.q("since", ""))  # type: ignore[arg-type]
            comments = [c for c in comments if c.updated_at >= since]
        return Response(200, Paged([b.comment(self.store, repo, iss.number, c)
                                    for c in comments]))

    def create_comment(self, req: Request) -> Response:
        """POST a comment."""
        repo = self.core.repo(req.params)
        iss = self.core.issue(repo, req.params["issue_number"])
        text = req.json("body")
        if not isinstance(text, str) or not text:
            raise validation_failed("IssueComment", "body", "missing_field")
        c = self.add_comment(repo, iss, req.login, text)
        return Response(201, b.comment(self.store, repo, iss.number, c))

    def add_comment(self, repo: Any, iss: Issue, user: str, text: str) -> Comment:
        """Append a comment (shared with the seeding helper)."""
        now = self.store.now()
        c = Comment(self.store.new_id(), user, text, now, now)
        iss.comments.append(c)
        iss.updated_at = now
        self.core.cross_reference(repo, iss, text, user)
        return c

    # -- events / timeline -------------------------------------------------
    def list_events(self, req: Request) -> Response:
        """GET the issue events (no comments)."""
        repo = self.core.repo(req.params)
        iss = self.core.issue(repo, req.params["issue_number"])
        evs = [e for e in iss.events if e.event != "cross-referenced"]
        return Response(200, Paged([b.issue_event(self.store, repo, iss, e) for e in evs]))

    def get_event(self, req: Request) -> Response:
        """GET one issue event by id."""
        repo = self.core.repo(req.params)
        for iss in repo.issues.values():
            for ev in iss.events:
                if str(ev.id) == req.params["event_id"] and ev.event != "cross-referenced":
                    out = b.issue_event(self.store, repo, iss, ev)
                    out["issue"] = b.issue(self.store, repo, iss)
                    return Response(200, out)
        raise not_found()

    def list_timeline(self, req: Request) -> Response:
        """GET the timeline: events, comments, reviews and cross-references."""
        repo = self.core.repo(req.params)
        iss = self.core.issue(repo, req.params["issue_number"])
        return Response(200, Paged(timeline(self.store, repo, iss)))

    # -- labels ------------------------------------------------------------
    def list_issue_labels(self, req: Request) -> Response:
        """GET the labels on an issue."""
        repo = self.core.repo(req.params)
        iss = self.core.issue(repo, req.params["issue_number"])
        return Response(200, Paged([b.label(self.store, repo, repo.labels[n])
                                    for n in iss.labels]))

    def _label_names(self, req: Request) -> list[str]:
        raw = req.body.get("labels") if isinstance(req.body, dict) else req.body
        if not isinstance(raw, list):
            raise validation_failed("Label", "labels", "missing_field")
        return [x["name"] if isinstance(x, dict) else str(x) for x in raw]

    def add_labels(self, req: Request) -> Response:
        """POST labels onto an issue (missing repository labels are created)."""
        repo = self.core.repo(req.params)
        iss = self.core.issue(repo, req.params["issue_number"])
        self.core.add_labels(repo, iss, self._label_names(req), req.login)
        return Response(200, [b.label(self.store, repo, repo.labels[n]) for n in iss.labels])

    def set_labels(self, req: Request) -> Response:
        """PUT: replace all labels of an issue."""
        repo = self.core.repo(req.params)
        iss = self.core.issue(repo, req.params["issue_number"])
        names = self._label_names(req)
        for old in list(iss.labels):
            if old not in names:
                self.core.remove_label(repo, iss, old, req.login)
        self.core.add_labels(repo, iss, names, req.login)
        return Response(200, [b.label(self.store, repo, repo.labels[n]) for n in iss.labels])

    def remove_label(self, req: Request) -> Response:
        """DELETE one label from an issue; answers the remaining labels."""
        repo = self.core.repo(req.params)
        iss = self.core.issue(repo, req.params["issue_number"])
        self.core.remove_label(repo, iss, req.params["name"], req.login)
        return Response(200, [b.label(self.store, repo, repo.labels[n]) for n in iss.labels])

    def list_labels(self, req: Request) -> Response:
        """GET the repository's labels."""
        repo = self.core.repo(req.params)
        return Response(200, Paged([b.label(self.store, repo, lab)
                                    for lab in repo.labels.values()]))

    def create_label(self, req: Request) -> Response:
        """POST a repository label (422 ``already_exists`` on duplicates)."""
        repo = self.core.repo(req.params)
        name = req.json("name")
        if not name:
            raise validation_failed("Label", "name", "missing_field")
        if any(n.lower() == str(name).lower() for n in repo.labels):
            raise validation_failed("Label", "name", "already_exists")
        lab = self.core.label(repo, str(name), str(req.json("color") or "ededed").lstrip("#"))
        lab.description = req.json("description")
        return Response(201, b.label(self.store, repo, lab))

    # -- search ------------------------------------------------------------
    def search_issues(self, req: Request) -> Response:
        """GET /search/issues."""
        q = req.q("q")
        if not q:
            raise validation_failed("Search", "q", "missing")
        hits = search.run(self.store.repos, q, req.q("sort"), req.q("order"))
        if not hits and any(t.startswith("repo:") for t in q.split()):
            names, _ = search.parse(q)
            if not any(n in self.store.repos for n in names):
                raise ApiError(422, "Validation Failed", errors=[{
                    "message": "The listed users and repositories cannot be searched either "
                               "because the resources do not exist or you do not have "
                               "permission to view them.",
                    "resource": "Search", "field": "q", "code": "invalid"}])
        items = []
        for repo, iss in hits:
            item = b.issue(self.store, repo, iss)
            item["score"] = 1.0
            item["body"] = item["body"] or ""  # the search schema's body is not nullable
            items.append(item)
        total = len(items)

        def wrap(page: list[Any], _total: int) -> dict[str, Any]:
            return {"total_count": total, "incomplete_results": False, "items": page,
                    "search_type": "lexical"}

        return Response(200, Paged(items, wrap))
