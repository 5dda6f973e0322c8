"""Secret redaction: recall on planted secrets of 34 families, false positives on plain text.

Each family's secrets are generated from a fixed seed in its real format (so no real-looking
secret is stored in this file) and planted in several settings an incident brings: a chat
update, a log line, a JSON credentials dump, an environment line, a code block and a commit
subject. A planted secret is caught when no 8-character piece of its sensitive part is left
after `redact_secrets`. False positives are redactions in text that holds no secret: the
project's search corpus (`tests/corpus.py`), the deterministic drafts of the scenario
catalog (`tests/scenarios/`) and the README. Figures: families, planted, recall,
missed (family: setting), fp_documents, fp_redactions, corpus_documents, seconds, import_s.
"""

from __future__ import annotations

import random
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.table import print_table

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
_rng = random.Random(16)


def _r(chars: str, n: int) -> str:
    return "".join(_rng.choice(chars) for _ in range(n))


D = string.digits
UP = string.ascii_uppercase + "234567"
WORD = ALNUM + "_-"
FAMILIES: tuple[tuple[str, str, Callable[[], str]], ...] = (
    # (family, how it is written with its sensitive part as {v}, a generator of that part)
    ("aws-access-key-id", "{v}", lambda: "AKIA" + _r(UP, 16)),
    ("aws-secret-json", '"SecretAccessKey": "{v}"', lambda: _r(B64, 40)),
    ("aws-session-token-json", '"SessionToken": "{v}"', lambda: "IQoJb3JpZ2lu" + _r(B64, 120)),
    ("github-pat", "{v}", lambda: "ghp_" + _r(ALNUM, 36)),
    ("github-fine-grained", "{v}", lambda: "github_pat_11" + _r(ALNUM + "_", 80)),
    ("gitlab-pat", "{v}", lambda: "glpat-" + _r(WORD, 20)),
    ("slack-bot-token", "xoxb-{v}", lambda: f"{_r(D, 12)}-{_r(D, 13)}-{_r(ALNUM, 24)}"),
    ("slack-app-token", "xapp-1-{v}", lambda: f"A{_r(ALNUM, 10)}-{_r(D, 13)}-{_r(HEX, 64)}"),
    ("slack-webhook", "https://hooks.slack.com/services/{v}",
     lambda: f"T{_r(ALNUM, 8)}/B{_r(ALNUM, 10)}/{_r(ALNUM, 24)}"),
    ("openai-key", "{v}", lambda: "sk-proj-" + _r(WORD, 48)),
    ("anthropic-key", "{v}", lambda: "sk-ant-api03-" + _r(WORD, 80)),
    ("stripe-live-key", "{v}", lambda: "sk_live_" + _r(ALNUM, 24)),
    ("google-api-key", "{v}", lambda: "AIza" + _r(WORD, 35)),
    ("npm-token", "{v}", lambda: "npm_" + _r(ALNUM, 36)),
    ("pypi-token", "{v}", lambda: "pypi-AgEIcHlwaS5vcmc" + _r(WORD, 60)),
    ("jwt", "eyJhbGciOiJIUzI1NiJ9.{v}", lambda: f"eyJzdWIiOi{_r(ALNUM, 20)}.{_r(WORD, 43)}"),
    ("private-key", "-----BEGIN RSA PRIVATE KEY-----\n{v}\n-----END RSA PRIVATE KEY-----",
     lambda: _r(B64, 64)),
    ("postgres-dsn", "postgres://app:{v}@db.internal:5432/shop", lambda: _r(ALNUM, 16)),
    ("pgpassword", "PGPASSWORD={v} psql -h db", lambda: _r(ALNUM, 14)),
    ("x-api-key-header", "x-api-key: {v}", lambda: _r(HEX, 32)),
    ("bearer-header", "Authorization: Bearer {v}", lambda: _r(ALNUM, 32)),
    ("azure-account-key", "AccountName=shop;AccountKey={v};EndpointSuffix=core.windows.net",
     lambda: _r(B64, 86) + "=="),
    ("sendgrid-key", "SG.{v}", lambda: f"{_r(WORD, 22)}.{_r(WORD, 43)}"),
    ("twilio-key", "{v}", lambda: "SK" + _r(HEX, 32)),
    ("discord-bot-token", "{v}", lambda: f"M{_r(ALNUM, 23)}.{_r(ALNUM, 6)}.{_r(WORD, 27)}"),
    ("telegram-bot-token", "{v}", lambda: f"{_r(D, 9)}:AA{_r(WORD, 33)}"),
    ("mailchimp-key", "{v}", lambda: _r(HEX, 32) + "-us12"),
    ("password-assignment", "password={v}", lambda: _r(ALNUM, 14)),
    ("basic-auth-url", "https://deploy:{v}@registry.example.com/v2/", lambda: _r(ALNUM, 14)),
    ("mysql-dsn", "mysql://root:{v}@10.0.0.5/db", lambda: _r(ALNUM, 12)),
    ("redis-url", "redis://:{v}@cache:6379/0", lambda: _r(ALNUM, 16)),
    ("square-secret", "{v}", lambda: "sq0csp-" + _r(WORD, 43)),
    ("huggingface-token", "{v}", lambda: "hf_" + _r(ALNUM, 34)),
    ("datadog-api-key", "DD_API_KEY={v}", lambda: _r(HEX, 32)),
)  # fmt: skip


def _families() -> dict[str, tuple[str, str]]:
    """family -> (how it is written, its sensitive part)."""
    out = {}
    for name, written, make in FAMILIES:
        secret = make()
        out[name] = (written.format(v=secret), secret)
    return out


SETTINGS = {
    "update": "Rotated after {s} showed up in the support chat.",
    "log": "2026-03-20T14:23:05Z ERROR auth failed config={s} retrying",
    "json": '{{"creds": {{"value": "{s}"}}, "region": "eu-west-1"}}',
    "env": "export DEPLOY_CONFIG='{s}'",
    "code": "```\n{s}\n```",
    "commit": "Fix client: drop hard-coded {s}",
}
"""Where a secret is planted; `{s}` is its written form."""


def _planted() -> Iterator[tuple[str, str, str, str]]:
    for family, (written, secret) in _families().items():
        for setting, template in SETTINGS.items():
            yield family, setting, template.format(s=written), secret


def _leaks(secret: str, text: str) -> bool:
    return any(secret[i : i + 8] in text for i in range(0, max(len(secret) - 7, 1)))


def _corpus(quick: bool) -> list[tuple[str, str]]:
    """(name, text) of ordinary postmortem text with no secret in it."""
    from pmops.documents.render import render_postmortem
    from tests.corpus import generate_docs

    root = Path(__file__).resolve().parent.parent
    docs = [("README.md", (root / "README.md").read_text(encoding="utf-8"))]
    docs += [
        (f"corpus/{doc.path}", render_postmortem(doc.postmortem))
        for doc in generate_docs(40 if quick else 300, 7)
    ]
    return docs + _scenario_drafts(quick)


def _scenario_drafts(quick: bool) -> list[tuple[str, str]]:
    from pmops.documents.render import render_postmortem
    from pmops.pipeline import draft_local
    from tests.scenarios.build import build_all
    from tests.scenarios.catalog import SCENARIOS

    scenarios = SCENARIOS[:4] if quick else SCENARIOS
    out = []
    with tempfile.TemporaryDirectory(prefix="pmops-bench-secrets-") as tmp:
        for built in build_all(Path(tmp), scenarios):
            result = draft_local(built.repo, built.incident_file)
            out.append((f"scenario/{built.scenario.name}", render_postmortem(result.postmortem)))
    return out


def _import_seconds() -> float:
    """A fresh interpreter's cost of the first redaction (detect-secrets' import included)."""
    code = "import time;t=time.perf_counter();from pmops.safety.redact import redact_secrets;"
    code += "redact_secrets('x');print(time.perf_counter()-t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout)  # fmt: skip


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Plant, redact, count; then scan the corpus for false positives."""
    from pmops.safety.redact import redact_secrets

    import_s = _import_seconds()
    started = time.perf_counter()
    planted = list(_planted())
    missed = [
        f"{f}: {s}" for f, s, text, secret in planted if _leaks(secret, redact_secrets(text)[0])
    ]
    families = {f for f, _, _, _ in planted}
    fp_rows = []
    documents = _corpus(quick)
    for name, text in documents:
        out, count = redact_secrets(text)
        if count:
            first = next(line for line in out.splitlines() if "[REDACTED" in line)
            fp_rows.append({"document": name, "redactions": count, "first": first[:90]})
    seconds = time.perf_counter() - started
    print_table("false positives", fp_rows or [{"document": "-", "redactions": 0, "first": "-"}])
    print_table("missed", [{"missed": m} for m in missed] or [{"missed": "none"}])
    return {
        "families": len(families),
        "planted": len(planted),
        "recall": round(1 - len(missed) / len(planted), 4),
        "missed": missed,
        "corpus_documents": len(documents),
        "fp_documents": len(fp_rows),
        "fp_redactions": sum(r["redactions"] for r in fp_rows),
        "seconds": round(seconds, 2),
        "import_s": round(import_s, 2),
    }
