"""The suspect rerank's prompt: the incident and the top candidates under neutral letters.

Every word the model reads comes from `templates/prompts/rerank_*.j2`. Untrusted text (the
incident's title, impact, updates and alerts; commit subjects, messages and diffs) is
redacted of secrets and fenced as data like the draft's prompt (`Cleaner`). Blameless: no
author or committer is ever read from git, sign-off trailers and e-mail addresses are
removed, and the candidates' author names (and the user part of any quoted address) are
masked wherever they appear. Diffs are trimmed to whole lines, each file a fair share, until
the prompt fits `model.prompt_token_budget`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pmops.analyze.paths import NOISE_KINDS, path_kinds
from pmops.config import Config
from pmops.documents.templating import render_template
from pmops.draft.blameless import people
from pmops.draft.prompts import MESSAGE_OVERHEAD, Cleaner, TokenCounter
from pmops.model import Change, Evidence, Suspect
from pmops.safety.redact import redact_secrets
from pmops.sources.diffs import LinePrefix, more_files

LABELS = string.ascii_uppercase
"""Candidates are named by letters, never by SHA: the model cannot invent one we would trust."""
DIFF_CHARS = 4000
"""Most characters of one candidate's diff; about 1,500-2,500 tokens of code."""
DIFF_TOTAL_CHARS = 12000
"""Most characters of all diffs together, whatever the token budget."""
MIN_DIFF_CHARS = 300
"""A diff share below this says too little: the diffs are left out instead."""
SHRINK = 0.6
"""Each try that does not fit the budget keeps this share of the diff allowance."""
MAX_UPDATES = 8
MAX_ALERTS = 5
MAX_FILES = 12

_FILE_HEADER = re.compile(r"^diff --git a/(.+?) b/")

Clean = Callable[[str, str], str]
"""Untrusted text of a kind (see `prompts.LIMITS`) made fit for the prompt."""


@dataclass(frozen=True)
class RerankPrompt:
    """The rendered prompt; `labels[i]` names the i-th candidate."""

    system: str
    user: str
    tokens: int
    labels: tuple[str, ...]
    redactions: int
    diff_chars: int
    """The per-candidate diff allowance that fit the budget (0: no diffs)."""

    def messages(self) -> list[dict[str, str]]:
        """System and user messages."""
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]


def build_rerank_prompt(
    candidates: Sequence[Suspect],
    evidence: Evidence,
    diffs: Mapping[str, str],
    config: Config,
    known_secrets: Sequence[str] = (),
) -> RerankPrompt:
    """The prompt with the largest diff allowance that fits the budget (maybe none).

    The caller checks `tokens` against the budget: without diffs it may still not fit.
    """
    counter = TokenCounter(config.model.name or "")
    budget = config.model.prompt_token_budget
    allowance = min(DIFF_CHARS, DIFF_TOTAL_CHARS // max(1, len(candidates)))
    while True:
        prompt = _render(candidates, evidence, diffs, allowance, known_secrets, counter)
        if prompt.tokens <= budget or allowance == 0:
            return prompt
        allowance = int(allowance * SHRINK)
        if allowance < MIN_DIFF_CHARS:
            allowance = 0


def _render(
    candidates: Sequence[Suspect],
    evidence: Evidence,
    diffs: Mapping[str, str],
    allowance: int,
    known_secrets: Sequence[str],
    counter: TokenCounter,
) -> RerankPrompt:
    by_sha = {c.sha: c for c in evidence.changes}
    changes = [by_sha.get(s.sha) for s in candidates]
    names = people(
        [c for c in changes if c is not None],
        [*(u.text for u in evidence.updates), *(s.body for s in changes if s), *diffs.values()],
    )
    cleaner = Cleaner(known_secrets, names)
    clean = cleaner.untrusted
    labels = tuple(LABELS[: len(candidates)])

    rows = [
        _candidate(label, suspect, change, diffs.get(suspect.sha, ""), allowance, evidence, clean)
        for label, suspect, change in zip(labels, candidates, changes, strict=True)
    ]
    incident = _incident(evidence, clean)
    fence = cleaner.nonce()
    system = render_template("prompts/rerank_system.md.j2", fence=fence, labels=labels)
    user = render_template(
        "prompts/rerank_user.md.j2", fence=fence, incident=incident, candidates=rows, labels=labels
    )
    user, late = redact_secrets(user, known_secrets)  # belt and braces: nothing escapes
    tokens = counter.count(system) + counter.count(user) + MESSAGE_OVERHEAD
    return RerankPrompt(system, user, tokens, labels, cleaner.redactions + late, allowance)


def _incident(evidence: Evidence, clean: Clean) -> dict[str, Any]:
    incident = evidence.incident
    updates = sorted(evidence.updates, key=lambda u: u.at)
    return {
        "record": incident,
        "title": clean(incident.title, "title"),
        "impact": clean(incident.impact, "impact"),
        "updates": [{"at": u.at, "text": clean(u.text, "update")} for u in updates[:MAX_UPDATES]],
        "more_updates": max(0, len(updates) - MAX_UPDATES),
        "alerts": [
            {
                "at": a.at,
                "service": a.service,
                "text": clean(a.name + (f": {a.text}" if a.text else ""), "text"),
            }
            for a in sorted(evidence.alerts, key=lambda a: a.at)[:MAX_ALERTS]
        ],
    }


def _candidate(
    label: str,
    suspect: Suspect,
    change: Change | None,
    diff: str,
    allowance: int,
    evidence: Evidence,
    clean: Clean,
) -> dict[str, Any]:
    files = change.files if change else ()
    return {
        "label": label,
        "when": _when(change.committed_at, evidence.incident.started_at) if change else "",
        "additions": sum(f.additions for f in files),
        "deletions": sum(f.deletions for f in files),
        "file_count": len(files),
        "subject": clean(suspect.subject or (change.subject if change else ""), "subject"),
        "body": clean(change.body, "body") if change else "",
        "reasons": [clean(r, "text") for r in suspect.reasons],
        "files": [f"{f.path} (+{f.additions}/-{f.deletions})" for f in files[:MAX_FILES]],
        "more_files": max(0, len(files) - MAX_FILES),
        "diff": clean(trim_patch(diff, allowance), "diff") if allowance else "",
    }


def _when(committed: datetime, start: datetime) -> str:
    minutes = round((start - committed).total_seconds() / 60)
    span = f"{abs(minutes)} min" if abs(minutes) < 90 else f"{abs(minutes) / 60:.1f} h"
    return f"committed {span} {'before' if minutes >= 0 else 'after'} the start"


# ---------------------------------------------------------------- diffs


def trim_patch(patch: str, limit: int) -> str:
    """`patch` within about `limit` characters, in whole lines: code files before docs, tests
    and CI, and each file a fair share (a small file whole, a big one cut with a count)."""
    if limit <= 0 or not patch:
        return ""
    blocks = _file_blocks(patch)
    blocks.sort(key=_is_noise)  # stable: the order of git within each group
    if len(patch) <= limit:
        return "\n".join(line for block in blocks for line in block)
    sizes = [sum(len(line) + 1 for line in block) for block in blocks]
    shares = _fair_shares(sizes, limit)
    kept: list[str] = []
    dropped = 0
    for block, share in zip(blocks, shares, strict=True):
        lines = _prefix(block, share)
        if lines:
            kept += lines
        else:
            dropped += 1
    if dropped:
        kept.append(more_files(dropped))
    return "\n".join(kept)


def _file_blocks(patch: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    for line in patch.split("\n"):
        if line.startswith("diff --git ") or not blocks:
            blocks.append([])
        blocks[-1].append(line)
    return blocks


def _is_noise(block: list[str]) -> bool:
    """A file of docs, tests or CI: it goes last in a diff (it rarely explains an outage)."""
    match = _FILE_HEADER.match(block[0])
    return bool(match and path_kinds(match.group(1)) & set(NOISE_KINDS))


def _fair_shares(sizes: Sequence[int], limit: int) -> list[int]:
    """Water-filling: the smallest files first get all they need, the rest split what is left."""
    shares = [0] * len(sizes)
    remaining = limit
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    for done, i in enumerate(order):
        shares[i] = min(sizes[i], remaining // (len(order) - done))
        remaining -= shares[i]
    return shares


def _prefix(lines: Sequence[str], share: int) -> list[str]:
    """The first whole lines within `share` characters, and a count of the rest; nothing
    when the file's header does not fit, or fits alone (a header says nothing)."""
    prefix = LinePrefix(share)
    for line in lines:
        prefix.add(line)
    if prefix.size > share or (prefix.more and len(prefix.lines) <= 1):
        return []
    return prefix.shown()
