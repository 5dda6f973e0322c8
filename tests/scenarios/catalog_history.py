"""Scenarios shaped by history: monorepos, merge-heavy and squash-only flows, refactors,
noise around onset, late detection, and hard cases with little signal."""

from __future__ import annotations

from tests.scenarios.skeletons import go_service, monorepo, python_service
from tests.scenarios.spec import Append, Replace, Scenario
from tests.scenarios.story import Story, config_yaml

MANY = ("gateway", "checkout", "search", "ledger", "notifications", "catalog", "identity",
        "shipping")
MANY_CONFIG = config_yaml({s: [f"services/{s}/**"] for s in MANY} | {"common": ["libs/**"]})
BILLING_MODULES = ("invoice", "money", "tax", "discounts", "plans", "usage", "proration",
                   "credits", "refunds", "dunning", "currency", "ledger_sync", "exports",
                   "webhooks", "statements", "reminders", "coupons", "seats", "trials", "limits")


def monorepo_many_services() -> Scenario:
    s = Story("monorepo-many-services", "2026-03-03T08:45:00Z", monorepo(MANY))
    s.noise(16, "-30h", "+1h", "py")
    s.squash("catalog", "-1h10m", "Cache category trees in catalog", 3001, {
        "services/catalog/config.yaml": Append("category_cache_s: 600\n")})
    s.squash("culprit", "-2h2m", "Post journal entries in one transaction per batch", 2998, {
        "services/ledger/app.py": Append(
            "\n\ndef post_batch(conn, entries):\n    with conn.transaction():\n"
            "        for entry in sorted(entries, key=lambda e: e.account_id, reverse=True):\n"
            "            conn.execute(\"UPDATE balances SET amount = amount + %s WHERE account_id"
            " = %s\", (entry.amount, entry.account_id))\n")})
    s.squash("lib", "-41m", "Lower the default HTTP timeout in the shared client", 3004, {
        "libs/common/http.py": Replace("DEFAULT_TIMEOUT_S = 5", "DEFAULT_TIMEOUT_S = 2")})
    s.squash("gw", "-15m", "Add X-Request-Id to gateway responses", 3007, {
        "services/gateway/app.py": Append("\n\nREQUEST_ID_HEADER = \"X-Request-Id\"\n")})
    deploys = [("-22h", "HEAD", svc) for svc in ("ledger", "gateway", "catalog")]
    deploys += [("-1h55m", "HEAD", "ledger"), ("-1h5m", "HEAD", "catalog"),
                ("-32m", "HEAD", "ledger"), ("-31m", "HEAD", "gateway"),
                ("-12m", "HEAD", "gateway")]
    incident = s.incident(
        "INC-5120", "Ledger batch posting deadlocks", resolved="+1h", services=["ledger"],
        updates=[("+10m", "dana", "postgres reports deadlocks between concurrent batch "
                  "transactions on balances")],
        deploys=deploys,
        alerts=[("+3m", "LedgerPostingErrors", "posting failures 22%", "ledger")])
    return s.scenario("Eight services; a shared-library change deployed later is the decoy.",
                      "culprit", incident, config=MANY_CONFIG, themes=("monorepo",))


def merge_heavy_prs() -> Scenario:
    s = Story("merge-heavy-prs", "2026-03-05T13:30:00Z",
              python_service("inventory", "inventory-api"))
    s.noise(8, "-30h", "+1h", "py", "dt")
    s.pr("stock", "-3h", "Add /v1/stock endpoint", 640, "feat/stock-endpoint", [
        ("-5h", "Add stock endpoint", {"inventory/stock.py": "def stock(sku):\n    return 0\n"}),
        ("-4h", "Test stock endpoint", {"tests/test_stock.py": "def test_stock():\n"
                                        "    assert True\n"})])
    s.pr("culprit", "-37m", "Expire abandoned reservations", 642, "feat/reservation-sweeper", [
        ("-2h30m", "Add reservation sweeper", {"inventory/sweeper.py": (
            "SWEEP_EVERY_S = 10\n\nSQL = \"DELETE FROM reservations WHERE "
            "created_at < now() - interval '15 minutes'\"\n")}),
        ("-1h", "Run the sweeper from the scheduler", {"inventory/scheduler.py": (
            "from .sweeper import SQL, SWEEP_EVERY_S\n\nJOBS = [(SWEEP_EVERY_S, SQL)]\n")})])
    s.pr("guni", "-13m", "Upgrade gunicorn to 22.0.0", 645, "deps/gunicorn", [
        ("-50m", "Upgrade gunicorn", {"requirements.txt": Replace("gunicorn==21.2.0",
                                                                  "gunicorn==22.0.0")})])
    s.pr("fix", "+40m", "Only sweep reservations that are not in checkout", 648,
         "fix/sweeper-checkout", [("+30m", "Skip reservations in checkout", {
             "inventory/sweeper.py": Replace("interval '15 minutes'\"",
                                             "interval '15 minutes' AND NOT in_checkout\"")})])
    incident = s.incident(
        380, "Reservations lost during checkout", resolved="+50m", services=["inventory-api"],
        updates=[("+12m", "chen", "reservations deleted while customers are still in checkout; "
                  "the sweeper runs every 10s")],
        deploys=[("-21h", "HEAD", "inventory-api"), ("-2h50m", "HEAD", "inventory-api"),
                 ("-30m", "HEAD", "inventory-api"), ("-8m", "HEAD", "inventory-api"),
                 ("+45m", "fix", "inventory-api")],
        alerts=[("+4m", "CheckoutReservationMissing", "missing reservation errors 6%",
                 "inventory-api")])
    return s.scenario("Every change lands as a PR merge commit; the culprit is a two-commit PR.",
                      "culprit", incident, themes=("merges", "fix-after-onset"))


def squash_merges() -> Scenario:
    base = go_service("github.com/acme/api-gw", "api-gw") | {
        "internal/server/cors.go": "package server\n\nvar allowedOrigins = []string{\n"
        "\t\"https://app.acme.io\",\n\t\"https://admin.acme.io\",\n}\n"}
    s = Story("squash-merges", "2026-03-09T16:10:00Z", base)
    s.noise(10, "-30h", "+1h", "go")
    s.squash("culprit", "-1h52m", "Allow the marketing site to call the API", 7710, {
        "internal/server/cors.go": Replace("\t\"https://app.acme.io\",\n",
                                           "\t\"https://www.acme.io\",\n")})
    s.squash("reqid", "-1h20m", "Add request id middleware", 7712, {
        "internal/server/reqid.go": "package server\n\nconst requestIDHeader = \"X-Request-Id\"\n"})
    s.squash("xnet", "-50m", "Bump golang.org/x/net to v0.25.0", 7714, {
        "go.mod": Replace("\tgoogle.golang.org/grpc", "\tgolang.org/x/net v0.25.0\n"
                          "\tgoogle.golang.org/grpc")})
    s.squash("gzip", "-22m", "Compress JSON responses with gzip", 7716, {
        "internal/server/gzip.go": "package server\n\nconst minGzipBytes = 1024\n"})
    incident = s.incident(
        441, "Web app cannot reach the API", severity="SEV-1", resolved="+35m",
        services=["api-gw"],
        updates=[("+6m", "ana", "CORS preflight fails for https://app.acme.io: origin not "
                  "allowed")],
        deploys=[("-23h", "HEAD", "api-gw"), ("-5m", "HEAD", "api-gw")],
        alerts=[("+2m", "WebAppAPIErrors", "fetch failures 90%", "api-gw")])
    return s.scenario("Four squash merges ship in one deploy; the text names the origin removed.",
                      "culprit", incident, themes=("squash", "text"))


def noise_around_onset() -> Scenario:
    s = Story("noise-around-onset", "2026-03-12T11:00:00Z", python_service("profile", "profile"))
    s.noise(6, "-30h", "-2h", "py")
    s.noise(14, "-15m", "+15m", "py")
    s.squash("culprit", "-56m", "Point the profile cache at the new redis cluster", 250, {
        "config/production.yaml": Replace("redis://cache.internal:6379/0",
                                          "redis://cache-v2.internal:6379/0")})
    s.squash("photo", "-27m", "Resize profile photos on upload", 252, {
        "profile/photos.py": "MAX_SIDE_PX = 512\n"})
    incident = s.incident(
        99, "Profile updates failing", resolved="+40m", services=["profile"],
        updates=[("+9m", "erik", "redis errors: OOM command not allowed when used memory > "
                  "'maxmemory' on cache-v2")],
        deploys=[("-22h", "HEAD", "profile"), ("-50m", "culprit", "profile"),
                 ("-5m", "HEAD", "profile")],
        alerts=[("+1m", "ProfileWriteErrors", "5xx 18%", "profile")])
    return s.scenario("Docs, tests and CI commits crowd the minutes around onset.", "culprit",
                      incident, themes=("noise", "config"))


def huge_refactor() -> Scenario:
    base = {f"acme_billing/{m}.py": f"from decimal import ROUND_HALF_UP, Decimal\n\n"
            f"from acme_billing import money\n\n\ndef {m}_total(items):\n"
            f"    return money.round_cents(sum((Decimal(i) for i in items), Decimal(0)))\n"
            for m in BILLING_MODULES}
    base["acme_billing/money.py"] = ("from decimal import ROUND_HALF_UP, Decimal\n\n\n"
                                     "def round_cents(value: Decimal) -> Decimal:\n"
                                     "    return value.quantize(Decimal(\"0.01\"), "
                                     "ROUND_HALF_UP)\n")
    s = Story("huge-refactor", "2026-03-16T09:00:00Z", python_service("app", "billing") | base)
    s.noise(10, "-30h", "+1h", "py")
    culprit_new = base["acme_billing/money.py"].replace(
        "ROUND_HALF_UP)\n", "ROUND_HALF_EVEN)\n").replace("import ROUND_HALF_UP,",
                                                          "import ROUND_HALF_EVEN,")
    s.squash("culprit", "-52m", "Use banker's rounding for cent amounts", 1610, {
        "acme_billing/money.py": culprit_new})
    current = base | {"acme_billing/money.py": culprit_new}
    moved: dict[str, str | None] = {p: None for p in current}
    moved |= {p.replace("acme_billing/", "billing/"): c.replace("acme_billing", "billing")
              for p, c in current.items()}
    s.squash("refactor", "-7m", "Rename package acme_billing to billing", 1612, moved)
    incident = s.incident(
        "INC-77", "Invoice totals off by one cent", severity="SEV-3", resolved="+2h",
        services=["billing"],
        updates=[("+20m", "hugo", "totals ending in a half cent now round down; rounding "
                  "changed?")],
        deploys=[("-20h", "HEAD", "billing"), ("-4m", "HEAD", "billing")],
        alerts=[("+10m", "InvoiceReconciliationMismatch", "mismatches 3.2%", "billing")])
    return s.scenario("A 40-file package rename ships minutes before onset with a one-line "
                      "rounding change.", "culprit", incident, themes=("refactor",))


def latent_month_end() -> Scenario:
    base = python_service("subs", "subscriptions") | {
        "subs/renewal.py": "from dateutil.relativedelta import relativedelta\n\n\n"
        "def next_renewal(start):\n    return start + relativedelta(months=1)\n",
        "subs/charge.py": "def charge(card, amount):\n    return card.capture(amount)\n"}
    s = Story("latent-month-end", "2026-03-31T00:05:00Z", base)
    s.noise(12, "-30h", "+1h", "py")
    s.squash("culprit", "-11h20m", "Drop python-dateutil from renewal date math", 990, {
        "subs/renewal.py": "def next_renewal(start):\n    month = start.month % 12 + 1\n"
        "    year = start.year + (start.month == 12)\n"
        "    return start.replace(year=year, month=month)\n"})
    s.squash("decoy", "-24m", "Retry failed card charges twice", 993, {
        "subs/charge.py": Replace("    return card.capture(amount)\n",
                                  "    for attempt in range(3):\n        result = card.capture("
                                  "amount)\n        if result.ok or attempt == 2:\n"
                                  "            return result\n")})
    incident = s.incident(
        512, "Subscription renewals failing at midnight", severity="SEV-2", resolved="+1h30m",
        services=["subscriptions"],
        updates=[("+15m", "fatima", "renewal job crashes: day is out of range for month")],
        deploys=[("-21h", "HEAD", "subscriptions"), ("-11h", "HEAD", "subscriptions"),
                 ("-6m", "HEAD", "subscriptions")],
        alerts=[("+5m", "RenewalJobFailures", "4,180 renewals failed", "subscriptions")])
    return s.scenario("A date-math change only fails on the 31st; a charge retry deployed 6 min "
                      "before is the loud decoy.", "culprit", incident, hard=True,
                      themes=("latent",))


def retries_disabled() -> Scenario:
    s = Story("retries-disabled", "2026-03-19T05:20:00Z", python_service("indexer", "indexer"))
    s.noise(10, "-30h", "+1h", "py")
    s.commit("culprit", "-7h4m", "Let the queue redeliver instead of retrying in-process", {
        "config/production.yaml": Replace("retries: 3", "retries: 0")})
    s.squash("dep", "-17m", "Upgrade requests to 2.32.3", 58, {
        "requirements.txt": Replace("requests==2.31.0", "requests==2.32.3")})
    incident = s.incident(
        "INC-903", "Indexer dropping documents", severity="SEV-3", resolved="+1h",
        services=["indexer"],
        updates=[("+20m", "grace", "indexer fails on transient 502s from catalog-api and the "
                  "documents are dropped")],
        deploys=[("-22h", "HEAD", "indexer"), ("-7h", "HEAD", "indexer"),
                 ("-12m", "HEAD", "indexer")],
        alerts=[("+8m", "IndexerErrorRate", "errors 12%", "indexer")])
    return s.scenario("Retries turned off hours before an upstream blip; a dependency bump "
                      "deployed 12 min before is the decoy.", "culprit", incident, hard=True,
                      themes=("latent", "config"))


def late_detection() -> Scenario:
    base = python_service("analytics", "analytics") | {
        "analytics/ingest.py": "def accept(event):\n    return event.get(\"type\") is not None\n"}
    s = Story("late-detection", "2026-03-23T10:00:00Z", base)
    s.noise(12, "-30h", "+3h", "py")
    s.squash("decoy", "-3h5m", "Sample debug events at 10%", 402, {
        "analytics/sampling.py": "DEBUG_SAMPLE_RATE = 0.1\n"})
    s.squash("culprit", "-11m", "Drop events without a session id", 405, {
        "analytics/ingest.py": Replace("return event.get(\"type\") is not None",
                                       "return event.get(\"type\") is not None and "
                                       "bool(event.get(\"session_id\"))")})
    s.squash("later", "+45m", "Validate event schema version", 407, {
        "analytics/ingest.py": Append("\n\nSCHEMA_VERSIONS = {1, 2}\n")})
    incident = s.incident(
        61, "Mobile events missing from dashboards", severity="SEV-3", detected="+2h10m",
        resolved="+3h", services=["analytics"],
        updates=[("+2h20m", "chen", "mobile SDK sends no session_id; those events are dropped "
                  "at ingest since 10:00")],
        deploys=[("-22h", "HEAD", "analytics"), ("-3h", "HEAD", "analytics"),
                 ("-6m", "HEAD", "analytics"), ("+50m", "HEAD", "analytics")],
        alerts=[("+2h5m", "MobileEventVolume", "mobile events -70%", "analytics")])
    return s.scenario("Detected two hours late; a change after the start (before detection) is "
                      "not a suspect.", "culprit", incident, themes=("late-detection",))


def stale_branch_merge() -> Scenario:
    s = Story("stale-branch-merge", "2026-03-27T15:30:00Z", python_service("auth", "auth"))
    s.noise(12, "-30h", "+1h", "py")
    s.pr("culprit", "-1h33m", "Move sessions to memcached", 1777, "feat/memcached-sessions", [
        ("-4d", "Add memcached session store", {"auth/session_store.py": (
            "import pymemcache\n\nclient = pymemcache.Client((\"memcached.internal\", 11211))\n"
            "\n\ndef save(session_id, data, ttl=86400):\n"
            "    client.set(session_id, data, expire=ttl)\n")}),
        ("-3d", "Use the memcached store for sessions", {"config/production.yaml": Replace(
            "  ttl_s: 300\n", "  ttl_s: 300\nsessions:\n  store: memcached\n")})])
    s.squash("ui", "-40m", "Remember the last used login method", 1781, {
        "auth/login.py": "LAST_METHOD_COOKIE = \"last_login_method\"\n"})
    s.squash("dep", "-2h30m", "Upgrade pyjwt to 2.8.0", 1779, {
        "requirements.txt": Append("pyjwt==2.8.0\n")})
    incident = s.incident(
        "INC-1777", "Users logged out at random", severity="SEV-2", resolved="+1h",
        services=["auth"],
        updates=[("+14m", "dana", "sessions vanish after a few minutes; memcached evictions "
                  "spiking")],
        deploys=[("-21h", "HEAD", "auth"), ("-1h25m", "HEAD", "auth"), ("-35m", "HEAD", "auth")],
        alerts=[("+4m", "AuthReloginRate", "re-logins 8x", "auth")])
    return s.scenario("A PR whose commits are 3-4 days old is merged 93 minutes before onset.",
                      "culprit", incident, themes=("merges", "dates"))


SCENARIOS: tuple[Scenario, ...] = (
    monorepo_many_services(), merge_heavy_prs(), squash_merges(), noise_around_onset(),
    huge_refactor(), latent_month_end(), retries_disabled(), late_detection(),
    stale_branch_merge(),
)
