"""`pmops init` writes a workflow, config, issue form and CODEOWNERS rule that GitHub's own
schemas and zizmor accept; `pmops doctor` reports what is missing, locally and on GitHub."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmops.cli.action import doctor, init
from pmops.cli.main import cli
from pmops.config import parse_config
from pmops.github.api import GitHubApi
from pmops.lifecycle.codeowners import parse_codeowners
from pmops.setup.doctor import remote_findings
from pmops.setup.init import (
    FORM_PATH,
    REMIND_PATH,
    RULESET_PATH,
    WORKFLOW_PATH,
    InitOptions,
    render_workflow,
    ruleset,
)
from pmops.sources.github_issue import FORM_FIELDS
from tests.github_fake import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(args[0]) is None:
        pytest.skip(f"{args[0]} is not installed")
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


@pytest.fixture
def initialized(tmp_path: Path) -> Path:
    result = CliRunner().invoke(init, ["--repo", str(tmp_path), "--owner", "@acme/sre"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return tmp_path


def test_init_writes_every_file(initialized: Path) -> None:
    for path in (WORKFLOW_PATH, ".github/pmops.yml", FORM_PATH, ".github/CODEOWNERS",
                 RULESET_PATH):
        assert (initialized / path).is_file(), path
    imported = json.loads((initialized / RULESET_PATH).read_text())
    assert imported == ruleset(InitOptions())  # what the fake's import test posts
    assert {r["type"] for r in imported["rules"]} >= {"pull_request", "required_status_checks"}
    config = parse_config((initialized / ".github/pmops.yml").read_text())
    assert config.plan == "starter" and config.ai
    owners = parse_codeowners((initialized / ".github/CODEOWNERS").read_text())
    assert owners.owners_of("postmortems/2026/2026-03-20-42-x.md") == ("@acme/sre",)


def test_init_keeps_existing_files_and_codeowners(initialized: Path) -> None:
    (initialized / ".github/pmops.yml").write_text("plan: pro\n")
    again = CliRunner().invoke(init, ["--repo", str(initialized), "--owner", "@acme/sre"],
                               catch_exceptions=False)
    assert "kept     .github/pmops.yml" in again.output
    assert (initialized / ".github/pmops.yml").read_text() == "plan: pro\n"
    assert (initialized / ".github/CODEOWNERS").read_text().count("/postmortems/") == 1


def test_workflow_least_permissions_and_safe_trigger(initialized: Path) -> None:
    text = (initialized / WORKFLOW_PATH).read_text()
    assert "permissions: {}" in text
    from ruamel.yaml import YAML

    granted = YAML(typ="safe").load(text)["jobs"]["pmops"]["permissions"]
    assert granted == {"contents": "write", "pull-requests": "write", "issues": "write",
                       "statuses": "write", "actions": "read", "deployments": "read"}
    assert "# zizmor: ignore[dangerous-triggers]" in text
    assert "persist-credentials: false" in text and "fetch-depth: 0" in text
    for line in text.splitlines():
        assert "run:" not in line  # no shell in the sample workflow at all


def test_the_template_is_the_sample_workflow() -> None:
    sample = render_workflow(InitOptions())
    assert sample.startswith("# pmops drafts incident postmortems")
    assert "uses: pmops/pmops@v1" in sample


def test_generated_files_pass_githubs_schemas(initialized: Path) -> None:
    checks = [("vendor.github-workflows", initialized / WORKFLOW_PATH),
              ("vendor.github-issue-forms", initialized / FORM_PATH),
              ("vendor.github-actions", ROOT / "action.yml")]
    for schema, path in checks:
        result = run_tool("check-jsonschema", "--builtin-schema", schema, str(path))
        assert result.returncode == 0, result.stdout + result.stderr


PINNED = "pmops/pmops@0123456789abcdef0123456789abcdef01234567 # v1.0.0"


def test_zizmor_finds_nothing(tmp_path: Path) -> None:
    # zizmor's blanket policy wants third-party actions pinned to a SHA: init with one.
    result = CliRunner().invoke(init, ["--repo", str(tmp_path), "--owner", "@acme/sre",
                                       "--action", PINNED], catch_exceptions=False)
    assert result.exit_code == 0
    assert f"uses: {PINNED}" in (tmp_path / WORKFLOW_PATH).read_text()
    for path in (tmp_path / WORKFLOW_PATH, ROOT / "action.yml"):
        result = run_tool("zizmor", "--offline", "--no-progress", str(path))
        assert result.returncode == 0, result.stdout + result.stderr


def test_issue_form_headings_are_what_the_github_source_reads(initialized: Path) -> None:
    form = (initialized / FORM_PATH).read_text()
    for key in ("severity", "services", "started_at", "detected_at", "impact",
                "users_affected"):
        assert any(f"label: {h}".lower() in form.lower() for h in FORM_FIELDS[key]
                   ) or any(f"label: {h} (utc)".lower() in form.lower()
                            for h in FORM_FIELDS[key]), key


def test_doctor_locally(initialized: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    ok = CliRunner().invoke(doctor, ["--repo", str(initialized)], catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    empty = tmp_path_factory.mktemp("empty")
    bad = CliRunner().invoke(doctor, ["--repo", str(empty)], catch_exceptions=False)
    assert bad.exit_code == 1
    assert "workflow" in bad.output and "CODEOWNERS" in bad.output


def test_doctor_asks_to_replace_the_placeholder_owner(tmp_path: Path) -> None:
    CliRunner().invoke(init, ["--repo", str(tmp_path)], catch_exceptions=False)
    result = CliRunner().invoke(doctor, ["--repo", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert ("FIX CODEOWNERS: postmortems/ is owned by the placeholder "
            "@your-org/incident-reviewers (.github/CODEOWNERS)") in result.output


def test_doctor_asks_for_the_reminders_workflow(initialized: Path) -> None:
    """Configured reminders only act through the scheduled workflow: doctor names the
    command that adds it (`pmops init` keeps every other file)."""
    (initialized / REMIND_PATH).unlink()
    quiet = CliRunner().invoke(doctor, ["--repo", str(initialized)], catch_exceptions=False)
    assert quiet.exit_code == 0 and "reminders" not in quiet.output  # nothing asks for them
    config = initialized / ".github/pmops.yml"
    config.write_text(config.read_text() + "required_postmortems:\n  severities: [SEV-1]\n")
    missing = CliRunner().invoke(doctor, ["--repo", str(initialized)], catch_exceptions=False)
    assert missing.exit_code == 1
    assert (f"FIX reminders: required_postmortems configured but {REMIND_PATH} is missing"
            in missing.output)
    assert "run `pmops init` (it keeps existing files" in missing.output
    before = config.read_text()
    again = CliRunner().invoke(init, ["--repo", str(initialized)], catch_exceptions=False)
    assert again.exit_code == 0 and config.read_text() == before
    fixed = CliRunner().invoke(doctor, ["--repo", str(initialized)], catch_exceptions=False)
    assert fixed.exit_code == 0, fixed.output
    assert f"ok  reminders: {REMIND_PATH} runs `pmops remind`" in fixed.output


def test_doctor_on_github(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("acme", "shop")
    fake_github.set_actions_token("ghs_run", "acme", "shop", {"contents": "write",
                                                              "pull-requests": "write"})
    api = GitHubApi(fake_github.client("ghs_run"), "acme/shop")  # the Action's token
    config = parse_config("")
    findings = remote_findings(api, "main", config)
    by_topic = {f.topic: f for f in findings if not f.note}
    assert not by_topic["labels"].ok and "incident" in by_topic["labels"].message
    assert not by_topic["required check"].ok and not by_topic["code-owner review"].ok
    assert "pmops-publish.json" in by_topic["code-owner review"].fix
    # What GITHUB_TOKEN can never read or fix is a note, never a FIX line.
    notes = {f.topic: f for f in findings if f.note}
    assert {"actions", "branch protection", "token", "labels", "team owners"} <= set(notes)
    assert all(f.ok for f in notes.values())
    assert "read:org" in notes["team owners"].message
    assert all(not line.startswith("FIX actions") for line in (f.line() for f in findings))

    # An admin imports the ruleset `pmops init` writes (the request body GitHub validates).
    fake_github.set_token("acme-admin", "acme")
    admin = fake_github.client("acme-admin").requester
    admin.requestJsonAndCheck("POST", f"{fake_github.api_url}/repos/acme/shop/rulesets",
                              input=ruleset(InitOptions()))
    findings = {f.topic: f for f in remote_findings(api, "main", config) if not f.note}
    assert findings["required check"].ok and findings["code-owner review"].ok
    assert "approves twice" in findings["stale approvals"].message
    fake_github.set_workflow_permissions("acme", "shop", can_approve_pull_requests=True)
    admin_api = GitHubApi(fake_github.client("acme-admin"), "acme/shop")
    assert {f.topic: f for f in remote_findings(admin_api, "main", config)}["actions"].ok


def test_github_refusals_and_network_failures_are_messages(
    fake_github: FakeGitHub, initialized: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_github.create_repo("acme", "shop")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_not_a_token")
    base = ["--repo", str(initialized), "--github"]

    def doctor_says(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["doctor", *base, *args])
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return result.exit_code, result.output

    code, said = doctor_says("acme/shop", "--api-url", fake_github.api_url)
    assert code == 2
    assert "pmops: error: GitHub answered 401: Bad credentials (the token is not valid" in said
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    code, said = doctor_says("acme/shop", "--api-url", f"http://127.0.0.1:{port}")
    assert code == 2 and "pmops: error: cannot reach the GitHub API: Connection refused" in said
    code, said = doctor_says("acme shop")
    assert code == 2 and "'acme shop' is not OWNER/NAME" in said
