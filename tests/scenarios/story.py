"""Helpers that write scenarios: a clock relative to onset, commit shapes (squash, PR merge,
revert, refactor), deterministic noise commits (docs, tests, CI) and the incident file."""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.scenarios.spec import Append, CommitSpec, FileEdit, Scenario

AUTHORS = (
    "Ana Lima <ana.lima@example.com>",
    "Bilal Haddad <bilal@example.com>",
    "Chen Wei <chen.wei@example.com>",
    "Dana Okafor <dana.okafor@example.com>",
    "Erik Lindqvist <erik@example.com>",
    "Fatima Noor <fatima.noor@example.com>",
    "Grace Kim <grace.kim@example.com>",
    "Hugo Martin <hugo.martin@example.com>",
)
GITHUB = "GitHub <noreply@github.com>"
DEPENDABOT = "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>"
ORG = "acme"
_OFFSET = re.compile(r"^([+-]?)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")

Deploy = tuple[str, str, str] | tuple[str, str, str, str] | tuple[str, str, str, str, str]
"""(offset, commit key or "HEAD", service[, environment[, status]])."""


class Story:
    """Collects the commits of one scenario; times are offsets from the incident start."""

    def __init__(self, name: str, onset: str, base: Mapping[str, str]) -> None:
        self.name = name
        self.onset = datetime.fromisoformat(onset.replace("Z", "+00:00")).astimezone(UTC)
        self.rng = random.Random(zlib.crc32(name.encode()))
        self.commits: list[CommitSpec] = []
        self._counter = 0
        self._kinds: dict[str, int] = {}
        self._pool_start = self.rng.randrange(1000)
        self.commit("base", "-40d", "Initial import", dict(base), author=AUTHORS[0])

    # -------------------------------------------------------------- time

    def at(self, offset: str) -> str:
        """ISO-8601 UTC time of an offset like "-2h10m", "+5m" or "-40d"."""
        match = _OFFSET.match(offset)
        if not match or offset in ("", "+", "-"):
            raise ValueError(f"bad offset {offset!r}")
        sign = -1 if match.group(1) == "-" else 1
        days, hours, minutes = (int(g or 0) for g in match.groups()[1:])
        delta = timedelta(days=days, hours=hours, minutes=minutes)
        return (self.onset + sign * delta).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -------------------------------------------------------------- commit shapes

    def commit(
        self,
        key: str,
        offset: str,
        message: str,
        files: Mapping[str, FileEdit],
        *,
        author: str | None = None,
        **extra: Any,
    ) -> str:
        """A commit pushed straight to main (or to `branch=`); returns its key."""
        author = author or self.rng.choice(AUTHORS)
        self.commits.append(
            CommitSpec(key, self.at(offset), message, dict(files), author=author, **extra)
        )
        return key

    def squash(
        self, key: str, offset: str, title: str, pr: int, files: Mapping[str, FileEdit],
        body: str = "", author: str | None = None,
    ) -> str:
        """A squash merge on GitHub: "Title (#N)", committed by GitHub."""
        message = f"{title} (#{pr})" + (f"\n\n{body}" if body else "")
        return self.commit(key, offset, message, files, author=author, committer=GITHUB)

    def pr(
        self, key: str, offset: str, title: str, pr: int, branch: str,
        steps: Sequence[tuple[str, str, Mapping[str, FileEdit]]],
    ) -> str:
        """A PR branch with `steps` (offset, message, files) merged by a merge commit `key`;
        the branch commits are keyed `key.1`, `key.2`..."""
        author = self.rng.choice(AUTHORS)
        for n, (offset_n, message, files) in enumerate(steps, 1):
            self.commit(f"{key}.{n}", offset_n, message, files, author=author, branch=branch)
        message = f"Merge pull request #{pr} from {ORG}/{branch}\n\n{title}"
        return self.commit(key, offset, message, {}, author=author, committer=GITHUB,
                           merge_of=branch)

    def revert(self, key: str, offset: str, target: str, why: str = "") -> str:
        """`git revert` of an earlier commit, with git's own message."""
        subject = next(c for c in self.commits if c.key == target).message.splitlines()[0]
        message = f'Revert "{subject}"\n\nThis reverts commit {{{{{target}}}}}.'
        if why:
            message += f"\n\n{why}"
        return self.commit(key, offset, message, {}, reverts=target)

    def refactor(
        self, key: str, offset: str, message: str, paths: Sequence[str], old: str, new: str,
        contents: Mapping[str, str],
    ) -> str:
        """A sweeping mechanical change: every path in `paths` gets `old` renamed to `new`
        (and `contents` lists the current text of those paths)."""
        files = {p: contents[p].replace(old, new) for p in paths}
        return self.commit(key, offset, message, files)

    # -------------------------------------------------------------- noise

    def noise(self, count: int, start: str, end: str, lang: str, kinds: str = "dtc") -> None:
        """`count` routine commits between two offsets: d=docs, t=tests, c=CI, o=chores."""
        lo, hi = (datetime.fromisoformat(self.at(x)[:-1]) for x in (start, end))
        span = int((hi - lo).total_seconds() // 60)
        for _ in range(count):
            minute = self.rng.randrange(span + 1)
            kind = self.rng.choice(kinds)
            self._counter += 1
            self._kinds[kind] = nth = self._kinds.get(kind, self._pool_start - 1) + 1
            message, files = _NOISE[kind](self.rng, lang, self._counter, nth)
            when = lo + timedelta(minutes=minute)
            sign = "-" if when < self.onset.replace(tzinfo=None) else "+"
            delta = abs(when - self.onset.replace(tzinfo=None))
            offset = f"{sign}{int(delta.total_seconds() // 60)}m"
            self.commit(f"n{self._counter}", offset, message, files)

    # -------------------------------------------------------------- incident

    def scenario(
        self,
        description: str,
        culprit: str,
        incident: Mapping[str, Any],
        *,
        config: str | None = None,
        hard: bool = False,
        themes: Sequence[str] = (),
    ) -> Scenario:
        """The finished scenario; commits are ordered by time (branch commits first on ties)."""
        order = {c.key: i for i, c in enumerate(self.commits)}
        commits = sorted(self.commits, key=lambda c: (c.at, c.merge_of is not None, order[c.key]))
        return Scenario(self.name, description, tuple(commits), dict(incident), culprit,
                        config, hard, tuple(themes))

    def incident(
        self,
        id: int | str,
        title: str,
        *,
        severity: str = "SEV-2",
        detected: str = "+4m",
        resolved: str = "+1h",
        services: Sequence[str] = (),
        impact: str = "",
        users: int | None = None,
        updates: Sequence[tuple[str, str, str]] = (),
        deploys: Sequence[Deploy] = (),
        alerts: Sequence[tuple[str, str, str, str]] = (),
    ) -> dict[str, Any]:
        """The incident file; call it after every commit is added (deploys of "HEAD" resolve to
        main's head at that time). Updates are (offset, author, text), alerts
        (offset, name, text, service)."""
        doc: dict[str, Any] = {"id": id, "title": title, "severity": severity,
                               "started_at": self.at("0m"), "detected_at": self.at(detected),
                               "resolved_at": self.at(resolved)}
        if services:
            doc["services"] = list(services)
        if impact or users is not None:
            doc["impact"] = {"description": impact} | ({"users_affected": users} if users else {})
        if updates:
            doc["updates"] = [{"at": self.at(o), "author": a, "text": t} for o, a, t in updates]
        if deploys:
            doc["deploys"] = [self._deploy(*d) for d in deploys]
        if alerts:
            doc["alerts"] = [
                {"at": self.at(o), "name": n, "text": t} | ({"service": s} if s else {})
                for o, n, t, s in alerts
            ]
        return doc

    def _deploy(self, offset: str, ref: str, service: str, environment: str = "production",
                status: str = "success") -> dict[str, str]:
        at = self.at(offset)
        if ref == "HEAD":
            main = [c for c in self.commits if c.branch is None and c.at <= at]
            ref = max(main, key=lambda c: c.at).key
        width = self.rng.choice(("", ":7", ":7", ":12"))
        entry = {"at": at, "sha": f"{{{{{ref}{width}}}}}"}
        if service:
            entry["service"] = service
        return entry | {"environment": environment, "status": status}


def config_yaml(services: Mapping[str, Sequence[str]]) -> str:
    """A `.github/pmops.yml` mapping services to path globs."""
    lines = ["# pmops configuration", "plan: pro", "services:"]
    for name, globs in services.items():
        lines.append(f"  {name}:")
        lines.extend(f'    - "{g}"' for g in globs)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ noise commits

_TOPICS = ("pagination", "empty_input", "unicode_names", "retry_backoff", "timezone_parsing",
           "health_endpoint", "large_payload", "missing_header", "duplicate_ids", "negative_amount",
           "expired_token", "trailing_slash")
_DOCS = (
    ("Fix typo in runbook", "docs/runbook.md",
     "\n- Check the dashboard links before paging the secondary.\n"),
    ("docs: document the on-call escalation path", "docs/oncall.md",
     "\n## Escalation\n\nPage the secondary after 15 minutes without acknowledgement.\n"),
    ("docs: add FAQ entry about API rate limits", "docs/faq.md",
     "\n### Why do I get HTTP 429?\n\nClients are limited per token; see the limits table.\n"),
    ("Update README setup instructions", "README.md",
     "\nRun `make dev` to start the dependencies with docker compose.\n"),
    ("docs: add ADR for structured logging", "docs/adr/structured-logging.md",
     "\n# Structured logging\n\nStatus: accepted. Logs are JSON lines with a request id.\n"),
    ("docs: clarify local TLS setup", "docs/development.md",
     "\nUse `mkcert` to create a local certificate for development.\n"),
)
_CI = (
    ("ci: cache dependency downloads", "      - uses: actions/cache@v4\n"
     "        with:\n          path: ~/.cache\n"
     "          key: deps-${{ hashFiles('**/*.lock') }}\n"),
    ("ci: upload test reports", "      - uses: actions/upload-artifact@v4\n"
     "        with:\n          name: test-report\n          path: reports/\n"),
    ("ci: run the linter on pull requests", "      - run: make lint\n"),
    ("ci: print tool versions for debugging", "      - run: make versions\n"),
)
_CHORES = (
    ("chore: ignore local env files", ".gitignore", ".env.local\n"),
    ("chore: add editorconfig", ".editorconfig", "root = true\n[*]\nindent_style = space\n"),
    ("chore: update CODEOWNERS for docs", ".github/CODEOWNERS", "/docs/ @acme/tech-writers\n"),
)


def _noise_docs(
    rng: random.Random, lang: str, n: int, nth: int
) -> tuple[str, dict[str, FileEdit]]:
    message, path, text = _DOCS[nth % len(_DOCS)]
    return message, {path: Append(text)}


def _noise_test(
    rng: random.Random, lang: str, n: int, nth: int
) -> tuple[str, dict[str, FileEdit]]:
    topic = rng.choice(_TOPICS)
    camel = "".join(w.title() for w in topic.split("_"))
    message = rng.choice(("Add test for {}", "tests: cover {}", "Deflake {} test")).format(
        topic.replace("_", " "))
    if lang == "go":
        body = f"\nfunc Test{camel}{n}(t *testing.T) {{\n\tt.Parallel()\n" \
               f"\tif got := normalize(\"{topic}\"); got == \"\" {{\n" \
               f"\t\tt.Fatalf(\"normalize returned empty\")\n\t}}\n}}\n"
        return message, {"internal/server/server_test.go": Append(body)}
    if lang == "ts":
        body = f"\ntest('{topic.replace('_', ' ')} #{n}', () => {{\n" \
               f"  expect(normalize('{topic}')).not.toBe('');\n}});\n"
        return message, {"tests/app.test.ts": Append(body)}
    if lang == "rs":
        body = f"\n#[test]\nfn {topic}_{n}() {{\n" \
               f"    assert!(!normalize(\"{topic}\").is_empty());\n}}\n"
        return message, {"tests/smoke.rs": Append(body)}
    body = f"\n\ndef test_{topic}_{n}(client):\n    response = client.get(\"/healthz\")\n" \
           f"    assert response.status_code == 200\n"
    return message, {"tests/test_app.py": Append(body)}


def _noise_ci(
    rng: random.Random, lang: str, n: int, nth: int
) -> tuple[str, dict[str, FileEdit]]:
    message, step = _CI[nth % len(_CI)]
    return message, {".github/workflows/ci.yml": Append(step)}


def _noise_chore(
    rng: random.Random, lang: str, n: int, nth: int
) -> tuple[str, dict[str, FileEdit]]:
    message, path, text = _CHORES[nth % len(_CHORES)]
    return message, {path: Append(text)}


# Each kind's pool is walked in order from a per-story start (`nth`), so a repository repeats
# a docs/CI/chore commit only after it has used the whole pool.
_NOISE = {"d": _noise_docs, "t": _noise_test, "c": _noise_ci, "o": _noise_chore}
