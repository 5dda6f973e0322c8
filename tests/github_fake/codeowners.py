"""CODEOWNERS lookup as GitHub does it: first file found wins, last matching rule wins."""

from __future__ import annotations

import re

from .gitrepo import BareRepo

#: Where GitHub looks, in order; the first that exists is used.
LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def read_rules(git: BareRepo, commit: str) -> list[tuple[str, list[str]]]:
    """(pattern, owners) rules of the CODEOWNERS file at ``commit``, in file order."""
    for loc in LOCATIONS:
        entry = git.entry(commit, loc)
        if entry and entry["type"] == "blob":
            text = git.read_blob(entry["sha"]).decode(errors="replace")
            rules = []
            for line in text.splitlines():
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                pattern, *owners = line.split()
                rules.append((pattern, [o.lstrip("@") for o in owners]))
            return rules
    return []


def _regex(pattern: str) -> re.Pattern[str]:
    """gitignore-style pattern → regex over repository-relative paths."""
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    pat = pattern.strip("/")
    out = ""
    i = 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pat.startswith("**", i):
            out += ".*"
            i += 2
        elif pat[i] == "*":
            out += "[^/]*"
            i += 1
        elif pat[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pat[i])
            i += 1
    prefix = "^" if anchored else "^(?:.*/)?"
    # A match on a directory covers everything below it.
    return re.compile(prefix + out + "(?:/.*)?$")


def owners_for(rules: list[tuple[str, list[str]]], path: str) -> list[str] | None:
    """Owners of ``path`` (the last matching rule wins), or None when no rule matches."""
    found: list[str] | None = None
    for pattern, owners in rules:
        if pattern == "*" or _regex(pattern).match(path):
            found = owners
    return found
