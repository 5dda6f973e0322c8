"""`.github/pmops.yml`: defaults from the schema, errors that name the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmops.config import PLAN_LIMITS, default_config, load_config, parse_config
from pmops.errors import ConfigError


def test_defaults_come_from_the_schema() -> None:
    config = default_config()
    assert config.ai is True and config.plan == "starter" and config.quota_limit == 5
    assert (config.incident_label, config.resolved_label) == ("incident", "resolved")
    assert config.lookback_hours == 24 and config.model.name is None
    assert config.model.api_key_env == "OPENAI_API_KEY" and config.observability == ()


def test_a_repository_without_config_uses_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == default_config()


def test_values_and_nested_defaults() -> None:
    config = parse_config("""
plan: pro
labels: {resolved: done}
model: {name: gpt-4o-mini, base_url: "http://localhost:8080/v1"}
services:
  auth-service: [services/auth/**, charts/auth/]
observability:
  prometheus:
    url: http://prom:9090
    queries:
      - {name: error_rate, query: 'sum(rate(http_errors_total[5m]))', unit: "%"}
""")
    assert config.quota_limit == PLAN_LIMITS["pro"] == 50
    assert (config.incident_label, config.resolved_label) == ("incident", "done")
    assert config.model.name == "gpt-4o-mini" and config.model.temperature == 0.2
    assert config.services == {"auth-service": ("services/auth/**", "charts/auth/")}
    (prom,) = config.observability
    assert prom.kind == "prometheus" and prom.timeout_s == 10 and prom.padding_minutes == 30
    assert prom.queries[0].unit == "%"


def test_monthly_limit_overrides_the_plan() -> None:
    assert parse_config("plan: free\nmonthly_limit: 12\n").quota_limit == 12
    assert parse_config("plan: free\n").quota_limit == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ai: yes\n", "pmops.yml:1: ai: 'yes' is not of type 'boolean'"),
        ("plan: gold\n", "pmops.yml:1: plan: 'gold' is not one of"),
        ("ai: true\nlabls: {}\n", "pmops.yml:2: unknown key 'labls'; did you mean 'labels'?"),
        ("labels:\n  resolvd: x\n", "pmops.yml:2: unknown key 'labels.resolvd'; did you mean"),
        ("model:\n  temperature: hot\n", "pmops.yml:2: model.temperature: 'hot' is not of type"),
        ("lookback_hours: -1\n", "lookback_hours: -1 is less than or equal to the minimum"),
        ("repositories: [not a repo]\n", "repositories.0"),
        ("- a\n", "must be a mapping"),
        ("ai: [\n", "invalid YAML"),
    ],
)
def test_errors_name_the_key_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(text)
    assert message in str(error.value)


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config("ai: 1\nplan: x\nfoo: 1\n")
    assert str(error.value).count("pmops.yml:") == 3


def test_unreadable_config_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "pmops.yml").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="binary"):
        load_config(tmp_path)
