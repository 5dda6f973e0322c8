"""What the model's rerank of the top suspects returns, apart from the rerank itself so the
pipeline can say "unchanged" without loading the model's prompt and client code."""

from __future__ import annotations

from dataclasses import dataclass

from pmops.model import Suspect


@dataclass(frozen=True)
class RerankResult:
    """The suspects in their new order, and what happened."""

    suspects: tuple[Suspect, ...]
    note: str | None = None
    """For the postmortem's notes: what the model did, or why its answer was not used."""
    model_order: tuple[str, ...] = ()
    """SHAs of the top K in the model's own order (before fusion); empty when it fell back."""
    fell_back: bool = False
