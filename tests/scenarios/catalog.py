"""The scenario suite: every scenario, by theme module, in a stable order."""

from __future__ import annotations

from tests.scenarios import catalog_changes, catalog_deploys, catalog_history, catalog_text
from tests.scenarios.spec import Append, CommitSpec, Replace, Scenario

SCENARIOS: tuple[Scenario, ...] = (
    *catalog_changes.SCENARIOS,
    *catalog_deploys.SCENARIOS,
    *catalog_text.SCENARIOS,
    *catalog_history.SCENARIOS,
)

__all__ = ["SCENARIOS", "Append", "CommitSpec", "Replace", "Scenario"]
