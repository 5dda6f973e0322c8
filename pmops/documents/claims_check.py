"""Re-verify what humans added to a postmortem: every commit SHA and PR/issue number in the
body that the AI draft (`postmortems/.drafts/<same name>`) did not already hold must resolve
in the repository, offline: SHAs against git's objects, numbers against the history's merge
subjects ("Merge pull request #N", "Title (#N)"), closing keywords ("Fixes #N"), and the
file's own frontmatter (id, suspects' PRs, action items' issues). Where a token is at hand
(the Action's `pmops/check`, `pmops check --github`), a number the history cannot vouch for
is looked up on GitHub through a `NumberLookup` (`pmops.github.numbers`): found, it passes;
missing, the message says so; not answered (a refused token, an outage), the message says it
could not be checked, and the claim stays flagged.

Claims of the AI draft were verified against the evidence when it was generated (and carry a
visible marker when they were not). A reviewer accepts a claim that cannot resolve (a PR in
another repository, an issue tracker pmops does not read) deliberately by listing it, as
written, in the frontmatter's `accepted_claims`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pmops.documents.fences import code_lines
from pmops.errors import SourceError
from pmops.sources.gitcmd import git_bytes, git_lines, resolve_many
from pmops.verify import UNVERIFIED

_SHA = re.compile(r"(?<![0-9A-Za-z/#])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}(?![0-9A-Za-z])")
_HEX_WORDS = frozenset({"defaced", "effaced", "acceded", "deedeed", "faceted"})
"""English words spelled with a-f only: not SHAs (one like `deadbee` is)."""
_REF = re.compile(r"(?<![\w/&])(?:PR\s*#|#)(\d{1,7})\b", re.IGNORECASE)
_HISTORY_REF = re.compile(
    r"^Merge pull request #(\d+)|\(#(\d+)\)\s*$|"
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)",
    re.IGNORECASE | re.MULTILINE,
)
_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Lookup:
    """GitHub's answer about one PR or issue number: `found` True or False, or None when it
    could not be asked or did not answer (`detail` says why: "HTTP 403: ...")."""

    found: bool | None
    detail: str = ""


NumberLookup = Callable[[int], Lookup]
"""Looks a PR or issue number up in the repository on GitHub (pmops.github.numbers)."""


@dataclass
class RepoFacts:
    """What the repository vouches for, read lazily once per `pmops check` run; `lookup`
    asks GitHub about the numbers the history does not name (None: offline)."""

    repo: Path
    lookup: NumberLookup | None = None
    _refs: set[int] | None = None
    _is_repo: bool | None = None
    _shas: dict[str, str | None] = field(default_factory=dict)

    @property
    def is_repository(self) -> bool:
        """The folder is a git repository (else there is nothing to verify against)."""
        if self._is_repo is None:
            try:
                git_bytes(self.repo, "rev-parse", "--git-dir")
                self._is_repo = True
            except SourceError:
                self._is_repo = False
        return self._is_repo

    def sha_exists(self, sha: str) -> bool:
        """A commit with this SHA (prefix) is in the repository's objects."""
        if sha not in self._shas:
            try:
                self._shas[sha] = resolve_many(self.repo, [sha]).get(sha.lower())
            except SourceError:
                self._shas[sha] = None
        return self._shas[sha] is not None

    def refs(self) -> set[int]:
        """PR and issue numbers the history names (merges, squash subjects, closing words)."""
        if self._refs is None:
            found: set[int] = set()
            try:
                for line in git_lines(self.repo, "log", "--all", "--format=%s%n%b"):
                    text = line.decode("utf-8", "replace")
                    for match in _HISTORY_REF.finditer(text):
                        found.add(int(next(g for g in match.groups() if g)))
            except SourceError:
                pass  # not a git repository: only the frontmatter vouches
            self._refs = found
        return self._refs

    def ref_problem(self, token: str, number: int) -> str | None:
        """Why `token` (PR #N, #N) does not resolve, or None when the history or GitHub
        vouches for it."""
        if number in self.refs():
            return None
        keep = f'fix it, or add "{token}" to accepted_claims to keep it deliberately'
        if self.lookup is None:
            return f"{token} is not a pull request or issue this repository's history names; {keep}"
        answer = self.lookup(number)
        if answer.found:
            return None
        if answer.found is False:
            return (
                f"{token} is not a pull request or issue of this repository on GitHub "
                f"({answer.detail or 'not found'}); {keep}"
            )
        return (
            f"{token} could not be checked on GitHub ({answer.detail or 'no answer'}) and "
            f"this repository's history does not name it; {keep}"
        )


def drafts_copy(name: str) -> str:
    """`postmortems/.drafts/YYYY/file.md` for `postmortems/YYYY/file.md`."""
    path = PurePosixPath(name)
    return str(path.parent.parent / ".drafts" / path.parent.name / path.name)


def check_claims(
    text: str, meta: Mapping[str, Any], body_line: int, ai_draft: str | None, facts: RepoFacts
) -> list[tuple[int, str]]:
    """(line, message) for each SHA or reference humans added that does not resolve (none
    outside a git repository: there is nothing to resolve them against)."""
    if not facts.is_repository:
        return []
    accepted = {str(a).strip().lower() for a in meta.get("accepted_claims") or ()}
    known_refs = _frontmatter_refs(meta)
    drafted = set(_tokens(ai_draft)) if ai_draft is not None else set()
    drafted_shas = {value for kind, value in drafted if kind == "sha"}
    problems = []
    for line, kind, token, value in _claims(text, body_line):
        if token.lower() in accepted or (kind, value) in drafted:
            continue
        if kind == "sha" and any(d.startswith(value) or value.startswith(d) for d in drafted_shas):
            continue
        if kind == "sha" and not facts.sha_exists(value):
            problems.append(
                (
                    line,
                    f"commit {token} is not in this repository; fix it, or add "
                    f'"{token}" to accepted_claims to keep it deliberately',
                )
            )
        elif kind == "ref" and int(value) not in known_refs:
            problem = facts.ref_problem(token, int(value))
            if problem:
                problems.append((line, problem))
    return problems


def _frontmatter_refs(meta: Mapping[str, Any]) -> set[int]:
    refs = {meta["id"]} if isinstance(meta.get("id"), int) else set()
    refs |= {s["pr"] for s in meta.get("suspects") or () if isinstance(s.get("pr"), int)}
    items = meta.get("action_items") or ()
    refs |= {a["issue"] for a in items if isinstance(a.get("issue"), int)}
    return refs


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    for _, kind, _, value in _claims(text, 1):
        yield kind, value


def _claims(text: str, first_line: int) -> Iterator[tuple[int, str, str, str]]:
    """(line, kind, token as written, normalized value) in the body, outside code fences
    and links, skipping claims already marked unverified."""
    body = text.split("\n")
    for offset, (raw, code) in enumerate(code_lines(body[max(first_line - 1, 0) :])):
        if code:
            continue
        line = _URL.sub(" ", raw)
        number = first_line + offset
        for match in _SHA.finditer(line):
            if match.group(0) not in _HEX_WORDS and not _marked(line, match.end()):
                yield number, "sha", match.group(0), match.group(0).lower()
        for match in _REF.finditer(line):
            if not _marked(line, match.end()):
                yield number, "ref", match.group(0), match.group(1)


def _marked(line: str, end: int) -> bool:
    return line[end:].lstrip(" `").startswith(UNVERIFIED)
