"""Atomic writes: all or nothing, with the mode a user expects."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pmops.errors import InputError
from pmops.safety.files import write_atomic


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_usual_mode(tmp_path: Path, umask: int, expected: int) -> None:
    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "new" / "pm.md", "text\n")
        assert os.umask(umask) == umask  # the umask is left as it was
    finally:
        os.umask(old)
    assert mode(tmp_path / "new" / "pm.md") == expected
    assert (tmp_path / "new" / "pm.md").read_text() == "text\n"


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "pm.md"
    target.write_text("old\n")
    target.chmod(0o640)
    write_atomic(target, "new\n")
    assert mode(target) == 0o640 and target.read_text() == "new\n"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "pm.md"  # a folder in the way: the final rename fails
    target.mkdir()
    (target / "kept").write_text("old\n")
    with pytest.raises(InputError, match="cannot write"):
        write_atomic(target, "new\n")
    assert (target / "kept").read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["pm.md"]


def test_text_utf8_cannot_hold_is_repaired_not_a_crash(tmp_path: Path) -> None:
    target = tmp_path / "pm.md"
    write_atomic(target, "pair \ud83d\ude00 lone \ud800 end")
    assert target.read_text(encoding="utf-8") == "pair \U0001f600 lone \ufffd end"


def test_a_path_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside"
    root.mkdir(), outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    for path in (root / ".." / "x.md", root / "link" / "x.md"):
        with pytest.raises(InputError, match="outside the repository"):
            write_atomic(path, "x", root=root)
    assert list(outside.iterdir()) == []
