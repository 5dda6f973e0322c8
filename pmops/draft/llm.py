"""Draft the postmortem with an OpenAI-compatible model; the deterministic draft is the net.

`draft_with_llm` never raises for model or server problems: a missing key, an unreachable
server, HTTP errors, timeouts, refusals and unusable answers (after one repair retry) all
return the deterministic `fallback` with a note and `generator.fallback_reason` saying why.
Verification of the model's claims happens after it, in the pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta

from pmops import __version__
from pmops.config import Config
from pmops.documents.sections import team_headings
from pmops.draft.client import ENFORCED, ChatClient, Completion, ModelError
from pmops.draft.links import allowed_links
from pmops.draft.parse import Problem, read_answer, to_draft
from pmops.draft.prompts import Prompt, build_prompt, left_out_note, render_repair
from pmops.draft.server_schema import response_schema
from pmops.model import Analysis, Draft, Generator, TimelineEvent
from pmops.safety.redact import redact_secrets

REPAIR_RETRIES = 1
"""An unusable answer is asked for once more, with the problem explained."""
DEADLINE_FACTOR = 2
"""The whole drafting (answer, repair, 429 waits) may take this many `timeout_s`."""


def draft_with_llm(
    analysis: Analysis,
    config: Config,
    *,
    env: Mapping[str, str],
    feedback: Sequence[str] = (),
    fallback: Draft,
    similar: Sequence[str] = (),
) -> Draft:
    """A draft written by the configured model from redacted, budgeted evidence.

    `feedback` holds reviewers' requests (/regenerate, review comments); `similar` one line
    per similar past incident. Both go into the prompt as untrusted data.
    """
    started = time.monotonic()
    model = config.model
    secrets = [env[model.api_key_env]] if env.get(model.api_key_env) else []
    prompts: dict[bool, Prompt] = {}

    def prompt_for(mode: str) -> Prompt:
        """The prompt for a response format: with the schema unless the server enforces it."""
        in_prompt = mode not in ENFORCED
        if in_prompt not in prompts:
            prompts[in_prompt] = build_prompt(
                analysis,
                config,
                feedback=feedback,
                similar=similar,
                known_secrets=secrets,
                schema_in_prompt=in_prompt,
            )
        return prompts[in_prompt]

    try:
        client = ChatClient(model, env, deadline=started + DEADLINE_FACTOR * model.timeout_s)
    except ModelError as error:
        return fall_back(fallback, str(error), started, secrets)
    teams = team_headings(config.sections)
    schema = response_schema(analysis.timeline, model.max_output_tokens, len(teams))
    wordable = schema["properties"]["timeline"]["maxItems"]
    repair = ""
    problems: list[Problem] = []
    for _ in range(1 + REPAIR_RETRIES):

        def messages(mode: str, repair: str = repair) -> list[dict[str, str]]:
            return prompt_for(mode).messages(repair)

        try:
            completion = client.complete(messages, schema)
        except ModelError as error:
            return fall_back(fallback, str(error), started, secrets)
        reading = read_answer(completion.text, completion.finish_reason)
        if reading.problem is None and reading.data is not None:
            prompt = prompt_for(completion.mode)
            draft = to_draft(
                reading.data,
                analysis,
                fallback=fallback,
                generator=_generator(config, fallback, prompt, completion, started),
                allowed_links=allowed_links(config, analysis.evidence),
                notes=_notes(prompt, config, completion, problems),
                team_sections=teams,
            )
            if completion.mode not in ENFORCED:
                wordable = len(analysis.timeline)  # the server did not hold it to the bounds
            return keep_evidence_timeline(draft, analysis.timeline, wordable)
        problem = reading.problem or Problem("empty", "the answer was empty")
        problems.append(problem)
        repair = render_repair(problem.message, redact_secrets(problem.detail, secrets)[0])
    reason = "; then ".join(p.message for p in problems)
    return fall_back(fallback, f"{reason} (after {REPAIR_RETRIES} retry)", started, secrets)


TIMELINE_MATCH = timedelta(minutes=1)
"""A model's timeline entry words an evidence event of the same source this close in time."""


def keep_evidence_timeline(
    draft: Draft, evidence: Sequence[TimelineEvent], wordable: int | None = None
) -> Draft:
    """The draft with the evidence timeline as its timeline of record: each evidence event
    keeps its time and source and takes the model's wording of it when the model wrote one;
    events the model dropped come back, entries it invented are left out, and so are its
    second wordings of an event (a note says how many of each). `wordable`: how many
    entries the model's output budget let it write (response_schema), when fewer than the
    events; the rest are in pmops's words without counting as dropped."""
    unused = list(draft.timeline)
    kept: list[TimelineEvent] = []
    for event in evidence:
        match = next((e for e in unused if _words(e, event)), None)
        if match is None:
            kept.append(event)
            continue
        unused.remove(match)
        kept.append(replace(event, text=match.text))
    worded = len(draft.timeline) - len(unused)
    wordable = len(evidence) if wordable is None else min(wordable, len(evidence))
    dropped = max(0, wordable - worded)
    repeated = sum(1 for e in unused if any(_words(e, event) for event in evidence))
    invented = len(unused) - repeated
    notes = list(draft.notes)
    if wordable < len(evidence):
        notes.append(
            f"The model's output budget let it word {wordable} of the {len(evidence)} events "
            f"in the evidence; it worded {worded}, the others are in pmops's words."
        )
    elif dropped:
        notes.append(
            f"The model's timeline left out {dropped} of the {len(evidence)} events in the "
            "evidence; they were put back in pmops's words."
        )
    if invented:
        notes.append(
            f"The model's timeline had {invented} "
            f"entr{'ies' if invented != 1 else 'y'} matching no event in the evidence; "
            "they were left out."
        )
    if repeated:
        notes.append(
            f"The model's timeline worded {repeated} event{'s' if repeated != 1 else ''} "
            "a second time; the repeats were left out."
        )
    return replace(draft, timeline=tuple(kept), notes=tuple(notes))


def _words(entry: TimelineEvent, event: TimelineEvent) -> bool:
    """The model's `entry` words the evidence `event`: same source, about the same time."""
    return entry.source == event.source and abs(entry.at - event.at) <= TIMELINE_MATCH


def fall_back(fallback: Draft, reason: str, started: float, secrets: Sequence[str] = ()) -> Draft:
    """The deterministic draft, with the reason the model's draft is not used."""
    reason = redact_secrets(reason, secrets)[0]
    note = (
        f"The model's draft could not be used ({reason}); this is the deterministic draft, "
        "written from the evidence alone."
    )
    generator = replace(
        fallback.generator,
        fallback_reason=reason,
        duration_s=round(time.monotonic() - started, 2),
    )
    return replace(fallback, generator=generator, notes=(*fallback.notes, note))


def _generator(
    config: Config, fallback: Draft, prompt: Prompt, completion: Completion, started: float
) -> Generator:
    output = completion.output_tokens
    if output is None:
        output = prompt.counter.count(completion.text)
    return Generator(
        version=__version__,
        model=config.model.name or "",
        regenerations=fallback.generator.regenerations,
        prompt_tokens=completion.prompt_tokens if completion.prompt_tokens else prompt.tokens,
        output_tokens=output,
        duration_s=round(time.monotonic() - started, 2),
    )


def _notes(
    prompt: Prompt, config: Config, completion: Completion, problems: Sequence[Problem]
) -> list[str]:
    notes = []
    if prompt.left_out:
        notes.append(left_out_note(prompt.left_out, config.model.prompt_token_budget))
    if prompt.redactions:
        notes.append(
            f"{prompt.redactions} secret{'s were' if prompt.redactions != 1 else ' was'} "
            "redacted from the evidence before it was sent to the model."
        )
    if problems:
        notes.append(
            f"The model's first answer was not usable ({problems[0].message}); "
            "its second answer was."
        )
    if completion.mode == "text":
        notes.append(
            "The model server supports no JSON output mode; the draft was extracted from free text."
        )
    return notes
