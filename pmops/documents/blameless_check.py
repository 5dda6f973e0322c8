"""Blameless wording: flag sentences that blame a person instead of describing what happened
and what let it happen. Used by `pmops check` (file:line messages) and on a model's draft.

Two kinds of finding: words that blame whoever they are about (careless, negligent, at fault,
human error...), and a person (a name, an @handle, he/she/they, "the engineer") as the subject
of a failing (should have, failed to, forgot, made a mistake...). Systems may fail: "the
health check failed to detect it" is a finding, not blame. A reviewer keeps a flagged sentence
deliberately by listing a phrase of it in the frontmatter's `accepted_wording`.

The false-positive rate is measured on sentences written in the style of public postmortems
(`python -m bench blameless`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pmops.documents.fences import code_lines

BLAME_WORDS = re.compile(
    r"\b(?:careless(?:ly|ness)?|negligen(?:t|tly|ce)|sloppy|sloppily|incompeten(?:t|ce)|"
    r"lazy|laziness|reckless(?:ly)?|at fault|(?:his|her|their|[A-Z][a-z]+'s) fault|"
    r"to blame|blamed? (?:on )?(?:him|her|them|[A-Z][a-z]+)|human error|"
    r"screwed up|dropped the ball|should have known better)\b"
)
"""Words that put blame on whoever they describe."""

_PERSON = (
    r"(?:@[A-Za-z0-9][\w-]*|\b(?:[Hh]e|[Ss]he|[Ss]omeone|[Ss]omebody)\b|"
    r"\b[Tt]he (?:engineer|developer|reviewer|operator|on-?call(?: engineer)?|author|admin|"
    r"administrator|intern|contractor|new hire)\b|"
    r"(?<!\bThe )(?<!\bthe )\b[A-Z][a-z]{2,}(?: [A-Z][a-z]+)?\b)"
)
_FAILING = (
    r"(?:should(?:'ve| have)|failed to|forgot(?:ten)?(?: to)?|neglected to|did(?: not|n't) "
    r"bother|never bothered|made (?:a|an|the) (?:mistake|error|blunder)|messed up|"
    r"ignored the|carelessly|was careless|broke (?:prod|production|the build|it|everything))"
)
PERSON_FAILING = re.compile(rf"{_PERSON}\s+(?:\w+ly\s+)?{_FAILING}\b")
"""A person as the subject of a failing."""

_NOT_PEOPLE = frozenset(
    {
        "CI", "Redis", "Kafka", "Postgres", "PostgreSQL", "MySQL", "Nginx", "Kubernetes",
        "Terraform", "Ansible", "Docker", "Consul", "Vault", "Linux", "Chrome", "Safari",
        "Slack", "GitHub", "GitLab", "Jenkins", "Prometheus", "Grafana", "Alertmanager",
        "Elasticsearch", "Cloudflare", "Fastly", "Akamai", "Route", "Envoy", "Istio",
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
        "This", "That", "These", "Those", "It", "We", "Our", "Nobody", "Nothing", "Each",
        "Every", "Both", "Neither", "Either", "Then", "When", "After", "Before", "While",
        "The", "Its", "Their", "His", "Her", "One", "Some", "All", "Most", "Many",
    }
)  # fmt: skip
"""Capitalized words that name a system, a day or a pronoun, not a person."""

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


@dataclass(frozen=True)
class Blame:
    """A blaming phrase found in a sentence."""

    phrase: str
    sentence: str
    why: str


def find_blame(text: str, accepted: Sequence[str] = ()) -> list[Blame]:
    """Blaming phrases in `text`, sentence by sentence, except in accepted sentences."""
    lowered = [a.lower() for a in accepted if a.strip()]
    found = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0).strip()
        if not sentence or any(a in sentence.lower() for a in lowered):
            continue
        blame = _blame_in(sentence)
        if blame is not None:
            found.append(blame)
    return found


def _blame_in(sentence: str) -> Blame | None:
    word = BLAME_WORDS.search(sentence)
    if word:
        return Blame(word.group(0), sentence, "blames whoever it describes")
    for person in PERSON_FAILING.finditer(sentence):
        subject = person.group(0).split()[0]
        role = subject.lower() == "the"  # "the engineer", "the reviewer"...
        if not role and (subject in _NOT_PEOPLE or subject.isupper()):
            continue
        return Blame(person.group(0), sentence, "names a person as the one who failed")
    return None


def blame_notes(texts: Iterable[tuple[str, str]]) -> list[str]:
    """One note per blaming sentence in (section, text) pairs of a model's draft."""
    notes = []
    for heading, text in texts:
        for blame in find_blame(text):
            notes.append(
                f"Blaming wording in {heading}: \u201c{blame.phrase}\u201d {blame.why}; "
                "reviewers should rephrase it (`pmops check` flags it until then)."
            )
    return notes


def check_wording(text: str, meta: Mapping[str, Any], body_line: int) -> list[tuple[int, str]]:
    """(line, message) for each blaming sentence of a postmortem's body (not code blocks)."""
    accepted = [str(a) for a in meta.get("accepted_wording") or ()]
    problems = []
    for number, line in _body_lines(text, body_line):
        for blame in find_blame(line, accepted):
            problems.append(
                (
                    number,
                    f"\u201c{blame.phrase}\u201d {blame.why}; describe what happened and what "
                    "let it happen instead, or add a phrase of the sentence to "
                    "accepted_wording to keep it deliberately",
                )
            )
    return problems


def _body_lines(text: str, body_line: int) -> Iterator[tuple[int, str]]:
    lines = text.split("\n")[max(body_line - 1, 0) :]
    for number, (line, code) in enumerate(code_lines(lines), max(body_line, 1)):
        if not code:  # a heading is prose too: "### Amy carelessly..." is read as GitHub shows it
            yield number, line.lstrip(" #")
