"""A mined regression case, and the JSONL file that stores them (one case per line)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

CASES_FILE = Path(__file__).with_name("cases.jsonl")


@dataclass(frozen=True)
class Case:
    """A revert with a human reason: the incident it answered and the change at fault.

    Times are ISO-8601 UTC. `base` is the revert's first parent: the repository as it was
    when the revert was written, so no later commit (the revert itself included) is seen.
    """

    repo: str
    """owner/name of the public repository; its clone is `<clones>/owner__name`."""
    ecosystem: str
    revert: str
    culprit: str
    base: str
    started_at: str
    """The revert's author time: when someone had found the culprit."""
    resolved_at: str
    """The revert's commit time: when the fix landed."""
    reason: str
    """The revert's reason, sanitized (sanitize.py): the incident report."""
    candidates: int
    """Commits reachable from `base` that landed in the lookback before `started_at`."""
    format: str
    """Where the reason came from: gerrit, copybara, reason, bot-due-to, inline or body."""

    @property
    def clone_name(self) -> str:
        """The directory name of this repository's clone under the clones directory."""
        return self.repo.replace("/", "__")


def write_cases(path: Path, cases: Iterable[Case]) -> int:
    """Write `cases` as JSONL (stable key order, sorted by repo then time); return the count."""
    ordered = sorted(cases, key=lambda c: (c.repo, c.started_at, c.revert))
    with path.open("w", encoding="utf-8") as out:
        for case in ordered:
            out.write(json.dumps(asdict(case), ensure_ascii=False, sort_keys=True) + "\n")
    return len(ordered)


def load_cases(path: Path = CASES_FILE) -> list[Case]:
    """Read a JSONL cases file; unknown keys are refused so a typo cannot pass silently."""
    names = {f.name for f in fields(Case)}
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        data = json.loads(line)
        if set(data) != names:
            raise ValueError(f"{path}:{number}: keys {sorted(set(data) ^ names)} do not fit")
        cases.append(Case(**data))
    return cases
