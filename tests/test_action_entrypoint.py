"""action/entrypoint.py as GitHub runs it: environment in, GITHUB_OUTPUT and summary out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_action_support import load_entrypoint


def env_for(tmp_path: Path, name: str, event: dict) -> dict[str, str]:
    (tmp_path / "event.json").write_text(json.dumps(event))
    (tmp_path / "out").touch()
    (tmp_path / "summary").touch()
    return {"GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
            "GITHUB_REPOSITORY": "acme/shop", "GITHUB_OUTPUT": str(tmp_path / "out"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"), "PMOPS_TOKEN": "s3cret-token",
            "GITHUB_WORKSPACE": str(tmp_path)}


def test_an_event_pmops_ignores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = load_entrypoint().main(env_for(tmp_path, "push", {"ref": "refs/heads/main"}))
    assert code == 0
    assert (tmp_path / "out").read_text() == "pr-number=\npostmortem-path=\nstatus=ignored\n"
    assert "nothing to do for push" in (tmp_path / "summary").read_text()
    assert "::add-mask::s3cret-token" in capsys.readouterr().out


def test_bad_inputs_fail_loudly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = env_for(tmp_path, "issues", {})
    env["PMOPS_TOKEN"] = ""
    assert load_entrypoint().main(env) == 2
    out = capsys.readouterr().out
    assert out.startswith("::error title=pmops::invalid action inputs")
    assert "token" in out
