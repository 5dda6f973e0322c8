"""Rerank the top suspects with the configured model, guarded by pmops's own order.

The model reads the incident and the top K candidates under neutral letters (A, B, ...;
see `rerank_prompt`) and answers `{"order": [...], "why": {...}}` (schemas/rerank.schema.json).
The answer is read leniently: unknown and repeated letters are ignored, missing ones follow in
pmops's order. The two orders are then combined within a trust region: each candidate moves
from pmops's rank toward the model's by at most one place (`MAX_MOVE`), so a model can settle
a close call but never throw the deterministic ranking away. Suspects beyond the top K keep
their places.

`rerank_suspects` never raises for model or server problems: a missing key, HTTP errors,
timeouts, empty or unreadable answers all return the suspects unchanged with a note saying why.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pmops.config import Config
from pmops.documents.schemas import load_schema
from pmops.draft.links import allowed_links
from pmops.draft.parse import extract_json
from pmops.draft.rerank_prompt import build_rerank_prompt
from pmops.draft.rerank_result import RerankResult
from pmops.model import Evidence, Suspect
from pmops.safety.redact import redact_secrets
from pmops.safety.sanitize import sanitize_inline
from pmops.wording import ordinal

RERANK_TOP = 5
"""Candidates shown to the model: enough to hold the culprit most of the time (pmops's top 5
holds it in about 80 % of the real regressions), few enough for their diffs to fit."""
MAX_MOVE = 1
"""Places a candidate may move from pmops's rank toward the model's. Chosen by scoring
simulated model answers for pmops's top 5 on the 293 real regressions (`python -m bench
regressions --clones DIR --simulate-rerank`; top-1 / MRR, pmops alone 0.51 / 0.64): a perfect
model lifts them to 0.63 / 0.72 and one right half the time to 0.53 / 0.66; a random one
costs 0.09 / 0.05 and a reversing one 0.01 / 0.01. Trusting the model's order gains more with
a perfect model (0.80 / 0.82) but falls to 0.17 / 0.40 with a random one and 0.03 / 0.24 with
a reversing one. Reciprocal rank fusion (k = 60) never lets even a perfect model change the
first place (0.51 / 0.67), yet costs 0.14 top-1 with a random one."""
MAX_OUTPUT_TOKENS = 400
"""An order and five short sentences; a longer answer is a loop."""
WHY_CHARS = 200
SCHEMA_NAME = "suspect_rerank"

_LABEL = re.compile(r"^\W*(?:candidate\s+)?([A-Za-z])\W*$", re.IGNORECASE)
_CANDIDATE_REF = re.compile(r"\b[Cc]andidate\s+([A-Z])\b")
_HEX_WORD = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b")


@dataclass(frozen=True)
class RerankAnswer:
    """A usable answer: every label once, and the model's sentence per label."""

    order: tuple[str, ...]
    why: Mapping[str, str]
    ignored: int = 0
    """Unknown or repeated labels in the model's order."""
    missing: int = 0
    """Labels the model left out, appended in pmops's order."""


def rerank_suspects(
    suspects: Sequence[Suspect],
    evidence: Evidence,
    diffs: Mapping[str, str],
    config: Config,
    env: Mapping[str, str],
    *,
    top: int = RERANK_TOP,
) -> RerankResult:
    """The suspects, the top `top` moved toward the model's order (at most `MAX_MOVE` places).

    `diffs` maps a SHA to its patch (`sources.diffs.read_patches`); candidates without one
    are shown without a diff.
    """
    suspects = tuple(suspects)
    head = suspects[: max(0, min(top, len(suspects)))]
    model = config.model
    if len(head) < 2 or not model.name:
        return RerankResult(suspects)
    secrets = [env[model.api_key_env]] if env.get(model.api_key_env) else []
    prompt = build_rerank_prompt(head, evidence, diffs, config, secrets)
    if prompt.tokens > model.prompt_token_budget:
        reason = (
            f"its prompt needs about {prompt.tokens} tokens even without diffs, more than "
            f"model.prompt_token_budget ({model.prompt_token_budget})"
        )
        return _fall_back(suspects, reason, secrets)
    # the OpenAI client (and pydantic under it) loads only when a model is asked
    from pmops.draft.client import ChatClient, ModelError

    try:
        limited = replace(model, max_output_tokens=min(model.max_output_tokens, MAX_OUTPUT_TOKENS))
        client = ChatClient(limited, env, deadline=time.monotonic() + model.timeout_s)
        completion = client.complete(
            lambda _mode: prompt.messages(), response_schema(prompt.labels), SCHEMA_NAME
        )
    except ModelError as error:
        return _fall_back(suspects, str(error), secrets)
    answer, problem = read_rerank_answer(completion.text, completion.finish_reason, prompt.labels)
    if answer is None:
        return _fall_back(suspects, problem, secrets)
    allowed = allowed_links(config, evidence)
    by_label = dict(zip(prompt.labels, head, strict=True))
    known = {c.sha for c in evidence.changes} | {d.sha for d in evidence.deploys}
    whys = {
        label: clean_why(text, by_label, known, allowed, secrets)
        for label, text in answer.why.items()
    }
    model_order = tuple(by_label[label].sha for label in answer.order)
    named = len(answer.order) - answer.missing
    reordered = apply_order(suspects, model_order, whys_by_sha(whys, by_label), named)
    note = _note(model.name, len(head), answer, prompt.diff_chars, prompt.redactions)
    return RerankResult(reordered, note, model_order)


def response_schema(labels: Sequence[str]) -> dict[str, Any]:
    """schemas/rerank.schema.json held to these labels, for servers that enforce a schema
    (llama.cpp turns it into a grammar: the model can only write valid letters)."""
    schema = {k: v for k, v in load_schema("rerank").items() if not k.startswith("$")}
    order = dict(schema["properties"]["order"])
    order.update(items={"enum": list(labels)}, minItems=len(labels), maxItems=len(labels))
    why = {
        "type": "object",
        "properties": {label: {"type": "string"} for label in labels},
        "additionalProperties": False,
    }
    return {**schema, "properties": {"order": order, "why": why}}


def read_rerank_answer(
    text: str, finish_reason: str | None, labels: Sequence[str]
) -> tuple[RerankAnswer | None, str]:
    """The answer, or None and why it cannot be used."""
    if not text.strip():
        return None, "the answer was empty"
    data = extract_json(text)
    if data is None:
        if finish_reason == "length":
            return None, "the answer was cut off at the output token limit"
        return None, "the answer held no JSON object"
    raw_order = data.get("order")
    if not isinstance(raw_order, list):
        return None, 'the answer has no "order" list'
    known = set(labels)
    order: list[str] = []
    for item in raw_order:
        label = _label(item)
        if label in known and label not in order:
            order.append(label)
    if not order:
        return None, "the answer's order names none of the candidates"
    missing = [label for label in labels if label not in order]
    raw_why = data.get("why")
    why: dict[str, str] = {}
    for key, value in raw_why.items() if isinstance(raw_why, dict) else ():
        label = _label(key)
        if label in known and isinstance(value, str) and value.strip() and label not in why:
            why[label] = value
    ignored = len(raw_order) - len(order)
    return RerankAnswer(tuple(order + missing), why, ignored, len(missing)), ""


def _label(value: object) -> str | None:
    """`C`, `c`, `"C."` or `candidate C` as the label C; anything else None."""
    if not isinstance(value, str):
        return None
    match = _LABEL.match(value)
    return match.group(1).upper() if match else None


def fuse_orders(pmops: Sequence[str], model: Sequence[str], reach: int = MAX_MOVE) -> list[str]:
    """pmops's order with each item moved toward its rank in `model` by at most `reach`
    places (items the model left out count as ranked after its list); ties keep pmops's
    order."""
    mine = {item: rank for rank, item in enumerate(pmops, 1)}
    theirs = {item: rank for rank, item in enumerate(model, 1)}
    last = len(model) + 1

    def moved(item: str) -> int:
        step = theirs.get(item, last) - mine[item]
        return mine[item] + max(-reach, min(reach, step))

    return sorted(pmops, key=lambda item: (moved(item), mine[item]))


def apply_order(
    suspects: Sequence[Suspect],
    model_order: Sequence[str],
    whys: Mapping[str, str],
    named: int | None = None,
) -> tuple[Suspect, ...]:
    """The top `len(model_order)` suspects moved toward the model's order, each with a reason
    naming the model's rank (the model named only the first `named`; None: all); the rest
    unchanged. Scores never rise: each is capped at the one above it, so they stay in order
    (a suspect the model lifts brings its own score along)."""
    count = len(model_order)
    named = count if named is None else named
    head = {s.sha: s for s in suspects[:count]}
    ranks = {sha: rank for rank, sha in enumerate(model_order, 1)}
    fused = fuse_orders([s.sha for s in suspects[:count]], model_order)
    ordered = [
        _with_reason(head[sha], ranks[sha] if ranks[sha] <= named else None, count, whys.get(sha))
        for sha in fused
    ]
    return _monotone([*ordered, *suspects[count:]])


def _with_reason(suspect: Suspect, rank: int | None, count: int, why: str | None) -> Suspect:
    if rank is None:
        reason = f"the model did not rank it among the top {count}"
    else:
        place = ordinal(rank)
        reason = f"the model placed it {place} of {count}"
    reason += f": {why}" if why else ""
    return replace(suspect, reasons=(*suspect.reasons, reason))


def _monotone(suspects: Sequence[Suspect]) -> tuple[Suspect, ...]:
    result: list[Suspect] = []
    for suspect in suspects:
        if result and suspect.score > result[-1].score:
            suspect = replace(suspect, score=result[-1].score)
        result.append(suspect)
    return tuple(result)


def whys_by_sha(whys: Mapping[str, str], by_label: Mapping[str, Suspect]) -> dict[str, str]:
    """The model's sentences keyed by SHA instead of label."""
    return {by_label[label].sha: text for label, text in whys.items() if label in by_label}


def clean_why(
    text: str,
    by_label: Mapping[str, Suspect],
    known_shas: Collection[str],
    allowed: Sequence[str],
    secrets: Sequence[str],
) -> str:
    """The model's sentence as one safe line: redacted, its "candidate C" named by the short
    SHA, a SHA-like word that names no commit of the evidence marked as unknown, no mentions
    or links outside the allowed hosts."""
    text = redact_secrets(text, secrets)[0]
    text = _CANDIDATE_REF.sub(
        lambda m: by_label[m.group(1)].sha[:7] if m.group(1) in by_label else m.group(0), text
    )
    text = _HEX_WORD.sub(
        lambda m: (
            m.group(0) if any(sha.startswith(m.group(0)) for sha in known_shas) else "(unknown SHA)"
        ),
        text,
    )
    return sanitize_inline(text, allowed, limit=WHY_CHARS)


def _note(model: str, count: int, answer: RerankAnswer, diff_chars: int, redactions: int) -> str:
    shown = "messages, files and diffs" if diff_chars else "messages and files (no diffs fit)"
    note = (
        f"{model} reranked the top {count} suspects from their {shown}; each moved at most "
        f"{MAX_MOVE} place{'s' if MAX_MOVE != 1 else ''} from pmops's order toward the "
        "model's, and scores were capped so they stay in order."
    )
    if answer.ignored or answer.missing:
        note += (
            f" Its answer had {answer.ignored} unknown or repeated letter"
            f"{'s' if answer.ignored != 1 else ''} (ignored) and left out {answer.missing} "
            f"candidate{'s' if answer.missing != 1 else ''} (kept in pmops's order)."
        )
    if redactions:
        note += (
            f" {redactions} secret{'s were' if redactions != 1 else ' was'} redacted from "
            "its prompt."
        )
    return note


def _fall_back(suspects: tuple[Suspect, ...], reason: str, secrets: Sequence[str]) -> RerankResult:
    reason = redact_secrets(reason, secrets)[0]
    note = (
        f"The model's rerank of the top suspects could not be used ({reason}); "
        "the suspects keep pmops's order."
    )
    return RerankResult(suspects, note, fell_back=True)
