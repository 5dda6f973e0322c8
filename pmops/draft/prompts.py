"""The model's prompt: evidence ranked, redacted, fenced and trimmed to the token budget.

Every word the model reads comes from `templates/prompts/*.j2`; this module only decides
which evidence goes in. Items are ranked in tiers (human updates and top suspects, then
observability and similar incidents, then the rest) and dropped whole, lowest first, until
the prompt fits `model.prompt_token_budget`. Untrusted text (issue text, comments, commit
messages, log lines, alert texts, past postmortems, reviewer feedback) is redacted of secrets,
capped, and fenced between markers carrying a nonce derived from the text itself, so no quoted
text can close its own fence.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from pmops.config import Config
from pmops.documents.schemas import load_schema
from pmops.documents.sections import prompt_guidance
from pmops.documents.templating import render_template
from pmops.draft.blameless import blameless, people
from pmops.model import Analysis, Change, Evidence
from pmops.safety.redact import redact_secrets
from pmops.times import minutes_between

TOP_SUSPECTS = 3
"""Suspects ranked in the first tier; the rest follow with the other evidence."""
MAX_SUSPECTS = 10
MAX_CHANGES = 150
"""Commits offered beyond the suspects, newest first; more never fit a sensible budget."""
MAX_FILES = 12
NONCE_LENGTH = 10
"""Letters of the fence marker: 26**10 values, derived from the fenced text itself."""
REPAIR_RESERVE = 400
"""Tokens kept free for the repair note a retry appends to the user message."""
MESSAGE_OVERHEAD = 12
"""Tokens a chat template adds around two messages (role markers, separators)."""
LETTERS_PER_TOKEN = 3.0
"""Where no tokenizer is known, a safe estimate: small vocabularies (SmolLM2, Llama) spend a
token on every digit, hex character and punctuation mark and on a space before a digit, and
about one per 3-4 letters. Measured against SmolLM2's tokenizer the estimate is 2-80 % over
(prose, schema) and never under on evidence-heavy prompts; tiktoken counts are exact."""
_HEX_WORD = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{6,}\b")
_SPACE_DIGIT = re.compile(r"\s(?=\d)")
LIMITS = {
    "title": 300,
    "impact": 1500,
    "update": 1500,
    "subject": 300,
    "body": 600,
    "text": 500,
    "log": 400,
    "similar": 400,
    "feedback": 2000,
    "diff": 8000,
}
"""Characters kept of each untrusted field, so one item never eats the budget."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_FENCE_WORD = re.compile(r"(</?)(untrusted)", re.IGNORECASE)


@dataclass(frozen=True)
class Item:
    """One piece of evidence as the template renders it; `label` names it in the left-out note."""

    kind: str
    tier: int
    label: str
    context: Mapping[str, Any]


@dataclass(frozen=True)
class Prompt:
    """The rendered prompt and what went into it."""

    system: str
    """With the schema in it when the server does not enforce the schema itself."""
    user: str
    tokens: int
    """Estimated (or, with tiktoken, counted) tokens of both messages."""
    counter: TokenCounter
    left_out: tuple[Item, ...] = ()
    redactions: int = 0

    def messages(self, repair: str = "") -> list[dict[str, str]]:
        """System and user messages; `repair` is appended to the user message on a retry."""
        user = f"{self.user}\n\n{repair}" if repair else self.user
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


class TokenCounter:
    """tiktoken where the model's encoding is known and loadable, a safe estimate otherwise."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.encoding = _encoding(model)

    @property
    def exact(self) -> bool:
        """True when counts come from the model's own tokenizer."""
        return self.encoding is not None

    def count(self, text: str) -> int:
        """Tokens in `text`."""
        if self.encoding is not None:
            return len(self.encoding.encode(text, disallowed_special=()))
        return estimate_tokens(text)


def estimate_tokens(text: str) -> int:
    """Tokens in `text` for an unknown tokenizer, erring high (see LETTERS_PER_TOKEN)."""
    hex_chars = sum(len(word) for word in _HEX_WORD.findall(text))
    rest = _HEX_WORD.sub(" ", text)
    letters = sum(ch.isalpha() for ch in rest)
    spaces = sum(ch.isspace() for ch in rest)
    others = len(rest) - letters - spaces  # digits, punctuation, symbols
    return math.ceil(
        hex_chars + others + len(_SPACE_DIGIT.findall(rest)) + letters / LETTERS_PER_TOKEN
    )


@cache
def _encoding(model: str) -> Any:
    """The tiktoken encoding of `model`, or None (unknown model, or its file cannot be had)."""
    try:
        import tiktoken

        return tiktoken.encoding_for_model(model)
    except KeyError:
        return None
    except (ImportError, OSError, ValueError):  # the encoding file is fetched once, then cached
        return None


def build_prompt(
    analysis: Analysis,
    config: Config,
    *,
    feedback: Sequence[str] = (),
    similar: Sequence[str] = (),
    known_secrets: Sequence[str] = (),
    schema_in_prompt: bool = True,
) -> Prompt:
    """Render system and user prompts with as much ranked evidence as the budget admits.

    `schema_in_prompt` is False where the server enforces the schema (json_schema, or
    llama.cpp's json_object with a schema): that leaves room for more evidence.
    """
    counter = TokenCounter(config.model.name or "")
    evidence = analysis.evidence
    by_sha = {c.sha: c for c in evidence.changes}
    changes = [by_sha[s.sha] for s in analysis.suspects[:MAX_SUSPECTS] if s.sha in by_sha]
    names = people(changes, [*(u.text for u in evidence.updates), *(c.body for c in changes)])
    cleaner = Cleaner(known_secrets, names)
    items = rank_items(analysis, similar, cleaner)
    header = _header(evidence, cleaner)
    requests = [cleaner.untrusted(text, "feedback") for text in feedback if text.strip()]
    fence = cleaner.nonce()
    system = render_template("prompts/system.md.j2", fence=fence)
    guidance = prompt_guidance(config.sections)  # the repository's own section instructions
    if guidance:
        system += "\n\n" + render_template("prompts/sections.md.j2", guidance=guidance).strip()
    if schema_in_prompt:
        system += "\n\n" + render_template("prompts/schema.md.j2", schema=_schema_text())
    rendered = [
        (item, render_template("prompts/item.md.j2", item=item, fence=fence).strip())
        for item in items
    ]

    def user_prompt(chosen: Sequence[str], left_out: Sequence[Item]) -> str:
        return render_template(
            "prompts/user.md.j2",
            fence=fence,
            header=header,
            items=chosen,
            left_out=_left_out_summary(left_out),
            feedback=requests,
        )

    fixed = counter.count(system) + MESSAGE_OVERHEAD + REPAIR_RESERVE
    # Worst case for the left-out line: every item named in it.
    remaining = config.model.prompt_token_budget - fixed - counter.count(user_prompt([], items))
    chosen: list[str] = []
    left_out: list[Item] = []
    for item, text in sorted(rendered, key=lambda pair: pair[0].tier):
        cost = counter.count(text) + 1
        if left_out or cost > remaining:  # a prefix of the ranking: never skip a better item
            left_out.append(item)
        else:
            chosen.append(text)
            remaining -= cost
    user = user_prompt(chosen, left_out)
    user, late = redact_secrets(user, known_secrets)  # belt and braces: nothing escapes
    tokens = counter.count(system) + counter.count(user) + MESSAGE_OVERHEAD
    return Prompt(
        system=system,
        user=user,
        tokens=tokens,
        left_out=tuple(left_out),
        redactions=cleaner.redactions + late,
        counter=counter,
    )


def render_repair(problem: str, detail: str) -> str:
    """The note appended to the user message when the first answer could not be used."""
    return render_template("prompts/repair.md.j2", problem=problem, detail=detail).strip()


def left_out_note(left_out: Sequence[Item], budget: int) -> str:
    """The reviewer-facing note naming the evidence the model did not see."""
    summary = _left_out_summary(left_out)
    return (
        f"Left out of the model's prompt to fit its budget of {budget} tokens "
        f"({len(left_out)} item{'s' if len(left_out) != 1 else ''}): {'; '.join(summary)}."
    )


def _left_out_summary(left_out: Sequence[Item]) -> list[str]:
    groups: dict[str, list[str]] = {}
    for item in left_out:
        groups.setdefault(item.kind, []).append(item.label)
    lines = []
    for kind, labels in groups.items():
        shown = ", ".join(labels[:8]) + (f" and {len(labels) - 8} more" if len(labels) > 8 else "")
        singular, plural = _NAMES[kind]
        lines.append(f"{len(labels)} {singular if len(labels) == 1 else plural} ({shown})")
    return lines


_NAMES = {
    "update": ("human update", "human updates"),
    "suspect": ("suspect", "suspects"),
    "alert": ("alert", "alerts"),
    "anomaly": ("metric anomaly", "metric anomalies"),
    "log": ("log pattern", "log patterns"),
    "similar": ("similar incident", "similar incidents"),
    "deploy": ("deploy", "deploys"),
    "release": ("release", "releases"),
    "workflow": ("workflow run", "workflow runs"),
    "pr": ("pull request", "pull requests"),
    "change": ("commit", "commits"),
}


# ---------------------------------------------------------------- evidence items


class Cleaner:
    """Redacts, caps and de-fences untrusted text, counting what it redacted; keeps people
    out of it (`blameless`: sign-offs, e-mail addresses, the names in `people`)."""

    def __init__(self, known_secrets: Sequence[str], people: Sequence[str] = ()) -> None:
        self.known = tuple(known_secrets)
        self.people = tuple(people)
        self.redactions = 0
        self._digest = hashlib.sha256()

    def untrusted(self, text: str, kind: str) -> str:
        """`text` without control characters or secrets, capped at `LIMITS[kind]`, unable to
        close a fence; it counts towards the nonce."""
        text = _CONTROL.sub("", text.replace("\r\n", "\n")).strip()
        text, count = redact_secrets(text, self.known)
        # people after secrets: a URL's credentials (user:pass@host) look like an e-mail
        text = blameless(text, self.people).strip()
        self.redactions += count
        limit = LIMITS[kind]
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "…"
        text = _FENCE_WORD.sub(lambda m: f"{m.group(1)}\u2039{m.group(2)[1:]}", text)
        self._digest.update(text.encode() + b"\0")
        return text

    def nonce(self) -> str:
        """A fence marker no quoted text can contain: a hash of all the text it fences, in
        letters (cheaper in tokens than hex digits)."""
        return "".join(chr(ord("a") + byte % 26) for byte in self._digest.digest()[:NONCE_LENGTH])


def rank_items(analysis: Analysis, similar: Sequence[str], cleaner: Cleaner) -> list[Item]:
    """Evidence items, most relevant first: tier 1 human updates and top suspects, tier 2
    observability and similar incidents, tier 3 everything else."""
    e = analysis.evidence
    by_sha = {c.sha: c for c in e.changes}
    suspects = analysis.suspects[:MAX_SUSPECTS]
    items = [
        Item(
            "update",
            1,
            f"update at {u.at:%H:%M}",
            {"at": u.at, "text": cleaner.untrusted(u.text, "update")},
        )
        for u in sorted(e.updates, key=lambda u: u.at)
    ]
    for rank, suspect in enumerate(suspects, start=1):
        change = by_sha.get(suspect.sha)
        items.append(
            Item(
                "suspect",
                1 if rank <= TOP_SUSPECTS else 3,
                suspect.sha[:7],
                {
                    "rank": rank,
                    "suspect": suspect,
                    "subject": cleaner.untrusted(suspect.subject or _subject(change), "subject"),
                    "body": cleaner.untrusted(change.body if change else "", "body"),
                    "change": change,
                    "files": change.files[:MAX_FILES] if change else (),
                    "more_files": max(0, len(change.files) - MAX_FILES) if change else 0,
                    "reasons": [cleaner.untrusted(r, "text") for r in suspect.reasons],
                },
            )
        )
    items += [
        Item(
            "alert",
            2,
            a.name[:40],
            {
                "alert": a,
                "name": cleaner.untrusted(a.name, "subject"),
                "text": cleaner.untrusted(a.text, "text"),
            },
        )
        for a in e.alerts
    ]
    items += [Item("anomaly", 2, a.name[:40], {"anomaly": a}) for a in e.anomalies]
    items += [
        Item(
            "log", 2, f"log pattern {i}", {"log": g, "message": cleaner.untrusted(g.message, "log")}
        )
        for i, g in enumerate(sorted(e.logs, key=lambda g: -g.count), start=1)
    ]
    items += [
        Item("similar", 2, f"similar incident {i}", {"text": cleaner.untrusted(line, "similar")})
        for i, line in enumerate(similar, start=1)
        if line.strip()
    ]
    items += [Item("deploy", 3, d.sha[:7], {"deploy": d}) for d in e.deploys]
    items += _rest(e, {s.sha for s in suspects}, cleaner)
    return items


def _rest(e: Evidence, suspect_shas: set[str], cleaner: Cleaner) -> list[Item]:
    items = [Item("release", 3, r.tag[:40], {"release": r}) for r in e.releases]
    items += [
        Item("workflow", 3, w.name[:40], {"run": w, "name": cleaner.untrusted(w.name, "subject")})
        for w in e.workflow_runs
    ]
    items += [
        Item("pr", 3, f"PR #{p.number}", {"pr": p, "title": cleaner.untrusted(p.title, "subject")})
        for p in e.pull_requests
    ]
    others = [c for c in e.changes if c.sha not in suspect_shas and not c.is_merge]
    others.sort(key=lambda c: c.committed_at, reverse=True)
    items += [
        Item(
            "change",
            3,
            c.sha[:7],
            {"change": c, "subject": cleaner.untrusted(c.subject, "subject")},
        )
        for c in others[:MAX_CHANGES]
    ]
    return items


def _subject(change: Change | None) -> str:
    return change.subject if change else ""


def _header(e: Evidence, cleaner: Cleaner) -> dict[str, Any]:
    incident = e.incident
    return {
        "incident": incident,
        "title": cleaner.untrusted(incident.title, "title"),
        "impact": cleaner.untrusted(incident.impact, "impact"),
        "duration_minutes": minutes_between(incident.started_at, incident.resolved_at),
        "detection_minutes": (
            minutes_between(incident.started_at, incident.detected_at)
            if incident.detected_at
            else None
        ),
        "unavailable": [cleaner.untrusted(u, "text") for u in e.unavailable],
        "lookback_hours": round((e.window.start - e.window.since).total_seconds() / 3600, 2),
    }


@cache
def _schema_text() -> str:
    """The schema for the prompt: compact, without the keys that only name it."""
    full = {k: v for k, v in load_schema("draft").items() if not k.startswith("$")}
    schema = {k: v for k, v in full.items() if k not in ("title", "description")}
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)
