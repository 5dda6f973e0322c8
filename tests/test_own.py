"""pmops's own items: its marker AND its account, never the marker alone."""

from __future__ import annotations

import pytest

from pmops.github.own import OwnAccount

MARKED = "pmops drafted a postmortem\n\n<!-- pmops:pr:5 -->"


@pytest.mark.parametrize(
    ("token_login", "author", "kind", "body", "own"),
    [
        (None, "github-actions[bot]", "Bot", MARKED, True),  # GITHUB_TOKEN
        (None, "github-actions[bot]", "Bot", "no marker", False),
        (None, "acme-pmops[bot]", "Bot", MARKED, True),  # an App token: GET /user refused
        (None, "mallory", "User", MARKED, False),  # a person typing the marker
        ("ops-bot", "ops-bot", "User", MARKED, True),  # a personal access token
        ("ops-bot", "OPS-BOT", "User", MARKED, True),  # logins compare case-insensitively
        ("ops-bot", "mallory", "User", MARKED, False),
        ("ops-bot", "other-app[bot]", "Bot", MARKED, False),  # the login is known: only it
        ("ops-bot", "", "User", MARKED, False),  # a deleted account (ghost)
    ],
)
def test_wrote(token_login: str | None, author: str, kind: str, body: str, own: bool) -> None:
    assert OwnAccount(lambda: token_login).wrote(author, kind, body) is own


def test_the_login_is_asked_once_and_only_when_needed() -> None:
    asked: list[int] = []

    def whoami() -> str:
        asked.append(1)
        return "ops-bot"

    account = OwnAccount(whoami)
    assert not account.wrote("mallory", "User", "no marker")
    assert account.wrote("github-actions[bot]", "Bot", MARKED)
    assert asked == []
    assert account.wrote("ops-bot", "User", MARKED) and not account.wrote("x", "User", MARKED)
    assert asked == [1]
