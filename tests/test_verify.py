"""Verification: every checkable claim is compared with the evidence; failures are marked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from pmops.analyze.analysis import analyze
from pmops.draft.deterministic import draft_deterministic
from pmops.model import (
    Analysis,
    Change,
    Confidence,
    Deploy,
    EventSource,
    Evidence,
    FileChange,
    Incident,
    TimelineEvent,
    Update,
    Window,
)
from pmops.verify import UNVERIFIED, apply_verification, collect_facts, extract_claims, verify_draft

START = datetime(2026, 3, 20, 14, 23, tzinfo=UTC)
SHA = "3315440" + "a" * 33


def analysis() -> Analysis:
    change = Change(
        sha=SHA,
        subject="Lower pool size (#105)",
        authored_at=START - timedelta(minutes=41),
        committed_at=START - timedelta(minutes=41),
        pr=105,
        files=(FileChange("config/pool.yaml", 3, 1),),
    )
    incident = Incident(
        id=42,
        title="Checkout errors",
        started_at=START,
        resolved_at=START + timedelta(minutes=47),
        users_affected=2300,
        detected_at=START + timedelta(minutes=4),
    )
    evidence = Evidence(
        incident=incident,
        window=Window(START - timedelta(hours=24), START, incident.resolved_at),
        changes=(change,),
        deploys=(Deploy(at=START - timedelta(minutes=3), sha=SHA),),
        updates=(Update(START + timedelta(minutes=9), "error rate at 6.2 %"),),
    )
    return analyze(evidence)


def kinds(text: str) -> list[tuple[str, str, bool]]:
    facts = collect_facts(analysis())
    return [(c.kind, c.text, c.verified) for c in extract_claims(text, "Summary", facts)]


def test_grounded_claims_verify() -> None:
    text = (
        f"`{SHA[:7]}` (PR #105) was deployed at 14:20 UTC; the incident lasted 47 min, "
        "affected 2,300 users, error rate 6.2 %, detected after 4 min, and incident #42."
    )
    claims = kinds(text)
    assert claims and all(ok for _, _, ok in claims), claims
    assert {k for k, _, _ in claims} == {"sha", "ref", "time", "duration", "number"}


def test_a_time_that_is_no_date_is_an_unverified_claim_not_an_error() -> None:
    """A model wrote "2026-13-28T19:59:00Z" in a draft of the claims benchmark: the draft is
    kept, the claim marked, never the run ended by an error."""
    claims = kinds("It began at 2026-13-28T19:59:00Z and again at 2026-02-30T10:00:00Z.")
    assert claims == [
        ("time", "2026-13-28T19:59:00Z", False),
        ("time", "2026-02-30T10:00:00Z", False),
    ]


def test_invented_claims_fail() -> None:
    claims = kinds("Commit deadbeef1 (PR #999) at 09:13 UTC lasted 3 h 10 min for 51,234 users.")
    assert [(k, ok) for k, _, ok in claims] == [
        ("sha", False),
        ("ref", False),
        ("time", False),
        ("duration", False),
        ("number", False),
    ]


def test_all_digit_short_sha_is_a_sha_not_a_number() -> None:
    assert kinds(f"the change {SHA[:7]} broke it") == [("sha", SHA[:7], True)]


def test_iso_times_in_text_are_checked() -> None:
    assert kinds("at 2026-03-20T14:20:00Z") == [("time", "2026-03-20T14:20:00Z", True)]
    assert kinds("at 2026-03-20T11:11:00Z") == [("time", "2026-03-20T11:11:00Z", False)]


def test_the_deterministic_draft_is_fully_grounded() -> None:
    result = analysis()
    verification = verify_draft(draft_deterministic(result), result)
    assert verification.claims
    assert verification.unverified == (), verification.unverified


def test_unverified_claims_are_marked_and_lower_confidence() -> None:
    result = analysis()
    draft = draft_deterministic(result)
    draft = replace(
        draft,
        confidence=Confidence.HIGH,
        summary=draft.summary + " Rolled back by cafe1234 at 09:13 UTC.",
        timeline=(
            *draft.timeline,
            TimelineEvent(START + timedelta(hours=5), EventSource.UPDATE, "invented"),
        ),
    )
    verification = verify_draft(draft, result)
    marked = apply_verification(draft, verification)
    assert f"cafe1234 {UNVERIFIED}" in marked.summary
    assert f"09:13 UTC {UNVERIFIED}" in marked.summary
    assert marked.timeline[-1].text.endswith(UNVERIFIED)
    assert marked.confidence is Confidence.MEDIUM
    assert "could not be verified" in marked.confidence_reason
    assert apply_verification(marked, verification).summary.count(UNVERIFIED) == 2


def test_metrics_and_logs_in_the_draft_verify() -> None:
    from pmops.model import Anomaly, LogSummary

    base = analysis()
    evidence = replace(
        base.evidence,
        anomalies=(
            Anomaly(
                "error_rate",
                "prometheus",
                0.001,
                0.062,
                START + timedelta(minutes=1),
                START + timedelta(minutes=8),
                START + timedelta(minutes=29),
                unit="ratio",
            ),
        ),
        logs=(
            LogSummary(
                "timeout acquiring connection from pool",
                1234,
                START + timedelta(minutes=2),
                START + timedelta(minutes=40),
            ),
        ),
    )
    result = analyze(evidence)
    draft = draft_deterministic(result)
    assert "error_rate rose from" in draft.customer_impact
    assert "1,234" in draft.root_cause
    verification = verify_draft(draft, result)
    assert verification.unverified == (), verification.unverified
