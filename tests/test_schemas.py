"""The schemas are valid, and the code's enums and defaults agree with them."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from pmops.config import BACKENDS, PLAN_LIMITS
from pmops.documents.render import KNOWN_KEYS
from pmops.documents.schemas import SCHEMA_NAMES, load_schema
from pmops.model import Confidence, EventSource, Priority, Severity, Status


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid(name: str) -> None:
    Draft202012Validator.check_schema(load_schema(name))


def test_enums_match_the_model() -> None:
    pm = load_schema("postmortem")["properties"]
    assert pm["severity"]["enum"] == [s.value for s in Severity]
    assert pm["status"]["enum"] == [s.value for s in Status]
    assert pm["confidence"]["enum"] == [c.value for c in Confidence]
    assert pm["action_items"]["items"]["properties"]["priority"]["enum"] == [
        p.value for p in Priority
    ]
    draft = load_schema("draft")["properties"]
    assert draft["timeline"]["items"]["properties"]["source"]["enum"] == [
        s.value for s in EventSource
    ]
    assert set(load_schema("config")["properties"]["plan"]["enum"]) == set(PLAN_LIMITS)
    assert set(load_schema("config")["$defs"]["observability"]["properties"]) == set(BACKENDS)


def test_known_frontmatter_keys_are_the_schema_properties() -> None:
    assert set(KNOWN_KEYS) == set(load_schema("postmortem")["properties"])
