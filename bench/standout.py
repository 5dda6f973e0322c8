"""When does pmops say "no change stands out"? The trade-off of pmops.analyze.standout.

For every incident with a known culprit, the draft either names the top suspect as the most
likely cause (it stands out) or says no change stands out. Four outcomes: named and right,
named and wrong (an innocent change blamed), held back though the top was right (a culprit
not named), held back and the top was wrong (a wrong name avoided). Incidents without a code
cause (tests/scenarios/catalog_grounding.py) should all be held back.

Sets: the scenario suite (deploy records, rich incident text), the no-code-cause scenarios,
and with `--clones DIR` the real regressions of bench/regressions (cases with >= 5
candidates; terse text, no deploys). `--quick` skips the real regressions.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.table import print_table


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Outcome counts per set; the last line of stdout is their JSON."""
    from tests.scenarios.build import build_all, culprit_rank
    from tests.scenarios.catalog import SCENARIOS
    from tests.scenarios.catalog_grounding import NO_CODE_CULPRIT
    from tests.scenarios.catalog_grounding import SCENARIOS as GROUNDING

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="pmops-bench-standout-") as tmp:
        outcomes = []
        for built in build_all(Path(tmp) / "suite", SCENARIOS):
            analysis = _analyze(built.repo, built.incident_file)
            rank = culprit_rank(built, [s.sha for s in analysis.suspects])
            outcomes.append((rank == 1, analysis.standout.stands_out))
        figures["scenarios"] = _tally(outcomes)
        held = []
        for built in build_all(Path(tmp) / "grounding", GROUNDING):
            if built.scenario.culprit == NO_CODE_CULPRIT:
                held.append(not _analyze(built.repo, built.incident_file).standout.stands_out)
        figures["no_code_cause"] = {"cases": len(held), "held_back": sum(held)}
    clones = _clones(argv)
    if clones is not None and not quick:
        figures["regressions"] = _tally(list(_regressions(clones)))
    rows = [{"set": name, **values} for name, values in figures.items()]
    print_table("standout: named / held back", rows)
    return figures


def _analyze(repo: Path, incident: Path) -> Any:
    from pmops.config import load_config
    from pmops.pipeline import analyze, gather_local
    from pmops.sources.incident_file import load_incident_file

    config = load_config(repo)
    evidence = gather_local(repo, load_incident_file(incident), config)
    return analyze(evidence, config, limit=None)


def _tally(outcomes: list[tuple[bool, bool]]) -> dict[str, int]:
    """(top is the culprit, stands out) pairs to the four counts."""
    return {
        "cases": len(outcomes),
        "named_right": sum(right and named for right, named in outcomes),
        "named_wrong": sum(not right and named for right, named in outcomes),
        "held_back_right_top": sum(right and not named for right, named in outcomes),
        "held_back_wrong_top": sum(not right and not named for right, named in outcomes),
    }


def _clones(argv: list[str]) -> Path | None:
    if "--clones" not in argv:
        return None
    index = argv.index("--clones") + 1
    if index >= len(argv):
        raise RuntimeError("--clones needs a folder")
    return Path(argv[index])


def _regressions(clones: Path) -> Iterator[tuple[bool, bool]]:
    from bench.regressions.cases import load_cases
    from bench.regressions.evaluate import (
        MIN_CANDIDATES,
        Scratch,
        _Judge,
        incident_document,
    )
    from bench.regressions.history import GitFailed
    from pmops.errors import PmopsError

    scratches: dict[str, Scratch] = {}
    with tempfile.TemporaryDirectory(prefix="pmops-bench-standout-") as tmp:
        root = Path(tmp)
        for number, case in enumerate(load_cases(), 1):
            clone = clones / case.clone_name
            if not clone.exists() or case.candidates < MIN_CANDIDATES:
                continue
            if case.clone_name not in scratches:
                scratches[case.clone_name] = Scratch(clone, root / "repos")
            scratch = scratches[case.clone_name]
            incident = root / f"incident-{number}.json"
            try:
                scratch.checkout(case.base)
                incident.write_text(json.dumps(incident_document(case, number)))
                analysis = _analyze(scratch.path, incident)
            except (PmopsError, GitFailed) as error:  # snapshots lack objects of >= 4 MiB
                print(f"{case.repo} {case.revert[:10]}: {error}", file=sys.stderr)
                continue
            if not analysis.suspects:
                continue
            judge = _Judge(scratch.path, case.culprit)
            yield (
                judge.rank([s.sha for s in analysis.suspects[:1]]) == 1,
                (analysis.standout.stands_out),
            )
