"""The PR-level gate behind the `pmops/check` commit status (DESIGN §4).

For every postmortem a PR adds or changes: the file rules of `pmops check` (schema, sections,
status fields), frozen fields against the base, and — for a postmortem not yet published on
the base — "stamped by a code owner, with no unstamped change after it": its last commit in
the PR must be pmops's publish stamp, and `published_by` must own the file per the base's
CODEOWNERS (any admin may stamp where no rule matches; pmops checked that when stamping).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pmops.check import (
    Problem,
    check_duplicate_ids,
    check_frozen,
    check_grounding,
    check_text,
)
from pmops.claims_check import RepoFacts, drafts_copy
from pmops.codeowners import CodeOwners, read_codeowners
from pmops.document import Document, plain
from pmops.gitops import Workspace

SUCCESS, PENDING, FAILURE = "success", "pending", "failure"


@dataclass(frozen=True)
class FileVerdict:
    """The gate's answer for one postmortem file."""

    path: str
    state: str
    reason: str


@dataclass(frozen=True)
class GateReport:
    """The answer for a PR head: the commit status state, a one-line description, details."""

    state: str
    description: str
    files: tuple[FileVerdict, ...] = ()
    problems: tuple[Problem, ...] = field(default_factory=tuple)


def postmortem_files(paths: list[str], folder: str) -> list[str]:
    """Postmortems among changed paths: `.md` under `folder`, not `.drafts/`, not README."""
    prefix = folder.strip("/") + "/"
    result = []
    for path in paths:
        if not path.startswith(prefix) or not path.endswith(".md"):
            continue
        parts = PurePosixPath(path[len(prefix):]).parts
        if ".drafts" in parts or parts[-1].lower() in ("readme.md", "index.md"):
            continue
        result.append(path)
    return result


def codeowners_at(ws: Workspace, ref: str) -> CodeOwners:
    """CODEOWNERS as GitHub reads it from `ref` (the PR's base branch)."""
    return read_codeowners(lambda location: ws.read(ref, location))


def stamp_is_fresh(ws: Workspace, base: str, head: str, path: str) -> tuple[bool, str]:
    """Whether the last commit touching `path` in base..head is pmops's publish stamp."""
    commits = ws.commits(f"{base}..{head}", [path])
    if not commits:
        return False, "no commit in this PR changes it"
    last = commits[0]
    if last.trailers.event == "publish":
        return True, f"stamped in {last.sha[:7]}"
    return False, f"changed after its publish stamp by {last.sha[:7]} ({last.subject[:60]})"


def gate(ws: Workspace, base_ref: str, head: str, folder: str) -> GateReport:
    """Evaluate the PR whose head is `head` against the base branch `base_ref`."""
    base = ws.merge_base(base_ref, head) or base_ref
    changed = postmortem_files(ws.changed_files(base, head, folder), folder)
    if not changed:
        return GateReport(SUCCESS, "no postmortem changed in this pull request")
    owners = codeowners_at(ws, base_ref)
    problems: list[Problem] = []
    docs: dict[str, Document] = {}
    verdicts = []
    facts = RepoFacts(ws.path)
    for path in changed:
        text = ws.read(head, path) or ""
        found, doc = check_text(text, path)
        problems += found
        if doc is None:
            verdicts.append(FileVerdict(path, FAILURE, "does not parse"))
            continue
        problems += check_grounding(text, doc, path, facts, ws.read(head, drafts_copy(path)))
        docs[path] = doc
        verdicts.append(_verdict(ws, base, base_ref, head, path, plain(doc.meta), owners))
    problems += check_duplicate_ids(docs)
    problems += check_frozen(ws.path, base_ref, docs)
    problems = sorted(set(problems))
    if problems:
        first = problems[0]
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return GateReport(FAILURE, f"{first}{more}", tuple(verdicts), tuple(problems))
    waiting = [v for v in verdicts if v.state != SUCCESS]
    if waiting:
        worst = FAILURE if any(v.state == FAILURE for v in waiting) else PENDING
        v = waiting[0]
        return GateReport(worst, f"{PurePosixPath(v.path).name}: {v.reason}", tuple(verdicts))
    return GateReport(SUCCESS, f"{len(verdicts)} postmortem(s) checked and stamped",
                      tuple(verdicts))


def _verdict(ws: Workspace, base: str, base_ref: str, head: str, path: str,
             meta: dict[str, object], owners: CodeOwners) -> FileVerdict:
    before = ws.read(base_ref, path)
    if before is not None and "\nstatus: published" in before:
        return FileVerdict(path, SUCCESS, "edits a published postmortem (frozen fields kept)")
    if meta.get("status") != "published":
        return FileVerdict(path, PENDING,
                           f"status {meta.get('status')}: waiting for a code owner's approval")
    fresh, reason = stamp_is_fresh(ws, base, head, path)
    if not fresh:
        return FileVerdict(path, PENDING, f"{reason}; a code owner must approve again")
    users = owners.user_owners_of(path)
    by = str(meta.get("published_by") or "")
    if users and by not in users and not owners.team_owners_of(path):
        return FileVerdict(path, FAILURE,
                           f"published_by {by} is not a code owner ({', '.join(users)})")
    return FileVerdict(path, SUCCESS, reason)
