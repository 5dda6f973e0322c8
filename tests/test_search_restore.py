"""The search index restored into a fresh checkout (the Action's cache step) costs only the
files that changed: git's blob ids vouch for the others, which are not even opened."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmops.history.search import SearchIndex, cache_path
from tests.corpus import Corpus, write_corpus
from tests.gitrepo import git_env

DOCS = 30
IDENTITY = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}
_opened: list[str] | None = None


def _record_opens(event: str, args: tuple[object, ...]) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], str):
        _opened.append(args[0])


sys.addaudithook(_record_opens)  # audit hooks cannot be removed: it records only when asked


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """The files Python opens while the test body runs."""
    global _opened
    _opened = []
    try:
        yield _opened
    finally:
        _opened = None


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=git_env(IDENTITY), check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, Corpus]:
    """A repository of DOCS committed postmortems."""
    path = tmp_path / "origin"
    corpus = write_corpus(path, DOCS)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "postmortems")
    return path, corpus


def fresh_checkout(origin: Path, target: Path, saved: Path | None) -> Path:
    """A new clone at `target` (every file with a new modification time), with the index
    file `saved` put back where pmops keeps it, as actions/cache restores it."""
    if target.exists():
        shutil.rmtree(target)
    git(origin.parent, "clone", "-q", str(origin), str(target))
    if saved is not None:
        cache_path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(saved, cache_path(target))
    return target


@pytest.fixture
def saved(origin: tuple[Path, Corpus], tmp_path: Path) -> Path:
    """The index built in a checkout of `origin` at tmp_path/work, saved as the workflow's
    cache step saves it."""
    checkout = fresh_checkout(origin[0], tmp_path / "work", None)
    with SearchIndex(checkout, folder="postmortems") as index:
        assert index.update().added == DOCS
    return Path(shutil.copy(cache_path(checkout), tmp_path / "saved.sqlite3"))


def test_restored_index_opens_no_unchanged_file(
    origin: tuple[Path, Corpus], saved: Path, tmp_path: Path, opened: list[str]
) -> None:
    checkout = fresh_checkout(origin[0], tmp_path / "work", saved)
    opened.clear()
    with SearchIndex(checkout, folder="postmortems") as index:
        report = index.update()
        assert (report.added, report.changed, report.removed) == (0, 0, 0)
        assert report.unchanged == DOCS and len(index) == DOCS
    assert [p for p in opened if p.endswith(".md")] == []


def test_restored_index_reads_what_changed_since(
    origin: tuple[Path, Corpus], saved: Path, tmp_path: Path, opened: list[str]
) -> None:
    repo, corpus = origin
    committed, edited, removed = (repo / d.path for d in corpus.docs[:3])
    committed.write_text(committed.read_text().replace("title: ", "title: Renamed ", 1))
    removed.unlink()
    git(repo, "commit", "-q", "-am", "edit one, remove one")
    checkout = fresh_checkout(repo, tmp_path / "work", saved)
    # an uncommitted edit: git's index still has the indexed blob, the file does not
    local = checkout / corpus.docs[1].path
    local.write_text(local.read_text().replace("title: ", "title: Local ", 1))
    opened.clear()
    with SearchIndex(checkout, folder="postmortems") as index:
        report = index.update()
        titles = {r.path: r.title for r in index.records()}
    assert (report.changed, report.removed, report.unchanged) == (2, 1, DOCS - 3)
    assert sorted(Path(p).name for p in opened if p.endswith(".md")) == sorted(
        [committed.name, edited.name]
    )
    assert titles[corpus.docs[0].path].startswith("Renamed ")
    assert titles[corpus.docs[1].path].startswith("Local ")
