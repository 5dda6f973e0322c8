"""Generate a realistic, varied corpus of postmortems with known answers for search tests.

`write_corpus(folder, n)` renders `n` postmortems with
`pmops.documents.render.render_postmortem` under
`folder/postmortems/YYYY/`, from a fixed seed, and returns what each one is about (theme,
variant, services) plus at least 20 queries whose relevant documents are known by
construction. Used by tests/ and by `python -m bench search`.

A query's relevant set is every document whose ground truth matches the query's theme (and
variant, and primary service, when the query names them). Distractors are built in: most
documents mention a second service they called, and themes share words ("connection",
"timeout", "config"), so ranking, not a unique token, has to find them.
"""

from __future__ import annotations

import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pmops.documents.render import render_postmortem
from pmops.model import (
    SECTIONS,
    ActionItem,
    Confidence,
    Generator,
    Impact,
    Postmortem,
    Priority,
    Severity,
    Status,
    Suspect,
)
from pmops.times import format_time, minutes_between

SERVICES = (
    "auth-service",
    "api-gateway",
    "payments",
    "checkout",
    "search-api",
    "notifications",
    "user-profile",
    "billing",
    "inventory",
    "web-frontend",
    "mobile-bff",
    "ledger",
    "recommendations",
    "shipping",
)


@dataclass(frozen=True)
class Variant:
    """One concrete way a theme happens; `{svc}` is the primary service's name."""

    key: str
    title: str
    cause: str
    error: str
    path: str


@dataclass(frozen=True)
class Theme:
    """A family of root causes; `phrase` is what recurrence detection should name."""

    key: str
    phrase: str
    alert: str
    variants: tuple[Variant, ...]
    resolution: tuple[str, ...]
    factors: tuple[str, ...]
    actions: tuple[str, ...]


def _v(key: str, title: str, cause: str, error: str, path: str) -> Variant:
    return Variant(key, title, cause, error, path)


THEMES: tuple[Theme, ...] = (
    Theme(
        "pool",
        "connection pool",
        "DatabaseConnectionsSaturated",
        (
            _v(
                "slowquery",
                "{svc} connection pool exhausted by slow queries",
                "A slow query without an index held database connections for seconds, so the "
                "{svc} connection pool was exhausted and new requests waited until they timed out.",
                "could not obtain connection from pool within 30000ms",
                "{svc}/db/pool.py",
            ),
            _v(
                "pgbouncer",
                "{svc} hit pgbouncer max client connections",
                "A deploy doubled the number of {svc} workers and each opened its own pool, "
                "exceeding the pgbouncer max_client_conn limit.",
                "FATAL: no more connections allowed (max_client_conn)",
                "deploy/{svc}/pgbouncer.ini",
            ),
            _v(
                "leak",
                "Connection leak in {svc} after retry change",
                "A new retry path in {svc} did not return connections to the pool on error, "
                "leaking one connection per failed request until the pool was empty.",
                "HikariPool-1 - Connection is not available, request timed out",
                "{svc}/src/retry/client.py",
            ),
        ),
        (
            "Restarted the {svc} pods to release connections and rolled back the change.",
            "Raised the pool size temporarily, then reverted the offending commit.",
        ),
        (
            "The pool size had not been revisited since traffic tripled.",
            "There was no alert on pool wait time, only on error rate.",
        ),
        ("Alert on connection pool wait time for {svc}", "Add a pool sizing guide to the runbook"),
    ),
    Theme(
        "config",
        "config push",
        "HighErrorRate",
        (
            _v(
                "routing",
                "Bad routing config push to {svc}",
                "A configuration push changed the routing table of {svc} and sent traffic to a "
                "backend pool that had been drained.",
                "no healthy upstream",
                "config/{svc}/routes.yaml",
            ),
            _v(
                "timeout",
                "Timeout misconfiguration in {svc} config push",
                "A config push lowered the upstream timeout of {svc} from 30s to 300ms, so "
                "ordinary requests failed with gateway timeouts.",
                "upstream request timeout",
                "config/{svc}/timeouts.yaml",
            ),
        ),
        (
            "Rolled back the configuration to the previous revision.",
            "Reverted the config commit and re-pushed the last known good version.",
        ),
        ("Config changes skipped the canary stage.", "The config schema accepted the bad value."),
        ("Validate {svc} config against a schema in CI", "Canary config pushes before rollout"),
    ),
    Theme(
        "cert",
        "certificate expiry",
        "TLSHandshakeFailures",
        (
            _v(
                "leaf",
                "Expired TLS certificate on {svc}",
                "The TLS certificate of {svc} expired because automatic renewal had silently "
                "failed for weeks after a DNS validation change.",
                "x509: certificate has expired or is not yet valid",
                "infra/certs/{svc}.tf",
            ),
            _v(
                "intermediate",
                "Expired intermediate certificate broke {svc} clients",
                "An intermediate CA certificate in the {svc} chain expired; clients with an old "
                "trust store could not build a valid chain.",
                "unable to get local issuer certificate",
                "infra/tls/{svc}-chain.pem",
            ),
        ),
        (
            "Issued and deployed a new certificate manually.",
            "Replaced the certificate chain and restarted the load balancers.",
        ),
        ("Certificate expiry was not monitored.", "Renewal failures only logged a warning."),
        ("Alert 21 days before certificate expiry", "Move {svc} certificates to automatic renewal"),
    ),
    Theme(
        "dns",
        "dns resolution",
        "DNSLookupErrors",
        (
            _v(
                "resolver",
                "DNS resolution failures in {svc}",
                "The cluster DNS resolver was overloaded after a scale-up of {svc}, and lookups "
                "timed out, so outgoing calls failed.",
                "dial tcp: lookup db.internal: i/o timeout",
                "k8s/{svc}/dns-config.yaml",
            ),
            _v(
                "stale",
                "Stale DNS record after {svc} failover",
                "After a database failover the DNS record kept a long TTL, so {svc} kept "
                "connecting to the old primary until the cached record expired.",
                "connection refused to old primary (stale DNS TTL)",
                "infra/dns/{svc}.zone",
            ),
        ),
        ("Lowered the TTL and flushed resolver caches.", "Scaled the DNS resolvers and restarted."),
        ("The TTL was set to one hour years ago.", "No dashboard for resolver latency."),
        ("Add NodeLocal DNS cache for {svc}", "Lower DNS TTL for failover records"),
    ),
    Theme(
        "dependency",
        "dependency upgrade",
        "ServiceCrashLooping",
        (
            _v(
                "serialization",
                "Dependency upgrade broke serialization in {svc}",
                "A minor version bump of the JSON library changed how {svc} serialized dates, "
                "and downstream consumers rejected the payloads.",
                "JsonMappingException: cannot deserialize value of type Instant",
                "{svc}/requirements.txt",
            ),
            _v(
                "client",
                "HTTP client upgrade in {svc} dropped keep-alive",
                "Upgrading the HTTP client library changed its keep-alive default, so {svc} "
                "opened a new TLS connection per request and saturated CPU.",
                "ssl handshake timeout",
                "{svc}/package-lock.json",
            ),
        ),
        (
            "Pinned the previous version of the library and redeployed.",
            "Reverted the dependency bump.",
        ),
        (
            "The upgrade was merged by a bot without a changelog review.",
            "Contract tests did not cover date formats.",
        ),
        ("Add contract tests for {svc} payloads", "Group dependency bumps with a changelog check"),
    ),
    Theme(
        "migration",
        "migration lock",
        "DatabaseLockWaits",
        (
            _v(
                "altertable",
                "Schema migration locked the orders table in {svc}",
                "An ALTER TABLE migration in {svc} took an exclusive lock on a large table, "
                "blocking every write for the duration of the rewrite.",
                "Lock wait timeout exceeded; try restarting transaction",
                "{svc}/migrations/0042_add_column.sql",
            ),
            _v(
                "index",
                "Index build migration blocked writes in {svc}",
                "A migration created an index without CONCURRENTLY, holding a lock on the {svc} "
                "accounts table while it built.",
                "canceling statement due to lock timeout",
                "{svc}/migrations/0107_index.sql",
            ),
        ),
        (
            "Killed the migration and re-ran it online in a maintenance window.",
            "Terminated the blocking session.",
        ),
        (
            "Migrations were not reviewed for locking behaviour.",
            "The migration ran during peak traffic.",
        ),
        ("Lint migrations for locking statements", "Run {svc} migrations with a lock timeout"),
    ),
    Theme(
        "flag",
        "feature flag",
        "ConversionRateDrop",
        (
            _v(
                "rollout",
                "Feature flag rollout broke {svc}",
                "A feature flag was enabled for 100% of users at once and exercised an untested "
                "code path in {svc} that threw on missing preferences.",
                "NullPointerException in PreferencesResolver",
                "{svc}/flags/rollout.json",
            ),
            _v(
                "stale",
                "Stale feature flag default in {svc}",
                "Removing a feature flag changed its default to off, disabling a required "
                "validation step in {svc}.",
                "flag 'new-validation' not found, using default false",
                "{svc}/flags/defaults.py",
            ),
        ),
        ("Turned the feature flag off.", "Restored the flag and its previous default."),
        ("The rollout skipped the 1% and 10% stages.", "Flag changes are not audited."),
        ("Require staged rollout for {svc} flags", "Alert on flag changes during peak hours"),
    ),
    Theme(
        "memory",
        "memory leak",
        "ContainerOOMKilled",
        (
            _v(
                "cache",
                "Memory leak in {svc} unbounded cache",
                "An in-process cache in {svc} had no size bound, grew with every new tenant and "
                "the pods were OOMKilled in a loop.",
                "OOMKilled: container exceeded memory limit 2Gi",
                "{svc}/cache/lru.go",
            ),
            _v(
                "goroutine",
                "Goroutine leak exhausted memory in {svc}",
                "A goroutine per stream was never cancelled in {svc}, so memory and goroutine "
                "counts grew until the pods were killed.",
                "runtime: out of memory: cannot allocate",
                "{svc}/stream/worker.go",
            ),
        ),
        ("Restarted the pods on a schedule and shipped a fix.", "Rolled back to the last release."),
        (
            "Memory limits hid the growth until the pods were killed.",
            "No alert on memory growth rate.",
        ),
        ("Bound the {svc} cache size", "Alert on memory growth per pod"),
    ),
    Theme(
        "disk",
        "disk full",
        "DiskSpaceLow",
        (
            _v(
                "logs",
                "Disk full on {svc} hosts from debug logs",
                "Debug logging was left enabled on {svc}, log volume filled the disk and the "
                "service could no longer write its state.",
                "No space left on device",
                "{svc}/logging.yaml",
            ),
            _v(
                "wal",
                "Database volume for {svc} filled with WAL",
                "A stuck replication slot retained write-ahead log segments until the {svc} "
                "database volume was full.",
                "could not write to file pg_wal: No space left on device",
                "infra/postgres/{svc}-replication.tf",
            ),
        ),
        ("Freed disk space and disabled debug logging.", "Dropped the stuck replication slot."),
        ("Disk alerts fired at 95%, too late.", "Log rotation was misconfigured."),
        ("Alert on disk at 80% for {svc}", "Enforce log rotation on {svc} hosts"),
    ),
    Theme(
        "ratelimit",
        "rate limit",
        "UpstreamThrottling",
        (
            _v(
                "upstream",
                "Third-party rate limit throttled {svc}",
                "{svc} exceeded the rate limit of a third-party API after a batch job started, "
                "and every request received HTTP 429 Too Many Requests.",
                "429 Too Many Requests: rate limit exceeded",
                "{svc}/clients/vendor.py",
            ),
            _v(
                "internal",
                "Internal rate limiter misconfigured for {svc}",
                "The gateway rate limiter for {svc} was configured per cluster instead of per "
                "client, so one noisy client exhausted the shared quota.",
                "rate limit exceeded for bucket global",
                "config/ratelimits/{svc}.yaml",
            ),
        ),
        ("Paused the batch job and requested a higher quota.", "Raised the limit per client."),
        ("Batch jobs shared the quota with user traffic.", "The 429s were retried immediately."),
        ("Separate batch and interactive quotas for {svc}", "Back off on 429 with jitter"),
    ),
    Theme(
        "queue",
        "consumer lag",
        "ConsumerLagHigh",
        (
            _v(
                "kafka",
                "Kafka consumer lag delayed {svc}",
                "A rebalance storm in the {svc} Kafka consumer group stopped consumption and "
                "consumer lag grew to millions of messages.",
                "Rebalance in progress; commit failed",
                "{svc}/consumer/config.properties",
            ),
            _v(
                "poison",
                "Poison message blocked the {svc} queue",
                "A malformed message could not be parsed and was redelivered forever, blocking "
                "the {svc} queue behind it.",
                "failed to decode message: unexpected end of JSON input",
                "{svc}/worker/handler.py",
            ),
        ),
        (
            "Skipped the bad offset and scaled consumers.",
            "Moved the message to a dead letter queue.",
        ),
        ("There was no dead letter queue.", "Lag alerts were routed to an unowned channel."),
        ("Add a dead letter queue to {svc}", "Alert the owning team on consumer lag"),
    ),
    Theme(
        "cache",
        "cache stampede",
        "DatabaseCPUHigh",
        (
            _v(
                "stampede",
                "Cache stampede overloaded {svc} database",
                "A cache flush during deploy made every {svc} instance miss at once and the "
                "database was overwhelmed by identical queries.",
                "redis: connection pool timeout",
                "{svc}/cache/warmup.py",
            ),
            _v(
                "eviction",
                "Redis eviction storm in {svc}",
                "Redis reached maxmemory and evicted hot keys used by {svc}, so request latency "
                "rose as every read fell through to the database.",
                "OOM command not allowed when used memory > 'maxmemory'",
                "infra/redis/{svc}.conf",
            ),
        ),
        ("Warmed the cache and rate limited cache misses.", "Increased Redis memory."),
        ("Deploys flushed the whole cache.", "No request coalescing on misses."),
        ("Add request coalescing to {svc}", "Stagger cache expiry in {svc}"),
    ),
    Theme(
        "clock",
        "clock skew",
        "AuthFailuresHigh",
        (
            _v(
                "ntp",
                "Clock skew broke token validation in {svc}",
                "NTP was disabled on new {svc} nodes, their clocks drifted, and signed tokens "
                "were rejected as not yet valid.",
                "token used before issued (iat in the future)",
                "infra/ami/{svc}-ntp.sh",
            ),
        ),
        ("Re-enabled NTP and resynchronised clocks.", "Allowed 60s of clock leeway."),
        ("Image changes were not tested for NTP.", "Token validation had no leeway."),
        ("Monitor clock offset on {svc} nodes", "Add clock leeway to token validation"),
    ),
)

QUERIES: tuple[tuple[str, str, str | None, str | None], ...] = (
    # (query text, theme, variant or None, primary service or None)
    ("auth-service connection pool exhausted", "pool", None, "auth-service"),
    ("pgbouncer max_client_conn", "pool", "pgbouncer", None),
    ("connection leak retry payments", "pool", "leak", "payments"),
    ("x509 certificate has expired", "cert", "leaf", None),
    ("intermediate certificate chain billing", "cert", "intermediate", "billing"),
    ("bad routing config push api-gateway", "config", "routing", "api-gateway"),
    ("upstream timeout config checkout", "config", "timeout", "checkout"),
    ("DNS lookup i/o timeout", "dns", "resolver", None),
    ("stale DNS TTL failover ledger", "dns", "stale", "ledger"),
    ("dependency upgrade serialization dates", "dependency", "serialization", None),
    ("keep-alive http client upgrade search-api", "dependency", "client", "search-api"),
    ("ALTER TABLE migration lock", "migration", "altertable", None),
    ("index migration without CONCURRENTLY inventory", "migration", "index", "inventory"),
    ("feature flag rollout 100% notifications", "flag", "rollout", "notifications"),
    ("OOMKilled unbounded cache", "memory", "cache", None),
    ("goroutine leak shipping", "memory", "goroutine", "shipping"),
    ("No space left on device debug logs", "disk", "logs", None),
    ("replication slot WAL disk full user-profile", "disk", "wal", "user-profile"),
    ("429 Too Many Requests third-party", "ratelimit", "upstream", None),
    ("kafka rebalance consumer lag mobile-bff", "queue", "kafka", "mobile-bff"),
    ("poison message dead letter queue", "queue", "poison", None),
    ("cache stampede deploy flush web-frontend", "cache", "stampede", "web-frontend"),
    ("redis maxmemory eviction", "cache", "eviction", None),
    ("clock skew NTP token", "clock", "ntp", None),
    # paraphrases: the words differ from the documents' own
    ("pods killed out of memory", "memory", None, None),
    ("certificate renewal failed silently", "cert", "leaf", None),
    ("lock timeout during schema migration", "migration", None, None),
    ("batch job exhausted vendor API quota", "ratelimit", "upstream", None),
)
"""At least 20 queries with relevance judged by construction (see module docstring)."""

FILLER = (
    "The on-call engineer acknowledged the page within minutes.",
    "Dashboards showed the error rate climbing steadily before the alert fired.",
    "Customer support received tickets about failed requests.",
    "The incident channel was opened and an incident commander assigned.",
    "Traffic was normal for a weekday and no marketing event was running.",
    "A status page update was posted after twenty minutes.",
)

START = datetime(2023, 1, 2, tzinfo=UTC)
SPAN_DAYS = 3 * 365
SEVERITY_WEIGHTS = ((Severity.SEV1, 1), (Severity.SEV2, 3), (Severity.SEV3, 5), (Severity.SEV4, 3))
MAX_MINUTES = {Severity.SEV1: 300, Severity.SEV2: 180, Severity.SEV3: 120, Severity.SEV4: 60}


@dataclass(frozen=True)
class GeneratedDoc:
    """What one generated postmortem is about (its ground truth)."""

    path: str
    id: int
    theme: str
    variant: str
    services: tuple[str, ...]
    severity: Severity
    started_at: datetime
    postmortem: Postmortem


@dataclass(frozen=True)
class Query:
    """A query and the repository-relative paths of its relevant postmortems."""

    text: str
    relevant: frozenset[str]


@dataclass(frozen=True)
class Corpus:
    """A generated repository folder, its documents and the judged queries."""

    root: Path
    docs: tuple[GeneratedDoc, ...]
    queries: tuple[Query, ...]


def _svc(service: str) -> str:
    return service.split("-")[0]


def _timeline(
    rng: random.Random,
    start: datetime,
    pm_end: datetime,
    theme: Theme,
    variant: Variant,
    service: str,
    sha: str,
) -> str:
    """Timeline lines in the varied ways people write the source (`alert:`, `[log]`...)."""
    styles = ("{s}: {t}", "[{s}] {t}", "**{s}** {t}", "({s}) {t}")
    style = rng.choice(styles)
    steps = [
        (start - timedelta(minutes=rng.randint(2, 40)), "deploy", f"{service} deployed {sha[:7]}"),
        (start, "metric", f"{service} error rate above 5%"),
        (start + timedelta(minutes=1), "log", f"`{variant.error}` in {service} logs"),
        (start + timedelta(minutes=2), "alert", f"{theme.alert} fired for {service}"),
        (start + timedelta(minutes=rng.randint(4, 9)), "update", "Incident declared"),
        (pm_end, "update", "Impact resolved, monitoring"),
    ]
    lines = [
        f"- `{format_time(at)}` " + style.format(s=source, t=text)
        for at, source, text in sorted(steps, key=lambda step: step[0])
    ]
    return "\n".join(lines)


def make_postmortem(
    rng: random.Random,
    number: int,
    theme: Theme,
    variant: Variant,
    services: tuple[str, ...],
    severity: Severity,
    start: datetime,
) -> Postmortem:
    """One realistic postmortem about `variant` of `theme` on `services[0]`."""
    service = services[0]
    svc = _svc(service)
    fill = {"svc": service}
    minutes = rng.randint(5, MAX_MINUTES[severity])
    resolved = start + timedelta(minutes=minutes)
    detected = start + timedelta(minutes=rng.randint(0, min(15, minutes)))
    sha = "".join(rng.choice("0123456789abcdef") for _ in range(40))
    path = variant.path.format(svc=svc)
    other = rng.choice([s for s in SERVICES if s != service])
    status = rng.choices((Status.PUBLISHED, Status.EDITED, Status.DRAFT), (70, 15, 15))[0]
    items = tuple(
        ActionItem(
            title=rng.choice(theme.actions).format(**fill) + ("" if i == 0 else f" ({i + 1})"),
            priority=rng.choice(tuple(Priority)),
            owner=f"@team-{svc}",
            issue=number * 10 + i if status is Status.PUBLISHED else None,
        )
        for i in range(rng.randint(1, 3))
    )
    done = {item.title for item in items if status is Status.PUBLISHED and rng.random() < 0.6}
    actions = "\n".join(
        f"- [{'x' if item.title in done else ' '}] {item.title}"
        + (f" (#{item.issue})" if item.issue else "")
        for item in items
    )
    cause = variant.cause.format(**fill)
    sections = {
        "Summary": f"{variant.title.format(**fill)}. {rng.choice(FILLER)} "
        f"Requests from {other} to {service} also saw elevated latency.",
        "Customer impact": f"About {rng.randint(1, 50) * 100} users saw errors in {service} "
        f"for {minutes} minutes.",
        "Timeline": _timeline(rng, start, resolved, theme, variant, service, sha),
        "Root cause": f"{cause} The error logged was `{variant.error}`.",
        "Resolution": rng.choice(theme.resolution).format(**fill),
        "Contributing factors": "\n".join(f"- {f}" for f in theme.factors),
        "What went well": f"- {rng.choice(FILLER)}",
        "What went poorly": f"- Detection took {minutes // 3 + 1} minutes.",
        "Action items": actions,
        "Confidence": "Medium: the timeline and the logs agree on the cause.",
    }
    generated = resolved + timedelta(hours=1)
    return Postmortem(
        id=number,
        title=variant.title.format(**fill),
        status=status,
        severity=severity,
        started_at=start,
        detected_at=detected,
        resolved_at=resolved,
        duration_minutes=minutes_between(start, resolved),
        impact=Impact(f"Errors in {service}", services, rng.randint(0, 5000)),
        confidence=rng.choice(tuple(Confidence)),
        generated_at=generated,
        generator=Generator(version="0.1.0", model="deterministic"),
        sections={h: sections[h] for h in SECTIONS},
        suspects=(
            Suspect(
                sha=sha,
                score=round(rng.uniform(0.3, 0.95), 2),
                reasons=(f"touches {path}", "deployed shortly before the start"),
                subject=f"Change {path}",
            ),
        ),
        action_items=items,
        edited_by=("alice",) if status is not Status.DRAFT else (),
        published_at=generated + timedelta(days=2) if status is Status.PUBLISHED else None,
        published_by="bob" if status is Status.PUBLISHED else None,
    )


def postmortem_path(pm: Postmortem) -> str:
    """The conventional path `postmortems/YYYY/YYYY-MM-DD-<id>-<slug>.md`."""
    slug = "-".join("".join(c if c.isalnum() else " " for c in pm.title.lower()).split())[:50]
    day = pm.started_at.strftime("%Y-%m-%d")
    return f"postmortems/{day[:4]}/{day}-{pm.id}-{slug.strip('-')}.md"


def write_postmortem(root: Path, pm: Postmortem, path: str | None = None) -> str:
    """Render `pm` into `root` at `path` (default: the conventional path); return the path."""
    path = path or postmortem_path(pm)
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_postmortem(pm), encoding="utf-8")
    return path


def generate_docs(n: int, seed: int = 7) -> list[GeneratedDoc]:
    """`n` documents' ground truth and postmortems, deterministic for a seed."""
    rng = random.Random(seed)
    severities = [s for s, _ in SEVERITY_WEIGHTS]
    weights = [w for _, w in SEVERITY_WEIGHTS]
    docs = []
    for i in range(n):
        theme = THEMES[i % len(THEMES)] if i < len(THEMES) else rng.choice(THEMES)
        variant = rng.choice(theme.variants)
        primary = SERVICES[i % len(SERVICES)] if i < len(SERVICES) else rng.choice(SERVICES)
        extra = rng.sample([s for s in SERVICES if s != primary], rng.choice((0, 0, 1, 2)))
        services = (primary, *extra)
        severity = rng.choices(severities, weights)[0]
        start = START + timedelta(minutes=rng.randint(0, SPAN_DAYS * 24 * 60))
        pm = make_postmortem(rng, 1000 + i, theme, variant, services, severity, start)
        docs.append(
            GeneratedDoc(
                postmortem_path(pm), 1000 + i, theme.key, variant.key, services, severity, start, pm
            )
        )
    return docs


def judge(docs: list[GeneratedDoc] | tuple[GeneratedDoc, ...]) -> tuple[Query, ...]:
    """The QUERIES with their relevant sets computed from the documents' ground truth."""
    result = []
    for text, theme, variant, service in QUERIES:
        relevant = frozenset(
            d.path
            for d in docs
            if d.theme == theme
            and (variant is None or d.variant == variant)
            and (service is None or d.services[0] == service)
        )
        result.append(Query(text, relevant))
    return tuple(result)


def write_corpus(
    root: Path, n: int, seed: int = 7, *, drafts: bool = False, workers: int = 1
) -> Corpus:
    """Write `n` postmortems under `root/postmortems/`; with `drafts`, AI copies in `.drafts/`.

    A draft copy is the published file before review: reviewers rewrote the Root cause of
    about half of them and the Summary of a few. `workers` > 1 renders in processes.
    """
    docs = generate_docs(n, seed)
    rng = random.Random(seed + 1)
    jobs: list[tuple[Path, Postmortem, str]] = []
    for doc in docs:
        jobs.append((root, doc.postmortem, doc.path))
        if drafts and doc.postmortem.status is Status.PUBLISHED:
            draft = doc.path.replace("postmortems/", "postmortems/.drafts/", 1)
            jobs.append((root, draft_of(rng, doc.postmortem), draft))
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_write_job, jobs, chunksize=200))
    else:
        for job in jobs:
            _write_job(job)
    return Corpus(root, tuple(docs), judge(docs))


def _write_job(job: tuple[Path, Postmortem, str]) -> str:
    return write_postmortem(*job)


def draft_of(rng: random.Random, pm: Postmortem) -> Postmortem:
    """What the AI draft of a published postmortem plausibly said before review."""
    sections = dict(pm.sections)
    if rng.random() < 0.5:
        sections["Root cause"] = "The cause is not yet known; a recent deploy is the main suspect."
    if rng.random() < 0.2:
        sections["Summary"] = sections["Summary"].split(".")[0] + "."
    return replace(
        pm,
        status=Status.DRAFT,
        sections=sections,
        edited_by=(),
        published_at=None,
        published_by=None,
    )
