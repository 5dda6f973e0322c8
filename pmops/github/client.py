"""Connect to the GitHub REST API (github.com or GitHub Enterprise Server) through PyGithub."""

from __future__ import annotations

from github import Auth, Github, GithubRetry

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
"""GitHub's maximum page size: fewer requests for every list."""


def connect(token: str, base_url: str | None = None, *, retry: bool = True) -> Github:
    """A PyGithub client; `base_url` is e.g. https://ghe.example.com/api/v3 for GHES."""
    return Github(
        base_url=(base_url or DEFAULT_API_URL).rstrip("/"),
        auth=Auth.Token(token),
        per_page=PER_PAGE,
        retry=GithubRetry() if retry else None,
    )
