"""CODEOWNERS as GitHub reads it: the first of three locations that exists, the last matching
rule wins, gitignore-style patterns (no `!` negation, no `[...]` ranges in CODEOWNERS).

Pure: parsing works on text; `read_codeowners` takes a function that reads a file at the
base branch, so callers decide whether that is `git show` or the contents API.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
"""Where GitHub looks for CODEOWNERS, in order; the first file found is the only one used."""

RULESET_PATH = ".github/rulesets/pmops-publish.json"
"""The ruleset `pmops init` writes: what makes an approval of a team code owner publish."""


@dataclass(frozen=True)
class Rule:
    """One line: a pattern and its owners (`@user`, `@org/team`, or an e-mail address)."""

    pattern: str
    owners: tuple[str, ...]
    line: int

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The pattern compiled to a regular expression over repository-relative paths."""
        return compile_pattern(self.pattern)

    def matches(self, path: str) -> bool:
        """True when this rule covers `path` (a file, relative to the repository root)."""
        return bool(self.regex.match(path.lstrip("/")))


@dataclass(frozen=True)
class CodeOwners:
    """The parsed file and where it was found ("" when there is none)."""

    rules: tuple[Rule, ...] = ()
    location: str = ""

    def rule_for(self, path: str) -> Rule | None:
        """The last rule that matches `path`, or None."""
        found = None
        for rule in self.rules:
            if rule.matches(path):
                found = rule
        return found

    def owners_of(self, path: str) -> tuple[str, ...] | None:
        """Owners of `path` as written (e.g. `@alice`, `@org/team`); None when no rule matches.

        A matching rule with no owners returns `()`: GitHub reads it as "nobody owns this".
        """
        rule = self.rule_for(path)
        return None if rule is None else rule.owners

    def user_owners_of(self, path: str) -> tuple[str, ...] | None:
        """Logins (no `@`) of the individual users owning `path`; teams and e-mails left out."""
        owners = self.owners_of(path)
        if owners is None:
            return None
        return tuple(o[1:] for o in owners if o.startswith("@") and "/" not in o)

    def team_owners_of(self, path: str) -> tuple[str, ...]:
        """`org/team` slugs owning `path`."""
        return tuple(o[1:] for o in self.owners_of(path) or () if o.startswith("@") and "/" in o)


def _unescape_split(line: str) -> list[str]:
    r"""Split a line on whitespace, honouring `\ ` and `\#` escapes; stop at a comment."""
    tokens: list[str] = []
    current = ""
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line):
            current += line[i + 1]
            i += 2
            continue
        if char == "#":
            break
        if char.isspace():
            if current:
                tokens.append(current)
                current = ""
        else:
            current += char
        i += 1
    if current:
        tokens.append(current)
    return tokens


def parse_codeowners(text: str, location: str = "") -> CodeOwners:
    """Parse CODEOWNERS text; blank lines, comments and negations (`!`) are skipped."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        tokens = _unescape_split(raw)
        if not tokens or tokens[0].startswith("!"):
            continue
        rules.append(Rule(tokens[0], tuple(tokens[1:]), number))
    return CodeOwners(tuple(rules), location)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """gitignore-style: `/`-anchored when it has a `/` other than at its end; `*` stays within
    a directory, `**` crosses them; a match on a directory covers everything below it."""
    directory_only = pattern.endswith("/")
    anchored = "/" in pattern.rstrip("/")
    body = pattern.strip("/")
    out = ""
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif body.startswith("/**", i) and i + 3 == len(body):
            out += "/.*"
            i += 3
        elif body.startswith("**", i):
            out += ".*"
            i += 2
        elif body[i] == "*":
            out += "[^/]*"
            i += 1
        elif body[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(body[i])
            i += 1
    prefix = "^" if anchored else "^(?:.*/)?"
    suffix = "/.*$" if directory_only else "(?:/.*)?$"
    if body.endswith("/*") and not body.endswith("/**"):
        suffix = "$"  # GitHub: `docs/*` owns docs/a.md but not docs/sub/b.md
    if body == "*":
        return re.compile(r"^.*$")
    return re.compile(prefix + out + suffix)


def read_codeowners(read: Callable[[str], str | None]) -> CodeOwners:
    """Find and parse the first CODEOWNERS of LOCATIONS that `read(path)` returns text for."""
    for location in LOCATIONS:
        text = read(location)
        if text is not None:
            return parse_codeowners(text, location)
    return CodeOwners()
