"""What a changed path is: its kind (config, dependency, migration, ...) and its services."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import PurePosixPath

RISKY_KINDS = ("config", "dependency", "migration", "flag", "infra", "build", "schedule")
"""Kinds of file whose change often breaks production (DESIGN §6)."""

NOISE_KINDS = ("docs", "test", "ci")
"""Kinds of file whose change alone rarely breaks production."""

_DEPENDENCY_FILES = frozenset(
    """requirements.txt requirements-dev.txt constraints.txt pipfile pipfile.lock poetry.lock
    pyproject.toml setup.py setup.cfg uv.lock package.json package-lock.json yarn.lock
    pnpm-lock.yaml go.mod go.sum cargo.toml cargo.lock gemfile gemfile.lock pom.xml
    build.gradle build.gradle.kts composer.json composer.lock mix.exs mix.lock deps.edn
    packages.config directory.packages.props vcpkg.json conanfile.txt deps .gitmodules go.work
    go.work.sum""".split()
)
_BUILD_FILES = frozenset(
    """makefile cmakelists.txt dockerfile containerfile build.bazel build workspace meson.build
    build.ninja configure.ac bazelrc .bazelrc justfile module.bazel""".split()
)
_CONFIG_SUFFIXES = frozenset(
    ".yml .yaml .json .toml .ini .cfg .conf .env .properties .hcl .tfvars .xml .plist".split()
)
_DOC_SUFFIXES = frozenset(".md .rst .txt .adoc .png .jpg .jpeg .svg .gif".split())
_TEST_PATTERN = re.compile(
    r"(^|/)(tests?|__tests__|spec|specs|testdata|fixtures|e2e)(/|$)|(^|/)test_[^/]*$"
    r"|_test\.[a-z]+$|\.(test|spec)\.[a-z]+$|Tests?\.[a-z]+$"
)
_FLAG_PATTERN = re.compile(
    r"(feature[-_]?flags?|flags?|toggles?|launchdarkly|unleash|experiments?(?![a-z]))"
)
"""`experiments.json` is a flag file; `experimental/` is code not yet stable, not a flag."""
_SCHEDULE_PATTERN = re.compile(r"(^|/|[-_.])(cron\w*|crontab|schedules?|timers?)([-_./]|$)")
_JOB_PATTERN = re.compile(r"(^|/|[-_.])jobs?([-_./]|$)")
_MIGRATION_PATTERN = re.compile(r"(^|/)(migrations?|migrate|alembic|db/migrate|schema)(/|$)")
_INFRA_PATTERN = re.compile(
    r"(^|/)(terraform|helm|charts|k8s|kubernetes|deploy|deployments?|infra|ansible|manifests?)(/|$)"
    r"|\.tf$"
)

GENERIC_SERVICE_WORDS = frozenset(
    "service services svc api app apps server web backend frontend worker core main".split()
)
"""Words too common in service names to identify one on their own."""


@lru_cache(maxsize=65536)
def path_kinds(path: str) -> frozenset[str]:
    """Kinds of a path: config, dependency, migration, flag, infra, build, schedule, docs, test,
    ci. A schedule (cron) change acts when the job next runs, not when it lands."""
    lower = path.lower()
    name = PurePosixPath(lower).name
    suffix = PurePosixPath(lower).suffix
    kinds = set()
    if lower.startswith((".github/", ".circleci/", ".gitlab-ci", ".buildkite/")) or name in (
        ".travis.yml",
        "jenkinsfile",
        "azure-pipelines.yml",
    ):
        kinds.add("ci")
    if _TEST_PATTERN.search(path):
        kinds.add("test")
    known = name in _DEPENDENCY_FILES or name in _BUILD_FILES or name.startswith("requirements")
    if suffix in _DOC_SUFFIXES and not known or lower.startswith("docs/"):
        kinds.add("docs")
    if name in _DEPENDENCY_FILES or name.endswith((".csproj", ".lock")):
        kinds.add("dependency")
    if name in _BUILD_FILES or name.endswith((".bzl", ".cmake", ".mk", ".gn", ".gni")):
        kinds.add("build")
    if _MIGRATION_PATTERN.search(lower) or suffix == ".sql":
        kinds.add("migration")
    if _FLAG_PATTERN.search(lower):
        kinds.add("flag")
    if _SCHEDULE_PATTERN.search(lower) or (
        _JOB_PATTERN.search(lower) and suffix in _CONFIG_SUFFIXES
    ):
        kinds.add("schedule")
    if _INFRA_PATTERN.search(lower):
        kinds.add("infra")
    if suffix in _CONFIG_SUFFIXES and "dependency" not in kinds and "ci" not in kinds:
        kinds.add("config")
    if "/config/" in f"/{lower}" or "/conf/" in f"/{lower}" or name.startswith(".env"):
        kinds.add("config")
    return frozenset(kinds)


def is_noise(paths: Iterable[str], relevant: frozenset[str] = frozenset()) -> bool:
    """True when every path is docs, tests or CI (and there is at least one); kinds in
    `relevant` (the incident is about them, see `incident_kinds`) are not noise."""
    paths = list(paths)
    noise = set(NOISE_KINDS) - relevant
    return bool(paths) and all(
        path_kinds(p) & noise and not path_kinds(p) & relevant for p in paths
    )


_TOPICS = {
    "ci": re.compile(
        r"\b(builders?|build(s|ing)?|ci|jobs?|workflows?|pipelines?|runners?|"
        r"releases?|actions?)\b",
        re.IGNORECASE,
    ),
    "test": re.compile(r"\b(tests?|flaky|flakes?|Test[A-Z]\w+|\w+_test|test_\w+)\b"),
    "docs": re.compile(r"\b(docs?|documentation|readme)\b", re.IGNORECASE),
}


def incident_kinds(text: str) -> frozenset[str]:
    """Kinds of files the incident is about (a broken builder is about CI files)."""
    return frozenset(kind for kind, pattern in _TOPICS.items() if pattern.search(text))


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _glob_match(path: str, pattern: str) -> bool:
    """fnmatch (`*` crosses `/`), or the pattern names a folder that contains the path."""
    pattern = pattern.lstrip("/")
    return fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("/") + "/")


def services_of(
    path: str, services: Iterable[str], globs: Mapping[str, tuple[str, ...]]
) -> set[str]:
    """Services a path belongs to: by configured globs, else by a path segment naming it."""
    return set(_services_of(path, tuple(services), tuple(sorted(globs.items()))))


@lru_cache(maxsize=65536)
def _services_of(
    path: str, services: tuple[str, ...], globs: tuple[tuple[str, tuple[str, ...]], ...]
) -> frozenset[str]:
    found = {name for name, pats in globs if any(_glob_match(path, p) for p in pats)}
    if found:
        return frozenset(found)
    segments = [_normal(s) for s in PurePosixPath(path).parts[:-1]] + [
        _normal(PurePosixPath(path).stem)
    ]
    for service in services:
        normal = _normal(service)
        tokens = [t for t in re.split(r"[^a-z0-9]+", service.lower()) if t]
        distinctive = [t for t in tokens if t not in GENERIC_SERVICE_WORDS and len(t) >= 3]
        if normal in segments or any(t in segments for t in distinctive):
            found.add(service)
    return frozenset(found)


MONOREPO_ROOTS = ("services", "apps", "packages", "cmd", "components", "libs")


def component_of(path: str) -> str | None:
    """The component folder of a monorepo path (services/x, apps/x, packages/x, cmd/x)."""
    parts = PurePosixPath(path).parts
    if len(parts) >= 3 and parts[0] in MONOREPO_ROOTS:
        return parts[1]
    return None
