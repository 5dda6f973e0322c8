"""Load the JSON Schemas in schemas/ and validate documents against them."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import jsonschema.validators
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from pmops.resources import resource_dir

SCHEMA_NAMES = ("postmortem", "history", "config", "incident", "draft", "rerank")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Return the parsed schema `schemas/<name>.schema.json`."""
    path = resource_dir("schemas") / f"{name}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _registry() -> Registry:
    resources = []
    for name in SCHEMA_NAMES:
        schema = load_schema(name)
        resource = Resource.from_contents(schema)
        resources.append((schema["$id"], resource))
        resources.append((f"{name}.schema.json", resource))
    return Registry().with_resources(resources)


def _finite_number(checker: Any, instance: Any) -> bool:
    """JSON has no NaN or infinity, but YAML does (`.nan`, `.inf`): such a value is not a
    `number` to any of pmops's schemas (NaN passes every comparison a schema can make)."""
    return bool(Draft202012Validator.TYPE_CHECKER.is_type(instance, "number")) and (
        not isinstance(instance, float) or math.isfinite(instance)
    )


_Validator = jsonschema.validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("number", _finite_number),
)


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for one schema, with cross-schema references resolved locally; a `number`
    is finite."""
    return _Validator(  # type: ignore[no-any-return]
        load_schema(name), registry=_registry(), format_checker=FormatChecker()
    )


@cache
def _fast_check(name: str) -> Callable[[Any], bool] | None:
    """jsonschema-rs's compiled validity check of a schema that refers to no other file (None
    without the library or for one that does)."""
    schema = load_schema(name)
    if re.search(r'"\$ref": "[^#]', json.dumps(schema)):
        return None  # a reference to another schema file: the reference validator resolves it
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs.validator_for(schema).is_valid  # type: ignore[no-any-return]


def _plain_finite(value: Any, depth: int = 0) -> bool:
    """Whether `value` is JSON data with finite numbers only (what both validators read alike)."""
    if depth > 64:
        return False
    if isinstance(value, str | bool | int) or value is None:
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_finite(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_finite(v, depth + 1) for v in value)
    return False


def iter_errors(name: str, document: Any) -> Iterator[ValidationError]:
    """Yield the validation errors of `document`, in a stable order (by path, then message).

    A valid document is recognized by jsonschema-rs when it is installed (some 300 times
    faster: the site build validates every file); only its "valid" is trusted, anything else
    goes to the reference validator, which finds and explains the errors."""
    fast = _fast_check(name)
    if fast is not None and _plain_finite(document):
        try:
            if fast(document):
                return
        except (ValueError, TypeError, OverflowError):
            pass  # what the compiled check cannot read, the reference validator decides
    errors = validator(name).iter_errors(document)
    yield from sorted(errors, key=lambda e: ([str(p) for p in e.absolute_path], e.message))


SHOWN_CHARS = 80
"""A value longer than this is shortened in a message (a 50 KB title is not echoed back)."""


def describe(error: ValidationError) -> str:
    """A one-line message: the dotted key path and what is wrong with it."""
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        return f"{path + ': ' if path else ''}{error.message}"
    shown = shown_value(error.instance)
    if error.validator == "type" and isinstance(error.instance, float):
        return f"{path or 'document'}: {shown} is not a finite number"
    if error.validator in ("oneOf", "anyOf") and error.instance is not None:
        return f"{path or 'document'}: {shown} is not a valid value"
    if error.validator in ("maxLength", "maxItems"):
        unit = "characters" if error.validator == "maxLength" else "items"
        return f"{path or 'document'}: {shown} is too long (at most {error.validator_value} {unit})"
    if error.validator == "pattern" and "description" in error.schema:
        return f"{path}: {shown} is invalid: {error.schema['description']}"
    return f"{path or 'document'}: {error.message.replace(repr(error.instance), shown)}"


def shown_value(value: Any) -> str:
    """`repr(value)`, or its start and size when that is longer than SHOWN_CHARS."""
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    if isinstance(value, str):
        return f"{value[: SHOWN_CHARS // 2]!r}... ({len(value):,} characters)"
    if isinstance(value, list | tuple):
        return f"a list of {len(value):,} items"
    if isinstance(value, dict):
        return f"an object of {len(value):,} keys"
    return text[:SHOWN_CHARS] + "..."
