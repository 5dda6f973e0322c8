"""The GitHub calls the event handlers make, over PyGithub, each named for what it does.

Idempotent where a retry or a duplicate delivery could repeat it: comments carry a hidden
marker and are edited instead of posted twice; labels are added only when missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from github import Github, GithubException
from github.Issue import Issue
from github.IssueComment import IssueComment
from github.PullRequest import PullRequest
from github.Repository import Repository

from pmops.errors import PmopsError
from pmops.follow.action_items import PRIORITY_LABELS
from pmops.github.client import lazy_repo
from pmops.github.graphql import review_decision
from pmops.github.numbers import IssueNumbers
from pmops.github.own import OwnAccount
from pmops.github.rest import github_message
from pmops.lifecycle.approvals import BranchRules, Review
from pmops.lifecycle.permissions import Role, role_from
from pmops.safety.outbound import outbound_markdown
from pmops.safety.redact import redact_secrets

LABELS: dict[str, tuple[str, str]] = {
    "postmortem": ("5319e7", "A postmortem pull request"),
    "pmops:draft": ("c5def5", "pmops: AI draft, not yet edited by a human"),
    "pmops:edited": ("fbca04", "pmops: humans have edited the draft"),
    "pmops:ready": ("0e8a16", "pmops: stamped published by a code owner; merge to publish"),
    "postmortem:published": ("0e8a16", "pmops: the incident's postmortem is published"),
    "postmortem:action-item": ("d93f0b", "pmops: follow-up from a postmortem"),
    **{name: (color, text) for name, color, text in PRIORITY_LABELS.values()},
}
"""Labels pmops uses: (color, description). Created with a description when missing."""

STATUS_CONTEXT = "pmops/check"
"""The commit status pmops sets on every head it pushes or sees (DESIGN §4)."""

ACTIONS_PR_SETTING = (
    "GitHub Actions may not create pull requests in this repository. Turn on Settings → "
    'Actions → General → Workflow permissions → "Allow GitHub Actions to create and approve '
    'pull requests" (an organization policy may need the same switch), or give the action a '
    "GitHub App token (actions/create-github-app-token) in its `token` input."
)


class GitHubActionError(PmopsError):
    """A GitHub request failed in a way the user must fix (the message says how)."""


def marker(kind: str, key: str | int) -> str:
    """A hidden HTML comment that identifies one pmops comment or issue."""
    return f"<!-- pmops:{kind}:{key} -->"


@dataclass(frozen=True)
class Permission:
    """A user's access as the collaborator-permission endpoint reports it."""

    login: str
    permission: str
    role_name: str

    @property
    def role(self) -> Role:
        """The pmops role (DESIGN §4)."""
        return role_from(self.permission, self.role_name)


class GitHubApi:
    """One repository's API, as the handlers use it."""

    def __init__(self, gh: Github, full_name: str) -> None:
        self.gh = gh
        self.full_name = full_name
        self.allowed_links: tuple[str, ...] = (f"https://github.com/{full_name}",)
        """Where posted text may link: the repository and `allowed_link_hosts` (the runner
        sets it from the server URL and the configuration)."""

    def publishable(self, body: str) -> str:
        """`body` as pmops posts it: secrets redacted, the markdown policy enforced."""
        return outbound_markdown(body, self.allowed_links)

    @cached_property
    def repo(self) -> Repository:
        """The PyGithub repository, fetched when an attribute other than its URL is first read."""
        return lazy_repo(self.gh, self.full_name)

    @cached_property
    def numbers(self) -> IssueNumbers:
        """PR and issue numbers looked up on GitHub, once each per run (`pmops/check`)."""
        return IssueNumbers(self.gh, self.full_name)

    @cached_property
    def own(self) -> OwnAccount:
        """The account pmops acts as (its login read once, only when needed)."""
        return OwnAccount(self._whoami)

    def _whoami(self) -> str | None:
        try:
            return str(self.gh.get_user().login)
        except GithubException as exc:
            if exc.status in (401, 403, 404):  # an App's or Actions' token may not read it
                return None
            raise

    def wrote(self, item: IssueComment | Issue | PullRequest) -> bool:
        """True when a comment (or issue, PR) is pmops's own: its marker, by its account."""
        user = item.user
        return user is not None and self.own.wrote(user.login, user.type, item.body or "")

    def _raw(self, verb: str, path: str, **kwargs: Any) -> Any:
        _, data = self.gh.requester.requestJsonAndCheck(verb, f"{self.repo.url}{path}", **kwargs)
        return data

    # ------------------------------------------------------------ people
    def permission(self, login: str) -> Permission:
        """`GET /collaborators/{login}/permission`; unknown users have no access."""
        try:
            data = self._raw("GET", f"/collaborators/{login}/permission")
        except GithubException as exc:
            if exc.status == 404:
                return Permission(login, "none", "none")
            raise
        return Permission(
            login,
            data.get("permission") or "none",
            data.get("role_name") or data.get("permission") or "none",
        )

    # ------------------------------------------------------------ issues and comments
    def issue(self, number: int) -> Issue:
        """An issue or PR as an issue: fetched when an attribute is first read, not for
        commenting or labeling (which need only its URL; the gather has read it already)."""
        return Issue(self.gh.requester.withLazy(True), url=f"{self.repo.url}/issues/{number}")

    def pull(self, number: int) -> PullRequest:
        """A pull request."""
        return self.repo.get_pull(number)

    def own_comments(self, number: int, tag: str) -> list[IssueComment]:
        """pmops's own comments on `number` whose body contains `tag`, oldest first.

        A comment by anyone else is never taken for pmops's, whatever marker it carries.
        """
        found = [c for c in self.issue(number).get_comments() if tag in (c.body or "")]
        return sorted((c for c in found if self.wrote(c)), key=lambda c: c.id)

    def find_comment(self, number: int, tag: str) -> IssueComment | None:
        """pmops's first comment on `number` whose body contains `tag`."""
        found = self.own_comments(number, tag)
        return found[0] if found else None

    def comment(
        self, number: int, body: str, tag: str | None = None, *, update: bool = True
    ) -> str:
        """Post `body` (with `tag` appended); with a tag already present, edit or keep that one.

        Returns "created", "updated" or "kept".
        """
        body = self.publishable(body)
        if tag:
            body = f"{body.rstrip()}\n\n{tag}\n"
            existing = self.find_comment(number, tag)
            if existing is not None:
                if not update or existing.body == body:
                    return "kept"
                existing.edit(body)
                return "updated"
        created = self.issue(number).create_comment(body)
        if tag:
            self._drop_duplicates(number, tag, created)
        return "created"

    def _drop_duplicates(self, number: int, tag: str, created: IssueComment) -> None:
        """Two runs that commented at once: the older comment stays, ours goes if newer.

        Both runs see both comments and agree on which is older, so exactly one remains.
        """
        found = self.own_comments(number, tag)
        if found and found[0].id != created.id:
            try:
                created.delete()
            except GithubException as exc:
                if exc.status != 404:  # 404: already gone
                    raise

    @cached_property
    def label_names(self) -> set[str]:
        """Names of the repository's labels, lowercased (read once per run)."""
        return {label.name.lower() for label in self.repo.get_labels()}

    def ensure_labels(self, names: Iterable[str]) -> None:
        """Create pmops's labels that the repository lacks, with their color and description."""
        for name in names:
            if name.lower() in self.label_names or name not in LABELS:
                continue
            color, description = LABELS[name]
            try:
                self.repo.create_label(name, color, description)
            except GithubException as exc:
                if exc.status != 422:  # 422: created meanwhile by a concurrent run
                    raise
            self.label_names.add(name.lower())

    def add_labels(self, number: int, names: Iterable[str], present: Sequence[str] = ()) -> None:
        """Add the labels not already on the issue, creating pmops's own labels first."""
        missing = [n for n in dict.fromkeys(names) if n not in present]
        if missing:
            self.ensure_labels(missing)
            self.issue(number).add_to_labels(*missing)

    def remove_label(self, number: int, name: str, present: Sequence[str]) -> None:
        """Remove a label if it is there."""
        if name in present:
            try:
                self.issue(number).remove_from_labels(name)
            except GithubException as exc:
                if exc.status != 404:
                    raise

    # ------------------------------------------------------------ pull requests
    def open_pull_for(self, branch: str) -> PullRequest | None:
        """The open PR whose head is `branch` of this repository, if any."""
        owner = self.full_name.split("/")[0]
        for pull in self.repo.get_pulls(state="open", head=f"{owner}:{branch}"):
            return pull
        return None

    def create_pull(self, title: str, body: str, head: str, base: str) -> PullRequest:
        """Open a PR; a duplicate (race) returns the existing one; the Actions switch is named."""
        try:
            return self.repo.create_pull(
                title=redact_secrets(title)[0], body=self.publishable(body), head=head, base=base
            )
        except GithubException as exc:
            message = error_message(exc)
            if exc.status == 422 and "already exists" in message:
                existing = self.open_pull_for(head)
                if existing is not None:
                    return existing
            if exc.status == 403 and "not permitted to create" in message:
                raise GitHubActionError(ACTIONS_PR_SETTING) from None
            raise

    def request_reviewers(
        self, pull: PullRequest, users: Sequence[str], teams: Sequence[str]
    ) -> list[str]:
        """Ask for reviews; returns notes for requests GitHub refused (never fails the run)."""
        notes = []
        author = pull.user.login if pull.user else ""
        users = [u for u in users if u.lower() != author.lower()]
        for login in users:
            try:
                pull.create_review_request(reviewers=[login])
            except GithubException as exc:
                notes.append(f"could not request a review from @{login}: {error_message(exc)}")
        for team in teams:
            try:
                pull.create_review_request(team_reviewers=[team.split("/", 1)[-1]])
            except GithubException as exc:
                notes.append(f"could not request a review from team {team}: {error_message(exc)}")
        return notes

    # ------------------------------------------------------------ approvals (publish gate)
    def reviews(self, number: int) -> tuple[Review, ...]:
        """A PR's submitted reviews, oldest first, with the commit each one reviewed."""
        return tuple(
            Review(r.user.login if r.user else "", str(r.state), r.commit_id or "", r.submitted_at)
            for r in self.pull(number).get_reviews()
        )

    def review_decision(self, number: int) -> str | None:
        """GitHub's `reviewDecision` of a PR (GraphQL; None when no review is required)."""
        decision, _ = review_decision(self.gh, self.full_name, number)
        return decision

    def branch_rules(self, branch: str) -> BranchRules:
        """The active rules that apply to `branch` (any reader may ask; classic branch
        protection needs admin, so GITHUB_TOKEN never reads it)."""
        try:
            rules = self._raw("GET", f"/rules/branches/{branch}", parameters={"per_page": 100})
        except GithubException:
            return BranchRules()
        owner_review = stale = False
        checks: list[str] = []
        for rule in rules if isinstance(rules, list) else []:
            params = rule.get("parameters") or {}
            if rule.get("type") == "pull_request":
                owner_review = owner_review or bool(params.get("require_code_owner_review"))
                stale = stale or bool(params.get("dismiss_stale_reviews_on_push"))
            elif rule.get("type") == "required_status_checks":
                checks += [
                    str(c.get("context")) for c in params.get("required_status_checks") or []
                ]
        return BranchRules(True, owner_review, stale, tuple(dict.fromkeys(checks)))

    # ------------------------------------------------------------ statuses
    def set_status(self, sha: str, state: str, description: str, target_url: str = "") -> None:
        """Set the `pmops/check` commit status on `sha` (description capped at 140)."""
        description = description if len(description) <= 140 else description[:139] + "…"
        kwargs: dict[str, str] = {
            "state": state,
            "description": description,
            "context": STATUS_CONTEXT,
        }
        if target_url:
            kwargs["target_url"] = target_url
        self._raw("POST", f"/statuses/{sha}", input=kwargs)  # no GET of the commit first

    # ------------------------------------------------------------ settings (doctor)
    def workflow_permissions(self) -> dict[str, Any] | None:
        """Default GITHUB_TOKEN permissions and the PR switch (None without admin access)."""
        try:
            return self._raw("GET", "/actions/permissions/workflow")
        except GithubException:
            return None


def error_message(exc: GithubException) -> str:
    """GitHub's message of a failed request, for a user-facing note (github/rest.py's
    describer; the exception's text when GitHub gave no message)."""
    return github_message(exc) or str(exc)
