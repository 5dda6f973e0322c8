"""Scenarios where the text (title, updates, alerts) carries most of the signal, and slow burns."""

from __future__ import annotations

from tests.scenarios.skeletons import go_service, python_service
from tests.scenarios.spec import Append, Replace, Scenario
from tests.scenarios.story import Story, config_yaml

RELEASE = """name: release
on:
  push:
    tags: ["v*"]
jobs:
  build:
    strategy:
      matrix:
        include:
          - goarch: amd64
            runner: ubuntu-22.04
          - goarch: arm64
            runner: ubuntu-22.04
    runs-on: ${{ matrix.runner }}
    steps:
      - uses: actions/checkout@v4
      - run: make build GOARCH=${{ matrix.goarch }}
"""


def text_checkout_p99() -> Scenario:
    s = Story("text-checkout-p99", "2026-03-02T19:40:00Z", python_service("shop", "shop") | {
        "shop/checkout.py": "def summarize(cart):\n    total = sum(i.price * i.qty for i in "
        "cart.items)\n    return {\"items\": len(cart.items), \"total\": total}\n",
        "shop/cart.py": "def serialize(cart):\n    return {\"id\": cart.id, \"items\": "
        "[i.sku for i in cart.items]}\n"})
    s.noise(12, "-30h", "+1h", "py")
    s.commit("mig", "-3h2m", "Add index on sessions.updated_at", {
        "migrations/0019_sessions_updated_idx.sql":
        "CREATE INDEX CONCURRENTLY sessions_updated_at_idx ON sessions (updated_at);\n"})
    s.commit("culprit", "-1h21m", "Show tax per line on the checkout summary", {
        "shop/checkout.py": Replace(
            "    return {\"items\": len(cart.items), \"total\": total}",
            "    lines = [\n        {\"sku\": i.sku, \"tax\": tax_rate_for(i.sku) * i.price}\n"
            "        for i in cart.items\n    ]\n"
            "    return {\"items\": len(cart.items), \"total\": total, \"lines\": lines}")})
    s.commit("cart", "-12m", "Refactor cart serialization into a dataclass", {
        "shop/cart.py": "from dataclasses import asdict, dataclass\n\n\n@dataclass\n"
        "class CartView:\n    id: str\n    items: list[str]\n\n\ndef serialize(cart):\n"
        "    return asdict(CartView(cart.id, [i.sku for i in cart.items]))\n"})
    incident = s.incident("perf-118", "checkout p99 doubled", severity="SEV-3", detected="+25m",
                          resolved="+2h")
    return s.scenario("Only the title says what broke; the culprit's diff holds `checkout`.",
                      "culprit", incident, themes=("text", "no-deploys"))


def text_windows_test() -> Scenario:
    base = go_service("github.com/acme/syncer", "syncer") | {
        "internal/upload/resume.go": "package upload\n\n// Resume continues an interrupted "
        "upload from its last acknowledged chunk.\nfunc Resume(id string) error {\n"
        "\treturn resumeUpload(id)\n}\n",
        "internal/upload/resume_windows.go": "//go:build windows\n\npackage upload\n\n"
        "import \"time\"\n\nconst lockRetry = 50 * time.Millisecond\n\n"
        "func resumeUpload(id string) error {\n\treturn withFileLock(id, lockRetry)\n}\n",
        "internal/upload/resume_test.go": "package upload\n\nimport \"testing\"\n\n"
        "func TestUploadResume(t *testing.T) {\n\tif err := Resume(\"t1\"); err != nil {\n"
        "\t\tt.Fatal(err)\n\t}\n}\n"}
    s = Story("text-windows-test", "2026-03-04T15:00:00Z", base)
    s.noise(14, "-30h", "+1h", "go")
    s.squash("culprit", "-4h6m", "Hold the resume lock until the chunk index is flushed", 5120, {
        "internal/upload/resume_windows.go": Replace(
            "\treturn withFileLock(id, lockRetry)",
            "\t// LockFileEx is not reentrant: keep the handle until flushIndex returns.\n"
            "\tunlock, err := lockExclusive(id, lockRetry)\n\tif err != nil {\n\t\treturn err\n"
            "\t}\n\tdefer unlock()\n\treturn flushIndex(id)")})
    s.squash("ci", "-2h", "ci: run tests on windows-2022 as well", 5123, {
        ".github/workflows/ci.yml": Replace("runs-on: ubuntu-latest",
                                            "runs-on: ${{ matrix.os }}\n    strategy:\n"
                                            "      matrix:\n        os: [ubuntu-latest, "
                                            "windows-2022]")})
    s.squash("decoy", "-35m", "Split Resume into smaller helpers", 5126, {
        "internal/upload/resume.go": Append("\n// chunkSize is the size of one upload chunk.\n"
                                            "const chunkSize = 8 << 20\n")})
    incident = s.incident("ci-77", "TestUploadResume times out on windows", severity="SEV-4",
                          detected="+30m", resolved="+3h")
    return s.scenario("A test name and an OS; a CI change mentioning windows is the decoy.",
                      "culprit", incident, themes=("text", "no-deploys"))


def text_arm64_builder() -> Scenario:
    base = go_service("github.com/acme/agentd", "agentd") | {".github/workflows/release.yml":
                                                              RELEASE}
    s = Story("text-arm64-builder", "2026-03-08T10:20:00Z", base)
    s.noise(12, "-30h", "+1h", "go", "dtc")
    s.squash("docker", "-1h12m", "Bump the Go toolchain image to 1.22.3", 611, {
        "Dockerfile": Replace("golang:1.22 AS", "golang:1.22.3 AS")})
    s.squash("culprit", "-2h34m", "Build arm64 release binaries on native arm runners", 609, {
        ".github/workflows/release.yml": Replace(
            "goarch: arm64\n            runner: ubuntu-22.04",
            "goarch: arm64\n            runner: ubuntu-22.04-arm64-large")})
    s.squash("make", "-41m", "Allow overriding GOOS/GOARCH from the environment", 613, {
        "Makefile": Replace("GOOS ?= linux\nGOARCH ?= amd64",
                            "GOOS ?= $(shell go env GOOS)\nGOARCH ?= $(shell go env GOARCH)")})
    incident = s.incident(
        "rel-9", "arm64 builder broken", severity="SEV-4", resolved="+2h",
        updates=[("+10m", "erik", "v2.8.0 release stuck: arm64 job never starts")])
    return s.scenario("Release jobs for arm64 never start; Makefile and image changes nearby.",
                      "culprit", incident, themes=("text", "no-deploys"))


def cert_renewal_slow_burn() -> Scenario:
    base = python_service("edge", "edge") | {
        "ops/scripts/renew_certs.sh": "#!/bin/sh\nset -eu\ncertbot renew --quiet "
        "--deploy-hook 'cp -r /etc/letsencrypt/live/api.acme.io /etc/ssl/edge && "
        "nginx -s reload'\n",
        "ops/cron/renew-certs.yaml": "schedule: \"0 18 * * *\"\ncommand: "
        "ops/scripts/renew_certs.sh\n",
        "ops/nginx/edge.conf": "server {\n  listen 443 ssl;\n  ssl_certificate "
        "/etc/ssl/edge/fullchain.pem;\n  ssl_protocols TLSv1.2 TLSv1.3;\n}\n"}
    s = Story("cert-renewal-slow-burn", "2026-03-11T14:00:00Z", base)
    s.noise(12, "-30h", "+40m", "py")
    s.squash("culprit", "-20h5m", "Stage renewed certificates before swapping them in", 77, {
        "ops/scripts/renew_certs.sh": Replace("/etc/ssl/edge &&", "/etc/ssl/edge-staged &&")})
    s.squash("ciphers", "-38m", "Prefer ECDHE ciphers on the edge", 82, {
        "ops/nginx/edge.conf": Replace("  ssl_protocols TLSv1.2 TLSv1.3;\n",
                                       "  ssl_protocols TLSv1.2 TLSv1.3;\n  ssl_ciphers "
                                       "ECDHE+AESGCM:ECDHE+CHACHA20;\n")})
    s.squash("app", "-2h", "Add request id to access logs", 80, {
        "edge/logging.py": "FORMAT = '%(asctime)s %(request_id)s %(message)s'\n"})
    incident = s.incident(
        "INC-1301", "TLS certificate expired on api.acme.io", severity="SEV-1", detected="+6m",
        resolved="+48m", services=["edge"],
        updates=[("+12m", "dana", "edge still serves the old certificate; renewal cron ran "
                  "yesterday 18:00 and reported success"),
                 ("+40m", "dana", "copied the renewed cert into place by hand")],
        deploys=[("-20h", "HEAD", "edge"), ("-1h50m", "HEAD", "edge"), ("-30m", "HEAD", "edge")],
        alerts=[("+1m", "CertificateExpired", "api.acme.io:443 notAfter passed", "edge")])
    return s.scenario("A cert-renewal script change 20 h earlier; a TLS config change 38 min "
                      "before onset is the strong decoy.", "culprit", incident, hard=True,
                      themes=("slow-burn", "text"))


def memory_leak_slow_burn() -> Scenario:
    base = python_service("sessions", "sessions") | {
        "sessions/tokens.py": "import functools\n\nimport jwt\n\n\n"
        "@functools.lru_cache(maxsize=10_000)\ndef decode(token: str) -> dict:\n"
        "    return jwt.decode(token, options={\"verify_signature\": False})\n"}
    s = Story("memory-leak-slow-burn", "2026-03-15T07:30:00Z", base)
    s.noise(10, "-30h", "+30m", "py")
    s.squash("culprit", "-19h12m", "Cache decoded tokens without the lru bookkeeping", 1330, {
        "sessions/tokens.py": Replace(
            "@functools.lru_cache(maxsize=10_000)\ndef decode(token: str) -> dict:\n"
            "    return jwt.decode(token, options={\"verify_signature\": False})\n",
            "_decoded: dict[str, dict] = {}\n\n\ndef decode(token: str) -> dict:\n"
            "    if token not in _decoded:\n"
            "        _decoded[token] = jwt.decode(token, options={\"verify_signature\": False})\n"
            "    return _decoded[token]\n")})
    s.squash("redis", "-3h10m", "Upgrade redis client to 5.0.4", 1334, {
        "requirements.txt": Replace("redis==5.0.1", "redis==5.0.4")})
    s.squash("code", "-28m", "Return 401 with a reason for expired sessions", 1337, {
        "sessions/errors.py": "class SessionExpired(Exception):\n    status = 401\n"})
    incident = s.incident(
        84, "sessions pods OOMKilled", severity="SEV-2", resolved="+40m", services=["sessions"],
        updates=[("+8m", "bilal", "memory climbing linearly since yesterday, pods OOMKilled "
                  "at the 1Gi limit; heap is mostly dicts")],
        deploys=[("-18h50m", "HEAD", "sessions"), ("-3h", "HEAD", "sessions"),
                 ("-20m", "HEAD", "sessions")],
        alerts=[("+2m", "KubePodOOMKilled", "sessions-5d8 OOMKilled", "sessions")])
    return s.scenario("An unbounded cache leaks for 19 h; two later deploys are closer to onset.",
                      "culprit", incident, hard=True, themes=("slow-burn",))


def pr_mention() -> Scenario:
    s = Story("pr-mention", "2026-03-18T11:00:00Z", python_service("billing", "billing"))
    s.noise(14, "-30h", "+1h", "py")
    s.squash("culprit", "-3h3m", "Batch invoice emails per account", 2291, {
        "billing/invoices.py": "from itertools import groupby\n\n\ndef batches(invoices):\n"
        "    keyed = sorted(invoices, key=lambda i: i.account_id)\n"
        "    return [list(g) for _, g in groupby(keyed, key=lambda i: i.account_id)]\n"})
    s.squash("mig", "-25m", "Add invoices.sent_at", 2295, {
        "migrations/0031_invoices_sent_at.sql": "ALTER TABLE invoices ADD COLUMN sent_at "
        "TIMESTAMPTZ;\n"})
    incident = s.incident(
        "INC-3001", "Customers receive duplicate invoices", severity="SEV-3", resolved="+1h",
        services=["billing"],
        updates=[("+15m", "fatima", "suspect #2291 (the batching change): accounts with "
                  "several invoices get each one twice")],
        deploys=[("-22h", "HEAD", "billing"), ("-10m", "HEAD", "billing")],
        alerts=[("+5m", "InvoiceEmailVolume", "emails sent 2.1x baseline", "billing")])
    return s.scenario("A human names the PR; a migration deployed 10 min before onset is the "
                      "decoy.", "culprit", incident, themes=("mention",))


def sha_mention() -> Scenario:
    s = Story("sha-mention", "2026-03-22T22:15:00Z", go_service("github.com/acme/router",
                                                               "router"))
    s.noise(11, "-30h", "+1h", "go")
    s.squash("culprit", "-1h5m", "Retry idempotent upstream calls on 503", 930, {
        "internal/server/retry.go": "package server\n\nconst maxRetries = 5\n\n"
        "func retryable(status int) bool { return status == 503 || status == 502 }\n"})
    s.squash("cfg", "-20m", "Route /v2/reports to the reports-v2 backend", 932, {
        "deploy/k8s/routes.yaml": "- prefix: /v2/reports\n  backend: reports-v2\n"})
    incident = s.incident(
        151, "Upstream overload after brief 503 blip", resolved="+45m", services=["router"],
        updates=[("+12m", "hugo", "looks like {{culprit:7}} changed the retry policy; every 503 "
                  "becomes 6 requests")],
        deploys=[("-20h", "HEAD", "router"), ("-58m", "HEAD", "router"),
                 ("-15m", "HEAD", "router")],
        alerts=[("+3m", "UpstreamSaturation", "reports backend 3x RPS", "router")])
    return s.scenario("A human quotes the culprit's short SHA.", "culprit", incident,
                      themes=("mention",))


def alert_identifiers() -> Scenario:
    consumer = ("topic: {topic}\ngroup: {group}\nmax_poll_records: 500\n"
                "max_poll_interval_ms: 300000\n")
    base = python_service("workers", "workers") | {
        "workers/fulfillment/consumer.yaml": consumer.format(topic="order-events",
                                                             group="fulfillment-worker"),
        "workers/notifications/consumer.yaml": consumer.format(topic="user-events",
                                                               group="notifications-worker")}
    s = Story("alert-identifiers", "2026-03-24T04:40:00Z", base)
    s.noise(10, "-30h", "+40m", "py")
    s.squash("culprit", "-1h41m", "Fetch bigger batches in the fulfillment consumer", 701, {
        "workers/fulfillment/consumer.yaml": Replace("max_poll_records: 500",
                                                     "max_poll_records: 5000")})
    s.squash("decoy", "-16m", "Tune notifications consumer session timeout", 703, {
        "workers/notifications/consumer.yaml": Append("session_timeout_ms: 45000\n")})
    incident = s.incident(
        "INC-620", "Orders stuck in fulfillment", resolved="+1h",
        deploys=[("-1h30m", "culprit", "fulfillment-worker"),
                 ("-10m", "HEAD", "notifications-worker")],
        alerts=[("+2m", "KafkaConsumerLag", "group=fulfillment-worker topic=order-events "
                 "lag=1.2M, rebalancing", "fulfillment-worker")])
    config = config_yaml({"fulfillment-worker": ["workers/fulfillment/**"],
                          "notifications-worker": ["workers/notifications/**"]})
    return s.scenario("Only an alert names the consumer group; a similar change to another "
                      "consumer deployed later.", "culprit", incident, config=config,
                      themes=("text", "alerts"))


def no_deploys_export() -> Scenario:
    s = Story("no-deploys-export", "2026-03-25T02:00:00Z", python_service("reports", "reports") | {
        "reports/export.py": "QUERY = \"\"\"\nSELECT id, total, created_at FROM orders\n"
        "WHERE status = 'complete' AND created_at >= %(since)s\n\"\"\"\n\n\n"
        "def export_orders(conn, since):\n    return conn.execute(QUERY, {\"since\": since})"
        ".fetchall()\n"})
    s.noise(12, "-30h", "+8h", "py", "dtco")
    s.commit("culprit", "-9h12m", "Use the order status enum values in exports", {
        "reports/export.py": Replace("status = 'complete'", "status = 'completed'")})
    s.commit("dash", "-1h5m", "Cache the revenue dashboard for five minutes", {
        "reports/dashboard.py": "CACHE_SECONDS = 300\n"})
    s.commit("fix", "+7h", "Match the 'complete' status again in export_orders", {
        "reports/export.py": Replace("status = 'completed'", "status = 'complete'")})
    incident = s.incident(
        "exp-12", "Nightly partner export produced empty files", severity="SEV-4",
        detected="+6h30m", resolved="+7h30m",
        updates=[("+6h40m", "grace", "export_orders returns 0 rows since last night")])
    return s.scenario("No deploys, no services: a nightly job and a one-word query change.",
                      "culprit", incident, themes=("text", "no-deploys"))


def cron_reindex() -> Scenario:
    base = python_service("catalog", "catalog") | {
        "ops/cron/jobs.yaml": "- name: search-reindex\n  schedule: \"0 3 * * *\"\n"
        "  command: python -m catalog.reindex --full\n- name: sitemap\n"
        "  schedule: \"30 4 * * *\"\n  command: python -m catalog.sitemap\n"}
    s = Story("cron-reindex", "2026-03-26T14:00:00Z", base)
    s.noise(12, "-30h", "+1h", "py")
    s.squash("culprit", "-19h2m", "Run the search reindex during business hours", 455, {
        "ops/cron/jobs.yaml": Replace("schedule: \"0 3 * * *\"", "schedule: \"0 14 * * *\"")},
        body="So on-call can watch it; it failed twice at night last month.")
    s.squash("q", "-47m", "Use keyset pagination in the product listing", 458, {
        "catalog/listing.py": "def page(conn, after_id, limit=100):\n    return conn.execute("
        "\"SELECT * FROM products WHERE id > %s ORDER BY id LIMIT %s\", (after_id, limit))\n"})
    incident = s.incident(
        207, "Catalog DB CPU pegged", severity="SEV-2", resolved="+50m", services=["catalog"],
        updates=[("+9m", "chen", "full-table scans from the reindex job, started 14:00 sharp")],
        deploys=[("-22h", "HEAD", "catalog"), ("-18h", "HEAD", "catalog"),
                 ("-35m", "HEAD", "catalog")],
        alerts=[("+2m", "CatalogDBCPU", "cpu 100%", "catalog")])
    return s.scenario("A cron schedule change 19 h before bites when the job first runs.",
                      "culprit", incident, themes=("slow-burn", "config"))


SCENARIOS: tuple[Scenario, ...] = (
    text_checkout_p99(), text_windows_test(), text_arm64_builder(), cert_renewal_slow_burn(),
    memory_leak_slow_burn(), pr_mention(), sha_mention(), alert_identifiers(),
    no_deploys_export(), cron_reindex(),
)
