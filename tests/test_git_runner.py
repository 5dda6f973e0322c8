"""Every git command pmops runs goes through one hardened runner (pmops/sources/gitcmd.py):
the caller's GIT_DIR and friends cannot point it at another repository, whichever part of
pmops asks."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pmops.documents.check import default_branch
from pmops.gitops import Workspace
from pmops.sources.gitcmd import git_output, repo_root
from tests.gitrepo import GitRepo

AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
PACKAGE = Path(__file__).resolve().parents[1] / "pmops"
RUNNER = PACKAGE / "sources" / "gitcmd.py"


@pytest.fixture
def two_repos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[GitRepo, str]:
    """A repository on `main`, and GIT_DIR in the environment naming another one (on
    `master`, with a different HEAD): a caller's leftover that must not redirect pmops."""
    mine = GitRepo(tmp_path / "mine")
    head = mine.commit({"a.txt": "mine\n"}, "mine", AT)
    other = GitRepo(tmp_path / "other")
    other.commit({"b.txt": "other\n"}, "other", AT)
    other.git("branch", "-m", "master")
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    return mine, head


def test_check_reads_the_repository_it_is_given(two_repos: tuple[GitRepo, str]) -> None:
    mine, _ = two_repos
    assert default_branch(mine.path) == "main"


def test_workspace_reads_its_own_clone(two_repos: tuple[GitRepo, str]) -> None:
    mine, head = two_repos
    assert Workspace(mine.path).resolve("HEAD") == head


def test_runner_answers_questions_without_raising(
    two_repos: tuple[GitRepo, str], tmp_path: Path
) -> None:
    mine, head = two_repos
    assert git_output(mine.path, "rev-parse", "HEAD") == head
    assert repo_root(mine.path / ".git" / "..") == mine.path.resolve()
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    assert git_output(outside, "rev-parse", "--verify", "--quiet", "HEAD") is None


def _starts_processes(path: Path) -> list[str]:
    """`subprocess.*` calls and `os.system`/`os.exec*`/`os.spawn*` in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else ""
            attr = node.func.attr
            if name == "subprocess" or (
                name == "os" and attr.startswith(("system", "exec", "spawn", "popen"))
            ):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {name}.{attr}")
    return found


def test_only_the_runner_starts_processes() -> None:
    others = [p for p in sorted(PACKAGE.rglob("*.py")) if p != RUNNER]
    assert [hit for path in others for hit in _starts_processes(path)] == []
    assert _starts_processes(RUNNER)  # the scan does see the runner's own calls
