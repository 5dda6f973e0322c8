"""The PR-level gate behind the `pmops/check` commit status (DESIGN §4).

For every postmortem a PR adds, changes, deletes or moves: the file rules of `pmops check`
(schema, sections, status fields), frozen fields against the base, and — for a postmortem
the PR publishes — a stamp GitHub's records back. A stamp is valid when an approval GitHub
counts covers the content: the approving review's commit differs from the head only in the
stamp fields (`status`, `published_by`, `published_at`) of that one file, and

- the approver is `published_by` and a code owner of the file (a listed user, a member of
  a listed team whose membership pmops could read, or an admin where no rule matches); or
- a team owns the file, GitHub enforces code-owner review on the base branch (its active
  rules say so) and reports the pull request APPROVED, and every approval GitHub counts
  covers the content — so whichever approver is in the team approved what is published.

Commit messages, trailers and frontmatter are text any writer can type: none of them counts.
A published postmortem on the base may be edited (frozen fields kept), never deleted or moved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pmops.documents.check import (
    Problem,
    check_duplicate_ids,
    check_frozen,
    check_grounding,
    check_text,
)
from pmops.documents.claims_check import NumberLookup, RepoFacts, drafts_copy
from pmops.documents.document import Document, parse_document, plain
from pmops.documents.sections import layout_at
from pmops.errors import PmopsError
from pmops.gitops import Workspace
from pmops.lifecycle.approvals import (
    Ownership,
    Review,
    ReviewFacts,
    approvals_of,
    counted_approvals,
    github_confirms_owner,
    ownership,
    same_login,
    stamp_time_problem,
)
from pmops.lifecycle.codeowners import CodeOwners, read_codeowners
from pmops.lifecycle.status import STAMP_FIELDS
from pmops.model import Status

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
        parts = PurePosixPath(path[len(prefix) :]).parts
        if ".drafts" in parts or parts[-1].lower() in ("readme.md", "index.md"):
            continue
        result.append(path)
    return result


def codeowners_at(ws: Workspace, ref: str) -> CodeOwners:
    """CODEOWNERS as GitHub reads it from `ref` (the PR's base branch)."""
    return read_codeowners(lambda location: ws.read(ref, location))


def status_of(text: str | None, path: str) -> str | None:
    """The frontmatter's `status` (a body line `status: published` is not a status)."""
    if text is None:
        return None
    try:
        return str(plain(parse_document(text, path).meta).get("status") or "") or None
    except PmopsError:
        return None


def unstamped(ws: Workspace, commit: str, path: str) -> str | None:
    """The file at `commit` without its stamp fields, as comparable text (None if absent)."""
    text = ws.read(commit, path)
    if text is None:
        return None
    try:
        doc = parse_document(text, path)
    except PmopsError:
        return None
    meta = {k: v for k, v in plain(doc.meta).items() if k not in STAMP_FIELDS}
    sections = [(s.heading, s.text) for s in doc.sections]
    return json.dumps([meta, doc.preamble, sections], sort_keys=True, default=str)


def covers(ws: Workspace, commit: str, head: str, path: str, content: str | None) -> bool:
    """Whether an approval of `commit` covers `head`: the same content but for the stamp
    fields of `path`, and no other file changed between them. An approver who saw a stamp
    approved that stamp: then the stamp fields must be unchanged too."""
    if content is None or unstamped(ws, commit, path) != content:
        return False
    try:
        changed = ws.text("diff", "--name-only", "--no-renames", commit, head).split("\n")
    except PmopsError:  # the reviewed commit is gone (force-pushed away)
        return False
    if not all(name in ("", path) for name in changed):
        return False
    seen = stamp_of(ws.read(commit, path), path)
    return seen.get("status") != Status.PUBLISHED.value or seen == stamp_of(
        ws.read(head, path), path
    )


def stamp_of(text: str | None, path: str) -> dict[str, object]:
    """The stamp fields of a file's frontmatter ({} when it does not parse)."""
    try:
        meta = plain(parse_document(text or "", path).meta)
    except PmopsError:
        return {}
    return {key: meta.get(key) for key in STAMP_FIELDS}


Facts = Callable[[], ReviewFacts]
"""GitHub's records of the PR's approvals, read only when a stamp must be verified."""


def gate(
    ws: Workspace,
    base_ref: str,
    head: str,
    folder: str,
    facts: Facts = ReviewFacts,
    numbers: NumberLookup | None = None,
) -> GateReport:
    """Evaluate the PR whose head is `head` against the base branch `base_ref`; `numbers`
    looks up on GitHub the PR and issue numbers humans added that the history does not name."""
    base = ws.merge_base(base_ref, head) or base_ref
    changed = postmortem_files(ws.changed_files(base, head, folder), folder)
    removed = removed_published(ws, base, base_ref, head, folder)
    if not changed and not removed:
        return GateReport(SUCCESS, "no postmortem changed in this pull request")
    owners = codeowners_at(ws, base_ref)
    problems: list[Problem] = []
    docs: dict[str, Document] = {}
    verdicts = [
        FileVerdict(
            path,
            FAILURE,
            "deleting or moving a published postmortem is a "
            "change to it: refused (edit it in place instead)",
        )
        for path in removed
    ]
    layout = layout_at(lambda name: ws.read(base_ref, name))  # the base branch's sections
    repo_facts = RepoFacts(ws.path, numbers)
    for path in changed:
        text = ws.read(head, path) or ""
        found, doc = check_text(text, path, layout)
        problems += found
        if doc is None:
            verdicts.append(FileVerdict(path, FAILURE, "does not parse"))
            continue
        problems += check_grounding(text, doc, path, repo_facts, ws.read(head, drafts_copy(path)))
        docs[path] = doc
        verdicts.append(_verdict(ws, base_ref, head, path, plain(doc.meta), owners, facts))
    problems += check_duplicate_ids(docs)
    problems += check_frozen(ws.path, base_ref, docs)
    problems = sorted(set(problems))
    if removed:
        more = (
            f" (+{len(verdicts) + len(problems) - 1} more)"
            if len(verdicts) + len(problems) > 1
            else ""
        )
        return GateReport(
            FAILURE,
            f"{PurePosixPath(removed[0]).name}: {verdicts[0].reason}{more}",
            tuple(verdicts),
            tuple(problems),
        )
    if problems:
        first = problems[0]
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return GateReport(FAILURE, f"{first}{more}", tuple(verdicts), tuple(problems))
    waiting = [v for v in verdicts if v.state != SUCCESS]
    if waiting:
        worst = FAILURE if any(v.state == FAILURE for v in waiting) else PENDING
        v = waiting[0]
        return GateReport(worst, f"{PurePosixPath(v.path).name}: {v.reason}", tuple(verdicts))
    return GateReport(
        SUCCESS, f"{len(verdicts)} postmortem(s) checked and stamped", tuple(verdicts)
    )


def removed_published(ws: Workspace, base: str, base_ref: str, head: str, folder: str) -> list[str]:
    """Published postmortems of the base that the PR deletes (or moves: a move deletes)."""
    gone = ws.text(
        "diff",
        "--name-only",
        "--no-renames",
        "--diff-filter=D",
        base,
        head,
        "--",
        f"{folder.strip('/')}/",
    ).split("\n")
    return [
        path
        for path in postmortem_files([g for g in gone if g], folder)
        if status_of(ws.read(base_ref, path), path) == Status.PUBLISHED.value
    ]


def _verdict(
    ws: Workspace,
    base_ref: str,
    head: str,
    path: str,
    meta: dict[str, object],
    owners: CodeOwners,
    facts: Facts,
) -> FileVerdict:
    if status_of(ws.read(base_ref, path), path) == Status.PUBLISHED.value:
        return FileVerdict(path, SUCCESS, "edits a published postmortem (frozen fields kept)")
    if meta.get("status") != Status.PUBLISHED.value:
        return FileVerdict(
            path, PENDING, f"status {meta.get('status')}: waiting for a code owner's approval"
        )
    return stamp_verdict(ws, head, path, str(meta.get("published_by") or ""), owners, facts())


def stamp_verdict(
    ws: Workspace, head: str, path: str, by: str, owners: CodeOwners, facts: ReviewFacts
) -> FileVerdict:
    """Whether GitHub's records back the stamp `published_by: by` at `head`."""
    content = unstamped(ws, head, path)
    approvals = counted_approvals(facts)
    covering = [r for r in approvals if covers(ws, r.commit_id, head, path, content)]
    mine = [r for r in covering if same_login(r.login, by)]
    if mine and (wrong := _time_problem(ws, head, path, by, mine, facts)):
        return FileVerdict(path, FAILURE, f"{wrong}: pmops writes the stamp's time")
    if mine:
        answer = ownership(owners, path, mine[0].login, facts)
        if answer.ownership is Ownership.OWNER:
            return FileVerdict(
                path,
                SUCCESS,
                f"stamped for {by}, who approved {mine[0].commit_id[:7]} as a code owner",
            )
        if (
            answer.ownership is Ownership.TEAM_UNKNOWN
            and github_confirms_owner(facts)
            and len(covering) == len(approvals)
        ):
            return FileVerdict(
                path,
                SUCCESS,
                f"stamped for {by}; GitHub reports the required "
                "code-owner review approved, and every approval covers it",
            )
        if answer.ownership is Ownership.TEAM_UNKNOWN:
            return FileVerdict(path, PENDING, team_reason(facts, len(covering), len(approvals)))
        return FileVerdict(path, FAILURE, f"published_by {by} is not {answer.who}")
    if dismissed_by_stamp(ws, head, path, by, content, facts):
        return FileVerdict(
            path,
            PENDING,
            f"{by} approves once more (the stamp dismissed the "
            "approval: stale approvals are dismissed on push)",
        )
    if approvals_of(facts, by):
        return FileVerdict(
            path,
            PENDING,
            f"changed after {by} approved it; a code owner must approve the latest commit",
        )
    return FileVerdict(
        path,
        FAILURE,
        f"status published, but no approval by {by or 'anyone'} "
        "covers it: only a code owner's approval publishes (pmops stamps it)",
    )


def _time_problem(
    ws: Workspace, head: str, path: str, by: str, mine: list[Review], facts: ReviewFacts
) -> str | None:
    """Why the head's `published_at` is not the stamp's time; None when `by` approved a
    commit carrying that very time (the owner approved the time itself)."""
    stamped_at = stamp_of(ws.read(head, path), path).get("published_at")
    if any(
        stamp_of(ws.read(r.commit_id, path), path).get("published_at") == stamped_at for r in mine
    ):
        return None
    return stamp_time_problem(stamped_at, by, facts)


def dismissed_by_stamp(
    ws: Workspace, head: str, path: str, by: str, content: str | None, facts: ReviewFacts
) -> bool:
    """Whether `by`'s latest opinion is an approval GitHub dismissed that covered the content
    (what "dismiss stale approvals" does to the approval that caused the stamp)."""
    latest = [
        r
        for r in facts.reviews
        if same_login(r.login, by) and r.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")
    ]
    return (
        bool(latest)
        and latest[-1].state == "DISMISSED"
        and covers(ws, latest[-1].commit_id, head, path, content)
    )


def team_reason(facts: ReviewFacts, covering: int, approvals: int) -> str:
    """Why a team owner's approval does not publish yet, and what to do."""
    if not facts.rules.require_code_owner_review:
        return (
            "a team owns it and GITHUB_TOKEN cannot read team membership: an admin must "
            "enable the ruleset `pmops init` wrote (code-owner review required)"
        )
    if facts.decision != "APPROVED":
        return (
            f"GitHub reports review {str(facts.decision or 'unknown').lower()}: a member "
            "of the owning team must approve"
        )
    return f"{approvals - covering} approval(s) are of an older commit: approve the latest commit"
