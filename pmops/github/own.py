"""What pmops itself wrote: its comments, pull requests and issues, told apart from people's.

pmops's own items are never evidence of an incident (a postmortem PR that mentions the
incident is not part of it) and are the only comments it edits or counts as its replies.
An item is pmops's when it carries pmops's hidden marker AND its author is the account pmops
acts as. The marker alone proves nothing (anyone can type it), so a person's comment with
the marker stays evidence. The account is:

- `github-actions[bot]` (the `GITHUB_TOKEN`);
- the token's own login, read once from `GET /user` and only when an item needs it (a
  personal access token);
- any `[bot]` account when `GET /user` is refused, as it is for a GitHub App's token: the App's
  login cannot be read with its own token, and only an admin can install an App.
"""

from __future__ import annotations

from collections.abc import Callable

from pmops.github.rest import SOURCE_ERRORS, Api

MARKER = "<!-- pmops:"
"""The start of every hidden marker pmops writes (`events.api.marker`)."""

ACTIONS_BOT = "github-actions[bot]"
"""The author of everything made with the workflow's `GITHUB_TOKEN`."""

_UNKNOWN = object()


def is_bot(login: str, kind: str) -> bool:
    """True for a GitHub App or Actions account."""
    return kind == "Bot" or login.endswith("[bot]")


class OwnAccount:
    """The account pmops acts as; `whoami` (GET /user) is asked at most once, lazily."""

    def __init__(self, whoami: Callable[[], str | None]) -> None:
        self._whoami = whoami
        self._login: object = _UNKNOWN

    def login(self) -> str | None:
        """The token's login, or None when the token may not read it (an App or Actions)."""
        if self._login is _UNKNOWN:
            self._login = self._whoami()
        return self._login if isinstance(self._login, str) else None

    def wrote(self, login: str, kind: str, body: str) -> bool:
        """True when an item by `login` (`kind`: User or Bot) with `body` is pmops's own."""
        if MARKER not in (body or "") or not login:
            return False
        if login.lower() == ACTIONS_BOT:
            return True
        own = self.login()
        if own is None:
            return is_bot(login, kind)
        return own.lower() == login.lower()


def whoami(api: Api) -> str | None:
    """The token's login (`GET /user`), or None when the token may not read it."""
    try:
        return str(api.get("/user").get("login") or "") or None
    except SOURCE_ERRORS:  # 403 for an App's or Actions' token: pmops then knows bots only
        return None
