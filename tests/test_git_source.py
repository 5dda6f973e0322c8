"""pmops.sources.git against real repositories built by tests/gitrepo.py.

The `git_repo` fixture comes from tests/gitrepo.py through tests/conftest.py.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import time
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from pmops.errors import SourceError
from pmops.model import FileChange
from pmops.sources.git import (
    DATE_SLACK,
    WORDS_PER_COMMIT,
    detect_inverse_reverts,
    ensure_history,
    parse_pr,
    read_changes,
    read_releases,
    resolve_sha,
)
from tests.gitrepo import GitRepo, build_linear_history, run_git, utc

T0 = utc(2026, 3, 20, 12, 0)
SINCE, UNTIL = T0, T0 + timedelta(hours=6)
WIDE = (utc(2000, 1, 1), utc(2100, 1, 1))


def h(hours: float) -> timedelta:
    return timedelta(hours=hours)


def by_subject(changes):
    return {c.subject: c for c in changes}


# ---------------------------------------------------------------- window and fields


def test_window_edges_are_inclusive(git_repo: GitRepo) -> None:
    git_repo.commit({"a": "1\n"}, "before", SINCE - timedelta(seconds=1))
    git_repo.commit({"a": "2\n"}, "at since", SINCE)
    git_repo.commit({"a": "3\n"}, "inside", SINCE + h(1))
    git_repo.commit({"a": "4\n"}, "at until", UNTIL)
    git_repo.commit({"a": "5\n"}, "after", UNTIL + timedelta(seconds=1))

    changes = read_changes(git_repo.path, SINCE, UNTIL)

    assert [c.subject for c in changes] == ["at until", "inside", "at since"]


def test_fields_of_a_commit(git_repo: GitRepo) -> None:
    parent = git_repo.commit({"svc/config.yaml": "max_connections: 10\n"}, "Init", T0 - h(30))
    sha = git_repo.commit(
        {"svc/config.yaml": "max_connections: 50\nretries: 3\n", "README": "hi\n"},
        "Raise max_connections\n\nThe pool ran dry under load.\nSecond line.\n",
        T0 + h(1),
        author="Alice Example <alice@example.com>",
        committed_at=T0 + h(2),
    )

    (change,) = read_changes(git_repo.path, SINCE, UNTIL, repo_name="acme/api")

    assert change.sha == sha and re.fullmatch(r"[0-9a-f]{40}", change.sha)
    assert change.subject == "Raise max_connections"
    assert change.body == "The pool ran dry under load.\nSecond line."
    assert change.author == "Alice Example"
    assert change.authored_at == T0 + h(1) and change.authored_at.tzinfo == UTC
    assert change.committed_at == T0 + h(2) and change.committed_at.tzinfo == UTC
    assert change.parents == (parent,)
    assert change.repo == "acme/api"
    assert change.files == (
        FileChange("README", 1, 0),
        FileChange("svc/config.yaml", 2, 1),
    )
    assert {"max_connections", "retries"} <= change.diff_words
    assert change.pr is None and change.reverts == ()


def test_newest_first_then_sha(git_repo: GitRepo) -> None:
    shas = [git_repo.commit({"f": f"{i}\n"}, f"same time {i}", T0 + h(1)) for i in range(4)]
    git_repo.commit({"f": "last\n"}, "newest", T0 + h(2))
    git_repo.commit({"f": "first\n"}, "committed earliest", T0 + h(3), committed_at=T0)

    changes = read_changes(git_repo.path, SINCE, UNTIL)

    assert changes[0].subject == "newest"
    assert [c.sha for c in changes[1:5]] == sorted(shas)
    assert changes[-1].subject == "committed earliest"


def test_author_date_or_committer_date_in_window(git_repo: GitRepo) -> None:
    git_repo.commit({"f": "0\n"}, "base", T0 - h(24 * 30))
    git_repo.commit({"f": "1\n"}, "rebased into window", T0 - h(24 * 20), committed_at=T0 + h(1))
    git_repo.commit(
        {"f": "2\n"}, "authored in, committed later", T0 + h(2), committed_at=UNTIL + h(24 * 3)
    )
    git_repo.commit(
        {"f": "3\n"},
        "authored in, committed too late",
        T0 + h(3),
        committed_at=UNTIL + DATE_SLACK + h(1),
    )
    git_repo.commit({"f": "4\n"}, "both after", UNTIL + h(24 * 9))

    subjects = {c.subject for c in read_changes(git_repo.path, SINCE, UNTIL)}

    assert subjects == {"rebased into window", "authored in, committed later"}


def test_author_date_in_window_committer_date_days_before(git_repo: GitRepo) -> None:
    git_repo.commit({"f": "0\n"}, "old", T0 - h(24 * 40))
    git_repo.commit({"f": "1\n"}, "skewed", T0 + h(1), committed_at=T0 - h(24 * 6))
    git_repo.commit({"f": "2\n"}, "far skewed", T0 + h(2), committed_at=T0 - DATE_SLACK - h(1))
    for day in range(5, 0, -1):  # newer history on top, all before the window
        git_repo.commit({"g": f"{day}\n"}, f"filler {day}", T0 - h(24 * day))

    subjects = {c.subject for c in read_changes(git_repo.path, SINCE, UNTIL)}

    assert subjects == {"skewed"}


def test_a_commit_with_a_skewed_old_date_does_not_hide_older_history(git_repo: GitRepo) -> None:
    git_repo.commit({"f": "1\n"}, "in window, behind the skew", T0 + h(1))
    git_repo.commit({"f": "2\n"}, "clock says 2001", utc(2001, 1, 1))
    git_repo.commit({"f": "3\n"}, "in window, on top", T0 + h(2))

    subjects = [c.subject for c in read_changes(git_repo.path, SINCE, UNTIL)]

    assert subjects == ["in window, on top", "in window, behind the skew"]


def test_only_commits_reachable_from_ref(git_repo: GitRepo) -> None:
    git_repo.commit({"f": "1\n"}, "on main", T0 + h(1))
    git_repo.branch("feature")
    git_repo.checkout("feature")
    git_repo.commit({"g": "1\n"}, "on feature", T0 + h(2))
    git_repo.checkout("main")

    assert [c.subject for c in read_changes(git_repo.path, SINCE, UNTIL)] == ["on main"]
    feature = read_changes(git_repo.path, SINCE, UNTIL, ref="feature")
    assert [c.subject for c in feature] == ["on feature", "on main"]


def test_empty_window_and_reversed_window(git_repo: GitRepo) -> None:
    git_repo.commit({"f": "1\n"}, "long ago", T0 - h(24 * 365))
    assert read_changes(git_repo.path, SINCE, UNTIL) == ()
    assert read_changes(git_repo.path, UNTIL, SINCE) == ()


# ---------------------------------------------------------------- merges, PRs, reverts


def test_merge_commit_with_pr_number_and_first_parent_files(git_repo: GitRepo) -> None:
    git_repo.commit({"main.txt": "m\n"}, "base", T0 - h(48))
    git_repo.branch("fix")
    git_repo.checkout("fix")
    git_repo.commit({"auth/token.py": "TOKEN_TTL = 30\n"}, "Shorten token ttl", T0 + h(1))
    git_repo.checkout("main")
    main_side = git_repo.commit({"main.txt": "m2\n"}, "Main moves on", T0 + h(2))
    merge = git_repo.merge("fix", "Merge pull request #118 from acme/fix\n\nShorten ttl", T0 + h(3))

    changes = by_subject(read_changes(git_repo.path, SINCE, UNTIL))

    m = changes["Merge pull request #118 from acme/fix"]
    assert m.sha == merge and m.is_merge and m.parents[0] == main_side
    assert m.pr == 118
    assert m.files == (FileChange("auth/token.py", 1, 0),)
    assert "token_ttl" in m.diff_words
    assert changes["Shorten token ttl"].pr is None


@pytest.mark.parametrize(
    ("subject", "body", "pr"),
    [
        ("Merge pull request #123 from acme/feature-x", "", 123),
        ("Add retry budget (#456)", "", 456),
        ('Revert "Add retry budget (#456)" (#460)', "", 460),
        ("Merge branch 'f' into 'main'", "Adds a thing\n\nSee merge request grp/sub/p!77", 77),
        ("Merged PR 31: Tune pool", "", 31),
        ("Merged in feature/x (pull request #12)", "", 12),
        ('Revert "Add retry budget (#456)"', "", None),
        ("Fix #12 and #13 in parser", "", None),
        ("Change-Id: I1234 style Gerrit commit", "Change-Id: I8a7b6c", None),
    ],
)
def test_parse_pr(subject: str, body: str, pr: int | None) -> None:
    assert parse_pr(subject, body) == pr


def test_squash_and_gitlab_numbers_from_the_repository(git_repo: GitRepo) -> None:
    git_repo.commit({"a": "1\n"}, "Add rate limiter (#42)", T0 + h(1))
    git_repo.commit(
        {"a": "2\n"}, "Merge branch 'x' into 'main'\n\nSee merge request ops/api!9\n", T0 + h(2)
    )

    changes = by_subject(read_changes(git_repo.path, SINCE, UNTIL))

    assert changes["Add rate limiter (#42)"].pr == 42
    assert changes["Merge branch 'x' into 'main'"].pr == 9


def test_revert_by_message_full_sha(git_repo: GitRepo) -> None:
    bad = git_repo.commit({"cfg.yaml": "pool: 10\n"}, "Shrink pool", T0 + h(1))
    revert = git_repo.revert(bad, T0 + h(2))

    changes = by_subject(read_changes(git_repo.path, SINCE, UNTIL))

    assert changes['Revert "Shrink pool"'].sha == revert
    assert changes['Revert "Shrink pool"'].reverts == (bad,)
    assert changes["Shrink pool"].reverts == ()


def test_revert_by_message_short_sha_is_resolved(git_repo: GitRepo) -> None:
    first = git_repo.commit({"a": "1\n"}, "One", T0 + h(1))
    second = git_repo.commit({"b": "1\n"}, "Two", T0 + h(2))
    message = (
        "Roll back One and Two\n\n"
        f"This reverts commit {first[:7]}.\nthis reverts commit {second[:12].upper()}.\n"
        "This reverts commit abcdef0123.\n"
    )
    git_repo.commit({"a": None, "b": None}, message, T0 + h(3))

    change = read_changes(git_repo.path, SINCE, UNTIL)[0]

    assert change.reverts == (first, second, "abcdef0123")


def test_revert_of_merge_names_only_the_reverted_merge(git_repo: GitRepo) -> None:
    git_repo.commit({"a": "1\n"}, "base", T0)
    git_repo.branch("f")
    git_repo.checkout("f")
    git_repo.commit({"b": "1\n"}, "feature", T0 + h(1))
    git_repo.checkout("main")
    merge = git_repo.merge("f", "Merge pull request #5 from x/f", T0 + h(2))
    git_repo.git(
        "revert",
        "--no-edit",
        "-m",
        "1",
        merge,
        env={"GIT_AUTHOR_DATE": "@1774018800 +0000", "GIT_COMMITTER_DATE": "@1774018800 +0000"},
    )

    change = read_changes(git_repo.path, SINCE, UNTIL)[0]

    assert change.subject.startswith("Revert")
    assert change.reverts == (merge,)


# ---------------------------------------------------------------- inverse-diff reverts


def test_inverse_diff_revert_without_message(git_repo: GitRepo) -> None:
    git_repo.commit({"cfg.yaml": "pool: 50\ntimeout: 30\n", "app.py": "x = 1\n"}, "base", T0)
    bad = git_repo.commit({"cfg.yaml": "pool: 5\ntimeout: 30\n"}, "Tune pool", T0 + h(1))
    git_repo.commit({"app.py": "x = 2\n"}, "Unrelated", T0 + h(2))
    fix = git_repo.commit({"cfg.yaml": "pool: 50\ntimeout: 30\n"}, "Hotfix pool", T0 + h(3))
    other = git_repo.commit({"cfg.yaml": "pool: 50\ntimeout: 31\n"}, "Not an inverse", T0 + h(4))

    changes = read_changes(git_repo.path, SINCE, UNTIL)

    assert detect_inverse_reverts(changes, git_repo.path) == {fix: bad}
    assert other not in detect_inverse_reverts(changes, git_repo.path)


def test_inverse_diff_revert_after_other_edits_to_the_file(git_repo: GitRepo) -> None:
    lines = [f"line {i}\n" for i in range(20)]
    git_repo.commit({"big.txt": "".join(lines)}, "base", T0)
    edited = lines.copy()
    edited[2] = "line 2 CHANGED\n"
    bad = git_repo.commit({"big.txt": "".join(edited)}, "Change line 2", T0 + h(1))
    edited[15] = "line 15 also\n"
    git_repo.commit({"big.txt": "".join(edited)}, "Change line 15", T0 + h(2))
    edited[2] = "line 2\n"
    fix = git_repo.commit({"big.txt": "".join(edited)}, "Put line 2 back", T0 + h(3))

    changes = read_changes(git_repo.path, SINCE, UNTIL)

    assert detect_inverse_reverts(changes, git_repo.path) == {fix: bad}


def test_inverse_of_added_files_and_renames_and_binaries(git_repo: GitRepo) -> None:
    git_repo.commit({"old/name.py": "print('x')\n", "logo.png": b"\x89PNG\x00\x01"}, "base", T0)
    added = git_repo.commit({"flags.json": '{"new_checkout": true}\n'}, "Add flags", T0 + h(1))
    removed = git_repo.commit({"flags.json": None}, "Drop flags", T0 + h(2))
    moved = git_repo.rename("old/name.py", "new/name.py", "Move", T0 + h(3))
    back = git_repo.rename("new/name.py", "old/name.py", "Move back", T0 + h(4))
    logo = git_repo.commit({"logo.png": b"\x89PNG\x00\x02"}, "New logo", T0 + h(5))
    logo_back = git_repo.commit({"logo.png": b"\x89PNG\x00\x01"}, "Old logo", T0 + h(5.5))

    changes = read_changes(git_repo.path, SINCE, UNTIL)

    assert detect_inverse_reverts(changes, git_repo.path) == {
        removed: added,
        back: moved,
        logo_back: logo,
    }


def test_declared_reverts_are_not_reported_again(git_repo: GitRepo) -> None:
    git_repo.commit({"a": "1\n"}, "base", T0)
    bad = git_repo.commit({"a": "2\n"}, "Bad", T0 + h(1))
    git_repo.revert(bad, T0 + h(2))
    reapply = git_repo.commit({"a": "2\n"}, "Reapply", T0 + h(3))

    changes = read_changes(git_repo.path, SINCE, UNTIL)
    revert = by_subject(changes)['Revert "Bad"'].sha

    assert detect_inverse_reverts(changes, git_repo.path) == {reapply: revert}
    assert detect_inverse_reverts((), git_repo.path) == {}


# ---------------------------------------------------------------- files and diff words


def test_renames_and_binary_files(git_repo: GitRepo) -> None:
    git_repo.commit({"src/old.py": "".join(f"v{i} = {i}\n" for i in range(30))}, "base", T0)
    git_repo.rename("src/old.py", "src/new.py", "Rename module", T0 + h(1))
    git_repo.commit({"assets/logo.bin": bytes(range(256))}, "Add binary", T0 + h(2))

    changes = by_subject(read_changes(git_repo.path, SINCE, UNTIL))

    assert changes["Rename module"].files == (FileChange("src/new.py", 0, 0, "src/old.py"),)
    assert changes["Add binary"].files == (FileChange("assets/logo.bin", 0, 0),)
    assert changes["Add binary"].diff_words == frozenset()


def test_diff_words_come_from_changed_lines_only(git_repo: GitRepo) -> None:
    context = "def unrelated_context_function():\n    return 1\n"
    git_repo.commit({"svc/pool.py": context + "MAX_CONNECTIONS = 10\n"}, "base", T0 - h(1))
    long_word = "x" * 41
    git_repo.commit(
        {
            "svc/pool.py": context + "MAX_CONNECTIONS = 100\nERR_TIMEOUT = 'TestFooBar'\n"
            f"ab = 1  # {long_word} arm64 self return\n"
        },
        "Tune the pool",
        T0 + h(1),
    )

    (change,) = read_changes(git_repo.path, SINCE, UNTIL)

    assert change.diff_words == {"max_connections", "err_timeout", "testfoobar", "arm64"}


def test_diff_words_are_capped_and_skipped_for_big_commits(git_repo: GitRepo) -> None:
    words = "\n".join(f"identifier_{i} = {i}" for i in range(WORDS_PER_COMMIT + 50))
    git_repo.commit({"many.py": words + "\n"}, "Many words", T0 + h(1))
    git_repo.commit({f"gen/f{i}.py": f"generated_{i} = 1\n" for i in range(51)}, "Wide", T0 + h(2))
    git_repo.commit({"huge.py": "big_value = 1\n" * 5001}, "Huge", T0 + h(3))

    changes = by_subject(read_changes(git_repo.path, SINCE, UNTIL))

    assert len(changes["Many words"].diff_words) == WORDS_PER_COMMIT
    assert changes["Wide"].diff_words == frozenset() and len(changes["Wide"].files) == 51
    assert changes["Huge"].diff_words == frozenset()
    assert changes["Huge"].files == (FileChange("huge.py", 5001, 0),)


# ---------------------------------------------------------------- tags


def test_tags_annotated_and_lightweight(git_repo: GitRepo) -> None:
    old = git_repo.commit({"a": "1\n"}, "old", T0 - h(24 * 10))
    git_repo.tag("v0.9", T0 + h(1), ref=old)  # annotated today on an old commit: in window
    git_repo.tag("v0.9-light", T0, annotated=False, ref=old)  # lightweight: commit date, out
    new = git_repo.commit({"a": "2\n"}, "new", T0 + h(2))
    git_repo.tag("v1.0-light", T0, annotated=False)
    git_repo.tag("v1.0", T0 + h(3))
    git_repo.tag("v2.0", UNTIL + h(1))
    git_repo.git(
        "tag",
        "-a",
        "-m",
        "tag of a tag",
        "v1.0-signed",
        "v1.0",
        env={"GIT_COMMITTER_DATE": "@1774008000 +0000"},
    )  # T0
    tree = git_repo.git("rev-parse", "HEAD^{tree}").strip()
    git_repo.git("tag", "tree-tag", tree)

    releases = read_releases(git_repo.path, SINCE, UNTIL, repo_name="acme/api")

    assert [(r.tag, r.sha, r.at) for r in releases] == [
        ("v1.0", new, T0 + h(3)),
        ("v1.0-light", new, T0 + h(2)),
        ("v0.9", old, T0 + h(1)),
        ("v1.0-signed", new, T0),
    ]
    assert {r.repo for r in releases} == {"acme/api"}


# ---------------------------------------------------------------- SHAs


def _colliding_commits(tree: str) -> tuple[bytes, bytes]:
    """Two commit objects whose SHAs share the first 7 hex digits (a birthday search)."""
    seen: dict[str, bytes] = {}
    i = 0
    while True:
        obj = (
            f"tree {tree}\nauthor A <a@example.com> 1774008000 +0000\n"
            f"committer A <a@example.com> 1774008000 +0000\n\nattempt {i}\n"
        ).encode()
        prefix = hashlib.sha1(b"commit %d\0" % len(obj) + obj).hexdigest()[:7]
        if prefix in seen:
            return seen[prefix], obj
        seen[prefix] = obj
        i += 1


def test_resolve_sha(git_repo: GitRepo) -> None:
    sha = git_repo.commit({"a": "1\n"}, "one", T0)
    tree = git_repo.git("rev-parse", "HEAD^{tree}").strip()
    first, second = _colliding_commits(tree)
    ambiguous = []
    for obj in (first, second):
        out = run_git(git_repo.path, "hash-object", "-t", "commit", "-w", "--stdin", input=obj)
        ambiguous.append(out.strip())

    assert resolve_sha(git_repo.path, sha) == sha
    assert resolve_sha(git_repo.path, sha[:7]) == sha
    assert resolve_sha(git_repo.path, sha[:10].upper()) == sha
    assert resolve_sha(git_repo.path, ambiguous[0][:7]) is None
    assert resolve_sha(git_repo.path, ambiguous[0][:12]) == ambiguous[0]
    assert resolve_sha(git_repo.path, "0" * 40) is None
    assert resolve_sha(git_repo.path, sha[:6]) is None
    assert resolve_sha(git_repo.path, "HEAD") is None
    assert resolve_sha(git_repo.path, "--output=x") is None


# ---------------------------------------------------------------- errors and empty repos


@pytest.mark.parametrize(
    "call",
    [
        lambda p: read_changes(p, SINCE, UNTIL),
        lambda p: read_releases(p, SINCE, UNTIL),
        lambda p: resolve_sha(p, "abcdef1"),
        lambda p: ensure_history(p, SINCE),
    ],
)
def test_not_a_repository(tmp_path: Path, call) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    for path in (plain, tmp_path / "missing"):
        with pytest.raises(SourceError, match=f"^{re.escape(str(path))} is not a git repository$"):
            call(path)


def test_empty_repository(git_repo: GitRepo) -> None:
    assert read_changes(git_repo.path, *WIDE) == ()
    assert read_releases(git_repo.path, *WIDE) == ()
    assert resolve_sha(git_repo.path, "abcdef1") is None
    ensure_history(git_repo.path, SINCE)


def test_unknown_or_option_like_ref(git_repo: GitRepo) -> None:
    git_repo.commit({"a": "1\n"}, "one", T0)
    with pytest.raises(SourceError, match="unknown ref 'nope'"):
        read_changes(git_repo.path, SINCE, UNTIL, ref="nope")
    with pytest.raises(SourceError, match="invalid ref"):
        read_changes(git_repo.path, SINCE, UNTIL, ref="--output=/tmp/x")


def test_git_missing(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(SourceError, match="git is not installed"):
        read_changes(git_repo.path, SINCE, UNTIL)


def test_git_environment_of_the_caller_is_ignored(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.commit({"a": "1\n"}, "mine", T0 + h(1))
    other = GitRepo(tmp_path / "other")
    other.commit({"b": "1\n"}, "theirs", T0 + h(1))
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    monkeypatch.setenv("LANG", "de_DE.UTF-8")

    assert [c.subject for c in read_changes(git_repo.path, SINCE, UNTIL)] == ["mine"]


# ---------------------------------------------------------------- shallow clones


def _shallow_clone(source: GitRepo, target: Path) -> Path:
    run_git(source.path.parent, "clone", "-q", "--depth", "1", f"file://{source.path}", str(target))
    return target


def test_shallow_clone_is_deepened(git_repo: GitRepo, tmp_path: Path) -> None:
    for day in range(10, -1, -1):
        git_repo.commit({"f": f"{day}\n"}, f"day -{day}", T0 - h(24 * day) + h(1))
    clone = _shallow_clone(git_repo, tmp_path / "clone")
    since = T0 - h(24 * 3)

    shallow_view = read_changes(clone, since, UNTIL)
    assert [c.subject for c in shallow_view] == ["day -0"]
    assert shallow_view[0].files == ()  # the boundary commit's parent is missing: no diff

    ensure_history(clone, since)

    assert run_git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    subjects = [c.subject for c in read_changes(clone, since, UNTIL)]
    assert subjects == ["day -0", "day -1", "day -2", "day -3"]
    assert all(c.files for c in read_changes(clone, since, UNTIL))
    depth = len(run_git(clone, "rev-list", "HEAD").split())
    ensure_history(clone, since)  # already deep enough: no fetch, no change
    assert len(run_git(clone, "rev-list", "HEAD").split()) == depth


def test_ensure_history_on_full_and_future_windows(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit({"f": "1\n"}, "one", T0 - h(48))
    git_repo.commit({"f": "2\n"}, "two", T0)
    ensure_history(git_repo.path, T0)  # not shallow: nothing to do
    clone = _shallow_clone(git_repo, tmp_path / "clone")
    ensure_history(clone, T0 + h(24 * 30))  # the clone already covers a future window
    assert len(run_git(clone, "rev-list", "HEAD").split()) == 1


def test_ensure_history_failure_is_a_clear_error(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.commit({"f": "1\n"}, "one", T0 - h(48))
    git_repo.commit({"f": "2\n"}, "two", T0)
    clone = _shallow_clone(git_repo, tmp_path / "clone")
    run_git(clone, "remote", "set-url", "origin", f"file://{tmp_path / 'gone'}")

    with pytest.raises(SourceError, match="shallow clone.*fetch-depth: 0"):
        ensure_history(clone, T0 - h(24))


# ---------------------------------------------------------------- hostile repositories


def _evil_script(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "pwned"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\necho ran >> {marker}\necho EVIL\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, marker


def test_hostile_repository_runs_nothing(git_repo: GitRepo, tmp_path: Path) -> None:
    first = git_repo.commit(
        {".gitattributes": "*.txt diff=evil\n", "notes.txt": "a\nb\n"}, "Café: add notes", T0 + h(1)
    )
    git_repo.commit({"notes.txt": "a\nc\n"}, "Edit notes", T0 + h(2))
    git_repo.commit({"notes.txt": "a\nb\n"}, "Restore notes", T0 + h(3))
    git_repo.raw_commit(
        b"Signed\n",
        T0 + h(4),
        headers=b"gpgsig -----BEGIN PGP SIGNATURE-----\n \n -----END PGP SIGNATURE-----\n",
    )
    git_repo.tag("v1", T0 + h(5))
    script, marker = _evil_script(tmp_path)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("reference-transaction", "post-checkout", "pre-auto-gc", "post-index-change"):
        (hooks / hook).write_text(f"#!/bin/sh\n{script}\n")
        (hooks / hook).chmod(0o755)
    for key, value in (
        ("diff.evil.command", str(script)),
        ("diff.evil.textconv", str(script)),
        ("diff.external", str(script)),
        ("core.fsmonitor", str(script)),
        ("core.hooksPath", str(hooks)),
        ("gpg.program", str(script)),
        ("log.showSignature", "true"),
        ("color.ui", "always"),
        ("color.diff", "always"),
        ("diff.noprefix", "true"),
        ("log.showRoot", "false"),
        ("i18n.logOutputEncoding", "ISO-8859-1"),
    ):
        git_repo.git("config", key, value)

    changes = by_subject(read_changes(git_repo.path, SINCE, UNTIL))
    reverts = detect_inverse_reverts(tuple(changes.values()), git_repo.path)
    releases = read_releases(git_repo.path, SINCE, UNTIL)
    resolved = resolve_sha(git_repo.path, first[:8])
    ensure_history(git_repo.path, SINCE)

    assert not marker.exists(), marker.read_text()
    assert changes["Café: add notes"].files == (
        FileChange(".gitattributes", 1, 0),
        FileChange("notes.txt", 2, 0),
    )
    assert changes["Edit notes"].files == (FileChange("notes.txt", 1, 1),)
    assert reverts == {changes["Restore notes"].sha: changes["Edit notes"].sha}
    assert "Signed" in changes
    assert [r.tag for r in releases] == ["v1"] and resolved == first


def test_hostile_shallow_clone_runs_no_hook_on_fetch(git_repo: GitRepo, tmp_path: Path) -> None:
    script, marker = _evil_script(tmp_path)
    git_repo.commit({"f": "1\n"}, "one", T0 - h(48))
    git_repo.commit({"f": "2\n"}, "two", T0)
    clone = _shallow_clone(git_repo, tmp_path / "clone")
    for hook in ("reference-transaction", "post-merge", "post-checkout"):
        (clone / ".git" / "hooks" / hook).write_text(f"#!/bin/sh\n{script}\n")
        (clone / ".git" / "hooks" / hook).chmod(0o755)

    ensure_history(clone, T0 - h(24))

    assert len(run_git(clone, "rev-list", "HEAD").split()) == 2
    assert not marker.exists()


def test_messages_and_names_that_look_like_separators(git_repo: GitRepo) -> None:
    git_repo.commit({"base": "1\n"}, "base", T0 - h(1))
    message = "Fix \x1e\x1f\x1d parser %x00 %x1e\n\nbody \x1e with \x1f separators\n\x1d end\n"
    tricky = {
        "new\nline.txt": "n\n",
        "tab\tname.txt": "t\n",
        "ünïcødé/файл.py": "u = 1\n",
        '"quoted".txt': "q\n",
        "1\t2\tfake numstat": "f\n",
    }
    sha = git_repo.commit(tricky, message, T0 + h(1))
    git_repo.rename("ünïcødé/файл.py", "new\ndir/файл.py", "Rename\x1e weird", T0 + h(2))
    nul = git_repo.raw_commit(b"Subject with \x00 NUL\n\nBody\x00more\n", T0 + h(3))
    git_repo.commit({"after": "1\n"}, "after", T0 + h(4))

    changes = read_changes(git_repo.path, SINCE, UNTIL)

    assert [c.subject for c in changes][0] == "after"
    assert [c.sha for c in changes][1] == nul
    tricky_change = next(c for c in changes if c.sha == sha)
    assert tricky_change.subject == "Fix \x1e\x1f\x1d parser %x00 %x1e"
    assert tricky_change.body == "body \x1e with \x1f separators\n\x1d end"
    assert {f.path for f in tricky_change.files} == set(tricky)
    renamed = next(c for c in changes if c.subject == "Rename\x1e weird")
    assert renamed.files == (FileChange("new\ndir/файл.py", 0, 0, "ünïcødé/файл.py"),)
    assert len(changes) == 4


def test_invalid_utf8_is_replaced(git_repo: GitRepo) -> None:
    git_repo.commit({"a": "1\n"}, "base", T0 - h(1))
    git_repo.git("config", "i18n.commitEncoding", "ISO-8859-1")
    git_repo.raw_commit(b"Caf\xe9 latin-1 \xff\n", T0 + h(1), headers=b"encoding ISO-8859-1\n")
    git_repo.raw_commit(b"Broken \xff\xfe bytes\n", T0 + h(2))

    subjects = [c.subject for c in read_changes(git_repo.path, SINCE, UNTIL)]

    assert subjects == ["Broken \ufffd\ufffd bytes", "Café latin-1 ÿ"]


# ---------------------------------------------------------------- scale


def test_bulk_history_window_and_speed(tmp_path: Path) -> None:
    start = utc(2026, 1, 1)
    repo = build_linear_history(tmp_path / "bulk", 3000, start, timedelta(minutes=10), 2)
    since, until = start + timedelta(minutes=10 * 2000), start + timedelta(minutes=10 * 2499)

    began = time.perf_counter()
    changes = read_changes(repo.path, since, until)
    elapsed = time.perf_counter() - began

    assert len(changes) == 500
    assert changes[0].subject == "Change 2499: tune setting_2499"
    assert changes[-1].committed_at == since
    assert all(
        len(c.files) == 2 and "setting_" + c.subject.split()[1][:-1] in c.diff_words
        for c in changes
    )
    assert elapsed < 2.0, elapsed


def test_builder_is_deterministic(tmp_path: Path) -> None:
    a = build_linear_history(tmp_path / "a", 20, utc(2026, 1, 1), timedelta(hours=1), 3)
    b = build_linear_history(tmp_path / "b", 20, utc(2026, 1, 1), timedelta(hours=1), 3)
    assert a.head() == b.head()
    one, two = GitRepo(tmp_path / "c"), GitRepo(tmp_path / "d")
    for repo in (one, two):
        repo.commit({"x": "1\n"}, "x", T0)
    assert one.head() == two.head()
    assert os.environ.get("GIT_DIR") is None
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0
