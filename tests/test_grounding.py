"""What a draft says when the cause is not a recent commit, when a rollback is only stated or
shows as a deploy of an earlier SHA (issue #20), on repositories shaped unlike the ranking
suite (tests/scenarios/catalog_grounding.py)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from pmops.analyze.analysis import analyze
from pmops.analyze.rollbacks import with_rollbacks
from pmops.analyze.suspects import MAX_REASONS
from pmops.cli.main import cli
from pmops.errors import InputError
from pmops.model import (
    Alert,
    Change,
    Deploy,
    Evidence,
    FileChange,
    Incident,
    Update,
    Window,
    WorkflowRun,
)
from pmops.pipeline import Result, draft_local
from tests.scenarios.build import BuiltScenario, build_all
from tests.scenarios.catalog_grounding import SCENARIOS

NOW = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[BuiltScenario, Result]]:
    built = build_all(tmp_path_factory.mktemp("grounding"), SCENARIOS)
    return {b.name: (b, draft_local(b.repo, b.incident_file, now=NOW)) for b in built}


def _sections(result: Result) -> dict[str, str]:
    return result.postmortem.sections


@pytest.mark.parametrize(
    ("name", "topic", "item"),
    [("tls-expired", "certificate", "certificate"), ("search-heap", "capacity", "capacity")],
)
def test_no_code_cause_says_so_and_blames_no_commit(
    drafted: dict[str, tuple[BuiltScenario, Result]], name: str, topic: str, item: str
) -> None:
    built, result = drafted[name]
    analysis = result.analysis
    assert analysis.suspects, "innocent commits landed in the window"
    assert not analysis.standout.stands_out
    assert topic in analysis.standout.topics
    sections = _sections(result)
    assert "No change stands out as the cause" in sections["Summary"]
    assert "most likely cause" not in sections["Summary"].lower()
    assert sections["Root cause"].startswith("Undetermined")
    assert "Evidence that points to" in sections["Root cause"]
    assert "renewed" in sections["Resolution"] or "added two data nodes" in sections["Resolution"]
    assert result.postmortem.confidence.value == "low"
    titles = [a.title for a in result.postmortem.action_items]
    assert any(item in t for t in titles), titles
    shas = {sha[:7] for sha in built.shas.values()}
    for title in titles:  # no follow-up about an innocent commit
        assert not shas & set(re.findall(r"[0-9a-f]{7}", title)), title
    assert sections["Contributing factors"] == "None identified yet."


def test_rollback_stated_in_an_update_is_a_mitigation_and_a_strong_signal(
    drafted: dict[str, tuple[BuiltScenario, Result]],
) -> None:
    built, result = drafted["rollback-in-update"]
    good = built.shas["good"]
    top = result.analysis.suspects[0]
    assert top.sha == built.culprit_sha
    assert "revert" in top.signals
    assert any(r.startswith("rolled back during the incident") for r in top.reasons)
    target = next(s for s in result.analysis.suspects if s.sha == good)
    assert "mention" not in target.signals  # the version rolled back *to* is not blamed
    sections = _sections(result)
    assert f"rollback of billing to `{good[:7]}`" in sections["Resolution"]
    assert f"Rolled back {good[:7]} to production (billing)" in sections["Timeline"]
    assert "no revert, rollback or fix" not in sections["Resolution"]


T0 = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def _chain(n: int) -> tuple[Change, ...]:
    changes: list[Change] = []
    for i in range(n):
        at = T0 - timedelta(hours=n - i)
        parents = (changes[-1].sha,) if changes else ()
        changes.append(Change(f"{i + 1:x}" * 40, f"change {i}", at, at, parents=parents))
    return tuple(changes)


def _evidence(deploys: tuple[Deploy, ...], updates: tuple[Update, ...] = ()) -> Evidence:
    incident = Incident(1, "Errors", T0, T0 + timedelta(hours=1))
    window = Window(T0 - timedelta(hours=24), T0, T0 + timedelta(hours=1))
    return Evidence(incident, window, changes=_chain(4), deploys=deploys, updates=updates)


def test_a_deploy_of_an_earlier_sha_during_the_incident_is_a_rollback() -> None:
    changes = _chain(4)
    deploys = (
        Deploy(T0 - timedelta(hours=5), changes[0].sha, "api"),
        Deploy(T0 - timedelta(minutes=10), changes[3].sha, "api"),
        Deploy(T0 + timedelta(minutes=20), changes[1].sha, "api"),  # back to an older build
    )
    evidence = _evidence(deploys)
    assert [d.status for d in with_rollbacks(evidence).deploys] == [
        "success",
        "success",
        "rollback",
    ]
    analysis = analyze(evidence)
    rolled = {s.sha for s in analysis.suspects if "revert" in s.signals}
    assert rolled == {changes[2].sha, changes[3].sha}
    assert any("rollback of api" in item for item in analysis.findings.stopped_by)


def test_a_deploy_workflow_rerun_of_an_earlier_sha_is_a_rollback() -> None:
    changes = _chain(4)
    deploys = (
        Deploy(T0 - timedelta(hours=5), changes[1].sha, "api"),
        Deploy(T0 - timedelta(minutes=10), changes[3].sha, "api"),
    )
    rerun = WorkflowRun("Deploy api", changes[1].sha, T0 + timedelta(minutes=15), "success")
    tests = WorkflowRun("Tests", changes[0].sha, T0 + timedelta(minutes=16), "success")
    evidence = replace(_evidence(deploys), workflow_runs=(rerun, tests))
    added = [d for d in with_rollbacks(evidence).deploys if d not in deploys]
    assert added == [Deploy(rerun.at, changes[1].sha, "api", status="rollback")]
    rolled = {s.sha for s in analyze(evidence).suspects if "revert" in s.signals}
    assert rolled == {changes[2].sha, changes[3].sha}


def test_a_forward_deploy_during_the_incident_is_no_rollback() -> None:
    changes = _chain(4)
    deploys = (
        Deploy(T0 - timedelta(minutes=10), changes[2].sha, "api"),
        Deploy(T0 + timedelta(minutes=20), changes[3].sha, "api"),
    )
    assert [d.status for d in with_rollbacks(_evidence(deploys)).deploys] == [
        "success",
        "success",
    ]


def test_an_update_naming_an_unknown_sha_adds_no_rollback() -> None:
    update = Update(T0 + timedelta(minutes=5), "Rolled back to 0badc0ffee")
    evidence = _evidence((), (update,))
    assert with_rollbacks(evidence).deploys == ()


def test_resolved_before_started_is_refused_not_shown_as_zero_minutes() -> None:
    incident = Incident(9, "Errors", T0, T0 - timedelta(minutes=30))
    window = Window(T0 - timedelta(hours=24), T0, T0 - timedelta(minutes=30))
    with pytest.raises(InputError, match="resolved .* before it started"):
        analyze(Evidence(incident, window, changes=_chain(2)))


def test_a_late_alert_is_no_thing_that_went_well() -> None:
    late = Alert(T0 + timedelta(minutes=75), "ErrorBudgetBurn")
    evidence = replace(_evidence(()), alerts=(late,))
    findings = analyze(evidence).findings
    assert not any("ErrorBudgetBurn" in item for item in findings.went_well)
    assert "The first alert, ErrorBudgetBurn, fired only 75 min after the start." in (
        findings.went_poorly
    )


def test_fixes_touching_the_same_file_are_one_reason_and_reasons_are_capped() -> None:
    at = T0 - timedelta(minutes=20)
    files = (FileChange("config/pool.yaml", 3, 1), FileChange("app/db.py", 40, 2))
    culprit = Change("c" * 40, "Tune the pool", at, at, files=files)
    fixes = [
        Change(
            f"{i}" * 40,
            f"Fix the pool, take {i}",
            T0 + timedelta(minutes=10 * i),
            T0 + timedelta(minutes=10 * i),
            parents=("c" * 40,),
            files=(FileChange("config/pool.yaml", 1, 1),),
        )
        for i in (1, 2, 3)
    ]
    evidence = replace(
        _evidence((Deploy(at + timedelta(minutes=5), culprit.sha),)),
        changes=(culprit, *fixes),
        incident=Incident(1, "Pool errors", T0, T0 + timedelta(hours=1), services=("app",)),
    )
    (top,) = analyze(evidence).suspects
    folded = [r for r in top.reasons if "fixes during the incident" in r]
    assert folded == [
        "3 fixes during the incident (1111111, 2222222, 3333333) touched the same files"
    ]
    assert not any(r.startswith("the fix ") for r in top.reasons)
    assert len(top.reasons) <= MAX_REASONS


def test_a_commit_shipped_long_after_it_landed_is_a_candidate(
    drafted: dict[str, tuple[BuiltScenario, Result]],
) -> None:
    built, result = drafted["shipped-late"]
    evidence = result.analysis.evidence
    assert evidence.incident.started_at - timedelta(hours=24) > evidence.window.since
    top = result.analysis.suspects[0]
    assert top.sha == built.culprit_sha
    assert "landed 35 h before the incident started" in top.reasons
    assert any(r.startswith("deployed to production (orders) 12 min") for r in top.reasons)


def test_lookback_option_and_a_hint_when_evidence_points_before_the_window(
    drafted: dict[str, tuple[BuiltScenario, Result]],
) -> None:
    built, _ = drafted["rollback-in-update"]
    good = built.shas["good"]  # landed 6 h before the start; an update rolls back to it
    incident = YAML(typ="safe", pure=True).load(built.incident_file.read_text(encoding="utf-8"))
    del incident["deploys"]  # no deploy brings the older commits in
    path = built.incident_file.with_name("no-deploys.json")
    path.write_text(json.dumps(incident), encoding="utf-8")
    args = ["--repo", str(built.repo), "--incident", str(path)]
    wide = CliRunner().invoke(cli, ["suspects", *args, "--json"], catch_exceptions=False)
    assert good in {s["sha"] for s in json.loads(wide.stdout)}
    narrow = CliRunner().invoke(
        cli, ["draft", *args, "--lookback", "2", "--format", "json"], catch_exceptions=False
    )
    data = json.loads(narrow.stdout)
    assert good not in {s["sha"] for s in data["suspects"]}
    assert (
        f"Evidence points before the 2 h lookback window: an update names {good[:7]}, which "
        "landed earlier; rerun with a longer --lookback (or lookback_hours in "
        ".github/pmops.yml) to rank it."
    ) in data["sections"]["Confidence"]
    bad = CliRunner().invoke(cli, ["suspects", *args, "--lookback", "0"])
    assert bad.exit_code == 2 and "--lookback" in bad.output


def test_the_last_actions_responders_report_are_what_stopped_the_impact() -> None:
    updates = (
        Update(T0 + timedelta(minutes=5), "Restarting the api pods did not help"),
        Update(T0 + timedelta(minutes=8), "We will roll back if this continues"),
        Update(T0 + timedelta(minutes=10), "Flushed the CDN cache"),
        Update(T0 + timedelta(minutes=20), "Drained node-3, errors falling"),
        Update(T0 + timedelta(minutes=30), "Raised the pool back to 10, errors gone"),
        Update(T0 + timedelta(minutes=90), "Restarted the workers"),  # after the end
    )
    findings = analyze(_evidence((), updates)).findings
    assert findings.stopped_by == (
        "what the update at 12:20 UTC reports (\u201cDrained node-3, errors falling\u201d)",
        "what the update at 12:30 UTC reports (\u201cRaised the pool back to 10, errors gone"
        "\u201d)",
    )


def test_an_action_that_did_not_help_or_is_planned_is_not_what_stopped_it() -> None:
    updates = (
        Update(T0 + timedelta(minutes=5), "Restarted the api pods, it did not help"),
        Update(T0 + timedelta(minutes=6), "Rolled back the config: no effect"),
        Update(T0 + timedelta(minutes=8), "The cache will be flushed at 12:30"),
        Update(T0 + timedelta(minutes=9), "Increased logging to debug"),  # no number: no action
    )
    assert analyze(_evidence((), updates)).findings.stopped_by == ()


def test_a_rollback_the_deploys_show_is_named_without_quoting_updates_too() -> None:
    changes = _chain(4)
    deploys = (
        Deploy(T0 - timedelta(minutes=10), changes[3].sha, "api"),
        Deploy(T0 + timedelta(minutes=20), changes[2].sha, "api"),
    )
    restarted = Update(T0 + timedelta(minutes=25), "Restarted the api pods")
    stopped = analyze(_evidence(deploys, (restarted,))).findings.stopped_by
    assert len(stopped) == 1 and stopped[0].startswith("the rollback of api")
