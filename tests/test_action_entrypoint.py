"""action/entrypoint.py as GitHub runs it: environment in, GITHUB_OUTPUT and summary out."""

from __future__ import annotations

import io
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


def test_untrusted_text_never_becomes_a_workflow_command(tmp_path: Path) -> None:
    """A line of the job log that starts with `::` is a command to the runner (annotations,
    `::stop-commands::`); text pmops prints about a failure cannot start one."""
    from pmops.errors import SourceError
    from pmops.events.runner import run_action

    def connect(*_: object) -> None:
        raise SourceError("bad\n::error::pwned\r::stop-commands::x")

    out = io.StringIO()
    env = env_for(tmp_path, "issues", {"action": "labeled", "label": {"name": "resolved"}})
    assert run_action(env, out=out, connect_github=connect) == 1
    lines = out.getvalue().splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert commands == [
        "::add-mask::s3cret-token",
        "::error title=pmops::bad%0A::error::pwned%0D::stop-commands::x",
    ]
    assert "| ::error::pwned" in lines and "| ::stop-commands::x" in lines


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("pmops: fine", "pmops: fine"),
        ("a\n  ::warning::x", "a\n|   ::warning::x"),
        ("a\r\n::error::x\rb", "a\n| ::error::x\nb"),
        ("a\u2028::notice::x", "a\n| ::notice::x"),
    ],
)
def test_inert(text: str, shown: str) -> None:
    from pmops.events.runner import inert

    assert inert(text) == shown
