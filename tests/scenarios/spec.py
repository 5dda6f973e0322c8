"""Declarative types of the scenario suite: commits, file edits and scenarios."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Append:
    """Append text to a file (creating it when missing)."""

    text: str


@dataclass(frozen=True)
class Replace:
    """Replace the single occurrence of `old` in a file by `new`."""

    old: str
    new: str


FileEdit = str | Append | Replace | None
"""New full contents, an edit of the current contents, or None to delete the file."""


@dataclass(frozen=True)
class CommitSpec:
    """One commit. `at` is the committer time (ISO-8601 UTC); messages may hold `{{key}}` or
    `{{key:7}}`, replaced by the (shortened) SHA of an earlier commit."""

    key: str
    at: str
    message: str
    files: Mapping[str, FileEdit] = field(default_factory=dict)
    merge_of: str | None = None
    """Topic branch merged into main by this commit (`git merge --no-ff`)."""
    branch: str | None = None
    """Topic branch the commit is made on (forked from main's head); None for main."""
    reverts: str | None = None
    """Key of an earlier commit whose change this commit undoes (like `git revert`)."""
    author: str = "Ana Lima <ana.lima@example.com>"
    committer: str | None = None
    """Defaults to the author; "GitHub <noreply@github.com>" for web merges."""
    authored_at: str | None = None
    """Defaults to `at`; earlier for rebased or squashed work."""


@dataclass(frozen=True)
class Scenario:
    """An incident: a git history, the incident file (with `{{key}}` SHA references),
    the key of the culprit commit and the `.github/pmops.yml` the repo carries, if any."""

    name: str
    description: str
    commits: tuple[CommitSpec, ...]
    incident: Mapping[str, Any]
    culprit: str
    config: str | None = None
    hard: bool = False
    """An honest ranker may miss this one (little or misleading signal)."""
    themes: tuple[str, ...] = ()
