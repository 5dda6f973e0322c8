"""`pmops draft` and `pmops index` on hostile input: what an attacker can type into an incident
never crashes pmops, never writes outside the repository, and never reaches the written
postmortem as an active foreign link, image, raw HTML, notifying mention or secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmops.config import parse_config
from pmops.errors import ConfigError
from pmops.setup.demo import build_demo
from tests.github_render import violations
from tests.test_draft_cli import invoke

GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AWS_SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYzQ0a9Z8y7X6w"
SLACK_APP = "xapp-1-A0123456789-1234567890123-" + "0a1b2c3d4e5f6071" * 4
DSN_PASSWORD = "S3cr3tPassw0rd9"
SECRETS = (GITHUB_TOKEN, AWS_SECRET, SLACK_APP, DSN_PASSWORD)
HOSTILE_TITLE = (
    "Checkout down [x](https&colon;//evil.example) ![p](https&#x3A;//evil.example/t.png) "
    "<img src=https://evil.example/i.png> _@alice_ &#64;bob \\@carol @acme/oncall"
)
HOSTILE_UPDATES = [
    f"rotated {GITHUB_TOKEN} after it leaked; see https://evil.example/x and __@dave__",
    f'creds were {{"SecretAccessKey": "{AWS_SECRET}"}} and {SLACK_APP}',
    f"DATABASE_URL=postgres://app:{DSN_PASSWORD}@db.internal/shop",
    "> [r]: https://evil.example/i.png\n\n![p][r] <details>hidden</details>",
]


def _incident(folder: Path, **extra: object) -> Path:
    data = {
        "id": 42, "title": HOSTILE_TITLE, "severity": "SEV-2",
        "started_at": "2026-03-20T14:23:00Z", "resolved_at": "2026-03-20T15:10:00Z",
        "services": ["payments"],
        "updates": [
            {"at": "2026-03-20T14:30:00Z", "author": "amy", "text": text}
            for text in HOSTILE_UPDATES
        ],
    }  # fmt: skip
    data.update(extra)
    path = folder / "incident.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo, _ = build_demo(tmp_path / "demo")
    return repo


def _written(repo: Path) -> list[Path]:
    return sorted(p for p in (repo / "postmortems").rglob("*.md"))


def test_hostile_incident_draft_is_safe_in_the_file_and_the_drafts_copy(
    repo: Path, tmp_path: Path
) -> None:
    result = invoke("draft", "--repo", str(repo), "--incident", str(_incident(tmp_path)), "-q")
    assert result.exit_code == 0, result.output
    files = _written(repo)
    assert len(files) == 2 and any(".drafts" in str(f) for f in files)
    for path in files:
        text = path.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1]
        assert violations(body) == [], path
        for secret in SECRETS:
            assert secret not in text and secret.lower() not in text, (path, secret)
        assert "[REDACTED:" in text


def test_surrogate_escapes_in_a_json_incident_do_not_crash(repo: Path, tmp_path: Path) -> None:
    incident = _incident(tmp_path)
    text = incident.read_text(encoding="utf-8").replace(
        '"Checkout down', '"Checkout \\ud83d\\ude00 down \\ud800 lone'
    )
    incident.write_text(text, encoding="utf-8")
    result = invoke("draft", "--repo", str(repo), "--incident", str(incident), "-q")
    assert result.exit_code == 0, result.output
    written = _written(repo)[0].read_text(encoding="utf-8")
    assert "Checkout \U0001f600 down \ufffd lone" in written


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_non_finite_numbers_in_the_config_are_clear_errors(value: str) -> None:
    with pytest.raises(ConfigError, match=r"lookback_hours: .* is not a finite number"):
        parse_config(f"lookback_hours: {value}\n")


@pytest.mark.parametrize("folder", ["../x", "/tmp/x", "a/../../x", "..", "C:/x"])
def test_postmortems_dir_outside_the_repository_is_refused(folder: str) -> None:
    with pytest.raises(ConfigError, match="postmortems_dir"):
        parse_config(f"postmortems_dir: '{folder}'\n")


def test_nothing_is_written_outside_the_repository(repo: Path, tmp_path: Path) -> None:
    """A config escaping the work tree, or a folder that is a link out of it, is refused by
    `pmops draft` and `pmops index` with a clear message; nothing lands outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    config = repo / ".github" / "pmops.yml"
    config.parent.mkdir(exist_ok=True)
    config.write_text("postmortems_dir: ../outside\n", encoding="utf-8")
    incident = _incident(tmp_path)
    result = invoke("draft", "--repo", str(repo), "--incident", str(incident), "-q")
    assert result.exit_code != 0 and "postmortems_dir" in result.output
    config.write_text("postmortems_dir: linked\n", encoding="utf-8")
    (repo / "linked").symlink_to(outside, target_is_directory=True)
    result = invoke("draft", "--repo", str(repo), "--incident", str(incident), "-q")
    assert result.exit_code != 0 and "outside the repository" in result.output
    result = invoke("index", "--repo", str(repo))
    assert result.exit_code != 0 and "outside the repository" in result.output
    assert list(outside.rglob("*")) == []


def test_scenario_drafts_keep_their_layout_byte_for_byte(tmp_path: Path) -> None:
    """The policy rewrites only what it must: on the scenario catalog's ordinary drafts
    (headings, timelines, Mermaid fences, lists) the written sections are what compose wrote,
    and a second pass changes nothing."""
    from datetime import UTC, datetime

    from pmops.draft.compose import compose_postmortem
    from pmops.pipeline import draft_local
    from pmops.safety.outbound import safe_postmortem
    from tests.scenarios.build import build_all
    from tests.scenarios.catalog import SCENARIOS

    now = datetime(2026, 4, 1, tzinfo=UTC)
    for built in build_all(tmp_path, SCENARIOS[:6]):
        result = draft_local(built.repo, built.incident_file, now=now)
        plain = compose_postmortem(result.analysis, result.draft, result.verification, now)
        assert result.postmortem.sections == plain.sections, built.scenario.name
        assert safe_postmortem(result.postmortem, ()) == result.postmortem
