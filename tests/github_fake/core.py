"""State transitions shared by the HTTP handlers and the test-seeding helpers."""

from __future__ import annotations

import re
from datetime import datetime

from .codeowners import owners_for, read_rules
from .gitrepo import Ident
from .routing import ApiError, not_found, validation_failed
from .rules import counted_approvers, latest_reviews, owner_approved, requirements
from .state import (
    Event,
    Issue,
    Label,
    PullInfo,
    Repo,
    Review,
    Store,
)

MERGE_DOCS = "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request"
GITHUB_IDENT = Ident("GitHub", "noreply@github.com")


class Core:
    """Lookups and state changes over a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- lookups -----------------------------------------------------------
    def repo(self, params: dict[str, str]) -> Repo:
        """The repository named by ``owner``/``repo`` path params, or 404."""
        repo = self.store.repo(params["owner"], params["repo"])
        if repo is None:
            raise not_found()
        return repo

    def issue(self, repo: Repo, number: str | int) -> Issue:
        """Issue (or PR) ``number``, or 404."""
        try:
            iss = repo.issues.get(int(number))
        except ValueError:
            iss = None
        if iss is None:
            raise not_found()
        if iss.pull:
            self.sync_pull(repo, iss)
        return iss

    def pull(self, repo: Repo, number: str | int) -> Issue:
        """Pull request ``number`` (head/base SHAs refreshed from git), or 404."""
        iss = self.issue(repo, number)
        if iss.pull is None:
            raise not_found()
        return iss

    def label(self, repo: Repo, name: str, color: str = "ededed") -> Label:
        """The repository label ``name``, created if missing (as adding labels does)."""
        for lab in repo.labels.values():
            if lab.name.lower() == name.lower():
                return lab
        lab = Label(self.store.new_id(), name, color)
        repo.labels[name] = lab
        return lab

    # -- events ------------------------------------------------------------
    def event(self, iss: Issue, kind: str, actor: str, *, label: str | None = None,
              commit_id: str | None = None, source: int | None = None,
              at: datetime | None = None, **extra: str | None) -> Event:
        """Append an issue event."""
        ev = Event(self.store.new_id(), kind, actor, at or self.store.now(), label=label,
                   commit_id=commit_id, source_number=source, extra=dict(extra))
        iss.events.append(ev)
        iss.updated_at = ev.created_at
        return ev

    def cross_reference(self, repo: Repo, source: Issue, text: str | None, actor: str) -> None:
        """Add ``cross-referenced`` events to every ``#N`` that ``text`` mentions."""
        for m in re.finditer(r"(?<![\w/])#(\d+)\b", text or ""):
            target = repo.issues.get(int(m.group(1)))
            if target is None or target is source:
                continue
            if any(e.event == "cross-referenced" and e.source_number == source.number
                   for e in target.events):
                continue
            self.event(target, "cross-referenced", actor, source=source.number)

    def add_labels(self, repo: Repo, iss: Issue, names: list[str], actor: str) -> None:
        """Add labels (creating repository labels as needed), one ``labeled`` event each."""
        for name in names:
            lab = self.label(repo, name)
            if lab.name not in iss.labels:
                iss.labels.append(lab.name)
                self.event(iss, "labeled", actor, label=lab.name)

    def remove_label(self, repo: Repo, iss: Issue, name: str, actor: str) -> None:
        """Remove a label from an issue (404 if it is not there)."""
        match = next((n for n in iss.labels if n.lower() == name.lower()), None)
        if match is None:
            raise ApiError(404, "Label does not exist")
        iss.labels.remove(match)
        self.event(iss, "unlabeled", actor, label=match)

    def set_state(self, iss: Issue, state: str, actor: str, reason: str | None = None) -> None:
        """Close or reopen, with the matching event."""
        if state == iss.state:
            return
        now = self.store.now()
        iss.state = state
        if state == "closed":
            iss.closed_at, iss.closed_by = now, actor
            iss.state_reason = reason or ("completed" if not iss.pull else None)
            self.event(iss, "closed", actor, state_reason=iss.state_reason)
        else:
            iss.closed_at, iss.closed_by = None, None
            iss.state_reason = "reopened" if not iss.pull else None
            self.event(iss, "reopened", actor, state_reason=iss.state_reason)

    # -- pull requests -----------------------------------------------------
    def sync_pull(self, repo: Repo, iss: Issue) -> None:
        """Follow pushes made straight to git: refresh SHAs, dismiss stale approvals."""
        pr = iss.pull
        assert pr is not None
        if iss.state != "open":
            return
        head = repo.git.ref_sha(f"refs/heads/{pr.head}")
        if head is None:  # GitHub closes an open PR whose head branch is deleted
            self.set_state(iss, "closed", self.store.default_login)
            return
        base = repo.git.ref_sha(f"refs/heads/{pr.base}")
        if base:
            pr.base_sha = base
        if head and head != pr.head_sha:
            pr.head_sha = head
            repo.git.update_ref(f"refs/pull/{iss.number}/head", head)
            req = requirements(repo, pr.base)
            if req and req.dismiss_stale:
                for rv in pr.reviews:
                    if rv.state == "APPROVED" and rv.commit_id != head:
                        rv.state = "DISMISSED"
                        self.event(iss, "review_dismissed", "github-actions[bot]")

    def create_pull(self, repo: Repo, actor: str, title: str, head: str, base: str,
                    body: str | None = None, draft: bool = False) -> Issue:
        """Open a PR, validating refs and duplicates the way GitHub does."""
        head_name = head.split(":", 1)[1] if ":" in head else head
        head_sha = repo.git.ref_sha(f"refs/heads/{head_name}")
        base_sha = repo.git.ref_sha(f"refs/heads/{base}")
        if head_sha is None:
            raise validation_failed("PullRequest", "head", "invalid")
        if base_sha is None:
            raise validation_failed("PullRequest", "base", "invalid")
        for other in repo.issues.values():
            if (other.pull and other.state == "open" and other.pull.head == head_name
                    and other.pull.base == base):
                raise validation_failed("PullRequest", "", "custom",
                                        f"A pull request already exists for "
                                        f"{repo.owner}:{head_name}.")
        if repo.git.is_ancestor(head_sha, base_sha):
            raise validation_failed("PullRequest", "", "custom",
                                    f"No commits between {base} and {head_name}")
        now = self.store.now()
        number = repo.next_number()
        iss = Issue(self.store.new_id(), number, title, body, actor, now, now,
                    pull=PullInfo(head_name, base, head_sha, base_sha, draft=draft))
        repo.issues[number] = iss
        repo.git.update_ref(f"refs/pull/{number}/head", head_sha)
        self.cross_reference(repo, iss, body, actor)
        return iss

    def submit_review(self, repo: Repo, iss: Issue, user: str, state: str,
                      body: str = "", commit_id: str | None = None) -> Review:
        """Record a submitted review (``APPROVED``/``CHANGES_REQUESTED``/``COMMENTED``)."""
        pr = iss.pull
        assert pr is not None
        if state == "APPROVED" and user.lower() == iss.user.lower():
            raise ApiError(422, "Unprocessable Entity", errors=[
                {"resource": "PullRequestReview", "code": "custom", "field": "event",
                 "message": "Can not approve your own pull request"}])
        rv = Review(self.store.new_id(), user, state, body, commit_id or pr.head_sha,
                    self.store.now())
        pr.reviews.append(rv)
        for login in [u for u in pr.requested_reviewers if u.lower() == user.lower()]:
            pr.requested_reviewers.remove(login)
        iss.updated_at = rv.submitted_at
        return rv

    def code_owners(self, repo: Repo, iss: Issue) -> dict[str, list[str] | None]:
        """Changed path → its owners per the base branch's CODEOWNERS (None = no rule)."""
        pr = iss.pull
        assert pr is not None
        rules = read_rules(repo.git, pr.base_sha)
        mb = repo.git.merge_base(pr.base_sha, pr.head_sha) or pr.base_sha
        paths = repo.git.git("diff", "--name-only", mb, pr.head_sha).split()
        return {p: owners_for(rules, p) for p in paths}

    def merge_blocker(self, repo: Repo, iss: Issue, actor: str) -> str | None:
        """GitHub's refusal message if protection or rulesets forbid merging now."""
        pr = iss.pull
        assert pr is not None
        req = requirements(repo, pr.base)
        if req is None:
            return None
        if repo.role(actor) == "admin" and req.admins_bypass:
            return None
        latest = latest_reviews(pr.reviews)
        approvers = counted_approvers(repo, pr.reviews)
        if any(rv.state == "CHANGES_REQUESTED" for rv in latest.values()):
            return "Changes must be made through a pull request."
        n = req.approvals
        if len(approvers) < n:
            plural = "review is" if n == 1 else "reviews are"
            return f"At least {n} approving {plural} required by reviewers with write access."
        if req.code_owner_review:
            for owners in self.code_owners(repo, iss).values():
                if owners and not owner_approved(self.store, owners, approvers):
                    return "Waiting on code owner review from " + ", ".join(owners) + "."
        from .builders_misc import latest_statuses

        states = {s.context: s.state for s in latest_statuses(repo, pr.head_sha)}
        for ctx in req.status_checks:
            if ctx not in states:
                return f'Required status check "{ctx}" is expected.'
            if states[ctx] != "success":
                return f'Required status check "{ctx}" is {states[ctx]}.'
        if req.strict and not repo.git.is_ancestor(pr.base_sha, pr.head_sha):
            return "Head branch is out of date. Review and try the merge again."
        return None

    def merge(self, repo: Repo, iss: Issue, actor: str, method: str = "merge",
              sha: str | None = None, title: str | None = None,
              message: str | None = None) -> str:
        """Merge a PR into its base branch in git; returns the merge commit SHA."""
        pr = iss.pull
        assert pr is not None
        if pr.merged or iss.state != "open":
            raise ApiError(405, "Pull Request is not mergeable", documentation_url=MERGE_DOCS)
        if sha and sha != pr.head_sha:
            raise ApiError(409, "Head branch was modified. Review and try the merge again.",
                           documentation_url=MERGE_DOCS)
        blocker = self.merge_blocker(repo, iss, actor)
        if blocker:
            raise ApiError(405, blocker, documentation_url=MERGE_DOCS)
        user = self.store.user(actor)
        ident = Ident(user.name or user.login, user.email or f"{user.login}@example.com")
        git = repo.git
        base_ref = f"refs/heads/{pr.base}"
        if method == "rebase":
            mb = git.merge_base(pr.base_sha, pr.head_sha) or pr.base_sha
            commits = git.git("rev-list", "--reverse", "--no-merges",
                              f"{mb}..{pr.head_sha}").split()
            new = git.rebase_onto(pr.base_sha, commits, GITHUB_IDENT)
        else:
            tree = git.merge_tree(pr.base_sha, pr.head_sha)
            new = None
            if tree is not None:
                if method == "squash":
                    head_title = title or f"{iss.title} (#{iss.number})"
                    msgs = git.git("log", "--reverse", "--format=* %B",
                                   f"{pr.base_sha}..{pr.head_sha}").strip()
                    msg = f"{head_title}\n\n{message if message is not None else msgs}"
                    new = git.commit_tree(tree, [pr.base_sha], msg, ident, GITHUB_IDENT)
                elif method == "merge":
                    head_title = title or (f"Merge pull request #{iss.number} from "
                                           f"{repo.owner}/{pr.head}")
                    msg = f"{head_title}\n\n{message if message is not None else iss.title}"
                    new = git.commit_tree(tree, [pr.base_sha, pr.head_sha], msg, ident,
                                          GITHUB_IDENT)
                else:
                    raise validation_failed("PullRequest", "merge_method", "invalid")
        if new is None:
            raise ApiError(405, "Pull Request is not mergeable", documentation_url=MERGE_DOCS)
        git.update_ref(base_ref, new, pr.base_sha)
        now = self.store.now()
        pr.merged, pr.merged_at, pr.merged_by, pr.merge_commit_sha = True, now, actor, new
        iss.state, iss.closed_at, iss.updated_at = "closed", now, now
        self.event(iss, "merged", actor, commit_id=new)
        self.event(iss, "closed", actor)
        return new
