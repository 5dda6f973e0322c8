"""Ranking on repositories whose object store lacks blobs: a partial clone whose promisor
remote is gone, a mirror that dropped its largest files. pmops ranks what git can read
and says what it could not; it never fails the whole ranking for one commit."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from pmops.sources import readable
from pmops.sources.git import detect_inverse_reverts, read_changes
from pmops.sources.readable import log_readable
from tests.gitrepo import GitRepo, run_git, utc
from tests.test_draft_cli import invoke

T0 = utc(2026, 3, 20, 12)


def _drop_blob(repo: GitRepo, path: str, rev: str) -> str:
    """Delete the loose object of `path` as of `rev` from the store; return its SHA."""
    blob = repo.git("rev-parse", f"{rev}:{path}").strip()
    (repo.path / ".git/objects" / blob[:2] / blob[2:]).unlink()
    return blob


def _history(repo: GitRepo) -> list[str]:
    shas = []
    for i in range(6):
        shas.append(
            repo.commit(
                {f"svc/pool{i}.py": f"size = {i}\nname = 'pool{i}'\n", "README.md": f"v{i}\n"},
                f"Change {i} of the pool",
                at=T0 + timedelta(minutes=i),
            )
        )
    return shas


def test_a_commit_with_a_missing_blob_keeps_its_paths(git_repo: GitRepo) -> None:
    shas = _history(git_repo)
    blob = _drop_blob(git_repo, "svc/pool3.py", shas[3])
    notes: list[str] = []
    changes = {
        c.sha: c for c in read_changes(git_repo.path, T0, T0 + timedelta(hours=1), notes=notes)
    }
    assert set(changes) == set(shas)
    damaged = changes[shas[3]]
    assert sorted(f.path for f in damaged.files) == ["README.md", "svc/pool3.py"]
    assert damaged.churn == 0 and damaged.diff_words == frozenset()
    intact = changes[shas[4]]
    assert intact.churn == 4 and "pool4" in intact.diff_words  # README -1+1, pool4 +2
    assert len(notes) == 1
    assert "contents of 1 of 6 commits" in notes[0] and blob in notes[0]
    assert str(git_repo.path) not in notes[0]


def test_nothing_missing_means_no_note(git_repo: GitRepo) -> None:
    _history(git_repo)
    notes: list[str] = []
    assert len(read_changes(git_repo.path, T0, T0 + timedelta(hours=1), notes=notes)) == 6
    assert notes == []


def test_bisection_isolates_the_unreadable_commits(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    shas = _history(git_repo)
    _drop_blob(git_repo, "svc/pool1.py", shas[1])
    _drop_blob(git_repo, "svc/pool4.py", shas[4])
    found = log_readable(git_repo.path, shas, "--patch", "--format=%x1e%H")
    assert found.unreadable == (shas[1], shas[4])
    assert [c[:40].decode() for c in found.out.split(b"\x1e")[1:]] == [
        shas[0],
        shas[2],
        shas[3],
        shas[5],
    ]
    monkeypatch.setattr(readable, "MAX_CALLS", 2)  # past the cap: the rest count as unreadable
    capped = log_readable(git_repo.path, shas, "--patch", "--format=%x1e%H")
    assert set(capped.unreadable) >= {shas[1], shas[4]} and len(capped.unreadable) > 2


def test_inverse_reverts_skip_what_cannot_be_read(git_repo: GitRepo) -> None:
    first = git_repo.commit({"pool.py": "size = 1\n"}, "Tune pool", at=T0)
    change = git_repo.commit({"pool.py": "size = 2\n"}, "Grow pool", at=T0 + timedelta(minutes=1))
    back = git_repo.commit({"pool.py": "size = 1\n"}, "Shrink pool", at=T0 + timedelta(minutes=2))
    window = (T0, T0 + timedelta(hours=1))
    assert detect_inverse_reverts(read_changes(git_repo.path, *window), git_repo.path) == {
        back: change
    }
    _drop_blob(git_repo, "pool.py", first)  # the blob of "size = 1": both ends lose their diff
    assert detect_inverse_reverts(read_changes(git_repo.path, *window), git_repo.path) == {}


def test_suspects_on_a_partial_clone_without_its_promisor(tmp_path: Path) -> None:
    from pmops.setup.demo import build_demo

    source, incident = build_demo(tmp_path / "demo")
    run_git(source, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "partial.git"
    run_git(
        tmp_path, "clone", "--quiet", "--bare", "--filter=blob:none", source.as_uri(), "partial.git"
    )
    run_git(clone, "remote", "remove", "origin")  # offline: no promisor to fetch blobs from
    assert "unable to read" in _git_failure(clone)
    full = json.loads(
        invoke("suspects", "--repo", str(source), "--incident", str(incident), "--json").stdout
    )
    result = invoke("suspects", "--repo", str(clone), "--incident", str(incident), "--json")
    assert result.exit_code == 0, result.output
    ranked = json.loads(result.stdout)
    assert {s["sha"] for s in ranked} == {s["sha"] for s in full}
    assert "Lower payments pool size" in ranked[0]["subject"]
    assert "could not read the contents of" in result.stderr
    assert "without line counts or diff words" in result.stderr


def _git_failure(repo: Path) -> str:
    """git's own error for a patch of HEAD (proves the clone really lacks blobs)."""
    try:
        run_git(repo, "log", "-1", "--patch", "HEAD")
    except RuntimeError as error:
        return str(error)
    return ""
