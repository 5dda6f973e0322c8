"""Checks requests and responses of the fake against GitHub's OpenAPI description.

Uses ``openapi-schema-validator`` (OAS 3.0 read/write validators over
``jsonschema`` + ``referencing``) directly rather than ``openapi-core``: the
fake already knows each request's operation (routes are keyed by the spec's
path template), so only body validation is needed; openapi-core would re-find
the path (ambiguous for templates whose ``{ref}``/``{path}`` hold slashes),
cast and reject query/header parameters on the first error, and cost more per
request. Here every error of a body is collected with its JSON path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_PATH = Path(__file__).with_name("openapi.trimmed.json")
_URI = "urn:github-rest"


@dataclass(frozen=True)
class Violation:
    """One way the fake (or a client) broke the contract."""

    kind: str  # unknown-operation | unserved | request-body | response-status | response-body
    method: str
    path: str
    template: str
    status: int
    message: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.method} {self.template or self.path} -> {self.status}: " \
               f"{self.message}"


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


#: Operations whose documented request schema is narrower than what GitHub accepts
#: (its own description says so): PyGithub sends a bare array of label names.
REQUEST_BODY_EXEMPT = {
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
}


def _normalize_nullable(node: Any) -> Any:
    """Make ``nullable`` and ``oneOf`` mean what GitHub means by them.

    GitHub's description puts ``nullable: true`` beside ``enum`` (without ``null``
    in the list) and beside ``oneOf``/``anyOf``/``allOf`` without a ``type``;
    strict OAS 3.0 validators then reject the ``null`` GitHub really sends. Here
    ``null`` is added to such enums and such compositions become
    ``anyOf: [{enum: [null]}, <schema>]``.
    """
    if isinstance(node, list):
        return [_normalize_nullable(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _normalize_nullable(v) for k, v in node.items()}
    if "oneOf" in out and "discriminator" not in out:
        # GitHub uses oneOf for overlapping alternatives (every basic-error is also a
        # repository-rule-violation-error), so "exactly one" would reject real bodies.
        out["anyOf"] = out.pop("oneOf")
    if out.get("nullable") is True:
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if "type" not in out and any(k in out for k in ("oneOf", "anyOf", "allOf", "$ref")):
            rest = {k: v for k, v in out.items() if k != "nullable"}
            return {"anyOf": [{"enum": [None]}, rest]}
    return out


@cache
def load(path: Path = SPEC_PATH) -> Contract:
    """The (cached) contract for the committed trimmed spec."""
    return Contract(json.loads(path.read_text()))


class Contract:
    """The trimmed OpenAPI document with cached validators per operation and status."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = _normalize_nullable(doc)
        resource = Resource.from_contents(self.doc, default_specification=DRAFT4)
        self.registry: Registry[Any] = Registry().with_resource(_URI, resource)
        self._validators: dict[tuple[str, ...], Any] = {}

    @property
    def source(self) -> str:
        """Where the description came from (package and version)."""
        return str(self.doc.get("x-trimmed-from", "?"))

    def operation(self, method: str, template: str) -> dict[str, Any] | None:
        """The operation object, or None if GitHub documents no such operation."""
        return self.doc["paths"].get(template, {}).get(method.lower())

    def _deref(self, obj: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in obj:
            node: Any = self.doc
            for part in obj["$ref"].lstrip("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            obj = node
        return obj

    def _validator(self, kind: str, pointer: str) -> Any:
        key = (kind, pointer)
        if key not in self._validators:
            cls = OAS30ReadValidator if kind == "read" else OAS30WriteValidator
            self._validators[key] = cls({"$ref": f"{_URI}#/{pointer}"}, registry=self.registry,
                                        format_checker=oas30_format_checker)
        return self._validators[key]

    def _errors(self, validator: Any, instance: Any) -> list[str]:
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        out = []
        for err in errors:
            leaf = best_match([err]) if err.context else err
            where = "$" + "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}"
                                  for p in leaf.absolute_path)
            shown = json.dumps(leaf.instance, default=str)
            if len(shown) > 160:
                shown = shown[:157] + "..."
            out.append(f"at {where}: {leaf.message[:300]} (value: {shown})")
        return out

    def check_request(self, method: str, template: str, body: Any) -> list[str]:
        """Errors of a JSON request body against the operation's ``requestBody``."""
        op = self.operation(method, template)
        if op is None or body is None or "requestBody" not in op:
            return []
        if (method.upper(), template) in REQUEST_BODY_EXEMPT:
            return []
        rb = self._deref(op["requestBody"])
        if "application/json" not in rb.get("content", {}):
            return []
        ptr = _pointer("paths", template, method.lower(), "requestBody")
        if "$ref" in op["requestBody"]:
            ptr = op["requestBody"]["$ref"].lstrip("#/")
        ptr += "/" + _pointer("content", "application/json", "schema")
        return self._errors(self._validator("write", ptr), body)

    def check_response(self, method: str, template: str, status: int, body: Any) -> list[str]:
        """Errors of a response: undocumented status or a body that breaks the schema."""
        op = self.operation(method, template)
        if op is None:
            return [f"operation {method} {template} is not in the description"]
        responses = op.get("responses", {})
        key = str(status)
        if key not in responses:
            return [f"status {status} is not documented (documented: {sorted(responses)})"]
        ref = responses[key].get("$ref")
        ptr = ref.lstrip("#/") if ref else _pointer("paths", template, method.lower(),
                                                     "responses", key)
        content = self._deref(responses[key]).get("content", {})
        if "application/json" not in content:
            if status >= 400 and body not in (None, b"", ""):
                return self.check_error(body)  # GitHub sends its error body regardless
            if body not in (None, b"", ""):
                return [f"status {status} documents no body but one was sent"]
            return []
        if "schema" not in content["application/json"]:
            return []
        ptr += "/" + _pointer("content", "application/json", "schema")
        return self._errors(self._validator("read", ptr), body)


    def check_error(self, body: Any) -> list[str]:
        """Errors of an error body against ``basic-error``.

        GitHub answers 401 ``Bad credentials`` and 403 ``Resource not accessible by
        integration`` on every operation, but its description documents them on few; such
        answers are checked against the shared error schema instead of per operation.
        """
        return self._errors(self._validator("read", "components/schemas/basic-error"), body)


def format_violations(violations: list[Violation]) -> str:
    """A readable report, grouped by kind."""
    lines = [f"{len(violations)} contract violation(s) against GitHub's REST description "
             f"({load().source}):"]
    for v in violations:
        lines.append(f"  - {v}")
    return "\n".join(lines)
