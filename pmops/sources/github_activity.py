"""What happened in one repository around an incident, read from the REST API in few requests.

Each reader costs a number of requests that grows only with pagination, never one per
commit:

- merged PRs: ONE list, `GET /pulls?state=closed&sort=updated&direction=desc`, read until a
  page reaches PRs last updated before the window (merged_at <= updated_at, so nothing
  older can follow). Chosen over `/search/issues?q=is:merged merged:A..B` because search
  answers issues without `merge_commit_sha` or head SHA (needed to tie commits to PRs), is
  capped at 1,000 results, has its own 30-per-minute limit and lags behind merges;
- deployments: one list (newest first, read until older than the window), then the
  statuses of at most `MAX_DEPLOYMENT_STATUSES` deployments, those nearest the start;
- releases: one list, newest first; failed workflow runs: one filtered list;
- commits (repositories without a local clone): `GET /commits?since&until`, and files
  (`GET /commits/{sha}`) only for the `MAX_COMMIT_FILES` likeliest candidates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any
from urllib.parse import quote

from pmops.github.own import OwnAccount, whoami
from pmops.github.rest import SOURCE_ERRORS, Api, Skipped, describe
from pmops.model import Change, Deploy, FileChange, PullRequest, Release, Window, WorkflowRun
from pmops.sources.git import parse_pr, parse_reverts
from pmops.times import format_time

BRANCH_PREFIX = "pmops/"
"""Branches pmops opens its postmortem PRs from (`events.branch.BRANCH_PREFIX`)."""

MAX_DEPLOYMENT_STATUSES = 5
"""Deployments whose statuses are read (one request each), nearest the incident start first:
enough for the deploys that can have caused or ended it, a constant whatever the window."""

DEPLOY_SLACK = timedelta(hours=1)
"""A deployment created this long before the window may still have gone live inside it."""

MAX_COMMIT_FILES = 5
"""Commits of a repository without a clone whose files are read (one request each)."""

STATUS_OF = {"success": "success", "inactive": "success", "failure": "failure", "error": "failure"}
"""GitHub deployment state -> Deploy.status; other states (queued, in_progress) -> pending."""

_ROLLBACK = re.compile(r"\broll(?:ed|ing)?[ -]?back\b|\brevert", re.I)
_SHA = re.compile(r"[0-9a-f]{40}")


def parse_time(value: str | None) -> datetime | None:
    """A GitHub timestamp (ISO-8601 with Z) as an aware UTC datetime."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _must(value: str | None) -> datetime:
    moment = parse_time(value)
    if moment is None:
        raise ValueError("a timestamp is missing")
    return moment


def repo_path(repo: str) -> str:
    """`/repos/owner/name` for a full name."""
    return f"/repos/{quote(repo, safe='/')}"


# ---------------------------------------------------------------- pull requests


def read_merged_pulls(
    api: Api, repo: str, since: datetime, until: datetime, label: str = ""
) -> tuple[PullRequest, ...]:
    """PRs merged in [since, until], newest merge first; pmops's own postmortem PRs left out."""
    found: dict[int, PullRequest] = {}
    own = OwnAccount(lambda: whoami(api))
    params = {"state": "closed", "sort": "updated", "direction": "desc"}
    for page in api.pages(f"{repo_path(repo)}/pulls", params, what=f"merged PRs of {repo}"):
        for item in page:
            merged = parse_time(item.get("merged_at"))
            if merged is not None and since <= merged <= until and not _own_pull(item, own):
                found[int(item["number"])] = _pull(item, merged, label)
        if not page or _must(page[-1]["updated_at"]) < since:
            break
    return tuple(
        sorted(found.values(), key=lambda p: (p.merged_at or since, p.number), reverse=True)
    )


def _own_pull(item: Mapping[str, Any], own: OwnAccount) -> bool:
    """A postmortem PR pmops opened: its `pmops/` branch, its marker, its account."""
    if not str((item.get("head") or {}).get("ref") or "").startswith(BRANCH_PREFIX):
        return False
    user = item.get("user") or {}
    return own.wrote(
        str(user.get("login") or ""), str(user.get("type") or ""), str(item.get("body") or "")
    )


def _pull(item: Mapping[str, Any], merged: datetime | None, label: str) -> PullRequest:
    return PullRequest(
        number=int(item["number"]),
        title=str(item.get("title") or ""),
        merged_at=merged,
        merge_sha=item.get("merge_commit_sha"),
        head_sha=(item.get("head") or {}).get("sha"),
        body=str(item.get("body") or ""),
        url=str(item.get("html_url") or ""),
        labels=tuple(str(lab.get("name", "")) for lab in item.get("labels") or ()),
        repo=label,
    )


def attach_pulls(changes: Iterable[Change], pulls: Iterable[PullRequest]) -> tuple[Change, ...]:
    """Set `Change.pr` from the PRs' merge and head SHAs where the message named none."""
    by_sha: dict[str, int] = {}
    for pull in pulls:
        for sha in (pull.head_sha, pull.merge_sha):  # the merge commit wins over a head
            if sha:
                by_sha[sha] = pull.number
    return tuple(
        replace(c, pr=by_sha[c.sha]) if c.pr is None and c.sha in by_sha else c for c in changes
    )


# ---------------------------------------------------------------- deployments


def read_deployments(
    api: Api, repo: str, window: Window, until: datetime, label: str = ""
) -> tuple[tuple[Deploy, ...], list[str]]:
    """Deployments created in the window, with their outcome; and sentences on what is missing.

    Statuses are read for the `MAX_DEPLOYMENT_STATUSES` deployments nearest the start (the
    production-like ones first); the others keep status "unknown" and their creation time.
    Each environment's (and service's) deployment before the window is there too, with
    status "unknown", when the pages listed hold it (no further request): what a deploy
    shipped starts at the SHA deployed before it (`pmops.sources.shipped`).
    """
    oldest = window.since - DEPLOY_SLACK
    items: list[Mapping[str, Any]] = []
    earlier: list[Mapping[str, Any]] = []
    for page in api.pages(f"{repo_path(repo)}/deployments", what=f"deployments of {repo}"):
        items += [d for d in page if oldest <= _must(d["created_at"]) <= until]
        earlier += [d for d in page if _must(d["created_at"]) < oldest]
        if not page or _must(page[-1]["created_at"]) < oldest:
            break
    ranked = sorted(items, key=lambda d: _deploy_rank(d, window.start))
    notes: list[str] = []
    statuses: dict[int, list[Mapping[str, Any]]] = {}
    failed: list[str] = []
    what = f"deployment statuses of {repo} (their outcome is shown as unknown)"
    for item in ranked[:MAX_DEPLOYMENT_STATUSES]:
        try:
            statuses[int(item["id"])] = api.get(
                f"{repo_path(repo)}/deployments/{int(item['id'])}/statuses", what=what
            )
        except Skipped:
            continue
        except SOURCE_ERRORS as error:
            failed.append(describe(error))
    if failed:
        reasons = "; ".join(dict.fromkeys(failed))
        notes.append(
            f"Statuses of {len(failed)} deployment(s) of {repo} could not be read "
            f"({reasons}); their outcome is shown as unknown"
        )
    beyond = len(ranked) - MAX_DEPLOYMENT_STATUSES
    if beyond > 0:
        notes.append(
            f"{beyond} deployment(s) of {repo} further from the incident start are "
            "listed with unknown outcome (statuses are read for the "
            f"{MAX_DEPLOYMENT_STATUSES} nearest)"
        )
    deploys = [_deploy(d, statuses.get(int(d["id"])), label) for d in items]
    deploys += [_deploy(d, None, label) for d in _latest_before(items, earlier)]
    return tuple(sorted(deploys, key=lambda d: (d.at, d.sha))), notes


def _latest_before(
    items: Sequence[Mapping[str, Any]], earlier: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """For each environment and service of `items`, the newest of `earlier` there."""
    wanted = {_where(d) for d in items}
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for item in earlier:
        key = _where(item)
        if key in wanted and (
            key not in latest or _must(item["created_at"]) > _must(latest[key]["created_at"])
        ):
            latest[key] = item
    return list(latest.values())


def _where(item: Mapping[str, Any]) -> tuple[str, str]:
    """A deployment's environment and service, as its `Deploy` says them."""
    deploy = _deploy(item, None, "")
    return deploy.environment, deploy.service


def _deploy_rank(item: Mapping[str, Any], start: datetime) -> tuple[bool, float, int]:
    env = str(item.get("environment") or "").lower()
    production = bool(item.get("production_environment")) or "prod" in env
    distance = abs((_must(item["created_at"]) - start).total_seconds())
    return (not production, distance, -int(item["id"]))


def _deploy(
    item: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]] | None, label: str
) -> Deploy:
    created = _must(item["created_at"])
    status, at = "unknown", created
    if statuses is not None:
        states = [(str(s.get("state")), _must(s["created_at"])) for s in statuses]
        latest = states[0][0] if states else "pending"
        status = STATUS_OF.get(latest, "pending")
        went_live = [when for state, when in states if state == "success"]
        failed = [when for state, when in states if STATUS_OF.get(state) == "failure"]
        if status == "success" and went_live:
            at = min(went_live)
        elif status == "failure" and failed:
            at = max(failed)
    payload = item.get("payload")
    service = payload.get("service", "") if isinstance(payload, dict) else ""
    text = f"{item.get('task') or ''} {item.get('description') or ''}"
    if status == "success" and _ROLLBACK.search(text):
        status = "rollback"
    return Deploy(
        at=at,
        sha=str(item["sha"]).lower(),
        service=service if isinstance(service, str) else "",
        environment=str(item.get("environment") or "production"),
        status=status,
        repo=label,
    )


def mark_rollbacks(
    deploys: Sequence[Deploy], changes: Sequence[Change], window: Window, until: datetime
) -> tuple[Deploy, ...]:
    """A successful deploy during the incident of an older commit than the environment's
    previous deploy is a rollback; where the commits' dates are unknown (outside the
    window), a deploy of a SHA that environment ran before the previous one (the one before
    the window included, whose outcome was not read)."""
    landed = {c.sha: c.committed_at for c in changes}
    result = list(deploys)
    for i, deploy in enumerate(result):
        if deploy.status != "success" or not window.start <= deploy.at <= until:
            continue
        before = [
            d
            for d in result[:i]
            if d.status in ("success", "rollback", "unknown")
            and (d.environment, d.service, d.repo)
            == (deploy.environment, deploy.service, deploy.repo)
        ]
        if not before or before[-1].sha == deploy.sha:
            continue  # the first deploy there, or the same version again
        previous = before[-1]
        if deploy.sha in landed and previous.sha in landed:
            back = landed[deploy.sha] < landed[previous.sha]
        else:  # commit dates unknown: going back to a version deployed before
            back = any(d.sha == deploy.sha for d in before[:-1])
        if back:
            result[i] = replace(deploy, status="rollback")
    return tuple(result)


# ---------------------------------------------------------------- releases and runs


def read_releases(
    api: Api, repo: str, since: datetime, until: datetime, label: str = ""
) -> tuple[Release, ...]:
    """Published releases in the window, newest first; `sha` is "" unless the release names
    a commit SHA as its target (the caller resolves tags)."""
    found = []
    for page in api.pages(f"{repo_path(repo)}/releases", what=f"releases of {repo}"):
        for item in page:
            when = parse_time(item.get("published_at")) or _must(item["created_at"])
            if not item.get("draft") and since <= when <= until:
                target = str(item.get("target_commitish") or "").lower()
                sha = target if _SHA.fullmatch(target) else ""
                found.append(Release(str(item["tag_name"]), sha, when, label))
        if not page or _must(page[-1]["created_at"]) < since:
            break
    return tuple(sorted(found, key=lambda r: (-r.at.timestamp(), r.tag)))


def read_tag_sha(api: Api, repo: str, tag: str) -> str | None:
    """The commit a lightweight tag names (annotated tags: None), one optional request."""
    data = api.get(
        f"{repo_path(repo)}/git/ref/tags/{quote(tag, safe='')}",
        what=f"the commit of tag {tag} of {repo}",
    )
    target = (data or {}).get("object") or {}
    return str(target["sha"]) if target.get("type") == "commit" else None


def read_failed_runs(
    api: Api, repo: str, branch: str | None, since: datetime, until: datetime
) -> tuple[WorkflowRun, ...]:
    """Failed workflow runs created in the window on `branch` (all branches if None)."""
    return _read_runs(api, repo, branch, since, until, "failure", "failed")


def read_passed_runs(
    api: Api, repo: str, branch: str, since: datetime, until: datetime
) -> tuple[WorkflowRun, ...]:
    """The newest successful workflow runs (one page) created in [since, until] on
    `branch`: where each workflow was last green before it failed."""
    return _read_runs(api, repo, branch, since, until, "success", "passed", pages=1)


def _read_runs(
    api: Api,
    repo: str,
    branch: str | None,
    since: datetime,
    until: datetime,
    status: str,
    said: str,
    pages: int | None = None,
) -> tuple[WorkflowRun, ...]:
    params = {"created": f"{format_time(since)}..{format_time(until)}", "status": status}
    if branch:
        params["branch"] = branch
    runs = []
    listed = api.pages(
        f"{repo_path(repo)}/actions/runs",
        params,
        what=f"{said} workflow runs of {repo}",
        key="workflow_runs",
    )
    for page in islice(listed, pages):  # leaving early requests no further page
        for item in page:
            runs.append(
                WorkflowRun(
                    name=str(item.get("name") or item.get("display_title") or "workflow"),
                    sha=str(item["head_sha"]),
                    at=parse_time(item.get("updated_at")) or _must(item["created_at"]),
                    conclusion=str(item.get("conclusion") or status),
                    url=str(item.get("html_url") or ""),
                )
            )
    return tuple(sorted(runs, key=lambda r: (r.at, r.sha)))


# ---------------------------------------------------------------- commits through the API


def read_api_commits(
    api: Api, repo: str, since: datetime, until: datetime, ref: str | None = None, label: str = ""
) -> tuple[Change, ...]:
    """Commits reachable from `ref` (the default branch) committed in [since, until]."""
    params = {"since": format_time(since), "until": format_time(until)}
    if ref:
        params["sha"] = ref
    what = f"commits of {repo}" + (f" on {ref[:12]}" if ref else "")
    changes = []
    for page in api.pages(f"{repo_path(repo)}/commits", params, what=what):
        changes += [_change(item, label) for item in page]
    return tuple(sorted(changes, key=lambda c: (-c.committed_at.timestamp(), c.sha)))


def _change(item: Mapping[str, Any], label: str) -> Change:
    commit = item.get("commit") or {}
    message = str(commit.get("message") or "")
    subject, _, body = message.partition("\n")
    author = commit.get("author") or {}
    committer = commit.get("committer") or {}
    authored = _must(author.get("date") or committer.get("date"))
    return Change(
        sha=str(item["sha"]),
        subject=subject.strip(),
        body=body.strip("\n"),
        author=str(author.get("name") or ""),
        authored_at=authored,
        committed_at=parse_time(committer.get("date")) or authored,
        parents=tuple(str(p["sha"]) for p in item.get("parents") or ()),
        pr=parse_pr(subject, body),
        reverts=parse_reverts(message),
        repo=label,
    )


def read_commit_files(api: Api, repo: str, sha: str) -> tuple[FileChange, ...]:
    """Files one commit touched (one optional request)."""
    data = api.get(f"{repo_path(repo)}/commits/{sha}", what=f"files of commits of {repo}")
    return tuple(
        FileChange(
            str(f["filename"]),
            int(f.get("additions") or 0),
            int(f.get("deletions") or 0),
            f.get("previous_filename"),
        )
        for f in (data or {}).get("files") or ()
    )


def top_candidates(
    changes: Sequence[Change],
    deploys: Sequence[Deploy],
    window: Window,
    limit: int = MAX_COMMIT_FILES,
) -> list[Change]:
    """The changes likeliest to matter, before any files are known: deployed ones and
    reverts first, then by closeness of landing to the incident start (merges last)."""
    deployed = {d.sha for d in deploys}

    def rank(change: Change) -> tuple[bool, bool, float]:
        late = change.committed_at > window.end
        return (
            change.sha not in deployed and not change.reverts,
            change.is_merge or late,
            abs((window.start - change.committed_at).total_seconds()),
        )

    return sorted(changes, key=rank)[:limit]
