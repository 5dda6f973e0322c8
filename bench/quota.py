"""Quota counted from git history: seconds for one count as the history grows.

Builds repositories with `git fast-import` at a constant pace (2,000 commits and 200
postmortems a month, a postmortem every 10th commit, half of them squash-merged without
trailers), plus one pmops branch and one PR head per repository, then times
`pmops.lifecycle.quota.count_quota` for the last full month (about 2,000 commits, more
recent ones on top). The count walks only the commits since the month began, so the time
should stay flat while the history grows. `--quick` stops at 20,000 commits.

`pr_heads` rows: the Action's fetch of what quota counts from a repository with 10,000 PR
heads from before the month (`--quick`: 2,000), one clone each: every `refs/pull/*/head`
(how pmops fetched before) against the heads of this month's pmops PRs only
(`fetch_quota_refs` with github/pulls.py's list), then one count.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.table import print_table

PER_MONTH = 2_000
POSTMORTEM_EVERY = 10
START = datetime(2020, 1, 1, tzinfo=UTC)


def _stream(commits: int) -> tuple[bytes, datetime]:
    step = timedelta(days=30) / PER_MONTH
    out: list[bytes] = []
    when = START
    for i in range(1, commits + 1):
        when = START + step * i
        stamp = f"{int(when.timestamp())} +0000"
        files: list[tuple[str, str]] = [(f"src/f{i % 500}.txt", f"{i}\n")]
        message = f"Change {i}\n"
        if i % POSTMORTEM_EVERY == 0:
            incident = i // POSTMORTEM_EVERY
            day = when.strftime("%Y-%m-%d")
            body = (
                f"---\nid: {incident}\ntitle: Incident {incident}\nstatus: published\n"
                f"generated_at: {when:%Y-%m-%dT%H:%M:%SZ}\n---\n# Incident {incident}\n"
            )
            files.append((f"postmortems/{when:%Y}/{day}-{incident}-incident.md", body))
            if incident % 2:
                message = (
                    f"Draft postmortem for #{incident}\n\nPmops-Incident: {incident}\n"
                    f"Pmops-Event: generate\nPmops-Generated-At: "
                    f"{when:%Y-%m-%dT%H:%M:%SZ}\n"
                )
            else:
                message = f"Postmortem #{incident} (#{i}) squash-merged\n"
        data = message.encode()
        out.append(b"commit refs/heads/main\n")
        out.append(f"mark :{i}\ncommitter Bench <b@x> {stamp}\n".encode())
        out.append(f"data {len(data)}\n".encode() + data)
        if i > 1:
            out.append(f"from :{i - 1}\n".encode())
        for path, text in files:
            blob = text.encode()
            out.append(f"M 100644 inline {path}\ndata {len(blob)}\n".encode() + blob + b"\n")
    return b"".join(out), when


def build(path: Path, commits: int) -> datetime:
    """A repository of `commits` commits; returns the last commit's time."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    stream, last = _stream(commits)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=stream, check=True)
    head = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "main"], check=True, capture_output=True, text=True
    ).stdout.strip()
    for ref in ("refs/heads/pmops/incident-999999", "refs/pull/1/head"):
        subprocess.run(["git", "-C", str(path), "update-ref", ref, head], check=True)
    return last


def add_old_pull_heads(path: Path, pulls: int) -> None:
    """`pulls` PRs from before the month: each head a commit of its own on an old parent."""
    old = subprocess.run(
        ["git", "-C", str(path), "rev-list", "--max-count=1", "main~1000"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    out = []
    for n in range(2, pulls + 2):
        data = f"Old change {n}\n".encode()
        out.append(
            f"commit refs/pull/{n}/head\ncommitter Bench <b@x> 1580000000 +0000\n"
            f"data {len(data)}\n".encode()
            + data
            + f"from {old}\n".encode()
            + f"M 100644 inline old/{n}.txt\ndata 2\n{n % 10}\n\n".encode()
        )
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(out), check=True
    )


def measure_fetch(origin: Path, work: Path, month: datetime, all_heads: bool) -> dict[str, Any]:
    """Clone `origin`, fetch what quota counts (every PR head, or this month's pmops PR,
    #1), count once; seconds of each step."""
    from pmops.gitops import Workspace
    from pmops.lifecycle.quota import count_quota

    ws = Workspace.clone(str(origin), work)
    started = time.perf_counter()
    if all_heads:
        ws.fetch(
            "+refs/heads/main:refs/remotes/origin/main",
            "+refs/heads/pmops/*:refs/remotes/origin/pmops/*",
            "+refs/pull/*/head:refs/remotes/origin/pr/*",
        )
    else:
        ws.fetch_quota_refs("main", [1])
    fetched = time.perf_counter() - started
    started = time.perf_counter()
    count_quota(work, "refs/remotes/origin/main", month, "pro", 10_000, "postmortems")
    counted = time.perf_counter() - started
    return {
        "fetch": "every PR head" if all_heads else "this month's pmops PRs",
        "fetch_s": round(fetched, 3),
        "count_s": round(counted, 4),
    }


def run_pull_heads(tmp: Path, pulls: int) -> list[dict[str, Any]]:
    """The `pr_heads` rows (see the module docstring)."""
    from pmops.lifecycle.quota import month_start

    origin = tmp / "pulls.git"
    last = build(origin, 10_000)
    add_old_pull_heads(origin, pulls)
    month = month_start(last)
    rows = []
    for all_heads in (True, False):
        row = measure_fetch(origin, tmp / f"clone-{all_heads}", month, all_heads)
        rows.append({"pr_heads": pulls, **row})
    return rows


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Build each history size, count the last month three times, keep the best time."""
    from pmops.lifecycle.quota import count_quota, month_start

    sizes = [2_000, 20_000] if quick else [10_000, 30_000, 100_000]
    rows = []
    with tempfile.TemporaryDirectory(prefix="pmops-bench-quota-") as tmp:
        for commits in sizes:
            repo = Path(tmp) / f"r{commits}.git"
            started = time.perf_counter()
            last = build(repo, commits)
            month = month_start(last) - timedelta(days=1)  # the last full month
            built = time.perf_counter() - started
            best = float("inf")
            use = None
            for _ in range(3):
                started = time.perf_counter()
                use = count_quota(repo, "main", month, "pro", 10_000, "postmortems")
                best = min(best, time.perf_counter() - started)
            assert use is not None
            rows.append(
                {
                    "history_commits": commits,
                    "postmortems": commits // POSTMORTEM_EVERY,
                    "month_commits": use.commits_read,
                    "counted": use.used,
                    "seconds": round(best, 4),
                    "build_s": round(built, 1),
                }
            )
        heads = run_pull_heads(Path(tmp), 2_000 if quick else 10_000)
    print_table("quota: one count of the last full month", rows)
    print_table("quota: the Action's fetch, with old PR heads", heads)
    return {
        "rows": [{k: r[k] for k in ("history_commits", "postmortems", "seconds")} for r in rows],
        "pr_heads": heads,
    }
