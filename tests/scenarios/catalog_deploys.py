"""Scenarios around deploys: several services at once, rollbacks, reverts, environments."""

from __future__ import annotations

from tests.scenarios.skeletons import go_service, monorepo, python_service
from tests.scenarios.spec import Append, Replace, Scenario
from tests.scenarios.story import Story, config_yaml

PLATFORM = ("gateway", "checkout", "search", "ledger", "notifications", "catalog")
PLATFORM_CONFIG = config_yaml({s: [f"services/{s}/**"] for s in PLATFORM}
                              | {"shared": ["libs/**", "infra/**"]})


def other_service_same_deploy() -> Scenario:
    s = Story("other-service-same-deploy", "2026-03-03T12:30:00Z", monorepo(PLATFORM))
    s.noise(12, "-30h", "+1h", "py")
    s.squash("culprit", "-41m", "Call the fraud check before capturing payments", 2101, {
        "services/checkout/app.py": Append(
            "\n\nFRAUD_URL = \"http://fraud.internal/v1/score\"\nFRAUD_TIMEOUT_S = 0.2\n\n\n"
            "def capture(order, session):\n    score = session.post(FRAUD_URL, json=order, "
            "timeout=FRAUD_TIMEOUT_S).json()\n    if score[\"risk\"] > 0.9:\n"
            "        raise PermissionError(\"fraud\")\n")})
    s.squash("decoy", "-26m", "Lower search backend timeout and add a retry", 2104, {
        "services/search/config.yaml": Replace("timeout_s: 5\nretries: 2",
                                               "timeout_s: 2\nretries: 3")})
    incident = s.incident(
        612, "Checkout failing to capture payments", severity="SEV-1", resolved="+45m",
        services=["checkout"], users=3100,
        updates=[("+8m", "dana", "capture requests time out after 200ms"),
                 ("+30m", "dana", "fraud check disabled via env, captures recovering")],
        deploys=[("-20h", "HEAD", "search"), ("-20h", "HEAD", "checkout"),
                 ("-6m", "HEAD", "search"), ("-5m", "HEAD", "checkout")],
        alerts=[("+2m", "CheckoutCaptureErrors", "capture error ratio 42%", "checkout")])
    return s.scenario("Two services deploy a minute apart; only checkout is affected.",
                      "culprit", incident, config=PLATFORM_CONFIG,
                      themes=("other-service", "monorepo"))


def wrong_revert() -> Scenario:
    s = Story("wrong-revert", "2026-03-05T08:10:00Z", python_service("web", "web"))
    s.noise(10, "-29h", "+50m", "py")
    s.squash("decoy", "-1h12m", "Send login notification emails asynchronously", 730, {
        "web/notify.py": "from .tasks import queue\n\n\ndef login_notification(user):\n"
        "    queue.enqueue(\"send_login_email\", user_id=user.id)\n"})
    s.squash("culprit", "-16m", "Shorten session cache TTL so logouts propagate faster", 733, {
        "config/production.yaml": Replace("ttl_s: 300", "ttl_s: 3")})
    s.revert("wrong", "+12m", "decoy", "Suspected cause of the login slowness.")
    s.squash("fix", "+35m", "Restore the session cache TTL", 736, {
        "config/production.yaml": Replace("ttl_s: 3", "ttl_s: 300")})
    incident = s.incident(
        95, "Slow logins and DB saturation", resolved="+45m", services=["web"],
        updates=[("+9m", "ana", "db-primary CPU 95%, session lookups hitting the database"),
                 ("+22m", "ana", "reverting {{decoy:7}} did not help"),
                 ("+40m", "ana", "TTL restored, DB load normal")],
        deploys=[("-21h", "HEAD", "web"), ("-1h2m", "HEAD", "web"), ("-9m", "HEAD", "web"),
                 ("+15m", "wrong", "web"), ("+38m", "fix", "web")],
        alerts=[("+3m", "DBPrimaryCPU", "cpu > 90% for 3m", "web")])
    return s.scenario("The team reverts the wrong commit first; the TTL change is the cause.",
                      "culprit", incident, themes=("wrong-revert", "config", "fix-after-onset"))


def rollback_deploy() -> Scenario:
    s = Story("rollback-deploy", "2026-03-07T21:05:00Z",
              go_service("github.com/acme/checkout-gw", "checkout-gw"))
    s.noise(9, "-30h", "+40m", "go")
    s.commit("prev", "-19h40m", "Export request duration histogram", {
        "internal/server/metrics.go": "package server\n\nimport \"github.com/prometheus/"
        "client_golang/prometheus\"\n\nvar requestDuration = prometheus.NewHistogram("
        "prometheus.HistogramOpts{Name: \"request_duration_seconds\"})\n"})
    s.squash("prom", "-3h", "Bump prometheus/client_golang to v1.19.1", 4021, {
        "go.mod": Replace("client_golang v1.19.0", "client_golang v1.19.1")})
    s.squash("make", "-2h", "Strip debug info from release binaries", 4023, {
        "Makefile": Replace("go build -o", "go build -ldflags='-s -w' -o")})
    s.squash("culprit", "-37m", "Fail fast: cut the gateway request timeout to 500ms", 4025, {
        "internal/server/server.go": Replace("requestTimeout = 5 * time.Second",
                                             "requestTimeout = 500 * time.Millisecond")})
    incident = s.incident(
        "INC-512", "checkout-gw returning 503", resolved="+30m", services=["checkout-gw"],
        updates=[("+6m", "erik", "503 'timeout' bodies on slow card issuers"),
                 ("+18m", "erik", "rolling back checkout-gw to last night's build")],
        deploys=[("-19h", "prev", "checkout-gw"), ("-4m", "HEAD", "checkout-gw"),
                 ("+18m", "prev", "checkout-gw", "production", "rollback")],
        alerts=[("+1m", "CheckoutGW5xx", "503 ratio 9%", "checkout-gw")])
    return s.scenario("A deploy of several commits is rolled back to the previous build.",
                      "culprit", incident, themes=("rollback",))


def revert_culprit() -> Scenario:
    base = python_service("api", "api") | {
        "infra/terraform/alb.tf": 'resource "aws_lb" "public" {\n  name               = '
        '"public-api"\n  load_balancer_type = "application"\n  idle_timeout       = 60\n'
        '  enable_http2       = false\n}\n'}
    s = Story("revert-culprit", "2026-03-10T16:20:00Z", base)
    s.noise(10, "-30h", "+1h", "py", "dtco")
    s.squash("culprit", "-52m", "Enable HTTP/2 on the public ALB and trim idle timeout", 918, {
        "infra/terraform/alb.tf": Replace("idle_timeout       = 60\n  enable_http2       = false",
                                          "idle_timeout       = 10\n  enable_http2       = true")})
    s.squash("app", "-18m", "Paginate the /v1/exports listing", 920, {
        "api/exports.py": "def list_exports(cursor=None, limit=50):\n    return [], None\n"})
    s.revert("revert", "+21m", "culprit", "Rolling back the ALB change while we look at the 502s.")
    incident = s.incident(
        266, "502s from the public API", resolved="+40m", services=["api"],
        updates=[("+10m", "chen", "502 from the load balancer on long polling requests"),
                 ("+30m", "chen", "ALB change reverted and applied, 502s gone")],
        deploys=[("-47m", "culprit", "infra"), ("-22h", "HEAD", "api"), ("-12m", "HEAD", "api"),
                 ("+24m", "revert", "infra")],
        alerts=[("+4m", "PublicAPI502", "ALB 502 count 1.2k/min", "api")])
    return s.scenario("A Terraform change reverted during the incident; an app deploy is closer.",
                      "culprit", incident, themes=("revert", "terraform"))


def canary_env() -> Scenario:
    s = Story("canary-env", "2026-03-14T10:00:00Z", python_service("ledger", "ledger"))
    s.noise(8, "-30h", "+40m", "py")
    s.squash("culprit", "-3h20m", "Aggregate balances from the daily_balances view", 1502, {
        "ledger/balance.py": "def balance(conn, account_id):\n    row = conn.execute(\n"
        "        \"SELECT total FROM daily_balances WHERE account_id = %s\", (account_id,)\n"
        "    ).fetchone()\n    return row[0] if row else 0\n",
        "migrations/0012_daily_balances.sql": "CREATE MATERIALIZED VIEW daily_balances AS\n"
        "SELECT account_id, sum(amount) AS total FROM entries\nWHERE booked_at < current_date\n"
        "GROUP BY account_id;\n"})
    s.squash("staging-only", "-40m", "Batch ledger exports into 10k-row files", 1505, {
        "ledger/export.py": "BATCH_ROWS = 10_000\n"})
    incident = s.incident(
        47, "Account balances missing today's entries", resolved="+1h30m", services=["ledger"],
        updates=[("+15m", "fatima", "balances exclude everything booked today"),
                 ("+1h", "fatima", "the view only holds rows before current_date")],
        deploys=[("-22h", "HEAD", "ledger"), ("-3h", "culprit", "ledger", "staging"),
                 ("-20m", "staging-only", "ledger", "staging"),
                 ("-7m", "culprit", "ledger", "production")],
        alerts=[("+5m", "LedgerReconciliationDrift", "drift 4.1%", "ledger")])
    return s.scenario("Staging and production deploys; the newest staging-only change never "
                      "reached production.", "culprit", incident, themes=("environment",))


def fix_after_onset() -> Scenario:
    s = Story("fix-after-onset", "2026-03-17T02:00:00Z",
              python_service("partners", "partner-api"))
    s.noise(9, "-30h", "+1h30m", "py")
    s.squash("culprit", "-1h31m", "Add per-tier rate limits", 655, {
        "config/production.yaml": Append("rate_limits:\n  free: 10/min\n  partner: 50/min\n"
                                         "  internal: 1000/min\n")})
    s.squash("decoy", "-22m", "Send Retry-After with 429 responses", 657, {
        "partners/ratelimit.py": "def too_many_requests(limit):\n"
        "    return {\"error\": \"rate limited\"}, 429, {\"Retry-After\": str(limit.reset_s)}\n"})
    s.squash("fix1", "+20m", "Raise the partner rate limit to 5000/min", 659, {
        "config/production.yaml": Replace("partner: 50/min", "partner: 5000/min")})
    s.squash("fix2", "+48m", "Exempt the partner tier from rate limits during nightly sync", 661, {
        "partners/ratelimit.py": Append("\n\nEXEMPT_TIERS = {\"partner\"}\n")})
    s.squash("fix3", "+1h10m", "Alert on the ratio of 429 responses", 662, {
        "deploy/alerts/ratelimit.yaml": "- alert: HighRateLimitedRatio\n  expr: "
        "sum(rate(http_responses_total{code=\"429\"}[5m])) > 50\n"})
    incident = s.incident(
        "INC-702", "Partner nightly sync rejected with 429", severity="SEV-3",
        resolved="+1h", services=["partner-api"],
        updates=[("+10m", "bilal", "partners receive 429 Too Many Requests on the nightly sync"),
                 ("+25m", "bilal", "partner limit raised; sync retrying")],
        deploys=[("-23h", "HEAD", "partner-api"), ("-1h20m", "HEAD", "partner-api"),
                 ("-10m", "HEAD", "partner-api"), ("+24m", "fix1", "partner-api")],
        alerts=[("+5m", "Partner429s", "429 ratio 60% for partner tier", "partner-api")])
    return s.scenario("Remediation commits after onset mention the symptom; they are not suspects.",
                      "culprit", incident, themes=("fix-after-onset", "config"))


def k8s_memory_limit() -> Scenario:
    s = Story("k8s-memory-limit", "2026-03-19T13:02:00Z",
              go_service("github.com/acme/renderer", "renderer"))
    s.noise(10, "-29h", "+30m", "go")
    s.squash("code", "-47m", "Render thumbnails in parallel", 808, {
        "internal/server/thumbs.go": "package server\n\nconst thumbWorkers = 8\n"})
    s.squash("hpa", "-31m", "Scale renderer between 4 and 20 replicas", 810, {
        "deploy/k8s/hpa.yaml": "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
        "metadata:\n  name: renderer\nspec:\n  minReplicas: 4\n  maxReplicas: 20\n"})
    s.squash("culprit", "-6m", "Right-size renderer memory to measured usage", 812, {
        "deploy/k8s/deployment.yaml": Replace("limits:\n              memory: 1Gi",
                                              "limits:\n              memory: 256Mi")})
    incident = s.incident(
        131, "Renderer pods crash looping", resolved="+25m", services=["renderer"],
        updates=[("+5m", "hugo", "renderer pods OOMKilled right after start")],
        deploys=[("-40m", "HEAD", "renderer"), ("-2m", "culprit", "renderer")],
        alerts=[("+1m", "KubePodCrashLooping", "renderer-7f9c restarts 6", "renderer")])
    return s.scenario("A memory limit cut deployed 2 minutes before onset.", "culprit", incident,
                      themes=("config", "k8s"))


def terraform_egress() -> Scenario:
    s = Story("terraform-egress", "2026-03-20T09:30:00Z", monorepo(PLATFORM) | {
        "infra/terraform/payments_sg.tf": 'resource "aws_security_group" "payments" {\n'
        '  name = "payments"\n  egress {\n    from_port   = 443\n    to_port     = 443\n'
        '    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n',
        "infra/terraform/s3.tf": 'resource "aws_s3_bucket" "exports" {\n  bucket = '
        '"acme-exports"\n}\n'})
    s.noise(10, "-30h", "+40m", "py")
    s.squash("alb", "-3h5m", "Raise ALB idle timeout for websocket clients", 2230, {
        "infra/terraform/main.tf": Append('\nvariable "alb_idle_timeout" {\n  default = 120\n}\n')})
    s.squash("culprit", "-1h12m", "Restrict payments egress to the VPC", 2232, {
        "infra/terraform/payments_sg.tf": Replace('cidr_blocks = ["0.0.0.0/0"]',
                                                  'cidr_blocks = ["10.0.0.0/8"]')})
    s.squash("s3", "-19m", "Expire export files after 30 days", 2235, {
        "infra/terraform/s3.tf": Append('\nresource "aws_s3_bucket_lifecycle_configuration" '
                                        '"exports" {\n  bucket = aws_s3_bucket.exports.id\n}\n')})
    incident = s.incident(
        703, "Card payments timing out", severity="SEV-1", resolved="+55m",
        services=["payments"],
        updates=[("+9m", "grace", "calls from payments to the card processor time out on 443"),
                 ("+40m", "grace", "egress rule widened again via console")],
        deploys=[("-1h5m", "culprit", "infra"), ("-15m", "s3", "infra")],
        alerts=[("+3m", "PaymentsProcessorTimeouts", "timeouts 100%", "payments")])
    config = config_yaml({"payments": ["infra/terraform/payments_*.tf", "services/checkout/**"]})
    return s.scenario("A security-group change cuts egress; two other Terraform changes nearby.",
                      "culprit", incident, config=config, themes=("terraform", "config"))


def deploy_failed_then_retried() -> Scenario:
    s = Story("deploy-failed-then-retried", "2026-03-21T18:25:00Z",
              python_service("notify", "notifications"))
    s.noise(9, "-30h", "+40m", "py")
    s.squash("tpl", "-2h10m", "New layout for the order confirmation email", 381, {
        "notify/templates/order_confirmation.html": "<h1>Thanks for your order</h1>\n"
        "<p>{{ order.number }}</p>\n"})
    s.squash("culprit", "-47m", "Reuse SMTP connections through a pool", 383, {
        "notify/smtp.py": "import smtplib\nfrom queue import Queue\n\nPOOL_SIZE = 64\n"
        "_pool: Queue = Queue(POOL_SIZE)\n\n\ndef connection(host):\n"
        "    if _pool.empty():\n        return smtplib.SMTP(host, 587, timeout=10)\n"
        "    return _pool.get_nowait()\n"})
    incident = s.incident(
        58, "Emails not delivered", severity="SEV-3", resolved="+1h", services=["notifications"],
        updates=[("+14m", "chen", "provider answers SMTP 421 too many connections from our IPs")],
        deploys=[("-2h", "tpl", "notifications"),
                 ("-40m", "culprit", "notifications", "production", "failure"),
                 ("-12m", "HEAD", "notifications")],
        alerts=[("+6m", "EmailQueueBacklog", "queue depth 40k", "notifications")])
    return s.scenario("The culprit's first deploy failed; the retry 12 minutes before onset "
                      "shipped it.", "culprit", incident, themes=("deploy",))


SCENARIOS: tuple[Scenario, ...] = (
    other_service_same_deploy(), wrong_revert(), rollback_deploy(), revert_culprit(),
    canary_env(), fix_after_onset(), k8s_memory_limit(), terraform_egress(),
    deploy_failed_then_retried(),
)
