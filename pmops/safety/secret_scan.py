"""Yelp's detect-secrets as pmops's maintained secret detector (`redact.redact_secrets` runs it
after the project's own rules).

Its plugins are used in-process, without its baseline or settings machinery: the per-service
regular-expression detectors (AWS, Artifactory, Azure storage, basic auth, Cloudant, Discord,
GitHub, GitLab, IBM, JWT, Mailchimp, npm, OpenAI, private keys, PyPI, SendGrid, Slack,
SoftLayer, Square, Stripe, Telegram, Twilio) replace their whole match; the keyword detector
and the Base64 entropy check on quoted strings give the secret value, replaced wherever it
stands on the line. Not used: the public-IP detector (an address is not a secret), the hex
entropy check (commit SHAs are hex) and the npm detector, whose `//.+/:_authToken=` pattern
is cubic on a line of slashes (`redact` has linear npm rules). Lines are scanned in pieces of
at most `CHUNK` characters, cut at blanks, so no detector's pattern sees a long line whole.
The plugins are imported on first use: the import (which pulls in `requests`) costs one to two
seconds on a busy machine, which commands writing nothing need not pay.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_REGEX_PLUGINS = (
    "artifactory.ArtifactoryDetector", "aws.AWSKeyDetector",
    "azure_storage_key.AzureStorageKeyDetector", "basic_auth.BasicAuthDetector",
    "cloudant.CloudantDetector", "discord.DiscordBotTokenDetector",
    "github_token.GitHubTokenDetector", "gitlab_token.GitLabTokenDetector",
    "ibm_cloud_iam.IbmCloudIamDetector", "ibm_cos_hmac.IbmCosHmacDetector", "jwt.JwtTokenDetector",
    "mailchimp.MailchimpDetector", "openai.OpenAIDetector",
    "private_key.PrivateKeyDetector", "pypi_token.PypiTokenDetector",
    "sendgrid.SendGridDetector", "slack.SlackDetector", "softlayer.SoftlayerDetector",
    "square_oauth.SquareOAuthDetector", "stripe.StripeDetector",
    "telegram_token.TelegramBotTokenDetector", "twilio.TwilioKeyDetector",
)  # fmt: skip
MIN_LINE = 8
"""No secret any detector knows is shorter: shorter lines are not scanned."""
CHUNK = 2_000
"""Longest piece of a line a detector sees: bounds what a backtracking pattern can cost, and
no secret format is longer (a piece is cut at a blank; a longer run without one, at CHUNK)."""
_LINE_FILE = "evidence.txt"
"""The file name the keyword detector is told: plain text (quoted values after a keyword)."""


_KEYWORD_HINT = re.compile(r"(?i)key|pass|pwd|secret|contrase")
"""Every keyword of the keyword detector's list holds one of these: a line without is skipped."""
_QUOTES = ("'", '"')
"""The entropy check reads quoted strings only."""


@dataclass(frozen=True)
class _Detectors:
    regexes: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]
    keyword: Any
    entropy: Any
    any_regex: re.Pattern[str]
    """All the regexes in one: a line none of them matches costs one search, not 30."""


@lru_cache(maxsize=1)
def _detectors() -> _Detectors:
    base = "detect_secrets.plugins."
    regexes = []
    for name in _REGEX_PLUGINS:
        module, cls = name.split(".")
        plugin = getattr(importlib.import_module(base + module), cls)()
        regexes.append((_kind(plugin.secret_type), tuple(plugin.denylist)))
    keyword = importlib.import_module(base + "keyword").KeywordDetector()
    entropy = importlib.import_module(base + "high_entropy_strings").Base64HighEntropyString()
    return _Detectors(tuple(regexes), keyword, entropy, any_of(p for _, ps in regexes for p in ps))


def any_of(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str]:
    """One pattern matching where any of `patterns` matches (each keeps its own flags)."""
    flags = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))
    parts = [  # a leading `(?i)` is in `p.flags` already; inside the join it must be scoped
        f"(?{''.join(letter for flag, letter in flags if p.flags & flag)}:"
        f"{_GLOBAL_FLAGS.sub('', p.pattern, count=1)})"
        for p in patterns
    ]
    return re.compile("|".join(parts))


_GLOBAL_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")


def _kind(secret_type: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")


def scan_lines(text: str, mark: str, found: set[str] | None = None) -> tuple[str, int]:
    """`text` with what detect-secrets finds replaced by `mark.format(kind=...)`, and the count;
    each secret found is added to `found` when it is given."""
    detectors = _detectors()
    count = 0
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if len(line) < MIN_LINE:
            continue
        pieces = [_scan_piece(detectors, piece, mark, found) for piece in _pieces(line)]
        lines[n] = "".join(p for p, _ in pieces)
        count += sum(c for _, c in pieces)
    return "\n".join(lines) if count else text, count


def _pieces(line: str) -> list[str]:
    """`line` cut into pieces of at most CHUNK characters, each ending at a blank if it can."""
    pieces, start = [], 0
    while len(line) - start > CHUNK:
        cut = line.rfind(" ", start + CHUNK // 2, start + CHUNK) + 1 or start + CHUNK
        pieces.append(line[start:cut])
        start = cut
    return [*pieces, line[start:]]


def _scan_piece(
    detectors: _Detectors, line: str, mark: str, found: set[str] | None
) -> tuple[str, int]:
    count = 0
    if detectors.any_regex.search(line):
        for kind, patterns in detectors.regexes:
            for pattern in patterns:
                if found is not None:
                    found.update(m.group(0) for m in pattern.finditer(line))
                line, hits = pattern.subn(mark.format(kind=kind), line)
                count += hits
    values = _found(detectors, line)
    if found is not None:
        found.update(v for _, v in values if "REDACTED" not in v)
    line, hits = _values(line, values, mark)
    return line, count + hits


def _found(detectors: _Detectors, line: str) -> list[tuple[str, str]]:
    found = []
    if _KEYWORD_HINT.search(line):
        found += [
            ("secret-keyword", s.secret_value or "")
            for s in detectors.keyword.analyze_line(filename=_LINE_FILE, line=line, line_number=0)
        ]
    if not any(q in line for q in _QUOTES):
        return found
    entropy = detectors.entropy
    found += [
        ("high-entropy-string", value)
        for value in entropy.analyze_string(line)
        if entropy.calculate_shannon_entropy(value) > entropy.entropy_limit
    ]
    return found


def _values(line: str, found: list[tuple[str, str]], mark: str) -> tuple[str, int]:
    count = 0
    for kind, value in sorted(found, key=lambda f: -len(f[1])):
        if len(value) >= 6 and "REDACTED" not in value and value in line:
            count += line.count(value)
            line = line.replace(value, mark.format(kind=kind))
    return line, count
