"""Which libraries each command loads: `pmops --help` stays close to importing click, and a
draft without a model never loads the OpenAI client (a structural check, not a timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pmops.setup.demo import build_demo

# What no listing of the commands needs: each is a library a subcommand loads when it runs.
HEAVY = (
    "openai",
    "pydantic",
    "httpx",
    "tiktoken",
    "github",
    "jsonschema",
    "jinja2",
    "ruamel",
    "yaml",
    "frontmatter",
    "sqlite3",
    "requests",
    "boto3",
)
# The model client and what it pulls in: loaded only when a model is configured.
MODEL = ("openai", "pydantic", "httpx", "tiktoken")

_PROBE = """
import json, sys
sys.argv = ["pmops", *json.loads(sys.argv[1])]
from pmops.cli.main import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_after(*args: str, cwd: Path | None = None) -> set[str]:
    """Top-level names of the modules a fresh interpreter holds after `pmops ARGS`."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
    )
    modules = json.loads(proc.stderr.strip().splitlines()[-1])
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize(
    "args",
    [("--help",), ("draft", "--help"), ("search", "--help"), ("init", "--help")],
)
def test_help_loads_no_library_beyond_click(args: tuple[str, ...]) -> None:
    loaded = loaded_after(*args)
    assert "click" in loaded
    assert sorted(loaded & set(HEAVY)) == []


def test_offline_draft_and_suspects_load_no_model_client(tmp_path: Path) -> None:
    repo, incident = build_demo(tmp_path / "demo")
    out = tmp_path / "out.md"
    common = ("--repo", str(repo), "--incident", str(incident))
    drafted = loaded_after("draft", *common, "--offline", "--quiet", "--out", str(out))
    assert out.read_text(encoding="utf-8").startswith("---\n")
    assert sorted(drafted & set(MODEL)) == []
    ranked = loaded_after("suspects", *common, "--json")
    assert sorted(ranked & set(MODEL)) == []
    # the libraries the draft does use are loaded by it, not skipped
    assert {"jinja2", "jsonschema"} <= drafted
