"""Does one change stand out as the cause? (placeholder, replaced below)"""

from __future__ import annotations

from collections.abc import Sequence

from pmops.model import Evidence, Standout, Suspect


def decide_standout(evidence: Evidence, suspects: Sequence[Suspect]) -> Standout:
    """Whether the top suspect stands out."""
    return Standout(bool(suspects), "")
