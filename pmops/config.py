"""`.github/pmops.yml`: loaded with ruamel.yaml, validated by schemas/config.schema.json.

Defaults live in the schema (its `default` keywords) and nowhere else; errors name the key
and its line.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from ruamel.yaml.comments import CommentedMap

from pmops.documents.doc_template import DocumentTemplate, read_local
from pmops.documents.document import line_of, load_yaml, plain, read_text
from pmops.documents.schemas import describe, iter_errors, load_schema
from pmops.documents.sections import STANDARD, Layout, parse_layout
from pmops.errors import ConfigError, InputError
from pmops.follow.config import FollowConfig, parse_follow

CONFIG_PATH = ".github/pmops.yml"

PLAN_LIMITS = {"free": 0, "starter": 5, "pro": 50}
"""New postmortems per calendar month (UTC) by plan (DESIGN §5)."""

BACKENDS = ("prometheus", "loki", "datadog", "cloudwatch")


@dataclass(frozen=True)
class ModelConfig:
    """An OpenAI-compatible model; `name` None means the deterministic drafter."""

    name: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.2
    timeout_s: float = 120
    max_output_tokens: int = 4000
    prompt_token_budget: int = 12000
    rerank: bool = False


@dataclass(frozen=True)
class QueryConfig:
    """One named metric or log query."""

    name: str
    query: str
    unit: str = ""
    service: str = ""


@dataclass(frozen=True)
class BackendConfig:
    """One observability backend; `auth` maps a role (bearer_token_env...) to a variable name."""

    kind: str
    queries: tuple[QueryConfig, ...]
    url: str | None = None
    region: str | None = None
    auth: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 10
    padding_minutes: int = 30


@dataclass(frozen=True)
class Config:
    """The validated configuration with every default applied."""

    ai: bool
    plan: str
    monthly_limit: int | None
    incident_label: str
    resolved_label: str
    postmortems_dir: str
    lookback_hours: float
    services: Mapping[str, tuple[str, ...]]
    repositories: tuple[str, ...]
    model: ModelConfig
    allowed_link_hosts: tuple[str, ...]
    request_budget: int
    observability: tuple[BackendConfig, ...]
    follow: FollowConfig  # action items, required postmortems, reminders, sign-off
    sections: Layout = STANDARD
    """The postmortem's sections (pmops.documents.sections): the standard ten unless `sections`
    says."""
    document: DocumentTemplate | None = None
    """The repository's own document template (pmops.documents.doc_template), read with the
    config."""

    @property
    def quota_limit(self) -> int:
        """New postmortems allowed per month: `monthly_limit` if set, else the plan's."""
        return self.monthly_limit if self.monthly_limit is not None else PLAN_LIMITS[self.plan]


_NO_DEFAULT = object()


def schema_defaults(schema: Mapping[str, Any]) -> Any:
    """The default document a schema describes: `default` keywords, objects filled in."""
    value = _defaults(schema)
    return None if value is _NO_DEFAULT else value


def _defaults(schema: Mapping[str, Any]) -> Any:
    if "$ref" in schema:  # a reusable optional structure: present only when the user writes it
        return _NO_DEFAULT
    if "default" in schema:
        return schema["default"]
    if schema.get("type") == "object" and "properties" in schema:
        result = {}
        for key, sub in schema["properties"].items():
            value = _defaults(sub)
            if value is not _NO_DEFAULT:
                result[key] = value
        return result
    return _NO_DEFAULT


def _merge(defaults: Any, given: Any) -> Any:
    if isinstance(defaults, dict) and isinstance(given, Mapping):
        merged = dict(defaults)
        for key, value in given.items():
            merged[key] = _merge(defaults.get(key), value)
        return merged
    return given


def _messages(error: ValidationError, raw: Any, name: str) -> list[str]:
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = sorted(error.schema.get("properties", {}))
        node: Any = raw
        for key in path:
            node = node[key]
        result = []
        for key in error.instance:
            if key in known:
                continue
            dotted = ".".join(str(p) for p in [*path, key])
            hint = difflib.get_close_matches(str(key), known, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else f" (known: {', '.join(known)})"
            line = line_of(raw, [*path, key])
            result.append(f"{name}:{line}: unknown key '{dotted}'{suggestion}")
        return result
    return [f"{name}:{line_of(raw, path)}: {describe(error)}"]


def parse_config(text: str, name: str = CONFIG_PATH) -> Config:
    """Validate YAML text and build a Config; ConfigError lists every problem with its line."""
    try:
        raw = load_yaml(text, name)
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    if raw is None:
        raw = CommentedMap()
    if not isinstance(raw, CommentedMap):
        raise ConfigError(f"{name}:1: the configuration must be a mapping of keys to values")
    data = plain(raw)
    problems = [m for e in iter_errors("config", data) for m in _messages(e, raw, name)]
    problems.sort(key=lambda m: int(m.split(":")[1]) if m.split(":")[1].isdigit() else 0)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return build_config(_merge(schema_defaults(load_schema("config")), data))


def load_config(repo: Path) -> Config:
    """Read `<repo>/.github/pmops.yml`, or use the defaults when there is none."""
    path = repo / CONFIG_PATH
    if not path.is_file():
        return replace(default_config(), document=read_local(repo))
    try:
        text = read_text(path)
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    return replace(parse_config(text, CONFIG_PATH), document=read_local(repo))


def default_config() -> Config:
    """The configuration of a repository with no config file."""
    return parse_config("")


def parse_backends(data: Mapping[str, Any]) -> tuple[BackendConfig, ...]:
    """Observability backends from a schema-valid mapping, in a stable order."""
    defaults = schema_defaults(load_schema("config")["$defs"]["backend"])
    result = []
    for kind in BACKENDS:
        if kind not in data:
            continue
        spec = _merge(defaults, data[kind])
        queries = tuple(
            QueryConfig(q["name"], q["query"], q.get("unit", ""), q.get("service", ""))
            for q in spec["queries"]
        )
        result.append(
            BackendConfig(
                kind=kind,
                queries=queries,
                url=spec.get("url"),
                region=spec.get("region"),
                auth=dict(spec.get("auth", {})),
                timeout_s=spec["timeout_s"],
                padding_minutes=spec["padding_minutes"],
            )
        )
    return tuple(result)


def build_config(data: Mapping[str, Any]) -> Config:
    """A Config from validated data with defaults merged in."""
    return Config(
        ai=data["ai"],
        plan=data["plan"],
        monthly_limit=data["monthly_limit"],
        incident_label=data["labels"]["incident"],
        resolved_label=data["labels"]["resolved"],
        postmortems_dir=data["postmortems_dir"].strip("/"),
        lookback_hours=float(data["lookback_hours"]),
        services={k: tuple(v) for k, v in data["services"].items()},
        repositories=tuple(data["repositories"]),
        model=ModelConfig(**data["model"]),
        allowed_link_hosts=tuple(data["allowed_link_hosts"]),
        request_budget=data["github"]["request_budget"],
        observability=parse_backends(data.get("observability", {})),
        sections=parse_layout(data.get("sections")),
        follow=parse_follow(data),
    )
