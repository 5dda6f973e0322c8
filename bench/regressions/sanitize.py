"""Make a revert's reason safe to use as an incident report: nothing in it may name the answer.

Removed: commit hashes (full or abbreviated), PR / review / CL / Phabricator references and
every number that also appears in the reverted change's message, links, Change-Ids,
trailers (`Signed-off-by:`, `Bug:`, ...), @mentions, e-mail addresses, the names of the
people involved, the reverted change's title and any long run of words copied from its
description, and quoted lines (`> ...`, Gerrit's quote of the original description).
What remains is the human sentence: "breaks the linux-arm64 builder".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

TITLE_RUN = 4
"""Words in a row shared with the reverted title that count as quoting it."""

DESCRIPTION_RUN = 6
"""Words in a row shared with the reverted description that count as quoting it (shorter
runs are ordinary phrases: "the linux builder", "fails on windows")."""

REASON_MAX_CHARS = 800
"""Longer reasons are cut at a word boundary: a report is a few sentences, and the cases
file stays small."""

_TRAILER_KEYS = (
    r"[A-Za-z]+(?:-[A-Za-z0-9]+)+|Bug|Bugs|Fixes|Fixed|Closes|Close|Resolves|Refs?|Test|Tests|"
    r"Cc|Link|Issue|Issues|Flag|Story|Task|Implements|Verified|Relnote|Approved by|"
    r"Differential Revision|Pull Request resolved|Reviewed By|Original PR Author|Initiated by"
)
_TRAILER = re.compile(rf"^\s*(?:{_TRAILER_KEYS})\s*:.*$", re.MULTILINE)
_QUOTED_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`)\]]+|\bwww\.[^\s<>\"'`)\]]+", re.IGNORECASE)
_BARE_URL = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|dev|io|app|sh)/\S*")
_CHANGE_ID = re.compile(r"\bI[0-9a-f]{40}\b")
_REPO_AT_SHA = re.compile(r"\b[\w.-]+/[\w.-]+@[0-9a-fA-F]{7,40}\b")
_HEX = re.compile(r"\b[0-9a-fA-F]{7,40}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MENTION = re.compile(r"(?<![\w.@/])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9-]+)?")
_REFS = (
    re.compile(r"\b[\w.-]+/[\w.-]+[#!]\d+\b"),  # owner/repo#123, group/project!45
    re.compile(r"(?<![\w&])[#!]\d+\b"),  # #123, !45
    re.compile(r"\b(?:GH|gh|PR|pr|CL|cl|D|r)-?\d{2,}\b"),  # GH-123, CL123, D12345, r345678
    re.compile(r"\b(?:cl|crrev|aosp|b|crbug|bug|issues?|pull|change|ag)/\d+\b", re.IGNORECASE),
    re.compile(
        r"\b(?:PR|CL|change|pull request|merge request|review|diff|patch(?:set)?)"
        r"\s+(?:number\s+|no\.?\s*)?\d+\b",
        re.IGNORECASE,
    ),
)
_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_'.-]*[A-Za-z0-9_]|[A-Za-z0-9_]")
_EMPTY_BRACKETS = re.compile(r"\(\s*[,;:]?\s*\)|\[\s*\]|``|\"\s*\"|'\s*'")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.;:!?)])")
_REPEATED_PUNCT = re.compile(r"([,;:])(?:\s*[,;:])+")
_SPACES = re.compile(r"[ \t]{2,}")
_DANGLING_CC = re.compile(r"(?:^|[ \t])/?(?:cc|CC|Cc)\b:?[ \t,]*$", re.MULTILINE)


@dataclass(frozen=True)
class Leaks:
    """What identifies the reverted change, and so must not appear in its incident text."""

    shas: tuple[str, ...] = ()
    title: str = ""
    description: str = ""
    people: tuple[str, ...] = ()
    """Names and e-mail addresses of the authors and committers involved."""
    numbers: tuple[str, ...] = ()
    """Extra numbers to remove (PR, review, CL numbers of the reverted change)."""


def sanitize_reason(text: str, leaks: Leaks) -> str:
    """`text` with every leak of `leaks` (and of the kinds in the module doc) removed."""
    text = _QUOTED_LINE.sub("", text)
    text = _TRAILER.sub("", text)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _URL.sub("", text)
    text = _BARE_URL.sub("", text)
    text = _CHANGE_ID.sub("", text)
    text = _REPO_AT_SHA.sub("", text)
    text = _remove_shas(text, leaks.shas)
    text = _EMAIL.sub("", text)
    text = _MENTION.sub("", text)
    for pattern in _REFS:
        text = pattern.sub("", text)
    text = _remove_numbers(text, leaks)
    text = _remove_people(text, leaks.people)
    text = _remove_runs(text, leaks.title, TITLE_RUN, whole=True)
    text = _remove_runs(text, leaks.description, DESCRIPTION_RUN, whole=False)
    return _tidy(text)


def _remove_shas(text: str, shas: Iterable[str]) -> str:
    """Hex words that look like hashes (with a digit), and any prefix of a known SHA."""
    known = [s.lower() for s in shas if s]

    def replace(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
            return ""
        if len(word) >= 7 and any(s.startswith(word) for s in known):
            return ""
        return match.group(0)

    return _HEX.sub(replace, text)


def _remove_numbers(text: str, leaks: Leaks) -> str:
    """Numbers of 3+ digits that the reverted message also holds (its PR, CL, bug numbers)."""
    numbers = set(re.findall(r"\d{3,}", f"{leaks.title}\n{leaks.description}"))
    numbers.update(n for n in leaks.numbers if n)
    if not numbers:
        return text
    return re.sub(r"\b\d{3,}\b", lambda m: "" if m.group(0) in numbers else m.group(0), text)


def _remove_people(text: str, people: Iterable[str]) -> str:
    """Full names and addresses anywhere; their parts where they read as a name or a login.

    A name part ("Alice") goes where it is capitalized, so "will" survives a "Will Smith";
    an address's user ("asmith", "1234+asmith") goes in any case.
    """
    for person in sorted({p.strip() for p in people if p.strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(person)}(?!\w)", "", text, flags=re.IGNORECASE)
        if "@" in person:
            user = person.split("@", 1)[0].split("+")[-1]
            if len(user) >= 3:
                text = re.sub(
                    rf"(?<![\w/.-]){re.escape(user)}(?![\w-])", "", text, flags=re.IGNORECASE
                )
            parts = set(re.split(r"[._-]", user)) - {user}
        else:
            parts = set(person.split())
        for part in parts:
            if len(part) >= 3 and part.isalpha():
                name = part[:1].upper() + part[1:]
                text = re.sub(
                    rf"(?<![\w/.-])(?:{re.escape(name)}|{re.escape(part)})(?![\w-])",
                    lambda m: "" if m.group(0)[:1].isupper() else m.group(0),
                    text,
                )
    return text


def _norm(word: str) -> str:
    return word.lower().strip(".'-")


def _remove_runs(text: str, source: str, run: int, *, whole: bool) -> str:
    """Remove every run of >= `run` words in a row that `source` also has in a row.

    With `whole`, a `source` shorter than `run` words is removed where it occurs whole.
    """
    source_words = [_norm(w) for w in _WORD.findall(source)]
    source_words = [w for w in source_words if w]
    if not source_words:
        return text
    n = min(run, len(source_words)) if whole else run
    if len(source_words) < n:
        return text
    grams = {tuple(source_words[i : i + n]) for i in range(len(source_words) - n + 1)}
    matches = list(_WORD.finditer(text))
    words = [_norm(m.group(0)) for m in matches]
    covered = [False] * len(matches)
    for i in range(len(matches) - n + 1):
        if tuple(words[i : i + n]) in grams:
            for j in range(i, i + n):
                covered[j] = True
    if not any(covered):
        return text
    spans = []
    i = 0
    while i < len(matches):
        if covered[i]:
            j = i
            while j + 1 < len(matches) and covered[j + 1]:
                j += 1
            spans.append((matches[i].start(), matches[j].end()))
            i = j + 1
        else:
            i += 1
    for start, end in reversed(spans):
        text = text[:start] + text[end:]
    return text


def _tidy(text: str) -> str:
    """Collapse what the removals left: empty brackets, stray punctuation, blank lines."""
    for _ in range(2):
        text = _EMPTY_BRACKETS.sub("", text)
        text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
        text = _REPEATED_PUNCT.sub(r"\1", text)
        text = _SPACES.sub(" ", text)
        text = _DANGLING_CC.sub("", text)
    lines = [line.strip(" \t") for line in text.splitlines()]
    lines = [line for line in lines if not re.fullmatch(r"[\W_]*", line) or line == ""]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    text = "\n".join(out).strip()
    if len(text) > REASON_MAX_CHARS:
        text = text[:REASON_MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
    return text


def incident_title(reason: str, limit: int = 80) -> str:
    """A one-line title: the reason's first sentence, cut at a word boundary."""
    first = re.split(r"(?<=[.!?])\s|\n", reason.strip(), maxsplit=1)[0].strip()
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
    return first or "Regression"


def has_words(text: str, minimum: int = 3) -> bool:
    """Whether `text` holds at least `minimum` words of letters (a reason, not debris)."""
    return len(re.findall(r"[A-Za-z]{2,}", text)) >= minimum
