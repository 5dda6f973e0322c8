"""One link policy for every draft (DESIGN §7): links and images only to the repository and
the configured hosts.

The model's answer is sanitized as it is read (`parse.to_draft`). The deterministic draft
quotes untrusted text too: human updates, alert text, commit subjects, log lines. Those pass
through `sanitize.one_line`, which removes HTML and notifying mentions but, not knowing the
hosts, leaves links to the document's pass. `restrict_links` is that pass for a finished
draft: the model output's parse-tree policy (`markdown_policy`) with the allowed hosts. The
composed postmortem passes it once more with secret redaction (`outbound.safe_postmortem`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pmops.config import Config
from pmops.model import Draft, Evidence
from pmops.safety.sanitize import sanitize_inline, sanitize_markdown


def allowed_links(config: Config, evidence: Evidence) -> list[str]:
    """The hosts (and URL prefixes) a draft may link to: `allowed_link_hosts` and the
    repository's URL; relative links are always allowed."""
    return [*config.allowed_link_hosts, *([evidence.repo_url] if evidence.repo_url else [])]


def restrict_links(draft: Draft, allowed: Sequence[str]) -> Draft:
    """`draft` with every link and image outside `allowed` removed from its text."""

    def block(text: str) -> str:
        return sanitize_markdown(text, allowed)

    def line(text: str) -> str:
        return sanitize_inline(text, allowed, limit=max(len(text), 1))

    def lines(texts: Sequence[str]) -> tuple[str, ...]:
        return tuple(line(t) for t in texts)

    return replace(
        draft,
        summary=block(draft.summary),
        customer_impact=block(draft.customer_impact),
        timeline=tuple(replace(e, text=line(e.text)) for e in draft.timeline),
        root_cause=block(draft.root_cause),
        resolution=block(draft.resolution),
        contributing_factors=lines(draft.contributing_factors),
        went_well=lines(draft.went_well),
        went_poorly=lines(draft.went_poorly),
        action_items=tuple(replace(a, title=line(a.title)) for a in draft.action_items),
        confidence_reason=block(draft.confidence_reason),
    )
