"""Shared fixtures."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture(autouse=True)
def _git_identity(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never read the developer's git config: a fixed identity, no global config."""
    home = tmp_path_factory.getbasetemp() / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")

from tests.github_fake.fixtures import fake_github  # noqa: E402,F401
from tests.gitrepo import git_repo  # noqa: E402,F401
