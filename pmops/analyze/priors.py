"""What kind of change a candidate is, whatever the incident says: a dependency roll, a
revert, a re-land, tests or docs only, the largest change of the window.

Each trait is a signal of `suspects.py` (value 0 or 1) whose weight was fitted on mined real
regressions (`python -m bench.regressions.learn`); the share of culprits with each trait
against chance is in the README. The traits are facts about the change alone, so they speak
where the incident text says little ("the roll broke the tree", a CI link).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from pmops.analyze.candidates import Candidate
from pmops.analyze.paths import path_kinds

_ROLL = re.compile(
    r"^\s*(\[[^\]]*\]\s*)*("
    r"roll\b|auto-?roll|manual roll|update (dependency|deps?|module|submodule)s?\b"
    r"|bump\b|chore\(deps(-dev)?\)|build\(deps(-dev)?\)|(update|upgrade) \S+ (from|to) \S*\d"
    r"|\S+: (update|roll|bump) \S+ (from|to)\b|update (third_party|vendor)"
    r")",
    re.IGNORECASE,
)
"""Subjects of automated and manual dependency rolls: "Roll Skia from 1a2b to 3c4d",
"Bump serde from 1.0.1 to 1.0.2", "chore(deps): update ...", "Update dependency x to v2"."""

_REVERT = re.compile(r"^\s*(\[[^\]]*\]\s*)*(revert\b|rollback\b|roll back\b)", re.IGNORECASE)
_RELAND = re.compile(
    r"^\s*(\[[^\]]*\]\s*)*(re-?lands?\b|re-?land:|re-?apply|reapply|re-?commit|roll(ing)? forward"
    r"|re-?submit|re-?introduce|try again|second attempt|attempt #?\d)",
    re.IGNORECASE,
)
_QUOTED = re.compile(r'^\s*(?:revert|reland|re-land)\w*:?\s*"(.*)"\s*$', re.IGNORECASE)
_PR_SUFFIX = re.compile(r"\s*\(#\d+\)\s*$")


def subject_key(subject: str) -> str:
    """A subject without the "Revert"/"Reland" wrapping, PR suffix and case: what a silent
    re-land repeats word for word."""
    inner = _PR_SUFFIX.sub("", subject)
    while match := _QUOTED.match(inner):
        inner = _PR_SUFFIX.sub("", match.group(1))
    return " ".join(inner.lower().split())


def _all_kind(paths: Sequence[str], kind: str) -> bool:
    return bool(paths) and all(kind in path_kinds(p) for p in paths)


def change_traits(
    candidates: Sequence[Candidate], reverted: Mapping[str, datetime]
) -> list[dict[str, float]]:
    """Per candidate, the traits it has (name -> 1.0): dependency_only, roll, is_revert,
    test_only, docs_only, reland, largest. `reverted` maps the `subject_key` of each change
    reverted in the evidence to when the revert landed: a change with that subject landed
    after it re-lands it, even without saying so."""
    churns = [c.churn for c in candidates]
    biggest = max(churns, default=0)
    result = []
    for candidate, churn in zip(candidates, churns, strict=True):
        subject = candidate.change.subject
        paths = [f.path for f in candidate.files]
        traits = {
            "dependency_only": _all_kind(paths, "dependency"),
            "roll": bool(_ROLL.search(subject)),
            "is_revert": bool(_REVERT.search(subject)) or bool(candidate.change.reverts),
            "test_only": _all_kind(paths, "test"),
            "docs_only": _all_kind(paths, "docs"),
            "reland": bool(_RELAND.search(subject))
            or (
                not _REVERT.search(subject)
                and _after(reverted.get(subject_key(subject)), candidate)
            ),
            "largest": biggest > 0 and churn == biggest,
        }
        result.append({name: 1.0 for name, has in traits.items() if has})
    return result


def _after(moment: datetime | None, candidate: Candidate) -> bool:
    return moment is not None and candidate.landed_at > moment
