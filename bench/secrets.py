"""Secret redaction: recall on planted secrets of many families, false positives on ordinary
postmortem text.

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


def _families() -> dict[str, tuple[str, str]]:
    """family -> (how it is written, its sensitive part)."""
    pairs: dict[str, Callable[[], tuple[str, str]]] = {
        "aws-access-key-id": lambda: (v := "AKIA" + _r(string.ascii_uppercase + "234567", 16), v),
        "aws-secret-json": lambda: (f'"SecretAccessKey": "{(v := _r(B64, 40))}"', v),
        "aws-session-token-json": lambda: (f'"SessionToken": "{(v := "IQoJb3JpZ2lu" + _r(B64, 120))}"', v),
        "github-pat": lambda: (v := "ghp_" + _r(ALNUM, 36), v),
        "github-fine-grained": lambda: (v := "github_pat_11" + _r(ALNUM + "_", 80), v),
        "gitlab-pat": lambda: (v := "glpat-" + _r(ALNUM + "_-", 20), v),
        "slack-bot-token": lambda: (v := f"xoxb-{_r(string.digits, 12)}-{_r(string.digits, 13)}-{_r(ALNUM, 24)}", v),
        "slack-app-token": lambda: (v := f"xapp-1-A{_r(ALNUM, 10)}-{_r(string.digits, 13)}-{_r(HEX, 64)}", v),
        "slack-webhook": lambda: (v := f"https://hooks.slack.com/services/T{_r(ALNUM, 8)}/B{_r(ALNUM, 10)}/{_r(ALNUM, 24)}", v),
        "openai-key": lambda: (v := "sk-proj-" + _r(ALNUM + "_-", 48), v),
        "anthropic-key": lambda: (v := "sk-ant-api03-" + _r(ALNUM + "_-", 80), v),
        "stripe-live-key": lambda: (v := "sk_live_" + _r(ALNUM, 24), v),
        "google-api-key": lambda: (v := "AIza" + _r(ALNUM + "_-", 35), v),
        "npm-token": lambda: (v := "npm_" + _r(ALNUM, 36), v),
        "pypi-token": lambda: (v := "pypi-AgEIcHlwaS5vcmc" + _r(ALNUM + "_-", 60), v),
        "jwt": lambda: (v := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi" + _r(ALNUM, 20) + "." + _r(ALNUM + "_-", 43), v),
        "private-key": lambda: (f"-----BEGIN RSA PRIVATE KEY-----\n{(v := _r(B64, 64))}\n-----END RSA PRIVATE KEY-----", v),
        "postgres-dsn": lambda: (f"postgres://app:{(v := _r(ALNUM, 16))}@db.internal:5432/shop", v),
        "pgpassword": lambda: (f"PGPASSWORD={(v := _r(ALNUM, 14))} psql -h db", v),
        "x-api-key-header": lambda: (f"x-api-key: {(v := _r(HEX, 32))}", v),
        "bearer-header": lambda: (f"Authorization: Bearer {(v := _r(ALNUM, 32))}", v),
        "azure-account-key": lambda: (f"AccountName=shop;AccountKey={(v := _r(B64, 86) + '==')};EndpointSuffix=core.windows.net", v),
        "sendgrid-key": lambda: (v := f"SG.{_r(ALNUM + '_-', 22)}.{_r(ALNUM + '_-', 43)}", v),
        "twilio-key": lambda: (v := "SK" + _r(HEX, 32), v),
        "discord-bot-token": lambda: (v := f"M{_r(ALNUM, 23)}.{_r(ALNUM, 6)}.{_r(ALNUM + '_-', 27)}", v),
        "telegram-bot-token": lambda: (v := f"{_r(string.digits, 9)}:AA{_r(ALNUM + '_-', 33)}", v),
        "mailchimp-key": lambda: (v := _r(HEX, 32) + "-us12", v),
        "password-assignment": lambda: (f"password={(v := _r(ALNUM, 14))}", v),
        "basic-auth-url": lambda: (f"https://deploy:{(v := _r(ALNUM, 14))}@registry.example.com/v2/", v),
        "mysql-dsn": lambda: (f"mysql://root:{(v := _r(ALNUM, 12))}@10.0.0.5/db", v),
        "redis-url": lambda: (f"redis://:{(v := _r(ALNUM, 16))}@cache:6379/0", v),
        "square-secret": lambda: (v := "sq0csp-" + _r(ALNUM + "_-", 43), v),
        "huggingface-token": lambda: (v := "hf_" + _r(ALNUM, 34), v),
        "datadog-api-key": lambda: (f"DD_API_KEY={(v := _r(HEX, 32))}", v),
    }  # fmt: skip
    return {name: make() for name, make in pairs.items()}


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
    from pmops.render import render_postmortem
    from tests.corpus import generate_docs

    root = Path(__file__).resolve().parent.parent
    docs = [("README.md", (root / "README.md").read_text(encoding="utf-8"))]
    docs += [
        (f"corpus/{doc.path}", render_postmortem(doc.postmortem))
        for doc in generate_docs(40 if quick else 300, 7)
    ]
    return docs + _scenario_drafts(quick)


def _scenario_drafts(quick: bool) -> list[tuple[str, str]]:
    from pmops.pipeline import draft_local
    from pmops.render import render_postmortem
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
    code = "import time;t=time.perf_counter();from pmops.redact import redact_secrets;"
    code += "redact_secrets('x');print(time.perf_counter()-t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout)  # fmt: skip


def run(quick: bool, argv: list[str]) -> dict[str, Any]:
    """Plant, redact, count; then scan the corpus for false positives."""
    from pmops.redact import redact_secrets

    import_s = _import_seconds()
    started = time.perf_counter()
    planted = list(_planted())
    missed = [f"{f}: {s}" for f, s, text, secret in planted if _leaks(secret, redact_secrets(text)[0])]
    families = {f for f, _, _, _ in planted}
    fp_rows = []
    documents = _corpus(quick)
    for name, text in documents:
        out, count = redact_secrets(text)
        if count:
            fp_rows.append({"document": name, "redactions": count,
                            "first": next(line for line in out.splitlines() if "[REDACTED" in line)[:90]})  # fmt: skip
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
