"""The incident file: validated, with clear errors and no guessed times."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmops.errors import InputError
from pmops.model import Severity
from pmops.sources.incident_file import load_incident_file

VALID = """id: 7
title: Login outage
started_at: 2026-03-20T14:23:00Z
detected_at: 2026-03-20T16:25:00+02:00
resolved_at: 2026-03-20T15:10:00Z
services: [auth, auth]
updates:
  - {at: 2026-03-20T14:40:00Z, author: amy, text: later}
  - {at: 2026-03-20T14:30:00Z, text: earlier}
deploys:
  - {at: 2026-03-20T14:20:00Z, sha: ABCDEF1, service: auth}
alerts:
  - {at: 2026-03-20T14:25:00Z, name: LoginErrors}
"""


def write(tmp_path: Path, text: str, name: str = "incident.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file(tmp_path: Path) -> None:
    source = load_incident_file(write(tmp_path, VALID))
    incident = source.incident
    assert incident.severity is Severity.SEV3
    assert incident.detected_at is not None and incident.detected_at.hour == 14
    assert incident.services == ("auth",)
    assert [u.text for u in source.updates] == ["earlier", "later"]
    assert source.deploys[0].sha == "abcdef1" and source.deploys[0].environment == "production"
    assert source.alerts[0].name == "LoginErrors"


def test_json_is_accepted(tmp_path: Path) -> None:
    data = {
        "id": "INC-9",
        "title": "x",
        "started_at": "2026-03-20T14:23:00Z",
        "resolved_at": "2026-03-20T15:00:00Z",
    }
    assert load_incident_file(write(tmp_path, json.dumps(data), "i.json")).incident.id == "INC-9"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: 1\ntitle: x\nstarted_at: 2026-03-20T14:23:00Z\n", "'resolved_at' is a required"),
        (
            "title: x\nstarted_at: 2026-03-20T14:23:00Z\nresolved_at: 2026-03-20T15:00:00Z\n",
            "'id' is a required",
        ),
        (
            "id: 1\ntitle: x\nstarted_at: 2026-03-20T14:23:00\nresolved_at: 2026-03-20T15:00:00Z\n",
            "incident.yml:3: started_at: '2026-03-20T14:23:00' is invalid: ISO-8601 time with an "
            "explicit zone",
        ),
        (
            "id: 1\ntitle: x\nstarted_at: 2026-03-20T14:23:00Z\n"
            "resolved_at: 2026-03-20T14:00:00Z\n",
            "incident.yml:4: resolved_at (2026-03-20T14:00:00Z) is before started_at",
        ),
        (
            "id: 1\ntitle: x\nstarted_at: 2026-03-20T14:23:00Z\ndetected_at: 2026-03-20T16:00:00Z\n"
            "resolved_at: 2026-03-20T15:00:00Z\n",
            "detected_at must lie between",
        ),
        (
            "id: 1\ntitle: x\nseverity: SEV-0\nstarted_at: 2026-03-20T14:23:00Z\n"
            "resolved_at: 2026-03-20T15:00:00Z\n",
            "severity: 'SEV-0' is not one of",
        ),
        (
            "id: 1\ntitle: x\nstarted_at: 2026-03-20T14:23:00Z\nresolved_at: 2026-03-20T15:00:00Z\n"
            "deploys: [{at: 2026-03-20T14:00:00Z, sha: not-a-sha}]\n",
            "deploys.0.sha",
        ),
        (
            "id: 1\ntitle: x\nstarted_at: 2026-03-20T14:23:00Z\nresolved_at: 2026-03-20T15:00:00Z\n"
            "colour: red\n",
            "Additional properties are not allowed ('colour'",
        ),
        ("- a list\n", "must be a mapping"),
        ("id: [\n", "invalid YAML"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as error:
        load_incident_file(write(tmp_path, text))
    assert message in str(error.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such incident file"):
        load_incident_file(tmp_path / "nope.yml")


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "i.yml"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError, match="binary"):
        load_incident_file(path)


def test_an_all_digit_sha_must_be_quoted(tmp_path: Path) -> None:
    text = VALID.replace("sha: ABCDEF1", "sha: 3315440")
    with pytest.raises(InputError, match=r'deploys.0.sha 3315440 reads as a number: quote it'):
        load_incident_file(write(tmp_path, text))
    assert load_incident_file(write(tmp_path, VALID.replace("ABCDEF1", '"3315440"'))).deploys


def test_a_long_value_is_shortened_in_the_error(tmp_path: Path) -> None:
    """A 5,000-character title is reported by its start and size, not echoed back whole."""
    title = "Checkout down " + "x" * 5000
    text = f"id: 1\ntitle: {title}\n" + "started_at: 2026-03-20T14:23:00Z\n"
    text += "resolved_at: 2026-03-20T15:00:00Z\n"
    with pytest.raises(InputError) as caught:
        load_incident_file(write(tmp_path, text))
    message = str(caught.value)
    assert "title: 'Checkout down xxxxxxxxx" in message
    assert "(5,014 characters) is too long (at most 200 characters)" in message
    assert len(message) < 300


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("0001-01-01T00:00:00Z", r"incident.yml:3: started_at: .* from 1970 to 2999"),
        ("1969-12-31T23:59:59Z", r"incident.yml:3: started_at: .* from 1970 to 2999"),
        ("3000-01-01T00:00:00Z", r"incident.yml:3: started_at: .* from 1970 to 2999"),
        ("1970-01-01T00:30:00+01:00", r"incident.yml: started_at: .* is out of range"),
    ],
)
def test_a_time_out_of_range_is_an_error_not_a_traceback(
    tmp_path: Path, when: str, message: str
) -> None:
    """Year 1 once overflowed the lookback window arithmetic."""
    text = VALID.replace("started_at: 2026-03-20T14:23:00Z", f'started_at: "{when}"')
    text = text.replace("resolved_at: 2026-03-20T15:10:00Z", "resolved_at: 2999-12-31T00:00:00Z")
    text = text.replace("detected_at: 2026-03-20T16:25:00+02:00\n", "")
    with pytest.raises(InputError, match=message):
        load_incident_file(write(tmp_path, text))
