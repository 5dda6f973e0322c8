"""Keep people out of what a model reads: sign-off trailers, e-mail addresses and the names of
the people who wrote the changes (postmortems are blameless; a model that is shown names
tends to repeat them)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pmops.model import Change

_TRAILER = re.compile(
    r"^[ \t]*(?:signed-off-by|co-authored-by|reviewed-by|acked-by|tested-by|reported-by|"
    r"suggested-by|helped-by|approved-by|reviewed-on|cc)[ \t]*:.*$\n?",
    re.IGNORECASE | re.MULTILINE,
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ROLE_ADDRESSES = frozenset({"noreply", "no-reply", "admin", "root", "info", "support", "team"})
"""E-mail users that name a role, not a person: masking them would only hide words."""


def people(changes: Iterable[Change], texts: Iterable[str]) -> tuple[str, ...]:
    """Names to mask, longest first: the changes' authors as git records them, and the user
    part of every e-mail address in `texts` (pmops's own reasons may quote it as a word),
    each of 4 characters or more."""
    names = {c.author.strip() for c in changes}
    for text in texts:
        for match in _EMAIL.finditer(text):
            user = match.group(0).split("@")[0]
            names |= {user, user.rsplit("+", 1)[-1]}  # 123+alice@users.noreply.github.com
    names = {n for n in names if len(n) >= 4 and n.lower() not in _ROLE_ADDRESSES}
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


def blameless(text: str, names: Sequence[str] = ()) -> str:
    """`text` without sign-off trailers, e-mail addresses or the given names (any case)."""
    text = _TRAILER.sub("", text)
    text = _EMAIL.sub("[e-mail]", text)
    for name in names:
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "[author]", text, flags=re.IGNORECASE)
    return text
