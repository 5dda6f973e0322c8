"""The pipeline as library functions: gather -> analyze -> draft -> verify -> compose.

The CLI and the Action call these; only the sources (local git + incident file, or GitHub)
and the sink (a file, or a pull request) differ.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pmops.analyze import analysis as analysis_step
from pmops.analyze.suspects import MAX_SUSPECTS, rank_suspects, suspects_json
from pmops.config import Config, load_config
from pmops.documents.blameless_check import blame_notes
from pmops.documents.doc_template import DocumentTemplate
from pmops.documents.document import plain
from pmops.documents.render import render_postmortem, to_frontmatter
from pmops.draft.compose import compose_postmortem, postmortem_path
from pmops.draft.deterministic import draft_deterministic
from pmops.draft.links import allowed_links, restrict_links
from pmops.draft.rerank_result import RerankResult
from pmops.errors import SourceError
from pmops.history.step import similar_incidents
from pmops.model import (
    Analysis,
    Deploy,
    Draft,
    Evidence,
    Postmortem,
    Suspect,
    Verification,
    Window,
)
from pmops.safety.outbound import evidence_secrets, redact_suspects, safe_postmortem
from pmops.sources import git
from pmops.sources.incident_file import IncidentFile, load_incident_file
from pmops.sources.shipped import outside_hints, widen_window
from pmops.verify import apply_verification, draft_texts, verify_draft

if TYPE_CHECKING:
    from pmops.history.similar import SimilarResult

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """A progress reporter that says nothing."""


@dataclass(frozen=True)
class Result:
    """Everything one run produced, for the sink and the report."""

    analysis: Analysis
    draft: Draft
    verification: Verification
    postmortem: Postmortem
    similar: SimilarResult | None = None


def gather_local(
    repo: Path,
    source: IncidentFile,
    config: Config,
    env: Mapping[str, str] | None = None,
    progress: Progress = _quiet,
) -> Evidence:
    """Evidence from a local repository, an incident file and configured observability."""
    incident = source.incident
    window = Window.around(incident, config.lookback_hours)
    widened = widen_window(repo, source.deploys, window)
    if widened.since < window.since:
        progress("the deploys shipped older commits: reading them too")
    window = widened
    deploys, unknown = _resolve_deploys(repo, source.deploys)
    progress(f"reading git history since {window.since:%Y-%m-%d %H:%M} UTC")
    unreadable: list[str] = []
    changes = git.read_changes(repo, window.since, window.until, notes=unreadable)
    inverse = git.detect_inverse_reverts(changes, repo)
    if inverse:
        changes = tuple(
            replace(c, reverts=(*c.reverts, inverse[c.sha])) if c.sha in inverse else c
            for c in changes
        )
    unavailable = unreadable + [
        f"deploy of {d.sha} ({d.service or d.environment}) names a commit that is "
        "not in this repository"
        for d in unknown
    ]
    anomalies: tuple = ()
    logs: tuple = ()
    backends = source.observability or config.observability
    if backends:
        from pmops.sources.observability import collect_all

        progress(f"querying {', '.join(b.kind for b in backends)}")
        observed = collect_all(window, backends, env if env is not None else os.environ)
        anomalies, logs = observed.anomalies, observed.logs
        unavailable += list(observed.unavailable)
    return Evidence(
        incident=incident,
        window=window,
        changes=changes,
        deploys=deploys,
        releases=git.read_releases(repo, window.since, window.until),
        updates=source.updates,
        alerts=source.alerts,
        anomalies=anomalies,
        logs=logs,
        unavailable=tuple(unavailable),
        hints=outside_hints(repo, changes, source.updates, config.lookback_hours),
    )


def _resolve_deploys(
    repo: Path, deploys: tuple[Deploy, ...]
) -> tuple[tuple[Deploy, ...], list[Deploy]]:
    resolved = []
    unknown = []
    for deploy in deploys:
        sha = git.resolve_sha(repo, deploy.sha)
        if sha is None:
            unknown.append(deploy)
        resolved.append(replace(deploy, sha=sha or deploy.sha))
    return tuple(resolved), unknown


def analyze(evidence: Evidence, config: Config, *, limit: int | None = MAX_SUSPECTS) -> Analysis:
    """The analysis of `evidence` (suspects: the best `limit`; None: all), computed once."""
    analysis = analysis_step.analyze(evidence, config.services, limit=limit)
    suspects = redact_suspects(analysis.suspects, evidence_secrets(evidence))
    return replace(analysis, suspects=suspects)


def rank_local(
    repo: Path,
    incident_file: Path,
    *,
    limit: int | None = MAX_SUSPECTS,
    config: Config | None = None,
    env: Mapping[str, str] | None = None,
    progress: Progress = _quiet,
) -> tuple[Suspect, ...]:
    """`pmops suspects`: the ranked suspects for a local repository and incident file,
    reranked by the model when `model.rerank` is on (its note goes to `progress`)."""
    _, reranked = rank_and_rerank_local(
        repo, incident_file, limit=limit, config=config, env=env, progress=progress
    )
    return reranked.suspects


def rank_and_rerank_local(
    repo: Path,
    incident_file: Path,
    *,
    limit: int | None = MAX_SUSPECTS,
    config: Config | None = None,
    env: Mapping[str, str] | None = None,
    progress: Progress = _quiet,
) -> tuple[tuple[Suspect, ...], RerankResult]:
    """pmops's own ranking, and the model's rerank of it (`rerank_top`; its note goes to
    `progress`): `rank_local` shows the second, a benchmark compares the two."""
    config = config or load_config(repo)
    evidence = gather_local(repo, load_incident_file(incident_file), config)
    for note in evidence.unavailable:
        progress(note)
    suspects = redact_suspects(
        rank_suspects(evidence, config.services, limit=limit), evidence_secrets(evidence)
    )
    reranked = rerank_top(suspects, evidence, config, repo=repo, env=env, progress=progress)
    if reranked.note:
        progress(reranked.note)
    return suspects, reranked


def rerank_top(
    suspects: Sequence[Suspect],
    evidence: Evidence,
    config: Config,
    *,
    repo: Path | None,
    env: Mapping[str, str] | None = None,
    progress: Progress = _quiet,
) -> RerankResult:
    """The suspects reranked by the configured model when `model.name` is set and
    `model.rerank` is on; else unchanged, with no note. Diffs come from `repo` (None: none).
    Never raises for model or git problems: the note says why the order was kept."""
    # checked first: without a model, neither the rerank's prompt code nor a client loads
    if not (config.model.name and config.model.rerank) or len(suspects) < 2:
        return RerankResult(tuple(suspects))
    from pmops.draft.rerank import RERANK_TOP, rerank_suspects

    top = min(RERANK_TOP, len(suspects))
    progress(f"reranking the top {top} suspects with {config.model.name}")
    diffs = _read_diffs(repo, [s.sha for s in suspects[:top]], progress)
    return rerank_suspects(
        suspects, evidence, diffs, config, env if env is not None else os.environ, top=top
    )


def _read_diffs(repo: Path | None, shas: Sequence[str], progress: Progress) -> dict[str, str]:
    """The candidates' patches; none (with a progress line) when git cannot give them."""
    if repo is None:
        return {}
    from pmops.sources.diffs import read_patches

    try:
        return read_patches(repo, shas)
    except SourceError as error:
        progress(f"the rerank goes without diffs: {error}")
        return {}


def draft_from_evidence(
    evidence: Evidence,
    config: Config,
    *,
    now: datetime | None = None,
    feedback: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    repo: Path | None = None,
    progress: Progress = _quiet,
) -> Result:
    """Analyze, rerank and draft (with the configured model, else deterministically), verify,
    compose.

    `feedback` is what reviewers asked for (/regenerate); the deterministic drafter has no
    use for it. `repo` is the checkout: its postmortems are searched for similar past
    incidents, and the model's rerank (`model.rerank`) reads its diffs.
    The model steps never raise: on any failure the rerank keeps pmops's order and the
    drafter returns the deterministic draft, each with a note saying why.
    """
    progress(f"ranking {len(evidence.changes)} changes")
    analysis = analyze(evidence, config)
    reranked = rerank_top(
        analysis.suspects, evidence, config, repo=repo, env=env, progress=progress
    )
    analysis = analysis_step.reorder(analysis, reranked.suspects)
    similar = similar_incidents(repo, analysis, config) if repo is not None else None
    lines: tuple[str, ...] = ()
    if similar is not None:
        from pmops.history.similar import format_similar

        path = postmortem_path(evidence.incident, config.postmortems_dir)
        lines = format_similar(similar, from_path=path)
    draft = restrict_links(
        draft_deterministic(analysis, similar=lines), allowed_links(config, evidence)
    )
    if config.model.name:
        from pmops.draft.llm import draft_with_llm

        progress(f"drafting with {config.model.name}")
        draft = draft_with_llm(
            analysis,
            config,
            env=env if env is not None else os.environ,
            feedback=feedback,
            fallback=draft,
            similar=lines,
        )
        if draft.generator.fallback_reason is None:
            draft = replace(draft, notes=(*draft.notes, *blame_notes(draft_texts(draft))))
    else:
        progress("drafting (deterministic)")
    if reranked.note:
        draft = replace(draft, notes=(*draft.notes, reranked.note))
    progress("verifying claims")
    verification = verify_draft(draft, analysis, history=lines)
    draft = apply_verification(draft, verification)
    postmortem = safe_postmortem(
        compose_postmortem(
            analysis, draft, verification, now or datetime.now(UTC), config.sections
        ),
        allowed_links(config, evidence),
        evidence_secrets(evidence),
    )
    return Result(analysis, draft, verification, postmortem, similar)


def draft_local(
    repo: Path,
    incident_file: Path,
    *,
    config: Config | None = None,
    now: datetime | None = None,
    progress: Progress = _quiet,
) -> Result:
    """`pmops draft`: gather from a local repository and an incident file, then draft."""
    config = config or load_config(repo)
    source = load_incident_file(incident_file)
    evidence = gather_local(repo, source, config, progress=progress)
    return draft_from_evidence(evidence, config, now=now, repo=repo, progress=progress)


def result_json(result: Result, document: DocumentTemplate | None = None) -> dict[str, object]:
    """`pmops draft --format json`: the frontmatter, sections, suspects and verification
    (`markdown` rendered with the repository's own `document` template when it has one)."""
    pm = result.postmortem
    return {
        "path": postmortem_path(result.analysis.evidence.incident),
        "frontmatter": plain(to_frontmatter(pm)),
        "sections": pm.sections,
        "suspects": suspects_json(result.analysis.suspects),
        "verification": {
            "claims": len(result.verification.claims),
            "verified_share": round(result.verification.verified_share, 4),
            "unverified": [
                {"kind": c.kind, "text": c.text, "section": c.section}
                for c in result.verification.unverified
            ],
        },
        "unavailable": list(result.analysis.evidence.unavailable),
        "markdown": render_postmortem(pm, document),
    }
