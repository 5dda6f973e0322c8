"""CODEOWNERS as GitHub reads it: first location found, last matching rule, gitignore-style."""

from __future__ import annotations

import pytest

from pmops.lifecycle.codeowners import LOCATIONS, compile_pattern, parse_codeowners, read_codeowners

TEXT = """\
# comment
*                   @org/everyone
*.md                @docs-team  # trailing comment
/postmortems/       @org/sre @alice
postmortems/2026/   @bob
docs/**/guide.md    @carol
!ignored.md         @nobody
\\#literal.txt       @hash
/build/logs/        @ops
apps/*              @apps
unowned.txt
"""


@pytest.mark.parametrize(("path", "owners"), [
    ("src/main.py", ("@org/everyone",)),
    ("README.md", ("@docs-team",)),
    ("postmortems/2025/2025-01-01-1-x.md", ("@org/sre", "@alice")),
    ("postmortems/2026/2026-03-20-42-x.md", ("@bob",)),  # the last matching rule wins
    ("x/postmortems/2026/a.md", ("@docs-team",)),  # a middle slash anchors the pattern
    ("x/postmortems/a.md", ("@docs-team",)),  # anchored /postmortems/ does not
    ("x/guide.md", ("@docs-team",)),  # *.md: no slash, so any depth
    ("docs/guide.md", ("@carol",)),
    ("docs/a/b/guide.md", ("@carol",)),
    ("#literal.txt", ("@hash",)),
    ("build/logs/today/x.log", ("@ops",)),
    ("apps/web", ("@apps",)),
    ("apps/web/deep/file.py", ("@org/everyone",)),  # * does not cross a directory
    ("unowned.txt", ()),  # a rule without owners: nobody owns it
])
def test_last_matching_rule_wins(path: str, owners: tuple[str, ...]) -> None:
    assert parse_codeowners(TEXT).owners_of(path) == owners


def test_users_and_teams() -> None:
    owners = parse_codeowners(TEXT)
    path = "postmortems/2025/x.md"
    assert owners.user_owners_of(path) == ("alice",)
    assert owners.team_owners_of(path) == ("org/sre",)
    assert parse_codeowners("docs/ @a\n").owners_of("src/x.py") is None


def test_negation_is_not_supported_and_skipped() -> None:
    assert parse_codeowners(TEXT).owners_of("ignored.md") == ("@docs-team",)


def test_first_location_found_wins() -> None:
    files = {"CODEOWNERS": "* @root\n", "docs/CODEOWNERS": "* @docs\n"}
    found = read_codeowners(files.get)
    assert found.location == "CODEOWNERS" and found.owners_of("a") == ("@root",)
    files[".github/CODEOWNERS"] = "* @github\n"
    assert read_codeowners(files.get).location == ".github/CODEOWNERS"
    assert LOCATIONS == (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
    assert read_codeowners(lambda _: None).owners_of("a") is None


def test_patterns() -> None:
    assert compile_pattern("*.py").match("a/b/c.py")
    assert compile_pattern("/a/*.py").match("a/x.py")
    assert not compile_pattern("/a/*.py").match("a/b/x.py")
    assert compile_pattern("a/**").match("a/b/c")
    assert compile_pattern("**/logs").match("x/y/logs/z")
    assert not compile_pattern("logs/").match("logs")  # a directory pattern needs contents
