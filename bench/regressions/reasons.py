"""What a revert message says: which change it reverts, and the human reason why.

Formats seen in public histories (the miner's tests plant each one):

- git's own `This reverts commit <sha>.`, often followed by a paragraph of reason, or with
  the reason on the same line (`This reverts commit <sha> because ...`);
- Gerrit's `Reason for revert: ...` (Android, OpenStack, Dart, V8), with the reverted change's
  description quoted after `Original change's description:`;
- Copybara's `*** Reason for rollback ***` blocks and `Reverts <sha>` lines;
- GitHub's revert PRs (`Reverts owner/repo#123`, `Revert "Title (#123)" (#124)`) whose body
  was squashed into the commit message, and bots' `Reason for reverting: ...`;
- PyTorch's merge bot: `Reverted <url> on behalf of <url> due to <reason>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHA_REF = re.compile(
    r"(?:\bThis reverts commit|^Revert(?:s|ing)?(?:\s+commit)?|\bAutomated rollback of commit"
    r"|\bRolls? back commit"
    r"|\bReverting commit)\s+(?:[\w.-]+/[\w.-]+@)?([0-9a-fA-F]{7,40})\b",
    re.IGNORECASE | re.MULTILINE,
)
_PR_REF = re.compile(
    r"^(?:This\s+)?Reverts?\s+(?:(?P<repo>[\w.-]+/[\w.-]+))?#(?P<num>\d+)\b"
    r"|\bReverts?\s+(?:(?P<repo2>[\w.-]+/[\w.-]+))?#(?P<num2>\d+)\b"
    r"|^Reverts?\s+https://github\.com/(?P<repo3>[\w.-]+/[\w.-]+)/pull/(?P<num3>\d+)\b",
    re.IGNORECASE | re.MULTILINE,
)
_PHAB_REF = re.compile(
    r"^(?:Revert|This diff reverts|Back out|Original Phabricator Diff:)\s+\"?(D\d{3,})\b",
    re.I | re.M,
)
_QUOTED_TITLE = re.compile(
    r'^(?:\[[^\]]*\]\s*)*(?:Revert(?:\^\d+)?|Back out)\s+"(?P<title>.+)"', re.IGNORECASE
)
_TITLE_PR = re.compile(r"\s*\((?:#|GH-|gh-)(\d+)\)\s*$")
_REVERT_SUBJECT = re.compile(
    r"^(?:\[[^\]]*\]\s*)*(?:revert|rollback|roll back|rolling back|automated rollback|reverts|"
    r"back out)\b",
    re.IGNORECASE,
)
_RELAND = re.compile(
    r"^(?:\[[^\]]*\]\s*)*(?:reland|re-land|roll.?forward|revert\^\d|revert\s+\"revert|"
    r"\[take \d\]|unrevert|re-apply|reapply|back out (?:of )?\"?revert)",
    re.IGNORECASE,
)

_REASON_MARKERS = (
    re.compile(r"^\s*Reason for (?:revert|reverting|rollback|the revert)\s*:\s*", re.I | re.M),
    re.compile(r"^\s*\*\*\* Reason for rollback \*\*\*\s*", re.I | re.M),
    re.compile(r"^\s*(?:Revert )?Reason\s*:\s*", re.I | re.M),
)
_REASON_ENDS = re.compile(
    r"^\s*(?:Original change'?s description|\*\*\* Original change description|"
    r"Reverted changes?:|Original commit changeset|Original Phabricator Diff|"
    r"Change-Id:|Bug:|Test:|Original PR Author|Reviewed By|Revert submission)",
    re.IGNORECASE | re.MULTILINE,
)
_BOT_DUE_TO = re.compile(
    r"^Reverted \S+ on behalf of \S+ due to (?P<reason>.+?)(?:\s*\(\[comment\]\(\S+\)\))?\s*$",
    re.IGNORECASE | re.MULTILINE | re.DOTALL,
)
_REVERTS_COMMIT = re.compile(r"\bThis reverts commit [0-9a-fA-F]{7,40}\b\.?,?[ \t]*", re.IGNORECASE)
_REVERTED_ID = r"(?:r\d+|(?=[a-fA-F]*\d)[0-9a-fA-F]{5,40})\b"
"""A reverted commit's SHA (with a digit, so "added" is a word) or Subversion revision."""
_REVERTED_IDS = rf"{_REVERTED_ID}(?:,?\s+(?:and\s+)?{_REVERTED_ID})*"
_REVERT_FORMULA = re.compile(
    rf"\bThis reverts (?:commits?:?(?:\s+{_REVERTED_IDS})?|{_REVERTED_IDS}\s+commits?)"
    r"(?:,?\s+reversing\s+changes\s+made\s+to\s+[0-9a-fA-F]{7,40}\b)?\.?,?[ \t]*",
    re.IGNORECASE,
)
"""git's sentence for a revert (of several commits, of a merge, of Subversion revisions)."""
_SQUASHED_LIST = re.compile(r"\A(?:\*[^\n]*\n*)+\Z")
"""A squash-merge's body: only the `* subject` lines of the commits it folds."""
_TITLE_CONTINUATION = re.compile(r"\A\s*\u2026.*\n?")
_DROP_LINES = re.compile(
    r"^\s*(?:Reverts?\s+(?:[\w.-]+/[\w.-]+)?#\d+\.?\s*|"
    r"Reverts [0-9a-fA-F]{7,40}\.?\s*|Revert submission\b.*|Reverted changes?:.*|"
    r"Initiated by:.*|Imported from GitHub PR.*|This diff reverts D\d+.*|Depends on D\d+.*|"
    r"\(The context such as a Sandcastle job, Task, SEV, etc\. was not provided\.\)|"
    r"Original PR Author:.*|Reviewed By:.*|Automated rollback of.*|"
    r"Original commit changeset:.*|Original Phabricator Diff:.*|"
    r"\(cherry picked from commit .*\)|#+\s*(?:Summary|Description|Motivation|Reason)\s*:?\s*|"
    r"-{3,}|={3,}|Summary:?|Release notes?:?.*|- N/?A)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_TAIL_SECTIONS = re.compile(
    r"^\s*(?:#+\s*)?(?:Test Plan|Testing|Test plan|Checklist|Original change'?s description|"
    r"\*\*\* Original change description|Pre-launch Checklist|"
    r"Differential Revision|Related issues?|Copybara import of the project|"
    r"Merging this change closes)\b.*|^\s*-{5,}\s*$.*",
    re.IGNORECASE | re.MULTILINE | re.DOTALL,
)
_BOILERPLATE = (
    re.compile(r"Droid-?monitor created revert due to \S*\.?", re.I),
    re.compile(r"Will be verifying through ABTD before submission\.?", re.I),
    re.compile(r"<INSERT REASONING HERE>", re.I),
    re.compile(
        r"(?:Droid-?Monitor:\s*)?(?:Potential\s+)?culprit for \S*\s*-?\s*"
        r"verifying through ABTD before revert submission\.?",
        re.I,
    ),
    re.compile(
        r"This is part of the standard investigation process, and does not mean your"
        r" CL will be reverted\.?",
        re.I,
    ),
    re.compile(r"Bypassing (?:check|the check)s?.*$", re.I | re.M),
    re.compile(
        r"^.*(?:Multisect link|tasks that are relevant to this breakage|generating a "
        r"revert to back out|backout may land if someone accepts|generated in error).*$",
        re.I | re.M,
    ),
)
_SUMMARY = re.compile(r"^\s*Summary:[ \t]*", re.I | re.M)
"""Phabricator's `Summary:` label, alone on its line or before the first words."""
_BOT_CAUSES = re.compile(
    r"^(?:This diff is reverting D\d+[^\n]*\n\s*[^\n]*?|D\d+\b[^\n]*?|[^\n]*? by [^\n]+?) "
    r"(?:has been identified to be causing|causes) the following",
    re.I | re.M,
)
"""Meta's revert bot names the reverted diff, its title and author before the failures."""


@dataclass(frozen=True)
class RevertRefs:
    """What a revert message names as the reverted change."""

    shas: tuple[str, ...]
    prs: tuple[tuple[str, int], ...]
    """(repository or "", number) pairs."""
    diffs: tuple[str, ...]
    """Phabricator revisions ("D123"), matched against `Differential Revision:` trailers."""
    title: str
    """The quoted title of `Revert "Title"`, without a trailing PR number; "" if none."""


def is_revert(subject: str, body: str) -> bool:
    """Whether a message reads as a revert or rollback (and not as a reland of one).

    The subject must say so, or the body must use git's own `This reverts commit <sha>`: a
    bare `Reverts <sha>` under an ordinary subject is Copybara's roll-forward of a rollback.
    """
    if _RELAND.match(subject):
        return False
    return bool(_REVERT_SUBJECT.match(subject) or _REVERTS_COMMIT.search(body))


def is_reland(subject: str) -> bool:
    """Whether a subject announces a reland (or the revert of a revert)."""
    return bool(_RELAND.match(subject))


def find_refs(subject: str, body: str) -> RevertRefs:
    """The SHAs, PR numbers and quoted title a revert message names."""
    shas = tuple(dict.fromkeys(m.group(1).lower() for m in _SHA_REF.finditer(f"{subject}\n{body}")))
    prs: list[tuple[str, int]] = []
    for match in _PR_REF.finditer(f"{subject}\n{body}"):
        repo = match.group("repo") or match.group("repo2") or match.group("repo3") or ""
        num = match.group("num") or match.group("num2") or match.group("num3")
        prs.append((repo, int(num)))
    title = ""
    if quoted := _QUOTED_TITLE.match(subject):
        title = _TITLE_PR.sub("", quoted.group("title")).strip().rstrip('"').strip()
        if pr := _TITLE_PR.search(quoted.group("title")):
            prs.append(("", int(pr.group(1))))
    diffs = tuple(
        dict.fromkeys(m.group(1).upper() for m in _PHAB_REF.finditer(f"{subject}\n{body}"))
    )
    return RevertRefs(shas, tuple(dict.fromkeys(prs)), diffs, title)


def title_without_pr(subject: str) -> str:
    """A subject without its trailing `(#123)`."""
    return _TITLE_PR.sub("", subject).strip()


def extract_reason(body: str) -> tuple[str, str]:
    """The human reason in a revert's body, and the format it was found in ("" if none).

    The result is raw: it still holds whatever the author wrote (SHAs, links, names);
    `sanitize.sanitize_reason` removes what would leak the answer.
    """
    if match := _BOT_DUE_TO.search(body):
        return _clean(match.group("reason")), "bot-due-to"
    for number, marker in enumerate(_REASON_MARKERS):
        if match := marker.search(body):
            rest = body[match.end() :]
            if end := _REASON_ENDS.search(rest):
                rest = rest[: end.start()]
            return _clean(rest), ("gerrit", "copybara", "reason")[number]
    text = _TITLE_CONTINUATION.sub("", body)
    fmt = "git-revert" if _REVERTS_COMMIT.search(text) else "pr-body"
    text = _REVERT_FORMULA.sub("", text)
    text = _TAIL_SECTIONS.sub("", text)
    text = _DROP_LINES.sub("", text)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))
    text = _clean(text)
    return ("" if is_squash_list(text) else text), fmt


def is_squash_list(text: str) -> bool:
    """Whether `text` only lists the `* subject` of folded commits, one of them a revert: a
    squash-merge's body, no reason (checked again once sanitizing took out sign-offs)."""
    return bool(_SQUASHED_LIST.match(text) and re.search(r"^\* Revert", text, re.I | re.M))


def _clean(text: str) -> str:
    text = _REVERT_FORMULA.sub("", text)
    text = _SUMMARY.sub("", text)
    text = _BOT_CAUSES.sub("Causes the following", text)
    for pattern in _BOILERPLATE:
        text = pattern.sub("", text)
    text = _TAIL_SECTIONS.sub("", text)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
