"""What people said, matched against changes: SHAs and PR numbers they named (or ruled out),
and the words they used against each change's message, paths and diff."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from pmops.analyze.candidates import Candidate
from pmops.analyze.text import BM25, path_words, words
from pmops.model import Evidence

_SHA = re.compile(r"\b[0-9a-f]{7,40}\b")
_PR = re.compile(r"(?:#|\bPR\s*#?|/pull/|!)(\d{1,7})\b", re.IGNORECASE)
_RULED_OUT = re.compile(
    r"\b(did(?:\s*n[o']?t|\s+not)|does(?:\s*n[o']?t|\s+not)|didn't|doesn't|not|no|wasn't|isn't|"
    r"never)\s+(help|fix|change|matter|related|the\s+cause|it|effect|difference|improve)"
    r"|\b(ruled\s+out|unrelated|red\s+herring|innocent|false\s+alarm|no\s+effect|no\s+change)\b",
    re.IGNORECASE,
)
RULED_OUT_REACH = 80
"""Characters after a mention in which a negation (\"did not help\") rules the change out."""


def incident_text(evidence: Evidence) -> str:
    """What people said about the incident: title, human updates, alerts."""
    parts = [evidence.incident.title]
    parts += [u.text for u in evidence.updates]
    parts += [f"{a.name} {a.text}" for a in evidence.alerts]
    return "\n".join(parts)


@dataclass(frozen=True)
class Mention:
    """A change named in the incident text; `ruled_out` when the text says it was not it."""

    label: str
    ruled_out: bool


def find_mentions(candidate: Candidate, text: str) -> list[Mention]:
    """SHAs and the PR number of `candidate` named in `text`."""
    found = []
    lowered = text.lower()
    for match in _SHA.finditer(lowered):
        if any(sha.startswith(match.group(0)) for sha in candidate.shas):
            found.append(Mention(match.group(0)[:7], _ruled_out(lowered, match.end())))
    if candidate.pr is not None:
        for match in _PR.finditer(text):
            if int(match.group(1)) == candidate.pr:
                found.append(Mention(f"PR #{candidate.pr}", _ruled_out(lowered, match.end())))
    return found


def _ruled_out(text: str, end: int) -> bool:
    sentence = re.split(r"[.;!?\n]", text[end : end + RULED_OUT_REACH], maxsplit=1)[0]
    return bool(_RULED_OUT.search(sentence))


@dataclass(frozen=True)
class TextMatch:
    """How well a change matches the incident text, relative to the best candidate (1.0),
    overall and per field (message, paths, diff), and the words that matched."""

    value: float
    terms: tuple[str, ...]
    fields: Mapping[str, float]


FIELDS = ("message", "paths", "diff")


SYMPTOM_WORDS = frozenset(
    words(
        """fail fails failed failing failure failures break breaks breaking broke broken
        breakage error errors regression regressions bug bugs flaky flakey wrong bad
        revert reverts reverted reverting undo reland relanded land landed fix fixes fixed
        commit commits change changes changed pr prs cl patch merge merged main master branch
        tree ci bot bots postsubmit presubmit submit build builds test tests
        cause causes caused causing due need needs follow following affect affected make made
        turn might already new add let ll doesn don didn actually later try reason ready back
        case since another several instead work run code file use using check found trigger
        include included builder builders bisect bisection culprit culprits suspect suspected
        suspicious potential potentially identify identified submission flake flakes
        flakiness waterfall sheriff gardener tryjob trybot"""
    )
)
"""Words that say something broke, or how it was handled, but not what broke: "reverting,
this broke the build on main" matches every commit that fixes a test or touches `build/`.
So do the words of automated culprit finders and CI reports ("potential culprit",
"identified by bisection", "breaks the linux builder"). They are left out of the query, so
the words that name the broken thing (a platform, a test, a component, an error string)
decide the match. Compound identifiers keep them (`TestFoo` still yields `testfoo`)."""


def match_text(candidates: Sequence[Candidate], evidence: Evidence) -> list[TextMatch | None]:
    """BM25 of the incident's words against each change as a whole and per field, each
    relative to the best candidate. The affected services' names (every change of that
    service would share them) and the symptom words are left out of the query."""
    service_words = set(words(" ".join(evidence.incident.services)))
    query = [
        same_platform(w)
        for w in words(link_paths(incident_text(evidence)))
        if w not in service_words and w not in SYMPTOM_WORDS
    ]
    if not query or not candidates:
        return [None] * len(candidates)
    parts = [change_fields(c) for c in candidates]
    whole = _relative(BM25([[w for f in FIELDS for w in p[f]] for p in parts]), query)
    by_field = {f: _relative(BM25([p[f] for p in parts]), query) for f in FIELDS}
    result: list[TextMatch | None] = []
    for i, (value, terms) in enumerate(whole):
        if value <= 0:
            result.append(None)
            continue
        fields = {f: by_field[f][i][0] for f in FIELDS}
        result.append(TextMatch(value, terms, fields))
    return result


# Bounded, anchored at the start of a run: hostile text ("a.a.a.a...") stays linear.
_LINK = re.compile(r"(?<![\w+.-])[a-z][a-z0-9+.-]{0,15}://[^\s<>\"'`)\]]+", re.IGNORECASE)
_BARE_LINK = re.compile(
    r"(?<![\w.-])(?:[a-z0-9-]{1,63}\.){1,8}(?:com|org|net|dev|io|app|sh|co|cloud|page|site)"
    r"(?=/)[^\s<>\"'`)\]]*",
    re.IGNORECASE,
)

_ID = re.compile(r"[0-9a-f]{7,}|[0-9]+|[0-9a-f-]{36}", re.IGNORECASE)
"""A link's path segment that is an id (a build number, a log hash, a UUID), not a name."""


def link_paths(text: str) -> str:
    """Each link replaced by its decoded path: the builder or test a CI link names
    (`.../builders/ci/Mac%20Builder`, `ninja:%2F%2Fchrome%2Ftest:browser_tests%2FFoo.Bar`)
    counts; scheme, host, query string (`crbug.com`, `?component=123`), ids and the short
    routing segments (`/ui/p/`) do not, as they would match every change that mentions the
    same site (or lives in `ui/`)."""

    def path(match: re.Match[str]) -> str:
        link = match.group(0)
        if "://" not in link:
            link = "//" + link
        try:
            segments = unquote(urlsplit(link).path).split("/")
        except ValueError:  # a malformed link (bad IPv6 host) says nothing either
            return " "
        return " " + " ".join(s for s in segments if len(s) > 2 and not _ID.fullmatch(s)) + " "

    return _BARE_LINK.sub(path, _LINK.sub(path, text))


def _relative(bm25: BM25, query: Sequence[str]) -> list[tuple[float, tuple[str, ...]]]:
    results = [bm25.score(query, i) for i in range(len(bm25.counts))]
    best = max((score for score, _ in results), default=0.0)
    if best <= 0:
        return [(0.0, ()) for _ in results]
    return [
        (score / best, tuple(sorted(terms, key=lambda t: -bm25.idf.get(t, 0))[:5]))
        for score, terms in results
    ]


def change_fields(candidate: Candidate) -> dict[str, list[str]]:
    """The words of a change by field: messages, changed paths, identifiers from its diff
    (platform names in one spelling, see `same_platform`)."""
    text = " ".join(f"{m.subject}\n{m.body}" for m in candidate.members)
    diff = " ".join(w for m in candidate.members for w in sorted(m.diff_words))
    return {
        "message": [same_platform(w) for w in words(text)],
        "paths": [same_platform(w) for w in path_words(f.path for f in candidate.files)],
        "diff": [same_platform(w) for w in words(diff)],
    }


_PLATFORMS = {
    "mac": ("macos", "darwin", "osx"),
    "windows": ("win", "win32", "win64", "msvc", "mingw"),
    "arm64": ("aarch64",),
    "x86_64": ("amd64", "x64"),
    "ios": ("iphone", "iphoneos"),
    "wasm": ("wasm32", "wasm64", "webassembly"),
    "chromeos": ("cros",),
}
_PLATFORM_OF = {
    words(spelling)[0]: name  # the word the tokenizer makes of the whole spelling
    for name, others in _PLATFORMS.items()
    for spelling in (name, *others)
}


def same_platform(word: str) -> str:
    """One spelling per platform (`darwin`, `osx`, `macOS` -> `mac`; `win32`, `msvc` ->
    `windows`; versions too: `win10`, `mac14`, `ios17`): a report says "breaks the Mac
    build", the change touches `*_darwin.go`."""
    found = _PLATFORM_OF.get(word)
    if found is None and word[-1:].isdigit():
        found = _PLATFORM_OF.get(word.rstrip("0123456789"))
    return found or word
