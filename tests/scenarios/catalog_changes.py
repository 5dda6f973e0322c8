"""Scenarios whose culprit is a risky kind of change: config, dependency, migration, flag."""

from __future__ import annotations

from tests.scenarios.skeletons import cargo_lock, go_service, node_app, python_service, rust_service
from tests.scenarios.spec import Append, Replace, Scenario
from tests.scenarios.story import DEPENDABOT, Story, config_yaml

POOL_OK = "pool_size: 20\n  max_overflow: 10"


def config_pool_size() -> Scenario:
    base = python_service("payments", "payments-api")
    s = Story("config-pool-size", "2026-03-02T14:20:00Z", base)
    s.noise(8, "-29h", "+40m", "py")
    s.commit("metric", "-22h", "Add latency histogram to /v1/status", {"payments/app.py": Append(
        "\n\n# Latency histogram exported by the gunicorn statsd hook.\nSTATUS_BUCKETS = "
        "(0.05, 0.1, 0.25, 0.5, 1.0)\n")})
    s.squash("sqla", "-3h5m", "Upgrade SQLAlchemy to 2.0.29", 1412, {
        "requirements.txt": Replace("sqlalchemy==2.0.25", "sqlalchemy==2.0.29")})
    s.commit("culprit", "-14m", "Size the DB pool for the new db-primary instance\n\n"
             "db-primary moved to a smaller instance class with fewer connection slots.",
             {"config/production.yaml": Replace(POOL_OK, "pool_size: 4\n  max_overflow: 0")})
    s.commit("fix", "+26m", "Restore the production DB pool size", {
        "config/production.yaml": Replace("pool_size: 4\n  max_overflow: 0", POOL_OK)})
    incident = s.incident(
        101, "Payments API timeouts", detected="+3m", resolved="+41m", services=["payments-api"],
        impact="Card payments failed or timed out.", users=5400,
        updates=[("+6m", "dana", "payments-api p99 at 30s, requests waiting for DB connections"),
                 ("+20m", "erik", "logs: QueuePool limit of size 4 overflow 0 reached"),
                 ("+36m", "dana", "pool restored, error rate back to baseline")],
        deploys=[("-21h50m", "HEAD", "payments-api"), ("-2h50m", "HEAD", "payments-api"),
                 ("-10m", "HEAD", "payments-api"), ("+31m", "fix", "payments-api")],
        alerts=[("+2m", "PaymentsAPIHighLatency", "p99 latency above 5s for 2m", "payments-api")])
    return s.scenario("A config push shrinks the DB pool; an ORM upgrade 3 h earlier is the decoy.",
                      "culprit", incident, themes=("config", "fix-after-onset"),
                      config=config_yaml({"payments-api": ["payments/**", "config/**"]}))


def dep_bump_urllib3() -> Scenario:
    s = Story("dep-bump-urllib3", "2026-03-04T09:05:00Z", python_service("payouts", "payouts"))
    s.noise(10, "-30h", "+1h", "py", "dtco")
    s.squash("culprit", "-47m", "Bump requests to 2.32.3 and urllib3 to 2.2.1", 877, {
        "requirements.txt": Replace("requests==2.31.0\nurllib3==1.26.18",
                                    "requests==2.32.3\nurllib3==2.2.1")},
        body="Drops the urllib3 1.x pin now that the OpenSSL 3 base image is out.")
    s.squash("loglevel", "-21m", "Log payout batch ids at info level", 879, {
        "config/production.yaml": Replace("log_level: info", "log_level: debug")})
    s.squash("fix", "+38m", "Pin urllib3 below 2 for the legacy bank gateway", 881, {
        "requirements.txt": Replace("urllib3==2.2.1", "urllib3==1.26.18")})
    incident = s.incident(
        "INC-2031", "Payouts to legacy bank gateway failing", severity="SEV-2", resolved="+52m",
        services=["payouts"], impact="Scheduled payouts were delayed by up to an hour.",
        updates=[("+9m", "grace", "every call to bank-gateway fails with SSLError "
                  "UNSUPPORTED_PROTOCOL, other partners fine"),
                 ("+24m", "hugo", "gateway only speaks TLS 1.0; something on our side changed"),
                 ("+48m", "grace", "fixed by pinning the HTTP client, payouts draining")],
        deploys=[("-23h", "HEAD", "payouts"), ("-15m", "HEAD", "payouts"),
                 ("+45m", "fix", "payouts")],
        alerts=[("+3m", "PayoutFailuresHigh", "payout failure ratio 0.97", "payouts")])
    return s.scenario("urllib3 2 drops TLS 1.0; shipped in the same deploy as a log-level change.",
                      "culprit", incident, themes=("dependency", "text"))


def dep_bump_npm() -> Scenario:
    s = Story("dep-bump-npm", "2026-03-06T17:40:00Z", node_app("storefront"))
    s.noise(14, "-30h", "+1h", "ts")
    s.squash("culprit", "-6h12m", "Bump date-fns from 2.30.0 to 3.6.0", 1874, {
        "package.json": Replace('"date-fns": "^2.30.0"', '"date-fns": "^3.6.0"'),
        "package-lock.json": Replace('"version": "2.30.0"', '"version": "3.6.0"')},
        author=DEPENDABOT, body="Bumps date-fns from 2.30.0 to 3.6.0.\n- Release notes\n- Commits")
    s.squash("banner", "-1h4m", "Add spring promo banner to the cart page", 1880, {
        "src/banner.ts": "export const promo = { text: 'Spring sale: free delivery', until: "
        "'2026-03-31' };\n"})
    s.squash("css", "-32m", "Move checkout styles to CSS modules", 1883, {
        "src/checkout.module.css": ".summary { display: grid; gap: 8px; }\n"
        ".total { font-weight: 600; }\n",
        "src/legacy.css": ".summary{display:block}\n"})
    s.squash("fix", "+28m", "Use named import for date-fns v3 format", 1886, {
        "src/checkout.ts": Replace("import { format } from 'date-fns';",
                                   "import { format } from 'date-fns/format';")})
    incident = s.incident(
        412, "Checkout page blank for some users", severity="SEV-1", resolved="+40m",
        services=["storefront"], users=12000,
        updates=[("+7m", "chen", "Sentry: TypeError: format is not a function in loadCheckout"),
                 ("+33m", "chen", "fix deployed, Sentry errors stopped")],
        deploys=[("-20h", "HEAD", "storefront"), ("-8m", "HEAD", "storefront"),
                 ("+31m", "fix", "storefront")],
        alerts=[("+2m", "StorefrontJSErrors", "client error rate 14%", "storefront")])
    return s.scenario("A dependabot major bump merged in the morning ships with the evening "
                      "deploy.",
                      "culprit", incident, themes=("dependency", "text"))


def dep_bump_gomod() -> Scenario:
    s = Story("dep-bump-gomod", "2026-03-09T11:30:00Z", go_service("github.com/acme/inventory",
                                                                      "inventory"))
    s.noise(12, "-29h", "+50m", "go")
    s.squash("culprit", "-2h10m", "Upgrade google.golang.org/grpc to v1.64.0", 3310, {
        "go.mod": Replace("grpc v1.62.1", "grpc v1.64.0"),
        "go.sum": Replace("grpc v1.62.1 h1:B4n+nfKzOICUXMgyrNd19h/I9oH0L1pizfk1d4zSgTk=",
                          "grpc v1.64.0 h1:KH3VH9y/MgNQg1dE7b3XfVK0GsPSIzJwdF617gUSbvY=")})
    s.squash("image", "-52m", "Use distroless/static:nonroot as the runtime image", 3314, {
        "Dockerfile": Replace("gcr.io/distroless/static\n", "gcr.io/distroless/static:nonroot\n")})
    s.squash("handler", "-41m", "Return 404 instead of 500 for unknown SKUs", 3316, {
        "internal/server/server.go": Append(
            "\n// errUnknownSKU is mapped to 404 by the handler.\nvar errUnknownSKU = "
            "http.ErrNoLocation\n")})
    incident = s.incident(
        77, "Inventory gRPC clients disconnected", resolved="+1h15m", services=["inventory"],
        updates=[("+11m", "bilal", "grpc clients of inventory get GOAWAY ENHANCE_YOUR_CALM "
                  "too_many_pings; connections churn every few minutes"),
                 ("+40m", "bilal", "server keepalive enforcement changed? comparing versions")],
        deploys=[("-26h", "HEAD", "inventory"), ("-2h", "HEAD", "inventory"),
                 ("-36m", "HEAD", "inventory")],
        alerts=[("+4m", "InventoryErrorBudgetBurn", "5xx burn rate 14x", "inventory")])
    return s.scenario("A gRPC library upgrade bites two hours later; two fresher deploys are "
                      "decoys.",
                      "culprit", incident, themes=("dependency", "text"))


def dep_cargo_lock() -> Scenario:
    s = Story("dep-cargo-lock", "2026-03-11T06:50:00Z", rust_service("agent"))
    s.noise(9, "-30h", "+30m", "rs")
    s.commit("culprit", "-5h3m", "cargo update\n\nRoutine lockfile refresh.", {
        "Cargo.lock": Replace(cargo_lock("agent", "0.21.10", "0.11.24"),
                              cargo_lock("agent", "0.23.4", "0.11.27"))})
    s.commit("batch", "-31m", "Flush batches by size or age, whichever comes first", {
        "src/batch.rs": Replace("max_batch: 500, flush_ms: 1000",
                                "max_batch: 2000, flush_ms: 250")})
    incident = s.incident(
        "INC-88", "Ingest agents cannot reach the collector", resolved="+35m",
        services=["ingest-agent"],
        updates=[("+8m", "fatima", "agents log 'tls handshake eof' against collector.internal, "
                  "rustls says peer is incompatible"),
                 ("+30m", "fatima", "rolled agents back to 0.8.x")],
        deploys=[("-27h", "base", "ingest-agent"), ("-20m", "HEAD", "ingest-agent"),
                 ("+25m", "base", "ingest-agent", "production", "rollback")],
        alerts=[("+1m", "CollectorIngestDrop", "ingest rate -80%", "ingest-agent")])
    return s.scenario("A lockfile-only `cargo update` pulls a new rustls; a batching change ships "
                      "with it.", "culprit", incident, themes=("dependency", "rollback"))


def flag_flip() -> Scenario:
    base = python_service("pricing", "pricing") | {
        "flags/production.json": '{\n  "new_pricing_engine": false,\n  "dark_mode": false,\n'
        '  "bulk_discounts": true\n}\n'}
    s = Story("flag-flip", "2026-03-12T15:00:00Z", base)
    s.noise(10, "-30h", "+45m", "py")
    s.squash("engine", "-19h", "Add the new pricing engine behind new_pricing_engine", 540, {
        "pricing/engine_v2.py": "from decimal import Decimal\n\n\ndef quote(items):\n"
        "    return sum((Decimal(i['unit_price']) * i['qty'] for i in items), Decimal(0))\n"})
    s.commit("dark", "-3h", "Enable dark_mode in production", {
        "flags/production.json": Replace('"dark_mode": false', '"dark_mode": true')})
    s.squash("code", "-1h15m", "Cache tax tables per region", 546, {
        "pricing/tax.py": "import functools\n\n\n@functools.lru_cache(maxsize=64)\n"
        "def table(region: str) -> dict:\n    return {}\n"})
    s.commit("culprit", "-24m", "Turn on new_pricing_engine for all customers", {
        "flags/production.json": Replace('"new_pricing_engine": false',
                                         '"new_pricing_engine": true')})
    incident = s.incident(
        230, "Quotes missing shipping costs", severity="SEV-2", resolved="+50m",
        services=["pricing"], impact="Orders were quoted without shipping.",
        updates=[("+12m", "ana", "quotes since ~15:00 have no shipping line"),
                 ("+30m", "ana", "flag new_pricing_engine off again, quotes correct")],
        deploys=[("-22h", "HEAD", "pricing"), ("-1h5m", "HEAD", "pricing")],
        alerts=[("+6m", "QuoteTotalsAnomaly", "average quote total -11%", "pricing")])
    return s.scenario("A feature flag flip (no deploy) turns on code merged the day before.",
                      "culprit", incident, themes=("flag",))


def flag_rollout() -> Scenario:
    base = python_service("search", "search") | {
        "flags/search.yaml": "search_v2_ranker:\n  enabled: true\n  rollout_percent: 5\n"
        "typo_tolerance:\n  enabled: true\n  rollout_percent: 100\n"}
    s = Story("flag-rollout", "2026-03-13T19:10:00Z", base)
    s.noise(11, "-28h", "+1h", "py")
    s.commit("culprit", "-2h4m", "Ramp search_v2_ranker to 100%", {
        "flags/search.yaml": Replace("rollout_percent: 5", "rollout_percent: 100")})
    s.squash("mig", "-43m", "Add search_history table", 602, {
        "migrations/0007_search_history.sql": "CREATE TABLE search_history (\n"
        "    id BIGSERIAL PRIMARY KEY,\n    account_id BIGINT NOT NULL,\n"
        "    query TEXT NOT NULL\n);\n"})
    s.commit("fix", "+22m", "Ramp search_v2_ranker back to 5%", {
        "flags/search.yaml": Replace("rollout_percent: 100\ntypo",
                                     "rollout_percent: 5\ntypo")})
    incident = s.incident(
        19, "Search latency tripled at evening peak", severity="SEV-3", resolved="+35m",
        services=["search"],
        updates=[("+5m", "erik", "search p95 3x since the evening traffic ramp"),
                 ("+18m", "erik", "v2 ranker does a second pass per result")],
        deploys=[("-23h", "HEAD", "search"), ("-35m", "HEAD", "search")],
        alerts=[("+3m", "SearchLatencyP95", "p95 1.9s (SLO 600ms)", "search")])
    return s.scenario("A flag ramp two hours before peak; a fresh migration is the decoy.",
                      "culprit", incident, themes=("flag", "fix-after-onset"))


def migration_lock() -> Scenario:
    s = Story("migration-lock", "2026-03-16T10:15:00Z", python_service("orders", "orders-api"))
    s.noise(8, "-26h", "+40m", "py")
    s.squash("col", "-18h", "Add nullable gift_note column to orders", 1201, {
        "migrations/0041_orders_gift_note.sql": "ALTER TABLE orders ADD COLUMN gift_note TEXT;\n"})
    s.squash("cfg", "-1h2m", "Raise HTTP client timeout for the tax service", 1204, {
        "config/production.yaml": Replace("timeout_s: 5", "timeout_s: 8")})
    s.squash("culprit", "-9m", "Index orders by customer_id for the order history page", 1207, {
        "migrations/0042_orders_customer_idx.sql": "CREATE INDEX orders_customer_id_idx ON orders "
        "(customer_id);\n"})
    s.squash("fix", "+35m", "Build indexes concurrently in migrations", 1209, {
        "docs/migrations.md": "# Migrations\n\nAlways use CREATE INDEX CONCURRENTLY on large "
        "tables.\n"})
    incident = s.incident(
        314, "Orders API writes blocked", severity="SEV-1", detected="+2m", resolved="+28m",
        services=["orders-api"], users=8000,
        updates=[("+6m", "hugo", "all INSERTs into orders waiting on a lock; a migration is "
                  "running"),
                 ("+20m", "hugo", "cancelled the migration, writes recovered")],
        deploys=[("-1d", "HEAD", "orders-api"), ("-55m", "HEAD", "orders-api"),
                 ("-3m", "culprit", "orders-api")],
        alerts=[("+1m", "OrdersWriteLatency", "p99 write latency 28s", "orders-api")])
    return s.scenario("A non-concurrent index build locks the orders table 3 minutes after deploy.",
                      "culprit", incident, themes=("migration",),
                      config=config_yaml({"orders-api": ["orders/**", "migrations/**",
                                                         "config/**"]}))


def migration_drop_column() -> Scenario:
    s = Story("migration-drop-column", "2026-03-18T13:45:00Z",
              python_service("accounts", "accounts"))
    s.noise(9, "-30h", "+30m", "py")
    s.squash("reader", "-50m", "Stop reading legacy_email in the profile serializer", 3391, {
        "accounts/profile.py": "def serialize(user):\n    return {'id': user.id, 'email': "
        "user.email}\n"})
    s.squash("culprit", "-38m", "Drop users.legacy_email", 3392, {
        "migrations/0057_drop_legacy_email.sql": "ALTER TABLE users DROP COLUMN legacy_email;\n"},
        body="Follow-up to #3391. The column has been unused since the email migration.")
    s.squash("fix", "+20m", "Restore users.legacy_email until all pods run #3391", 3395, {
        "migrations/0058_restore_legacy_email.sql": "ALTER TABLE users ADD COLUMN legacy_email "
        "TEXT;\n"})
    incident = s.incident(
        "INC-4410", "Login errors during accounts deploy", resolved="+30m", services=["accounts"],
        updates=[("+4m", "grace", "old pods fail: column users.legacy_email does not exist"),
                 ("+25m", "grace", "column restored; the rollout ran the migration first")],
        deploys=[("-20h", "HEAD", "accounts"), ("-33m", "HEAD", "accounts")],
        alerts=[("+1m", "AccountsLoginErrors", "login 5xx 35%", "accounts")])
    return s.scenario("A column drop runs before old pods stop reading it; the companion code "
                      "change mentions the same column.", "culprit", incident, hard=True,
                      themes=("migration", "text"))


SCENARIOS: tuple[Scenario, ...] = (
    config_pool_size(), dep_bump_urllib3(), dep_bump_npm(), dep_bump_gomod(), dep_cargo_lock(),
    flag_flip(), flag_rollout(), migration_lock(), migration_drop_column(),
)
