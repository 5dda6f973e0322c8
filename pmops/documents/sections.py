"""A repository's own postmortem layout: which `##` sections, in which order, under which name.

`sections` in `.github/pmops.yml` lists them. An entry is a heading, or `{heading, from,
instruction}`: `from` names the standard section (model.SECTIONS) whose draft fills a renamed
one; a heading that is neither standard nor has `from` is a section of the team's own. The
instruction is guidance: the model's prompt carries every instruction and asks the model for
the team sections (`extra_sections` of its answer, verified like the rest); a draft without a
model, or a team section the model left out, shows the instruction to the reviewers, who
write it. Summary, Timeline, Root cause and Action items must stay, under those names: the
lifecycle, search, the site and verification read them. Without `sections`, the layout is the ten
standard sections. `LAYOUTS` are the named ones `pmops init --template` writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pmops.errors import ConfigError, InputError
from pmops.model import SECTIONS

REQUIRED = ("Summary", "Timeline", "Root cause", "Action items")
"""Standard sections every layout keeps (renamed or not)."""


@dataclass(frozen=True)
class SectionSpec:
    """One section of a layout: its heading, the standard section filling it (or None for a
    team section), and the guidance for whoever drafts it."""

    heading: str
    source: str | None
    instruction: str = ""


Layout = tuple[SectionSpec, ...]

STANDARD: Layout = tuple(SectionSpec(h, h) for h in SECTIONS)

LAYOUTS: Mapping[str, list[Any]] = {
    "standard": list(SECTIONS),
    "sre-book": [
        "Summary",
        {"heading": "Impact", "from": "Customer impact"},
        "Root cause",
        {"heading": "Trigger", "instruction": "The event that turned the latent cause into an "
         "outage: a deploy, a traffic spike, a configuration push."},
        "Resolution",
        {"heading": "Detection", "instruction": "How and when the problem was noticed (alert, "
         "customer report), and how it could be noticed sooner."},
        "Action items",
        "What went well",
        {"heading": "What went wrong", "from": "What went poorly"},
        {"heading": "Where we got lucky", "instruction": "What limited the damage by chance "
         "rather than by design."},
        "Timeline",
        "Confidence",
    ],
    "short": [
        {"heading": "Summary", "instruction": "Two sentences: what broke and what fixed it."},
        "Timeline",
        "Root cause",
        "Resolution",
        "Action items",
        "Confidence",
    ],
}  # fmt: skip
"""Layouts `pmops init --template NAME` offers: pmops's own, the Google SRE book's, and a
short one for SEV-3/4 incidents."""


def parse_layout(
    entries: Sequence[Any] | None, where: str = "invalid configuration: sections"
) -> Layout:
    """The layout of a config's `sections` list (schema-valid); ConfigError on a broken one."""
    if not entries:
        return STANDARD
    specs = []
    for entry in entries:
        if isinstance(entry, str):
            entry = {"heading": entry}
        heading = " ".join(str(entry["heading"]).split())
        source = entry.get("from", heading if heading in SECTIONS else None)
        specs.append(SectionSpec(heading, source, " ".join(entry.get("instruction", "").split())))
    problems = _problems(specs)
    if problems:
        raise ConfigError(f"{where}: " + "; ".join(problems))
    return tuple(specs)


def _problems(specs: Sequence[SectionSpec]) -> list[str]:
    problems = []
    headings = [s.heading.lower() for s in specs]
    repeated = sorted({h for h in headings if headings.count(h) > 1})
    if repeated:
        problems.append(f"heading listed twice: {', '.join(repeated)}")
    sources = [s.source for s in specs if s.source]
    twice = sorted({s for s in sources if sources.count(s) > 1})
    if twice:
        problems.append(f"standard section used twice: {', '.join(twice)}")
    kept = {s.heading for s in specs if s.heading == s.source}
    missing = [r for r in REQUIRED if r not in kept]
    if missing:
        problems.append(
            f"{', '.join(missing)} must stay, under that name: the lifecycle, search, the "
            "site and verification read them"
        )
    return problems


def headings(layout: Layout) -> list[str]:
    """The layout's headings, in order."""
    return [spec.heading for spec in layout]


def team_section_text(spec: SectionSpec) -> str:
    """What a draft says in a team section: its instruction, for the reviewer who writes it."""
    guidance = spec.instruction or "This section is your team's own."
    return f"_To be written by the reviewers: {guidance}_"


def team_headings(layout: Layout) -> list[str]:
    """Headings of the layout's team sections (neither standard nor renamed from one)."""
    return [spec.heading for spec in layout if not spec.source]


def apply_layout(
    standard: Mapping[str, str], layout: Layout, team: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Sections under the layout's headings and order, from the ten standard texts and the
    `team` sections a model wrote (the others show their instruction to the reviewers)."""
    team = team or {}
    return {
        spec.heading: standard.get(spec.source, "")
        if spec.source
        else team.get(spec.heading) or team_section_text(spec)
        for spec in layout
    }


def prompt_guidance(layout: Layout) -> list[str]:
    """Lines for the model's prompt: each instruction, under the JSON field it goes to."""
    fields = {"Summary": "summary", "Customer impact": "customer_impact",
              "Timeline": "timeline", "Root cause": "root_cause.text",
              "Resolution": "resolution", "Contributing factors": "contributing_factors",
              "What went well": "went_well", "What went poorly": "went_poorly",
              "Action items": "action_items", "Confidence": "confidence"}  # fmt: skip
    lines = [
        f'{fields[spec.source]} (shown as "{spec.heading}"): {spec.instruction}'
        for spec in layout
        if spec.source and spec.instruction
    ]
    lines += [
        f"extra_sections[{json.dumps(spec.heading, ensure_ascii=False)}] (the team's own "
        f"section): {spec.instruction or 'what the evidence says under this heading.'}"
        for spec in layout
        if not spec.source
    ]
    return lines


def layout_at(read: Callable[[str], str | None]) -> Layout:
    """The layout in the config `read(path)` returns (a git ref's `.github/pmops.yml`)."""
    from pmops.config import CONFIG_PATH, parse_config  # config imports this module

    text = read(CONFIG_PATH)
    return parse_config(text, CONFIG_PATH).sections if text else STANDARD


def layout_yaml(name: str) -> str:
    """The `sections:` list of layout `name` as YAML lines ("" for the standard one)."""
    if name not in LAYOUTS:
        raise InputError(f"--template {name!r}: not a layout (one of {', '.join(LAYOUTS)})")
    if name == "standard":
        return ""
    lines = []
    for entry in LAYOUTS[name]:
        if isinstance(entry, str):
            lines.append(f"  - {entry}")
            continue
        lines.append(f"  - heading: {entry['heading']}")
        for key in ("from", "instruction"):
            if key in entry:
                lines.append(f"    {key}: {json.dumps(entry[key])}")
    return "\n".join(lines)
