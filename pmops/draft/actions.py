"""Action items derived from the findings: each names the file, service or check it is about."""

from __future__ import annotations

from pathlib import PurePosixPath

from pmops.model import ActionItem, Analysis, Findings, Priority
from pmops.times import format_clock

MAX_ACTION_ITEMS = 6


def derive_action_items(analysis: Analysis, findings: Findings) -> tuple[ActionItem, ...]:
    """Specific follow-ups, most important first, without duplicates."""
    evidence = analysis.evidence
    affected = findings.service
    owner = f"{affected} owners" if affected else None
    service = affected or "the service"
    items: list[ActionItem] = []
    items += _cause_items(analysis, findings, service, owner)
    if not evidence.alerts or (findings.detection_minutes or 0) > 10:
        items.append(_detection_item(analysis, service, owner))
    if any(item.startswith("The deploy of") for item in findings.contributing):
        items.append(
            ActionItem(
                f"Deploy {service} in smaller batches so each deploy can be tied to one change",
                Priority.LOW,
                owner,
            )
        )
    if any(item.startswith("The first revert") for item in findings.contributing):
        items.append(
            ActionItem(
                f"Show the changes shipped by each {service} deploy in the "
                "rollback runbook, to revert the right one",
                Priority.LOW,
                owner,
            )
        )
    for source in evidence.unavailable[:1]:
        items.append(
            ActionItem(
                f"Restore pmops access to the evidence source that failed ({source.split(':')[0]})",
                Priority.LOW,
                None,
            )
        )
    unique = {item.title: item for item in items}
    return tuple(unique.values())[:MAX_ACTION_ITEMS]


def _cause_items(
    analysis: Analysis, findings: Findings, service: str, owner: str | None
) -> list[ActionItem]:
    """Follow-ups about the cause: the change that stands out, else what the evidence
    points to (tied changes, certificates, capacity, a provider), else the search for it."""
    top = analysis.suspects[0] if analysis.suspects else None
    known = top is not None and any(c.change.sha == top.sha for c in analysis.candidates)
    if top is not None and known and analysis.standout.stands_out:
        items = _change_items(findings, top.sha[:7], owner)
        if "deploy" in top.signals:
            items.append(
                ActionItem(
                    f"Add a canary stage with automatic rollback to the {service} deploy pipeline",
                    Priority.MEDIUM,
                    owner,
                )
            )
        return items
    tied = analysis.standout.tied
    if tied:
        named = " and ".join(f"`{sha[:7]}`" for sha in tied[:3])
        title = (
            f"Find out which of {named} (they score alike) caused the incident, and "
            "record it in this postmortem's root cause"
        )
        return [ActionItem(title, Priority.HIGH, owner)]
    if analysis.standout.topics:
        return [_topic_item(topic, service, owner) for topic in analysis.standout.topics]
    title = (
        "Identify the trigger outside this repository (infrastructure, traffic, third "
        "parties) and record it in this postmortem's root cause"
    )
    return [ActionItem(title, Priority.HIGH, owner)]


def _change_items(findings: Findings, short: str, owner: str | None) -> list[ActionItem]:
    items = []
    for path in findings.paths_of("config")[:1]:
        items.append(
            ActionItem(
                f"Validate {path} in CI before deploy (schema and value ranges "
                f"of the settings changed in {short})",
                Priority.HIGH,
                owner,
            )
        )
    for path in findings.paths_of("dependency")[:1]:
        items.append(
            ActionItem(
                f"Gate version changes in {path} behind a canary deploy and a changelog review",
                Priority.HIGH,
                owner,
            )
        )
    for path in findings.paths_of("migration")[:1]:
        folder = PurePosixPath(path).parent.as_posix()
        items.append(
            ActionItem(
                f"Run migrations in {folder}/ against a production-sized "
                "database with a lock timeout before release",
                Priority.HIGH,
                owner,
            )
        )
    for path in findings.paths_of("flag")[:1]:
        items.append(
            ActionItem(
                f"Roll out changes to {path} gradually with a kill switch", Priority.HIGH, owner
            )
        )
    for path in findings.paths_of("infra")[:1]:
        items.append(
            ActionItem(
                f"Require a reviewed plan/diff for {path} before it is applied",
                Priority.MEDIUM,
                owner,
            )
        )
    code = findings.paths_of("code")
    if code:
        items.append(
            ActionItem(
                f"Add a regression test for the failure introduced in {code[0]} by {short}",
                Priority.HIGH if not items else Priority.MEDIUM,
                owner,
            )
        )
    return items


_TOPIC_ITEMS = {
    "certificate": (
        "Alert on the expiry of every certificate {service} serves or calls weeks ahead, and "
        "automate its renewal"
    ),
    "capacity": (
        "Alert on {service} capacity (heap, disk, connections) well before saturation, and "
        "record the headroom it needs at peak"
    ),
    "provider": (
        "Give {service}'s calls to the provider a timeout and a fallback, and alert on the "
        "provider's status"
    ),
    "traffic": "Rate-limit and autoscale {service} for traffic spikes like this one",
}
"""Follow-ups for evidence that points away from the code (pmops.analyze.standout.TOPICS)."""


def _topic_item(topic: str, service: str, owner: str | None) -> ActionItem:
    return ActionItem(_TOPIC_ITEMS[topic].format(service=service), Priority.HIGH, owner)


def _detection_item(analysis: Analysis, service: str, owner: str | None) -> ActionItem:
    anomalies = analysis.evidence.anomalies
    if anomalies:
        first = min(anomalies, key=lambda a: a.onset_at)
        return ActionItem(
            f"Alert on {first.name} for {service}: it left its baseline at "
            f"{format_clock(first.onset_at)}, before anyone noticed",
            Priority.HIGH,
            owner,
        )
    return ActionItem(
        f"Add an alert on {service} error rate and latency that pages the on-call engineer "
        "as soon as a regression starts",
        Priority.MEDIUM,
        owner,
    )
