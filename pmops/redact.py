"""Redact secrets from text before it leaves the machine (model requests).

The patterns follow the token formats GitHub secret scanning knows (GitHub, AWS, Slack,
OpenAI, Stripe, Google, npm, PyPI), plus private key blocks, JWTs, credentials in URLs and
connection strings, authorization headers and `password=...`-style assignments. A redacted
secret becomes `[REDACTED:<kind>]` so the text still reads, and the kind tells a reviewer why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MARK = "[REDACTED:{kind}]"


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
    _p("aws-access-key", r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA)[A-Z0-9]{16}\b"),
    _p(
        "aws-secret-key",
        r"(?i)\baws_?secret_?(?:access_?)?key\b[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})",
        group=1,
    ),
    _p("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    _p("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]+"),
    _p("api-key", r"\bsk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    _p("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    _p("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
    _p("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    _p("pypi-token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    _p("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    # user:password@ in any URL or connection string (postgres://, redis://, https://...).
    _p("url-credentials", r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s/:@]*:([^\s/@]+)@", group=1),
    _p(
        "authorization",
        r"(?i)\b(?:authorization\s*[:=]\s*[\"']?(?:bearer|basic|token)|bearer)\s+"
        r"([A-Za-z0-9._~+/=-]{12,})",
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


def redact_secrets(text: str, known: Iterable[str] = ()) -> tuple[str, int]:
    """Return `text` with every secret replaced by a marker, and how many were replaced.

    `known` are literal secret values (e.g. the API key in use) redacted wherever they occur.
    """
    count = 0
    for value in sorted({k for k in known if len(k) >= 8}, key=len, reverse=True):
        hits = text.count(value)
        if hits:
            text = text.replace(value, MARK.format(kind="secret"))
            count += hits
    for pattern in _PATTERNS:
        text, hits = _apply(pattern, text)
        count += hits
    return text, count


def _apply(pattern: _Pattern, text: str) -> tuple[str, int]:
    mark = MARK.format(kind=pattern.kind)

    def replace(match: re.Match[str]) -> str:
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
