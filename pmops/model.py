"""Domain types passed between the pipeline stages: gather -> analyze -> draft -> verify -> render.

Evidence types are frozen; times are timezone-aware UTC datetimes everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """SEV-1 is critical, SEV-4 minor."""

    SEV1 = "SEV-1"
    SEV2 = "SEV-2"
    SEV3 = "SEV-3"
    SEV4 = "SEV-4"


class Status(StrEnum):
    """Lifecycle state of a postmortem file (see pmops.lifecycle.status)."""

    DRAFT = "draft"
    EDITED = "edited"
    PUBLISHED = "published"


class Confidence(StrEnum):
    """How sure the draft is of its root cause."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Priority(StrEnum):
    """Priority of an action item."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class EventSource(StrEnum):
    """Where a timeline event comes from; named on every timeline line."""

    DEPLOY = "deploy"
    COMMIT = "commit"
    PR = "pr"
    ALERT = "alert"
    METRIC = "metric"
    LOG = "log"
    UPDATE = "update"
    RELEASE = "release"
    WORKFLOW = "workflow"
    ISSUE = "issue"


# ---------------------------------------------------------------- evidence


@dataclass(frozen=True)
class FileChange:
    """One file touched by a change; `old_path` is set for renames."""

    path: str
    additions: int = 0
    deletions: int = 0
    old_path: str | None = None


@dataclass(frozen=True)
class Change:
    """A commit. Author identity is kept for display only: ranking never uses it (blameless)."""

    sha: str
    subject: str
    authored_at: datetime
    committed_at: datetime
    body: str = ""
    author: str = ""
    parents: tuple[str, ...] = ()
    files: tuple[FileChange, ...] = ()
    pr: int | None = None
    reverts: tuple[str, ...] = ()
    repo: str = ""
    diff_words: frozenset[str] = frozenset()

    @property
    def is_merge(self) -> bool:
        """True for commits with more than one parent."""
        return len(self.parents) > 1

    @property
    def churn(self) -> int:
        """Lines added plus lines deleted."""
        return sum(f.additions + f.deletions for f in self.files)


@dataclass(frozen=True)
class PullRequest:
    """A merged (or open) pull request."""

    number: int
    title: str
    merged_at: datetime | None
    merge_sha: str | None = None
    head_sha: str | None = None
    body: str = ""
    url: str = ""
    labels: tuple[str, ...] = ()
    repo: str = ""


@dataclass(frozen=True)
class Deploy:
    """A deployment of `sha` (a prefix is allowed) to an environment."""

    at: datetime
    sha: str
    service: str = ""
    environment: str = "production"
    status: str = "success"
    """success | failure | rollback | pending | unknown (a status GitHub did not report)."""
    repo: str = ""


@dataclass(frozen=True)
class Release:
    """A tag or GitHub release."""

    tag: str
    sha: str
    at: datetime
    repo: str = ""


@dataclass(frozen=True)
class WorkflowRun:
    """A CI/CD workflow run, e.g. a failed deploy job."""

    name: str
    sha: str
    at: datetime
    conclusion: str
    url: str = ""


@dataclass(frozen=True)
class Update:
    """A human update posted during the incident (issue comment or incident-file entry)."""

    at: datetime
    text: str
    author: str = ""


@dataclass(frozen=True)
class Alert:
    """An alert that fired."""

    at: datetime
    name: str
    text: str = ""
    service: str = ""


@dataclass(frozen=True)
class Anomaly:
    """Onset, peak and recovery of one metric series against its own baseline."""

    name: str
    backend: str
    baseline: float
    peak: float
    onset_at: datetime
    peak_at: datetime
    recovered_at: datetime | None
    unit: str = ""
    service: str = ""


@dataclass(frozen=True)
class LogSummary:
    """A log message pattern with its count and first/last time seen."""

    message: str
    count: int
    first_seen: datetime
    last_seen: datetime
    backend: str = ""


@dataclass(frozen=True)
class Reference:
    """An issue or pull request that mentions the incident (GitHub's cross-references)."""

    number: int
    title: str
    at: datetime
    is_pull: bool = False
    url: str = ""
    repo: str = ""


@dataclass(frozen=True)
class Incident:
    """What the incident issue (or incident file) says."""

    id: int | str
    title: str
    started_at: datetime
    resolved_at: datetime
    severity: Severity = Severity.SEV3
    detected_at: datetime | None = None
    services: tuple[str, ...] = ()
    impact: str = ""
    users_affected: int | None = None
    url: str = ""


REMEDIATION_GRACE = timedelta(minutes=30)
"""Changes up to this long after resolution still count as the incident's remediation."""


@dataclass(frozen=True)
class Window:
    """The span searched for suspects (`since`) and the incident itself (`start`..`end`)."""

    since: datetime
    start: datetime
    end: datetime

    @classmethod
    def around(cls, incident: Incident, lookback_hours: float) -> Window:
        """Suspects from `lookback_hours` before the start; the incident from start to
        resolution."""
        return cls(
            since=incident.started_at - timedelta(hours=lookback_hours),
            start=incident.started_at,
            end=incident.resolved_at,
        )

    @property
    def until(self) -> datetime:
        """The last moment whose changes are still evidence (resolution plus the grace)."""
        return self.end + REMEDIATION_GRACE


@dataclass(frozen=True)
class Evidence:
    """Everything gathered about one incident; `unavailable` names sources that failed."""

    incident: Incident
    window: Window
    changes: tuple[Change, ...] = ()
    pull_requests: tuple[PullRequest, ...] = ()
    deploys: tuple[Deploy, ...] = ()
    releases: tuple[Release, ...] = ()
    workflow_runs: tuple[WorkflowRun, ...] = ()
    """Failed runs on the default branch (what the timeline and the draft show)."""
    passed_runs: tuple[WorkflowRun, ...] = ()
    """Successful runs on the default branch before the last failure (where each workflow
    was last green: the suspects' CI blamelist), read only when a run failed."""
    updates: tuple[Update, ...] = ()
    alerts: tuple[Alert, ...] = ()
    anomalies: tuple[Anomaly, ...] = ()
    logs: tuple[LogSummary, ...] = ()
    references: tuple[Reference, ...] = ()
    unavailable: tuple[str, ...] = ()
    repo_url: str = ""
    hints: tuple[str, ...] = ()
    """What the gather noticed beyond its reach (evidence pointing before the window)."""


# ---------------------------------------------------------------- analysis


@dataclass(frozen=True)
class TimelineEvent:
    """One line of the timeline; `ref` is a SHA, PR number or URL when there is one."""

    at: datetime
    source: EventSource
    text: str
    ref: str = ""


@dataclass(frozen=True)
class Suspect:
    """A ranked change with the human-readable reasons for its score (0..1)."""

    sha: str
    score: float
    reasons: tuple[str, ...]
    pr: int | None = None
    repo: str = ""
    subject: str = ""
    signals: frozenset[str] = field(default=frozenset(), compare=False)
    """Names of the ranking signals that fired (not stored in the file)."""


@dataclass(frozen=True)
class Landed:
    """A candidate change as the analysis saw it: its commit (a folded merge stands for its
    branch), when it reached the main line, and what the deploy records say about it."""

    change: Change
    landed_at: datetime
    members: tuple[str, ...] = ()
    """SHAs of every commit folded into the change (the representative first)."""
    pr: int | None = None
    live: Deploy | None = None
    """The production deploy that first shipped it before the start."""
    batch: int = 0
    """How many changes that deploy shipped at once (0: not shipped by a recorded deploy)."""
    bounded: bool = False
    """The deploy had a predecessor, so the change went live exactly then."""
    rolled_back: Deploy | None = None
    """The rollback during the incident that took it out of production."""

    @property
    def files(self) -> tuple[FileChange, ...]:
        """The representative's files (a folded merge's first-parent diff)."""
        return self.change.files


@dataclass(frozen=True)
class Standout:
    """Whether one change stands out as the cause (see pmops.analyze.standout)."""

    stands_out: bool
    reason: str
    """Why it does or does not, in one sentence for reviewers."""
    elsewhere: tuple[str, ...] = ()
    """Evidence that points away from a code change (alerts, metrics, updates), as phrases."""
    topics: tuple[str, ...] = ()
    """What that evidence is about: certificate, capacity, provider..."""
    tied: tuple[str, ...] = ()
    """SHAs of the suspects that meet the incident but score alike (no single one stands out)."""


@dataclass(frozen=True)
class Findings:
    """Sentences and facts every drafter states, each grounded in the evidence."""

    duration_text: str
    detection_text: str
    stopped_by: tuple[str, ...]
    """Phrases like \"the revert of `abc1234` (`def5678`) at 14:54 UTC\"."""
    lasting_fix: str
    contributing: tuple[str, ...]
    went_well: tuple[str, ...]
    went_poorly: tuple[str, ...]
    detection_minutes: int | None
    resolution_minutes: int
    service: str | None = None
    """The affected service the top suspect touches, else the first affected service."""
    top_paths: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """The top suspect's files by kind (config, dependency, migration, flag, infra, code)."""
    symptoms: tuple[str, ...] = ()
    """Every metric anomaly, described as drafts show it."""

    def paths_of(self, kind: str) -> tuple[str, ...]:
        """The top suspect's files of one kind, in path order."""
        return next((paths for k, paths in self.top_paths if k == kind), ())


@dataclass(frozen=True)
class Analysis:
    """Evidence ordered and ranked, computed once by `pmops.analyze.analysis.analyze`: the
    input of every drafter and of the verifier, which read nothing else of the analysis."""

    evidence: Evidence
    timeline: tuple[TimelineEvent, ...]
    suspects: tuple[Suspect, ...]
    findings: Findings
    standout: Standout
    candidates: tuple[Landed, ...] = ()
    """The suspect pool: changes live (or landed) before the start."""
    remediation: tuple[Landed, ...] = ()
    """Changes that landed during the incident, in landing order."""


# ---------------------------------------------------------------- document


@dataclass(frozen=True)
class ActionItem:
    """A follow-up with a priority and a suggested owner; `issue` once tracked."""

    title: str
    priority: Priority
    owner: str | None = None
    issue: int | None = None
    due: date | None = None  # set with `issue` once the tracking issue exists


@dataclass(frozen=True)
class Impact:
    """Customer impact as recorded in the frontmatter."""

    description: str
    affected_services: tuple[str, ...] = ()
    users_affected: int | None = None


@dataclass(frozen=True)
class Generator:
    """What produced the draft; `regenerations` counts /regenerate runs."""

    version: str
    model: str
    regenerations: int = 0
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    duration_s: float | None = None
    fallback_reason: str | None = None


SECTIONS: tuple[str, ...] = (
    "Summary",
    "Customer impact",
    "Timeline",
    "Root cause",
    "Resolution",
    "Contributing factors",
    "What went well",
    "What went poorly",
    "Action items",
    "Confidence",
)
"""The body's `##` sections, in their required order (DESIGN §3)."""


@dataclass(frozen=True)
class Postmortem:
    """A postmortem document: frontmatter fields plus the body's sections by heading.

    `sections` keeps document order and may hold extra sections humans added;
    `extra` holds frontmatter keys pmops does not know, so they survive a round trip.
    """

    id: int | str
    title: str
    status: Status
    severity: Severity
    started_at: datetime
    resolved_at: datetime
    duration_minutes: int
    impact: Impact
    confidence: Confidence
    generated_at: datetime
    generator: Generator
    sections: dict[str, str]
    detected_at: datetime | None = None
    suspects: tuple[Suspect, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    edited_by: tuple[str, ...] = ()
    published_at: datetime | None = None
    published_by: str | None = None
    accepted_claims: tuple[str, ...] = ()
    """SHAs and references a reviewer keeps although `pmops check` cannot resolve them."""
    accepted_wording: tuple[str, ...] = ()
    """Phrases of sentences a reviewer keeps although `pmops check` calls them blaming."""
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- draft and verification


@dataclass(frozen=True)
class Draft:
    """What a drafter (deterministic or LLM) produces; mirrors schemas/draft.schema.json."""

    summary: str
    severity: Severity
    customer_impact: str
    timeline: tuple[TimelineEvent, ...]
    root_cause: str
    root_cause_suspects: tuple[str, ...]
    resolution: str
    contributing_factors: tuple[str, ...]
    went_well: tuple[str, ...]
    went_poorly: tuple[str, ...]
    action_items: tuple[ActionItem, ...]
    confidence: Confidence
    confidence_reason: str
    generator: Generator
    notes: tuple[str, ...] = ()
    """Facts about the drafting itself (evidence left out, fallbacks), shown to reviewers."""
    extra_sections: tuple[tuple[str, str], ...] = ()
    """(heading, text) of the team's own sections (pmops.documents.sections) a model wrote."""


@dataclass(frozen=True)
class Claim:
    """A checkable fact found in a draft: a SHA, PR/issue number, time, duration or count."""

    kind: str
    text: str
    section: str
    verified: bool
    detail: str = ""


@dataclass(frozen=True)
class Verification:
    """Every claim of a draft and whether the evidence supports it."""

    claims: tuple[Claim, ...]

    @property
    def unverified(self) -> tuple[Claim, ...]:
        """Claims the evidence does not support."""
        return tuple(c for c in self.claims if not c.verified)

    @property
    def verified_share(self) -> float:
        """Share of claims that verify (1.0 when there are none)."""
        if not self.claims:
            return 1.0
        return 1 - len(self.unverified) / len(self.claims)
