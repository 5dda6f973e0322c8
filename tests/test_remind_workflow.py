"""The scheduled workflow `pmops init` writes: least permissions, GitHub's schema, zizmor."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmops.cli.action import init
from pmops.setup.init import REMIND_PATH

PINNED = "pmops/pmops@0123456789abcdef0123456789abcdef01234567 # v1.0.0"


@pytest.fixture
def written(tmp_path: Path) -> Path:
    result = CliRunner().invoke(
        init,
        ["--repo", str(tmp_path), "--owner", "@acme/sre", "--action", PINNED],
        catch_exceptions=False,
    )
    assert result.exit_code == 0 and REMIND_PATH in result.output
    return tmp_path / REMIND_PATH


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(args[0]) is None:
        pytest.fail(f"{args[0]} is not installed (pip install -e '.[test]')")
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


def test_least_permissions(written: Path) -> None:
    text = written.read_text()
    assert "permissions: {}" in text and "command: remind" in text
    granted = {
        line.split(":")[0].strip(): line.split(":")[1].split("#")[0].strip()
        for line in text.splitlines()
        if line.strip().startswith(("contents:", "issues:", "pull-requests:"))
    }
    assert granted == {"contents": "read", "pull-requests": "read", "issues": "write"}
    assert "schedule:" in text and "workflow_dispatch:" in text
    assert "persist-credentials: false" in text
    assert not [line for line in text.splitlines() if line.strip().startswith("run:")]


def test_passes_githubs_schema_and_zizmor(written: Path) -> None:
    result = _tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(written))
    assert result.returncode == 0, result.stdout + result.stderr
    result = _tool("zizmor", "--offline", "--no-progress", str(written))
    assert result.returncode == 0, result.stdout + result.stderr
