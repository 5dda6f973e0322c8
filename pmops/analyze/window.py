"""The incident window: where suspects are looked for, and the incident itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from pmops.model import Incident, Window

REMEDIATION_GRACE = timedelta(minutes=30)
"""Changes up to this long after resolution still count as the incident's remediation."""


def incident_window(incident: Incident, lookback_hours: float) -> Window:
    """Suspects from `lookback_hours` before the start; the incident from start to resolution."""
    return Window(
        since=incident.started_at - timedelta(hours=lookback_hours),
        start=incident.started_at,
        end=incident.resolved_at,
    )


def gather_until(window: Window) -> datetime:
    """The last moment whose changes are still evidence (resolution plus the grace)."""
    return window.end + REMEDIATION_GRACE
