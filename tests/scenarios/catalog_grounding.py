"""Incidents whose shape the ranking suite lacks: no code cause at all, a rollback stated only
in an update, a commit shipped long after it landed. They are not in `SCENARIOS` (the suspects
benchmark scores culprits; these test what the draft says). A scenario without a code cause
names the initial import ("base", outside every window) as its culprit: nothing to rank."""

from __future__ import annotations

from tests.scenarios.skeletons import go_service, python_service
from tests.scenarios.spec import Append, Scenario
from tests.scenarios.story import Story

NO_CODE_CULPRIT = "base"
"""The culprit key of a scenario whose cause is not in the repository."""


def tls_expired() -> Scenario:
    s = Story("tls-expired", "2026-04-02T00:00:00Z", go_service("github.com/acme/edge", "edge"))
    s.noise(8, "-20h", "+30m", "go")
    s.squash(
        "feature",
        "-1h40m",
        "Add per-tenant request counters",
        611,
        {
            "internal/server/tenants.go": "package server\n\n"
            "var tenantRequests = map[string]int{}\n\n"
            "func countTenant(id string) { tenantRequests[id]++ }\n"
        },
    )
    s.squash(
        "tweak",
        "-3h",
        "Log the upstream name on proxy errors",
        609,
        {"internal/server/server.go": Append("\n// upstream name is logged on proxy errors\n")},
    )
    incident = s.incident(
        7001,
        "Clients rejected by api.acme.io",
        severity="SEV-1",
        resolved="+47m",
        services=["edge"],
        updates=[
            (
                "+6m",
                "rui",
                "x509: certificate has expired or is not yet valid for "
                "api.acme.io; the cert expired at 00:00",
            ),
            ("+35m", "rui", "renewed the certificate by hand and reloaded the proxies"),
        ],
        deploys=[("-20h", "HEAD", "edge"), ("-1h30m", "HEAD", "edge")],
        alerts=[("+2m", "EdgeHandshakeFailures", "TLS handshake failures 97%", "edge")],
    )
    return s.scenario(
        "An expired certificate; the recent commits are innocent.",
        NO_CODE_CULPRIT,
        incident,
        themes=("no-code-cause",),
    )


def search_heap() -> Scenario:
    s = Story("search-heap", "2026-04-05T09:15:00Z", python_service("catalog", "catalog"))
    s.noise(9, "-22h", "+1h", "py")
    s.squash(
        "feature",
        "-2h",
        "Show the delivery estimate on product pages",
        1402,
        {
            "catalog/delivery.py": "def estimate(product, region):\n    return product.lead_days + "
            "region.transit_days\n"
        },
    )
    s.squash(
        "cfg",
        "-5h",
        "Raise the product page cache to 10 minutes",
        1399,
        {"config/production.yaml": Append("page_cache_s: 600\n")},
    )
    incident = s.incident(
        7002,
        "Product listing requests rejected",
        resolved="+1h32m",
        services=["catalog"],
        updates=[
            (
                "+9m",
                "ines",
                "elasticsearch data nodes at 98% heap, old-gen GC pauses of "
                "20s, nodes dropping out of the cluster",
            ),
            ("+50m", "ines", "added two data nodes and rebalanced shards; heap back under 70%"),
        ],
        deploys=[("-22h", "HEAD", "catalog"), ("-1h50m", "HEAD", "catalog")],
        alerts=[("+3m", "ESHeapUsageHigh", "JVM heap used 98% on es-data-2", "")],
    )
    return s.scenario(
        "Elasticsearch runs out of heap under normal load; no change caused it.",
        NO_CODE_CULPRIT,
        incident,
        themes=("no-code-cause",),
    )


def rollback_in_update() -> Scenario:
    s = Story("rollback-in-update", "2026-04-08T15:00:00Z", python_service("billing", "billing"))
    s.noise(8, "-20h", "+40m", "py")
    s.squash(
        "good",
        "-6h",
        "Add invoice PDF footer",
        2201,
        {"billing/pdf.py": "FOOTER = 'Thank you for your business'\n"},
    )
    s.squash(
        "culprit",
        "-35m",
        "Batch ledger writes per customer",
        2204,
        {
            "billing/ledger.py": "BATCH = 500\n\n\ndef write(entries, db):\n"
            "    for i in range(0, len(entries), BATCH):\n"
            "        db.insert_many(entries[i:i + BATCH])\n"
        },
    )
    s.squash(
        "later",
        "-20m",
        "Reword the dunning email subject",
        2205,
        {"billing/templates/dunning.txt": "Your payment did not go through\n"},
    )
    incident = s.incident(
        7003,
        "Invoices stuck in pending",
        resolved="+40m",
        services=["billing"],
        updates=[
            ("+10m", "omar", "ledger inserts time out"),
            ("+24m", "omar", "Rolled back to {{good:7}}; invoices are flowing again"),
        ],
        deploys=[("-20h", "HEAD", "billing"), ("-15m", "HEAD", "billing")],
        alerts=[("+3m", "InvoicesPending", "pending invoices > 500", "billing")],
    )
    return s.scenario(
        "The rollback is only stated in an update, to an SHA deployed earlier.",
        "culprit",
        incident,
        themes=("rollback",),
    )


def shipped_late() -> Scenario:
    s = Story("shipped-late", "2026-04-10T10:00:00Z", python_service("orders", "orders"))
    s.noise(6, "-60h", "-40h", "py")
    s.squash(
        "culprit",
        "-35h",
        "Drop the index on orders.customer_id",
        3102,
        {"migrations/0042_drop_customer_index.sql": "DROP INDEX orders_customer_id_idx;\n"},
    )
    s.noise(6, "-20h", "+30m", "py")
    s.squash(
        "recent",
        "-3h",
        "Tidy order status names",
        3107,
        {"orders/status.py": "PENDING = 'pending'\n"},
    )
    incident = s.incident(
        7004,
        "Order history pages time out",
        resolved="+55m",
        services=["orders"],
        updates=[("+12m", "lena", "sequential scans on orders by customer_id, p99 30s")],
        deploys=[("-50h", "HEAD", "orders"), ("-12m", "HEAD", "orders")],
        alerts=[("+4m", "OrdersLatencyP99", "p99 > 5s", "orders")],
    )
    return s.scenario(
        "A migration merged 35 h before the start ships with the deploy 12 min before it.",
        "culprit",
        incident,
        themes=("late-ship",),
    )


SCENARIOS: tuple[Scenario, ...] = (
    tls_expired(),
    search_heap(),
    rollback_in_update(),
    shipped_late(),
)
