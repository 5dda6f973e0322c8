"""Monthly quota of new postmortems (DESIGN §5), counted from repository history only.

An incident counts once, in the month (UTC) of its first `generate`. Sources, deduplicated
by incident:

- commits carrying `Pmops-Event: generate` reachable from the given refs (default branch,
  `pmops/*` branches, PR heads) — their `Pmops-Generated-At` trailer names the first
  generation, so a later generate for an old incident does not count again;
- postmortem files added to the default branch (their frontmatter `generated_at`), which
  survive squash merges that drop trailers.

In the Action (`now` given), a `pmops/*` branch with no PR older than `IN_FLIGHT` is debris of
a failed run and is not read; a younger one is a concurrent run and counts.

Both come from one `git log --since=<month start>` each: git stops walking at commits older
than the month, so the cost is O(commits since the month began), not O(history). The
decision itself (`decide`) is a pure function.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pmops.errors import InputError
from pmops.lifecycle.trailers import EVENT, GENERATED_AT, INCIDENT, from_values
from pmops.sources.gitcmd import git_bytes
from pmops.times import format_time, parse_time

_US = "\x1f"
_RS = "\x1e"
_FRONTMATTER_KEY = re.compile(
    r"^(id|generated_at)[ \t]*:[ \t]*['\"]?([^'\"#\n]*?)['\"]?[ \t]*$", re.MULTILINE
)


@dataclass(frozen=True)
class Generation:
    """Evidence that `incident` was generated, first at `first_at` (as far as it knows)."""

    incident: str
    first_at: datetime
    source: str
    """`commit <sha>` or `file <path>`: where this record was read, for `pmops quota`."""


@dataclass(frozen=True)
class QuotaUse:
    """How much of one month's quota is used, and by which incidents."""

    month: str
    plan: str
    limit: int
    incidents: tuple[str, ...]
    resets_at: datetime
    commits_read: int = 0

    @property
    def used(self) -> int:
        """Incidents counted this month."""
        return len(self.incidents)

    @property
    def remaining(self) -> int:
        """New postmortems still allowed this month."""
        return max(0, self.limit - self.used)

    def allows(self, incident: int | str) -> bool:
        """True when `incident` may be generated: already counted, or room is left."""
        return str(incident) in self.incidents or self.used < self.limit

    def allows_alongside(self, incident: int | str) -> bool:
        """True when room is left for `incident` beside every other incident counted.

        Used after a new branch is pushed: two runs racing for the last slot each see their
        own branch, so each one counts the others only; when both see each other both step
        back (never two over the limit).
        """
        return len(set(self.incidents) - {str(incident)}) < self.limit

    def as_json(self) -> dict[str, object]:
        """The `pmops quota --json` object."""
        return {
            "month": self.month,
            "plan": self.plan,
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "incidents": list(self.incidents),
            "resets_at": format_time(self.resets_at),
        }


# ---------------------------------------------------------------- pure part


def month_start(moment: datetime) -> datetime:
    """Midnight UTC on the first day of `moment`'s month."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    """The first moment of the month after `start`'s."""
    if start.month == 12:
        return datetime(start.year + 1, 1, 1, tzinfo=UTC)
    return datetime(start.year, start.month + 1, 1, tzinfo=UTC)


def parse_month(text: str) -> datetime:
    """`YYYY-MM` to the month's first moment (UTC); InputError otherwise."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError(f"month {text!r} is not YYYY-MM (e.g. 2026-03)")
    return datetime(int(match.group(1)), int(match.group(2)), 1, tzinfo=UTC)


def first_generations(records: Iterable[Generation]) -> dict[str, datetime]:
    """Each incident's earliest known generation time."""
    first: dict[str, datetime] = {}
    for record in records:
        known = first.get(record.incident)
        if known is None or record.first_at < known:
            first[record.incident] = record.first_at
    return first


def counted_in(first: Mapping[str, datetime], start: datetime) -> tuple[str, ...]:
    """Incidents whose first generation falls in the month beginning at `start`, sorted."""
    end = next_month(start)
    found = [incident for incident, at in first.items() if start <= at < end]
    return tuple(sorted(found, key=lambda i: (len(i), i)))


def decide(
    records: Iterable[Generation], start: datetime, plan: str, limit: int, commits_read: int = 0
) -> QuotaUse:
    """The month's QuotaUse from generation records (pure)."""
    return QuotaUse(
        month=f"{start:%Y-%m}",
        plan=plan,
        limit=limit,
        incidents=counted_in(first_generations(records), start),
        resets_at=next_month(start),
        commits_read=commits_read,
    )


# ---------------------------------------------------------------- reading git


def _git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    return git_bytes(repo, *args, input=input)


def existing_refs(repo: Path, patterns: Sequence[str]) -> list[str]:
    """Full ref names matching `for-each-ref` patterns (e.g. `refs/heads/pmops/`)."""
    out = _git(repo, "for-each-ref", "--format=%(refname)", *patterns)
    return [line for line in out.decode("utf-8", "replace").splitlines() if line]


def read_generate_commits(
    repo: Path, refs: Sequence[str], since: datetime
) -> tuple[list[Generation], int]:
    """Generate commits since `since` reachable from `refs`; also how many commits were read."""
    if not refs:
        return [], 0
    fmt = _US.join(
        [
            "%H",
            "%cI",
            f"%(trailers:key={INCIDENT},valueonly,separator=%x2C)",
            f"%(trailers:key={EVENT},valueonly,separator=%x2C)",
            f"%(trailers:key={GENERATED_AT},valueonly,separator=%x2C)",
        ]
    )
    out = _git(repo, "log", f"--since={format_time(since)}", f"--format={fmt}{_RS}", *refs, "--")
    records = []
    commits = 0
    for chunk in out.decode("utf-8", "replace").split(_RS):
        fields = chunk.strip("\n").split(_US)
        if len(fields) != 5:
            continue
        commits += 1
        sha, committed, incident, event, generated = fields
        events = {e.strip() for e in event.split(",")}
        if "generate" not in events:
            continue
        trailers = from_values(incident.split(",")[-1], "generate", None, generated.split(",")[0])
        if trailers.incident is None:
            continue
        at = trailers.generated_at or parse_time(committed)
        records.append(Generation(trailers.incident, at, f"commit {sha}"))
    return records, commits


def read_added_postmortems(
    repo: Path, ref: str, since: datetime, folder: str
) -> tuple[list[Generation], int]:
    """`generated_at` of postmortems added to `ref` since `since` (squash merges included)."""
    marker = "@@pmops@@"
    out = _git(
        repo,
        "log",
        f"--since={format_time(since)}",
        "--diff-filter=A",
        "--name-only",
        f"--format={marker}%H",
        ref,
        "--",
        f"{folder.strip('/')}/",
    )
    wanted: list[tuple[str, str]] = []
    commits = 0
    sha = ""
    for line in out.decode("utf-8", "replace").splitlines():
        if line.startswith(marker):
            sha = line[len(marker) :]
            commits += 1
        elif line.endswith(".md") and "/.drafts/" not in f"/{line}":
            wanted.append((sha, line))
    if not wanted:
        return [], commits
    batch = _git(
        repo, "cat-file", "--batch", input="".join(f"{s}:{p}\n" for s, p in wanted).encode()
    )
    records = []
    for (_, path), text in zip(wanted, _split_batch(batch), strict=True):
        record = _record_from_file(text, path)
        if record is not None:
            records.append(record)
    return records, commits


def _split_batch(data: bytes) -> list[str]:
    """Object contents from `git cat-file --batch` output, in request order ("" if missing)."""
    result = []
    pos = 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        pos = end + 1
        if len(header) == 3:
            size = int(header[2])
            result.append(data[pos : pos + size].decode("utf-8", "replace"))
            pos += size + 1
        else:
            result.append("")
    return result


def _record_from_file(text: str, path: str) -> Generation | None:
    """id and generated_at from a postmortem's frontmatter (a regex: no full YAML parse)."""
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    values = dict(_FRONTMATTER_KEY.findall(text[: end if end > 0 else len(text)]))
    try:
        at = parse_time(values.get("generated_at", ""))
    except InputError:
        return None
    incident = values.get("id", "").strip()
    return Generation(incident, at, f"file {path}") if incident else None


QUOTA_REF_PATTERNS = (
    "refs/heads/pmops/",
    "refs/remotes/origin/pmops/",
    "refs/pull/",
    "refs/remotes/origin/pr/",
)
"""Where pmops branches and PR heads live: in a bare repository, a clone, or an Action's
checkout after `gitops.fetch_quota_refs`."""


IN_FLIGHT = timedelta(hours=1)
"""A run opens its PR seconds after pushing its branch; a `pmops/*` branch with no PR whose
tip is older than this is debris of a failed run (older pmops versions left such branches
after a failed PR creation) and is not counted. A younger one is a concurrent run in flight
and is counted, so two runs cannot both take the last slot."""

_PMOPS_BRANCH_REFS = ("refs/heads/pmops/", "refs/remotes/origin/pmops/")
_PR_HEAD_REFS = ("refs/pull/", "refs/remotes/origin/pr/")


def live_refs(repo: Path, now: datetime | None) -> list[str]:
    """The quota refs, less `pmops/*` branches that are debris (no PR, older than IN_FLIGHT
    at `now`); with `now` None every branch counts (PR heads may not have been fetched)."""
    out = _git(
        repo,
        "for-each-ref",
        "--format=%(refname)%09%(objectname)%09%(committerdate:unix)",
        *QUOTA_REF_PATTERNS,
    )
    rows = [line.split("\t") for line in out.decode("utf-8", "replace").splitlines() if line]
    rows = [r for r in rows if len(r) == 3]
    pr_heads = {sha for name, sha, _ in rows if name.startswith(_PR_HEAD_REFS)}
    oldest = now.timestamp() - IN_FLIGHT.total_seconds() if now is not None else float("-inf")
    live = []
    for name, sha, when in rows:
        if name.startswith("refs/pull/") and not name.endswith("/head"):
            continue
        dangling = name.startswith(_PMOPS_BRANCH_REFS) and sha not in pr_heads
        if dangling and int(when or 0) < oldest:
            continue
        live.append(name)
    return live


def count_quota(
    repo: Path,
    default_ref: str,
    month: datetime,
    plan: str,
    limit: int,
    folder: str,
    *,
    now: datetime | None = None,
) -> QuotaUse:
    """The quota use of the month beginning at `month`, read from `repo`'s history.

    Given `now` (the Action, which fetched every PR head first), `pmops/*` branches with no
    PR older than IN_FLIGHT are left out: they are debris of a failed run, not drafts.
    """
    start = month_start(month)
    refs = [default_ref, *live_refs(repo, now)]
    commits, read = read_generate_commits(repo, refs, start)
    files, read_files = read_added_postmortems(repo, default_ref, start, folder)
    return decide([*commits, *files], start, plan, limit, read + read_files)
