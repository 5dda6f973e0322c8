"""The follow-through settings of `.github/pmops.yml`: action-item due dates, which incidents
require a postmortem and by when, reminders, and sign-off by severity.

Built from schema-valid data with the schema's defaults already merged in (`pmops.config`);
the defaults themselves live only in schemas/config.schema.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pmops.documents.schemas import load_schema
from pmops.model import Priority, Severity


@dataclass(frozen=True)
class SignoffRule:
    """What the publish stamp needs for one severity."""

    approvals: int
    team: str | None = None  # org/team, without the @


@dataclass(frozen=True)
class FollowConfig:
    """Action items, required postmortems, reminders and sign-off."""

    due_days: Mapping[Priority, int]
    assign_owners: bool
    required_severities: frozenset[Severity]
    business_days: int
    period_days: int
    review_days: int
    mention_owners: bool
    signoff: Mapping[Severity, SignoffRule]
    default_signoff: SignoffRule

    def signoff_for(self, severity: Severity) -> SignoffRule:
        """The sign-off rule of `severity` (the schema's default when none is configured)."""
        return self.signoff.get(severity, self.default_signoff)


def parse_follow(data: Mapping[str, Any]) -> FollowConfig:
    """A FollowConfig from the validated configuration with defaults merged in."""
    items, required = data["action_items"], data["required_postmortems"]
    reminders = data["reminders"]
    shape = load_schema("config")["$defs"]["signoff"]["properties"]
    default = SignoffRule(int(shape["approvals"]["default"]))
    signoff = {}
    for name, rule in (data.get("signoff") or {}).items():
        team = rule.get("team")
        signoff[Severity(name)] = SignoffRule(
            int(rule.get("approvals", default.approvals)), team.lstrip("@") if team else None
        )
    return FollowConfig(
        due_days={Priority(k): int(v) for k, v in items["due_days"].items()},
        assign_owners=bool(items["assign_owners"]),
        required_severities=frozenset(Severity(s) for s in required["severities"]),
        business_days=int(required["business_days"]),
        period_days=int(reminders["period_days"]),
        review_days=int(reminders["review_days"]),
        mention_owners=bool(reminders["mention_owners"]),
        signoff=signoff,
        default_signoff=default,
    )
