"""Redact secrets from text before it leaves the machine: model requests and everything pmops
writes (the postmortem, its `.drafts/` copy, PR bodies, comments, issues, the job log).

Two layers. The project's rules below come first: they name what they find
(`[REDACTED:github-token]`), cover multi-line private keys, and add the families the
maintained detector lacks (AWS JSON `SecretAccessKey`/`SessionToken`, `PGPASSWORD=`-style
environment assignments, `x-api-key:` headers, Azure `AccountKey=`, Slack `xapp-`, DSN
passwords, Google, OpenAI/Anthropic, npm, PyPI, Hugging Face, Square, Telegram). Then Yelp's
detect-secrets (`secret_detectors`) scans what is left, line by line, with its maintained
per-service patterns, its keyword detector and its Base64 entropy check on quoted strings.
A redacted secret becomes `[REDACTED:<kind>]` so the text still reads, and the kind tells a
reviewer why. `python -m bench secrets` measures recall and false positives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pmops.safety.secret_scan import any_of, scan_lines

MARK = "[REDACTED:{kind}]"
MIN_KNOWN = 8
"""Shorter known values are not redacted on their own: too many ordinary words match."""


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    group: int = 0
    """The group holding the secret; 0 redacts the whole match."""


def _p(kind: str, pattern: str, group: int = 0, flags: int = 0) -> _Pattern:
    return _Pattern(kind, re.compile(pattern, flags), group)


_PATTERNS: tuple[_Pattern, ...] = (
    # Multi-line blocks first: an unterminated block is redacted to the end of the text.
    _p(
        "private-key",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?"
        r"(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
        flags=re.DOTALL,
    ),
    _p("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})"),
    _p("gitlab-token", r"\bgl(?:pat|dt|rt|ptt)-[A-Za-z0-9_-]{20,}"),
    _p("aws-access-key", r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA)[A-Z0-9]{16}\b"),
    _p(
        "aws-secret-key",
        r"(?i)\baws_?secret_?(?:access_?)?key\b[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})",
        group=1,
    ),
    # AWS CLI / STS JSON: "SecretAccessKey": "...", "SessionToken": "..."
    _p(
        "aws-credentials",
        r"(?i)[\"']?\b(?:aws_?)?(?:secret_?access_?key|session_?token|security_?token)\b[\"']?"
        r"\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{16,})",
        group=1,
    ),
    _p("slack-token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    _p("slack-app-token", r"\bxapp-\d-[A-Za-z0-9-]{10,}"),
    _p(
        "slack-webhook",
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+",
    ),
    _p("api-key", r"\bsk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    _p("stripe-key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    _p("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
    _p("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    _p("npm-token", r"(?i):_authToken\s*=\s*[\"']?([^\s\"']{8,})", group=1),
    _p("pypi-token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    _p("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}\b"),
    _p("square-token", r"\bsq0(?:csp|atp|idp)-[A-Za-z0-9_-]{22,}"),
    _p("telegram-token", r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b"),
    _p("sendgrid-key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
    _p("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    _p(
        "azure-key",
        r"(?i)\b(?:AccountKey|SharedAccessKey|SharedSecret)\s*=\s*([A-Za-z0-9+/=]{16,})",
        group=1,
    ),
    _p("azure-sas", r"(?i)[?&]sig=([A-Za-z0-9%+/=]{20,})", group=1),
    # user:password@ in any URL or connection string (postgres://, redis://, https://...).
    _p("url-credentials", r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s/:@]*:([^\s/@]+)@", group=1),
    _p(
        "authorization",
        r"(?i)\b(?:authorization\s*[:=]\s*[\"']?(?:bearer|basic|token)|bearer)\s+"
        r"([A-Za-z0-9._~+/=-]{12,})",
        group=1,
    ),
    _p(
        "api-key-header",
        r"(?i)\b(?:x-api-key|x-auth-token|x-access-token|api-key|private-token|x-goog-api-key|"
        r"dd-api-key|dd-application-key|x-vault-token)\s*:\s*[\"']?([A-Za-z0-9._~+/=-]{8,})",
        group=1,
    ),
    # Environment assignments: PGPASSWORD=..., DD_API_KEY=..., MYSQL_ROOT_PASSWORD=...
    _p(
        "credential",
        r"\b[A-Z][A-Z0-9_]*(?:PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|"
        r"PRIVATE_?KEY)\b[\"']?\s*[:=]\s*[\"']?(?!\[REDACTED)([^\s\"'`,;]{6,})",
        group=1,
    ),
    # key=value assignments: the value is redacted, the name stays for context.
    _p(
        "credential",
        r"(?i)(?<![a-z0-9])(?:passw(?:or)?d|pwd|passphrase|secret|client_?secret|api_?key|"
        r"apikey|access_?key|auth_?token|access_?token|private_?key|token)(?![a-z0-9])"
        r"[\"']?\s*[:=]\s*"
        r"[\"']?(?!\[REDACTED)([^\s\"',;]{8,})",
        group=1,
    ),
)


_ANY = any_of(p.regex for p in _PATTERNS)
"""All the rules in one: text none of them matches costs one search."""


def redact_secrets(
    text: str, known: Iterable[str] = (), found: set[str] | None = None
) -> tuple[str, int]:
    """Return `text` with every secret replaced by a marker, and how many were replaced.

    `known` are literal secret values (e.g. the API key in use, or secrets found in the
    evidence) redacted wherever they occur, in any letter case (pmops's ranking lowercases
    the words it quotes). Each value found is added to `found` when it is given.
    """
    count = 0
    values = sorted({k for k in known if len(k) >= MIN_KNOWN}, key=len, reverse=True)
    if values:
        alternatives = "|".join(re.escape(v) for v in values)
        text, hits = re.subn(f"(?i){alternatives}", MARK.format(kind="secret"), text)
        count += hits
    if _ANY.search(text):
        for pattern in _PATTERNS:
            text, hits = _apply(pattern, text, found)
            count += hits
    text, hits = scan_lines(text, MARK, found)
    return text, count + hits


def secret_values(texts: Iterable[str]) -> set[str]:
    """The secrets in `texts`, as written: redact them as `known` wherever they turn up."""
    found: set[str] = set()
    for text in texts:
        redact_secrets(text, found=found)
    return {v for v in found if len(v) >= MIN_KNOWN}


def _apply(pattern: _Pattern, text: str, found: set[str] | None) -> tuple[str, int]:
    mark = MARK.format(kind=pattern.kind)

    def replace(match: re.Match[str]) -> str:
        if found is not None:
            found.add(match.group(pattern.group))
        if pattern.group == 0:
            return mark
        start, end = match.span(pattern.group)
        whole = match.group(0)
        offset = match.start()
        return whole[: start - offset] + mark + whole[end - offset :]

    return pattern.regex.subn(replace, text)


def contains_secret(text: str) -> bool:
    """True when `text` holds anything `redact_secrets` would replace."""
    return redact_secrets(text)[1] > 0
