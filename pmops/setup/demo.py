"""`pmops demo`: a small sample repository and incident, built in a folder, ready to draft."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pmops.errors import SourceError
from pmops.sources.gitcmd import git_failure, run_git
from pmops.times import format_time

START = datetime(2026, 3, 20, 14, 23, tzinfo=UTC)
"""When the sample incident starts; every other time is relative to it."""


@dataclass(frozen=True)
class DemoCommit:
    """One commit of the sample history, `minutes` before START (negative: after)."""

    minutes: int
    message: str
    files: dict[str, str]


_POOL = """# Connection pool for the payments database.
pool:
  max_connections: {size}
  idle_timeout_s: 30
  acquire_timeout_ms: {timeout}
"""

HISTORY: tuple[DemoCommit, ...] = (
    DemoCommit(
        26 * 60,
        "Initial checkout and payments services",
        {
            "services/checkout/app.py": "def checkout(cart):\n    return charge(cart.total)\n",
            "services/payments/config/pool.yaml": _POOL.format(size=50, timeout=2000),
            "services/payments/client.py": "def charge(amount):\n    return POOL.run(amount)\n",
            "README.md": "# shop\n",
        },
    ),
    DemoCommit(
        20 * 60,
        "Add retry budget to the checkout client (#101)",
        {
            "services/checkout/retry.py": "RETRY_BUDGET = 0.1\n",
        },
    ),
    DemoCommit(
        6 * 60,
        "docs: describe the payments runbook (#103)",
        {
            "docs/runbooks/payments.md": "# Payments runbook\nCheck the pool first.\n",
        },
    ),
    DemoCommit(
        95,
        "Bump requests to 2.32.3 in checkout (#104)",
        {
            "services/checkout/requirements.txt": "requests==2.32.3\n",
        },
    ),
    DemoCommit(
        41,
        "Lower payments pool size to save database connections (#105)",
        {
            "services/payments/config/pool.yaml": _POOL.format(size=5, timeout=200),
        },
    ),
    DemoCommit(
        33,
        "test: cover empty carts (#106)",
        {
            "services/checkout/tests/test_app.py": "def test_empty():\n    assert True\n",
        },
    ),
    DemoCommit(
        -31,
        'Revert "Lower payments pool size to save database connections (#105)"',
        {
            "services/payments/config/pool.yaml": _POOL.format(size=50, timeout=2000),
        },
    ),
)


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = run_git(repo, *args, env=env)
    if proc.returncode != 0:
        problem = git_failure(repo, args, proc.stderr)
        raise SourceError(f"git failed while building the demo: {problem}")
    return proc.stdout.decode("utf-8", "replace").strip()


def build_demo(folder: Path) -> tuple[Path, Path]:
    """Create `folder/shop` (a git repository) and `folder/incident.yml`; return both paths."""
    repo = folder / "shop"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    shas: list[str] = []
    for commit in HISTORY:
        for name, text in commit.files.items():
            path = repo / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        at = format_time(START - timedelta(minutes=commit.minutes))
        message = commit.message
        if message.startswith("Revert"):
            message += f"\n\nThis reverts commit {shas[-2]}.\n\nPool exhaustion (#42)."
        env = {
            "GIT_AUTHOR_DATE": at,
            "GIT_COMMITTER_DATE": at,
            "GIT_AUTHOR_NAME": "Dev",
            "GIT_AUTHOR_EMAIL": "dev@example.com",
            "GIT_COMMITTER_NAME": "Dev",
            "GIT_COMMITTER_EMAIL": "dev@example.com",
        }
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "--no-verify", "-m", message, env=env)
        shas.append(_git(repo, "rev-parse", "HEAD"))
    incident = folder / "incident.yml"
    incident.write_text(_incident_text(shas), encoding="utf-8")
    return repo, incident


def _incident_text(shas: list[str]) -> str:
    def at(minutes: int) -> str:
        return format_time(START + timedelta(minutes=minutes))

    return f"""# A sample incident for `pmops demo` (format: schemas/incident.schema.json)
id: 42
title: Checkout failures from payments connection pool exhaustion
severity: SEV-2
started_at: {at(0)}
detected_at: {at(4)}
resolved_at: {at(47)}
services: [checkout, payments]
impact:
  description: Card payments failed for about one in five checkouts; customers saw "payment
    could not be processed".
  users_affected: 2300
deploys:
  - {{at: {at(-38)}, sha: "{shas[3][:12]}", service: checkout, environment: production}}
  - {{at: {at(-3)}, sha: "{shas[5][:12]}", service: payments, environment: production}}
  - {{at: {at(33)}, sha: "{shas[6][:12]}", service: payments, environment: production}}
alerts:
  - {{at: {at(4)}, name: CheckoutErrorRate, service: checkout,
     text: "5xx rate above 5 % for 3 minutes"}}
updates:
  - {{at: {at(9)}, author: oncall-amy, text: "Checkout 5xx spiking, payments logs show
     'timeout acquiring connection from pool'. Investigating."}}
  - {{at: {at(24)}, author: oncall-amy, text: "Pool size was lowered in today's payments
     deploy. Reverting it."}}
  - {{at: {at(47)}, author: oncall-amy, text: "Error rate back to baseline after the revert
     was deployed. Resolved."}}
"""
