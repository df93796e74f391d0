"""Our OpenAPI contract, and checking an answer against it (API-1, API-3).

The document under ``contracts/`` is OpenAPI 3.1, whose schemas are JSON
Schema 2020-12, so a JSON Schema validator checks bodies directly; we use
``jsonschema_rs`` because every answer of a run is checked and the
configuration documents are large.  ``date-time`` is checked as ISO 8601
(Codat sends unqualified local times and 7-digit fractions, which RFC 3339
checkers refuse); ``uuid`` as a UUID.

Fields no schema lists are allowed in answers and events (API-1): the
document closes none of them.  :meth:`Contract.unknown_fields` still names
such fields, against a copy of the document in which every object schema is
closed, so a run can list them as a note.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from sfc_conformance.core.resources import contract_path

_BASE = "urn:sfc-conformance:contract"
_CLOSED_BASE = "urn:sfc-conformance:contract-closed"


def _iso_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


FORMATS = {"date-time": _iso_datetime, "uuid": _uuid}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    responses: dict[str, Any]


class Contract:
    def __init__(self, path: Path) -> None:
        self.path = path
        # libyaml's loader when PyYAML has it: the pure-Python one spends a fifth of a second on this file.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self.document: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        self._registry = jsonschema_rs.Registry([(_BASE, self.document)])
        self._closed_registry = jsonschema_rs.Registry([(_CLOSED_BASE, _closed(self.document))])
        self._validators: dict[str, Any] = {}
        self._closed_validators: dict[str, Any] = {}
        self.operations = [
            Operation(method.upper(), template, _template_regex(template), spec.get("responses", {}))
            for template, item in self.document["paths"].items()
            for method, spec in item.items() if method in ("get", "post", "put", "patch", "delete")
        ]

    def operation(self, method: str, path: str) -> Operation | None:
        for op in self.operations:
            if op.method == method.upper() and op.pattern.fullmatch(path):
                return op
        return None

    def _response_schema(self, op: Operation, status: int) -> dict[str, Any] | None:
        spec = op.responses.get(str(status)) or op.responses.get(f"{str(status)[0]}XX")
        if spec is None:
            return None
        while "$ref" in spec:
            spec = self._resolve(spec["$ref"])
        content = (spec.get("content") or {}).get("application/json")
        return content.get("schema") if content else {}

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return dict(node)

    def schema_named(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{name}"}

    def _validator(self, schema: dict[str, Any]) -> Any:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            self._validators[key] = jsonschema_rs.Draft202012Validator(
                _reroot(schema), registry=self._registry, formats=FORMATS, validate_formats=True)
        return self._validators[key]

    def _closed_validator(self, schema: dict[str, Any]) -> Any:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._closed_validators:
            self._closed_validators[key] = jsonschema_rs.Draft202012Validator(
                _reroot(_closed(schema), _CLOSED_BASE), registry=self._closed_registry, validate_formats=False)
        return self._closed_validators[key]

    def unknown_in(self, schema: dict[str, Any], body: Any) -> list[str]:
        """The fields of ``body`` that ``schema`` does not list, as ``a.b[].c``: allowed, worth a note."""
        found: list[str] = []
        for error in self._closed_validator(schema).iter_errors(body):
            if type(error.kind).__name__ != "AdditionalProperties":
                continue
            where = "".join("[]" if isinstance(p, int) else f".{p}" for p in error.instance_path).lstrip(".")
            found.extend(f"{where}.{name}" if where else str(name) for name in error.kind.unexpected)
        return sorted(set(found))

    def unknown_fields(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Fields of one answer the contract does not know (allowed by API-1); [] when none or not checkable."""
        op = self.operation(method, path)
        schema = self._response_schema(op, status) if op is not None else None
        return self.unknown_in(schema, body) if schema else []

    def validate_schema(self, schema: dict[str, Any], body: Any) -> list[str]:
        """Every way ``body`` breaks ``schema``, as ``path: message`` lines."""
        errors = sorted(self._validator(schema).iter_errors(body), key=lambda e: [str(p) for p in e.instance_path])
        return [f"{'/'.join(str(p) for p in e.instance_path) or '(body)'}: {e.message[:300]}" for e in errors]

    def check_answer(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Problems of one answer against the contract; [] when it conforms.

        An answer to a call the contract does not list, or a status it does not
        document for that call, is itself a problem.
        """
        op = self.operation(method, path)
        if op is None:
            return [f"{method} {path} is not an operation of the contract"]
        schema = self._response_schema(op, status)
        if schema is None:
            return [f"{method} {op.template} does not document status {status}"]
        if not schema:
            return []
        return self.validate_schema(schema, body)


def error_message_problem(status: int, body: Any) -> str | None:
    """Why an error answer's parsed body is not the ErrorMessage it must be (API-3); None when it is.

    The schema cannot say that ``statusCode`` equals the HTTP status: this does.
    """
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if body.get("statusCode") != status:
        return f"`statusCode` is {body.get('statusCode')!r}, the HTTP status {status}"
    if not isinstance(body.get("error"), str):
        return "`error` is missing or not a string"
    return None


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))


def _reroot(schema: Any, base: str = _BASE) -> Any:
    """Point the document's local refs (``#/components/...``) at the registered resource."""
    if isinstance(schema, dict):
        return {k: (f"{base}{v}" if k == "$ref" and isinstance(v, str) and v.startswith("#/") else _reroot(v, base))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_reroot(v, base) for v in schema]
    return schema


def _closed(node: Any) -> Any:
    """``node`` with every schema that lists ``properties`` and says nothing of others closed to them."""
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    closed = {key: _closed(value) for key, value in node.items()}
    if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
        closed["additionalProperties"] = False
    return closed


@cache
def load_contract(path: Path | None = None) -> Contract:
    return Contract(path or contract_path())
