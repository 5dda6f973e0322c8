"""Load the vendored webhook payloads, rewritten to match a test's (fake) state.

The JSON files under ``tests/fixtures/webhooks/`` are verbatim copies from
``@octokit/webhooks-examples``; everything a test needs to differ (owner,
repository, numbers, labels, users, head ref/SHA, merged state, URLs) is
changed here, on a copy.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WEBHOOKS = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"
NAMES = ("issues.labeled", "issue_comment.created", "pull_request.synchronize",
         "pull_request.closed", "pull_request_review.submitted")


def _replace(node: Any, old: str, new: str) -> Any:
    """Replace a substring in every string of a JSON tree."""
    if isinstance(node, dict):
        return {k: _replace(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace(v, old, new) for v in node]
    if isinstance(node, str):
        return node.replace(old, new)
    return node


def _label(name: str, repo_api: str, ident: int) -> dict[str, Any]:
    return {"id": ident, "node_id": f"LA_{ident}", "url": f"{repo_api}/labels/{name}",
            "name": name, "color": "ededed", "default": False, "description": None}


def load_payload(name: str, **overrides: Any) -> dict[str, Any]:
    """A webhook payload by ``event.action`` name, with overrides applied.

    Overrides (all optional):

    - ``owner``, ``repo``: repository owner login and name (all URLs follow).
    - ``api_url``, ``html_url``: replace ``https://api.github.com`` / ``https://github.com``
      (e.g. ``fake.api_url``, ``fake.url``).
    - ``number``: the issue/PR number (URLs follow).
    - ``labels``: label names on the issue/PR; ``label``: the label of ``labeled``.
    - ``sender``: the acting login; ``user``: the author of the comment/review/issue/PR.
    - ``body``: comment, review or issue body; ``title``: issue/PR title.
    - ``head_ref``, ``head_sha``, ``base_ref``, ``before``: PR ends (``after`` = head SHA).
    - ``review_state``: ``approved`` / ``changes_requested`` / ``commented``.
    - ``on_pull_request=True`` (issue_comment): the issue is a PR.
    - ``merged=True`` (pull_request.closed): merged, with ``merge_commit_sha``/``merged_by``.
    """
    if name not in NAMES:
        raise KeyError(f"unknown payload {name!r}; known: {', '.join(NAMES)}")
    data: dict[str, Any] = json.loads((WEBHOOKS / f"{name}.json").read_text())
    ov = dict(overrides)
    old_owner = data["repository"]["owner"]["login"]
    old_repo = data["repository"]["name"]
    owner, repo = ov.pop("owner", old_owner), ov.pop("repo", old_repo)
    if (owner, repo) != (old_owner, old_repo):
        data = _replace(data, f"/{old_owner}/{old_repo}", f"/{owner}/{repo}")
        data = _replace(data, f"{old_owner}/{old_repo}", f"{owner}/{repo}")
        data["repository"]["name"] = repo
        data["repository"]["owner"]["login"] = owner
    item_key = "pull_request" if "pull_request" in data else "issue"
    item = data[item_key]
    if "number" in ov:
        number = int(ov.pop("number"))
        old = item["number"]
        for key in ("url", "html_url", "issue_url", "comments_url", "events_url", "labels_url",
                    "commits_url", "review_comments_url", "diff_url", "patch_url"):
            if isinstance(item.get(key), str):
                item[key] = item[key].replace(f"/{old}", f"/{number}")
        item["number"] = number
        if "number" in data:
            data["number"] = number
        for sub in ("comment", "review"):
            if sub in data:
                data[sub] = _replace(data[sub], f"/issues/{old}", f"/issues/{number}")
                data[sub] = _replace(data[sub], f"/pulls/{old}", f"/pulls/{number}")
                data[sub] = _replace(data[sub], f"/pull/{old}", f"/pull/{number}")
    api = ov.pop("api_url", None)
    html = ov.pop("html_url", None)
    if api:
        data = _replace(data, "https://api.github.com", api.rstrip("/"))
    if html:
        data = _replace(data, "https://github.com", html.rstrip("/"))
    item = data[item_key]
    repo_api = data["repository"]["url"]
    if "labels" in ov:
        item["labels"] = [_label(n, repo_api, 9000 + i) for i, n in enumerate(ov.pop("labels"))]
    if "label" in ov:
        data["label"] = _label(ov.pop("label"), repo_api, 8999)
    if "sender" in ov:
        data["sender"]["login"] = ov.pop("sender")
    if "user" in ov:
        login = ov.pop("user")
        target = data.get("comment") or data.get("review") or item
        target["user"]["login"] = login
    if "body" in ov:
        (data.get("comment") or data.get("review") or item)["body"] = ov.pop("body")
    if "title" in ov:
        item["title"] = ov.pop("title")
    if "review_state" in ov:
        data["review"]["state"] = ov.pop("review_state")
    for end in ("head", "base"):
        if f"{end}_ref" in ov:
            ref = ov.pop(f"{end}_ref")
            item[end]["ref"] = ref
            item[end]["label"] = f"{owner}:{ref}"
    if "head_sha" in ov:
        sha = ov.pop("head_sha")
        item["head"]["sha"] = sha
        if "after" in data:
            data["after"] = sha
        if "review" in data:
            data["review"]["commit_id"] = sha
    if "before" in ov:
        data["before"] = ov.pop("before")
    if ov.pop("on_pull_request", False):
        base = item["url"].replace("/issues/", "/pulls/")
        page = item["html_url"].replace("/issues/", "/pull/")
        item["pull_request"] = {"url": base, "html_url": page, "diff_url": f"{page}.diff",
                                "patch_url": f"{page}.patch", "merged_at": None}
        item["html_url"] = page
    if ov.pop("merged", False):
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        item.update(merged=True, state="closed", merged_at=item.get("closed_at") or now,
                    closed_at=item.get("closed_at") or now,
                    merge_commit_sha=ov.pop("merge_commit_sha", item.get("merge_commit_sha")),
                    merged_by=copy.deepcopy(data["sender"]))
    if ov:
        raise TypeError(f"unknown overrides: {', '.join(sorted(ov))}")
    return data


def load_workflow_payload(name: str, *, owner: str | None = None, repo: str | None = None,
                          api_url: str | None = None, html_url: str | None = None,
                          inputs: dict[str, Any] | None = None, sender: str | None = None,
                          workflow: str = ".github/workflows/pmops-remind.yml",
                          cron: str = "17 8 * * 1-5") -> dict[str, Any]:
    """A `workflow_dispatch` or `schedule` event as the runner writes it to GITHUB_EVENT_PATH.

    `workflow_dispatch` is the vendored example (owner, repo, URLs, inputs, sender and
    workflow rewritten). `schedule` is no webhook, so `@octokit/webhooks-examples` has none:
    GitHub's runner gives a scheduled run only the cron line and the workflow path, with no
    repository or sender, which is what is built here (a handler must not need more).
    """
    if name == "schedule":
        return {"schedule": cron, "workflow": workflow}
    if name != "workflow_dispatch":
        raise KeyError(f"unknown workflow payload {name!r}; known: schedule, workflow_dispatch")
    data: dict[str, Any] = json.loads((WEBHOOKS / "workflow_dispatch.json").read_text())
    old_owner, old_repo = data["repository"]["owner"]["login"], data["repository"]["name"]
    owner, repo = owner or old_owner, repo or old_repo
    data = _replace(data, f"{old_owner}/{old_repo}", f"{owner}/{repo}")
    data["repository"]["name"], data["repository"]["owner"]["login"] = repo, owner
    if api_url:
        data = _replace(data, "https://api.github.com", api_url.rstrip("/"))
    if html_url:
        data = _replace(data, "https://github.com", html_url.rstrip("/"))
    data["inputs"] = dict(inputs or {})
    data["workflow"] = workflow
    if sender:
        data["sender"]["login"] = sender
    return data
