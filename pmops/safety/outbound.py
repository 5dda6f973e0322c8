"""One policy for everything pmops writes (DESIGN §7): the postmortem and its `.drafts/` copy,
PR bodies, comments, action-item issues and the job log get the same secret redaction
(`redact`) and the same markdown policy (`markdown_policy`).

Text that already complies comes back unchanged, so pmops's own layout is kept; the policy
only rewrites what would render as a foreign link or image, raw HTML or a notifying mention,
and only redacts what is a secret.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from pmops.model import Evidence, FileChange, Postmortem, Suspect
from pmops.safety.files import repair_surrogates
from pmops.safety.markdown_policy import Policy, enforce, enforce_inline
from pmops.safety.redact import MIN_KNOWN, redact_secrets, secret_values


def outbound_markdown(text: str, allowed: Sequence[str], known: Iterable[str] = ()) -> str:
    """A PR body, comment or issue body ready to post: secrets redacted, the markdown policy
    enforced (pmops's `<!-- pmops:... -->` markers kept)."""
    text = redact_secrets(repair_surrogates(text), known)[0]
    return enforce(text, Policy(tuple(allowed), markers=True))


def evidence_secrets(evidence: Evidence) -> frozenset[str]:
    """Every secret in the evidence's text, as written: pmops's own words about the evidence
    (ranking reasons, quoted subjects) may carry one lowercased or cut out of its context.
    Scanned once per evidence (the ranking and the postmortem both ask)."""
    last = _LAST_SCAN.get("evidence")
    if last is not None and last[0] is evidence:
        return last[1]
    found = frozenset(secret_values(s for s in _strings(evidence) if _may_hold_secret(s)))
    _LAST_SCAN["evidence"] = (evidence, found)
    return found


_LAST_SCAN: dict[str, tuple[Evidence, frozenset[str]]] = {}
_SHA = re.compile(r"[0-9a-f]{7,64}")


def _may_hold_secret(text: str) -> bool:
    """Commit SHAs and words shorter than any known secret are not scanned."""
    return len(text) >= MIN_KNOWN and not _SHA.fullmatch(text)


def redact_suspects(suspects: Sequence[Suspect], known: Iterable[str]) -> tuple[Suspect, ...]:
    """Ranking reasons and subjects without secrets: a reason quotes the words an update and a
    commit share, lowercased, so a token in both would otherwise be written out."""
    known = tuple(known)
    return tuple(
        replace(s, subject=redact_secrets(s.subject, known)[0],
                reasons=tuple(redact_secrets(r, known)[0] for r in s.reasons))
        for s in suspects
    )  # fmt: skip


def safe_postmortem(
    pm: Postmortem, allowed: Sequence[str], known: Iterable[str] = ()
) -> Postmortem:
    """`pm` with every text field redacted, the title and one-line fields under the inline
    policy and every section under the section policy."""
    known = tuple(known)

    def text(value: str) -> str:
        return redact_secrets(repair_surrogates(value), known)[0]

    def line(value: str) -> str:
        return enforce_inline(text(value), Policy(tuple(allowed)))

    section_policy = Policy(tuple(allowed), sections=True)
    return replace(
        pm,
        title=line(pm.title),
        impact=replace(pm.impact, description=line(pm.impact.description)),
        suspects=redact_suspects(pm.suspects, known),
        action_items=tuple(
            replace(a, title=line(a.title), owner=text(a.owner) if a.owner else a.owner)
            for a in pm.action_items
        ),
        sections={h: enforce(text(t), section_policy) for h, t in pm.sections.items()},
    )


def _strings(value: Any) -> Iterable[str]:
    """Every string inside a tree of dataclasses, tuples and mappings."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, FileChange):
        return  # a path in the repository, not text anyone typed into the incident
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _strings(getattr(value, field.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
