"""Sign-off by severity: whether the approvals of a postmortem's head commit are enough for
the publish stamp, and who is still needed. Pure; `pmops.events.signoff_gate` reads the facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pmops.documents.templating import render_template
from pmops.follow.config import SignoffRule
from pmops.model import Severity


@dataclass(frozen=True)
class Approval:
    """One approval of the head commit, with what is known of the approver."""

    login: str
    code_owner: bool
    teams: frozenset[str] | None = None  # org/team slugs they belong to; None: unreadable


@dataclass(frozen=True)
class Signoff:
    """The verdict: enough, or what is missing (sentences for the pull request)."""

    satisfied: bool
    owners: tuple[str, ...]  # code owners who approved
    missing: tuple[str, ...]


def evaluate_signoff(rule: SignoffRule, approvals: Sequence[Approval]) -> Signoff:
    """Enough distinct code owners approved, and (if named) a member of the team."""
    owners = tuple(sorted({a.login for a in approvals if a.code_owner}, key=str.lower))
    missing = []
    if len(owners) < rule.approvals:
        more = rule.approvals - len(owners)
        missing.append(
            f"{more} more approval{'s' if more > 1 else ''} from code owners of the "
            f"file ({rule.approvals} needed)"
        )
    if rule.team:
        team = rule.team.lower()
        if not any(a.teams is not None and team in a.teams for a in approvals):
            unknown = [a.login for a in approvals if a.teams is None]
            note = (
                f" (pmops could not read the team membership of {', '.join(unknown)} with "
                f"its token: give the action a token with organization read access)"
                if unknown
                else ""
            )
            missing.append(f"an approval from a member of {rule.team}{note}")
    return Signoff(not missing, owners, tuple(missing))


def signoff_message(severity: Severity, rule: SignoffRule, verdict: Signoff) -> str:
    """The comment on the pull request saying who is still needed."""
    return render_template(
        "comments/signoff_pending.md.j2",
        severity=severity.value,
        approvals=rule.approvals,
        team=rule.team or "",
        owners=list(verdict.owners),
        missing=list(verdict.missing),
    ).strip()
