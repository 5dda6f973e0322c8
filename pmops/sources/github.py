"""Evidence from GitHub: the GitHub twin of `pmops.pipeline.gather_local`.

The incident comes from its issue (`pmops.sources.github_issue`). Commits and their files
come from the checkout's own git history when there is one (deepened if shallow): no API
request. As in the local gather, the window reaches back to every commit a deployment before
the start shipped (`pmops.sources.shipped`), and `Evidence.hints` name evidence that points
before it. The API serves what git lacks (`pmops.sources.github_activity`): PRs merged in the
window from one list, deployments and their statuses, releases, failed workflow runs (and
where each workflow last passed, when one failed). Each repository in `repositories:` has no
clone, so its commits are listed through the API, with files for the likeliest few only.

Requests are spent in order of value, primary repository first, so a small budget drops the
least valuable evidence (files of another repository's commits, its releases) first. A source
that fails or is skipped costs only its own evidence, named in `Evidence.unavailable`; only an
unreadable incident issue stops the gather.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import github

from pmops.config import Config
from pmops.errors import SourceError
from pmops.github.budget import RequestBudget
from pmops.github.client import lazy_repo
from pmops.github.rest import SOURCE_ERRORS, Api, Skipped, describe
from pmops.model import (
    Change,
    Deploy,
    Evidence,
    PullRequest,
    Reference,
    Release,
    Window,
    WorkflowRun,
)
from pmops.sources import git
from pmops.sources import github_activity as activity
from pmops.sources.github_issue import IncidentRecord, read_incident
from pmops.sources.shipped import outside_hints, widen_window

MAX_DEPLOY_REFS = 5
"""Deployed SHAs outside the default branch whose history is read too (local git: free;
through the API: one listing each, within the budget)."""

Progress = Callable[[str], None]
T = TypeVar("T")


def _quiet(_: str) -> None:
    """A progress reporter that says nothing."""


@dataclass
class _Found:
    """What the gather has so far, and the sentences on what it lacks."""

    changes: list[Change] = field(default_factory=list)
    pulls: list[PullRequest] = field(default_factory=list)
    deploys: list[Deploy] = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)
    runs: list[WorkflowRun] = field(default_factory=list)
    passed: list[WorkflowRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def attempt(self, what: str, read: Callable[[], T]) -> T | None:
        """`read()`, or None with a sentence when it fails (a budget skip is noted by the
        budget itself)."""
        try:
            return read()
        except Skipped:
            return None
        except SOURCE_ERRORS as error:
            self.notes.append(f"{what} unavailable: {describe(error)}")
            return None


def gather_github(
    gh: github.Github,
    repo_full_name: str,
    issue_number: int,
    config: Config,
    *,
    checkout: Path | None,
    budget: RequestBudget | None = None,
    env: Mapping[str, str] | None = None,
    progress: Progress = _quiet,
    now: datetime | None = None,
    repository: Mapping[str, Any] | None = None,
    issue: Mapping[str, Any] | None = None,
) -> Evidence:
    """Evidence for incident issue `issue_number` of `repo_full_name` (see the module doc).

    `checkout` is a local clone of that repository (the Action's workspace), or None to
    read its commits through the API too. `repository` is the repository's JSON when the
    caller has it (an event payload's `repository`: its `default_branch` and `html_url` save
    a request), `issue` likewise the incident issue's (used when its number matches).
    Raises SourceError only when the issue itself cannot be read.
    """
    budget = budget or RequestBudget(config.request_budget)
    api = Api.of(gh, budget)
    progress(f"reading incident #{issue_number} of {repo_full_name}")
    try:
        record = read_incident(
            lazy_repo(gh, repo_full_name),
            issue_number,
            config,
            budget=budget,
            now=now,
            issue=issue,
        )
    except SOURCE_ERRORS as error:
        raise SourceError(
            f"could not read incident issue #{issue_number} of {repo_full_name}: {describe(error)}"
        ) from None
    window = Window.around(record.incident, config.lookback_hours)
    found = _Found(notes=list(record.notes))
    meta = repository if repository and repository.get("default_branch") else None
    meta = meta or (
        found.attempt(
            f"Repository details of {repo_full_name}",
            partial(api.get, activity.repo_path(repo_full_name)),
        )
        or {}
    )
    progress(f"reading GitHub activity of {repo_full_name} since {window.since:%Y-%m-%d %H:%M}")
    shipped = _gather_repo(
        api, repo_full_name, "", window, checkout, meta.get("default_branch"), found, progress
    )
    hints = (
        outside_hints(checkout, found.changes, record.updates, config.lookback_hours)
        if checkout is not None
        else ()
    )
    for other in config.repositories:  # their lists stay in the lookback window: no clone
        if other.lower() != repo_full_name.lower():
            progress(f"reading GitHub activity of {other}")
            _gather_repo(api, other, other, window, None, None, found, progress)
    window = shipped
    _add_cross_referenced(record, repo_full_name, found)
    anomalies: tuple = ()
    logs: tuple = ()
    if config.observability:
        from pmops.sources.observability import collect_all

        progress(f"querying {', '.join(b.kind for b in config.observability)}")
        observed = collect_all(window, config.observability, env if env is not None else os.environ)
        anomalies, logs = observed.anomalies, observed.logs
        found.notes += list(observed.unavailable)
    repo_url = str(meta.get("html_url") or "") or record.incident.url.rsplit("/issues/", 1)[0]
    return Evidence(
        incident=record.incident,
        window=window,
        changes=tuple(sorted(found.changes, key=lambda c: (-c.committed_at.timestamp(), c.sha))),
        pull_requests=tuple(sorted(found.pulls, key=lambda p: (p.repo, p.number))),
        deploys=tuple(sorted(found.deploys, key=lambda d: (d.at, d.repo, d.sha))),
        releases=tuple(sorted(found.releases, key=lambda r: (-r.at.timestamp(), r.repo, r.tag))),
        workflow_runs=tuple(sorted(found.runs, key=lambda r: (r.at, r.sha))),
        passed_runs=tuple(sorted(found.passed, key=lambda r: (r.at, r.sha))),
        updates=record.updates,
        alerts=record.alerts,
        anomalies=anomalies,
        logs=logs,
        references=tuple(
            Reference(
                r.number,
                r.title,
                r.at,
                r.is_pull,
                r.url,
                "" if r.repo.lower() in ("", repo_full_name.lower()) else r.repo,
            )
            for r in record.cross_references
        ),
        unavailable=(*found.notes, *budget.sentences()),
        repo_url=repo_url,
        hints=hints,
    )


def _gather_repo(
    api: Api,
    repo: str,
    label: str,
    window: Window,
    checkout: Path | None,
    default_branch: str | None,
    found: _Found,
    progress: Progress,
) -> Window:
    """Everything of one repository, most valuable first; the window its commits cover
    (wider than `window` when a deploy shipped older commits).

    A clone is read in a background thread while the API requests wait on the network
    (git is bound by processes, requests by latency: the wall time is the larger of the
    two, not their sum). Without a clone the commits are the core evidence and are listed
    first. Failed workflow runs are read only where the default branch is known, and the
    passed ones (one page) only when a run failed.
    """
    until = window.until
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmops-git") as pool:
        unreadable: list[str] = []  # what git could not read, noted after the thread ends
        local = pool.submit(_read_head, checkout, window, until, unreadable) if checkout else None
        listed: tuple[Change, ...] = ()
        if checkout is None:
            listed = (
                found.attempt(
                    f"Commits of {repo}",
                    partial(activity.read_api_commits, api, repo, window.since, until, label=label),
                )
                or ()
            )
        pulls = (
            found.attempt(
                f"Merged PRs of {repo}",
                partial(activity.read_merged_pulls, api, repo, window.since, until, label),
            )
            or ()
        )
        deploys, notes = found.attempt(
            f"Deployments of {repo}",
            partial(activity.read_deployments, api, repo, window, until, label),
        ) or ((), [])
        found.notes += notes
        changes: tuple[Change, ...] = ()
        if checkout is None:
            changes = _api_deploy_refs(api, repo, label, window, listed, deploys, found)
            changes = _add_files(api, repo, changes, deploys, window, found)
        if default_branch:
            failed = (
                found.attempt(
                    f"Failed workflow runs of {repo}",
                    partial(
                        activity.read_failed_runs, api, repo, default_branch, window.since, until
                    ),
                )
                or ()
            )
            found.runs += failed
            if failed:  # where each workflow was last green: one page, newest first
                last = max(r.at for r in failed)
                read = partial(
                    activity.read_passed_runs, api, repo, default_branch, window.since, last
                )
                found.passed += found.attempt(f"Passed workflow runs of {repo}", read) or ()
        releases = (
            found.attempt(
                f"Releases of {repo}",
                partial(activity.read_releases, api, repo, window.since, until, label),
            )
            or ()
        )
        if checkout is not None and local is not None:
            changes, window = _read_checkout(
                repo, checkout, local, unreadable, deploys, window, found, progress
            )
    changes = activity.attach_pulls(changes, pulls)
    found.releases += _resolve_releases(api, repo, label, releases, checkout, window, found)
    found.changes += changes
    found.pulls += pulls
    found.deploys += activity.mark_rollbacks(deploys, changes, window, until)
    return window


def _read_checkout(
    repo: str,
    checkout: Path,
    head: Future[tuple[Change, ...]],
    unreadable: list[str],
    deploys: tuple[Deploy, ...],
    window: Window,
    found: _Found,
    progress: Progress,
) -> tuple[tuple[Change, ...], Window]:
    """The checkout's commits (`head`: HEAD's in `window`, read in the background) and the
    window they cover: as the local gather, reaching back to every commit a deploy before
    the start shipped (HEAD read again over the wider window), plus the commits of deployed
    SHAs HEAD does not reach."""
    until = window.until
    changes = found.attempt(f"Git history of {repo} in {checkout}", head.result) or ()
    wide = found.attempt(
        f"Git history of what the deployments of {repo} shipped",
        partial(widen_window, checkout, deploys, window),
    )
    if wide is not None and wide.since < window.since:
        progress("the deployments shipped older commits: reading them too")
        unreadable.clear()
        window = wide
        changes = (
            found.attempt(
                f"Git history of {repo} in {checkout}",
                partial(_read_head, checkout, window, until, unreadable),
            )
            or changes
        )
    found.notes += unreadable
    changes = (
        found.attempt(
            f"Git history of deployed commits of {repo}",
            partial(_add_deploy_refs, checkout, window, until, changes, deploys),
        )
        or changes
    )
    return changes, window


def _read_head(
    checkout: Path, window: Window, until: datetime, notes: list[str]
) -> tuple[Change, ...]:
    """Commits of the checkout's HEAD in the window (deepened first if shallow), with
    reverts found by their diffs as well as their messages; what git could not read is
    noted in `notes`."""
    git.ensure_history(checkout, window.since)
    changes = git.read_changes(checkout, window.since, until, notes=notes)
    inverse = git.detect_inverse_reverts(changes, checkout)
    return tuple(
        replace(c, reverts=(*c.reverts, inverse[c.sha])) if c.sha in inverse else c for c in changes
    )


def _add_deploy_refs(
    checkout: Path,
    window: Window,
    until: datetime,
    changes: tuple[Change, ...],
    deploys: tuple[Deploy, ...],
) -> tuple[Change, ...]:
    """`changes` plus the window's commits of deployed SHAs that HEAD does not reach
    (a hotfix branch deployed directly), if the clone has them."""
    known = {c.sha: c for c in changes}
    refs = list(
        dict.fromkeys(
            d.sha for d in sorted(deploys, key=lambda d: d.at, reverse=True) if d.sha not in known
        )
    )
    for sha in refs[:MAX_DEPLOY_REFS]:
        if git.resolve_sha(checkout, sha) is None:
            continue  # not fetched: its commits stay unknown
        for change in git.read_changes(checkout, window.since, until, ref=sha):
            known.setdefault(change.sha, change)
    return tuple(sorted(known.values(), key=lambda c: (-c.committed_at.timestamp(), c.sha)))


def _api_deploy_refs(
    api: Api,
    repo: str,
    label: str,
    window: Window,
    changes: tuple[Change, ...],
    deploys: tuple[Deploy, ...],
    found: _Found,
) -> tuple[Change, ...]:
    """Commits of deployed SHAs that the default branch's listing lacks."""
    known = {c.sha: c for c in changes}
    refs = list(
        dict.fromkeys(
            d.sha for d in sorted(deploys, key=lambda d: d.at, reverse=True) if d.sha not in known
        )
    )
    for sha in refs[:MAX_DEPLOY_REFS]:
        more = (
            found.attempt(
                f"Commits of {repo} deployed from {sha[:7]}",
                partial(
                    activity.read_api_commits,
                    api,
                    repo,
                    window.since,
                    window.until,
                    sha,
                    label,
                ),
            )
            or ()
        )
        for change in more:
            known.setdefault(change.sha, change)
    return tuple(known.values())


def _add_files(
    api: Api,
    repo: str,
    changes: tuple[Change, ...],
    deploys: tuple[Deploy, ...],
    window: Window,
    found: _Found,
) -> tuple[Change, ...]:
    """Files of the likeliest candidates among commits listed through the API."""
    files = {}
    for change in activity.top_candidates(changes, deploys, window):
        read = found.attempt(
            f"Files of commit {change.sha[:7]} of {repo}",
            partial(activity.read_commit_files, api, repo, change.sha),
        )
        if read is not None:
            files[change.sha] = read
    return tuple(replace(c, files=files[c.sha]) if c.sha in files else c for c in changes)


def _resolve_releases(
    api: Api,
    repo: str,
    label: str,
    releases: tuple[Release, ...],
    checkout: Path | None,
    window: Window,
    found: _Found,
) -> list[Release]:
    """API releases merged with local tags; each release's SHA from its tag."""
    local: dict[str, Release] = {}
    if checkout is not None:
        tags = (
            found.attempt(
                f"Tags of {repo} in {checkout}",
                partial(git.read_releases, checkout, window.since, window.until, label),
            )
            or ()
        )
        local = {r.tag: r for r in tags}
    result = []
    for release in releases:
        sha = release.sha or (local[release.tag].sha if release.tag in local else "")
        if not sha and checkout is None:
            tagged = found.attempt(
                f"The commit of release {release.tag} of {repo}",
                partial(activity.read_tag_sha, api, repo, release.tag),
            )
            sha = tagged or ""
        if sha:
            result.append(replace(release, sha=sha))
    named = {r.tag for r in result}
    return result + [r for r in local.values() if r.tag not in named]


def _add_cross_referenced(record: IncidentRecord, repo: str, found: _Found) -> None:
    """PRs that mention the incident (the fix, a revert) join the PRs if not there yet."""
    known = {(p.repo, p.number) for p in found.pulls}
    for ref in record.cross_references:
        label = "" if ref.repo.lower() in ("", repo.lower()) else ref.repo
        if ref.is_pull and (label, ref.number) not in known:
            found.pulls.append(
                PullRequest(
                    number=ref.number,
                    title=ref.title,
                    merged_at=ref.merged_at,
                    body=ref.body,
                    url=ref.url,
                    labels=ref.labels,
                    repo=label,
                )
            )
            known.add((label, ref.number))
