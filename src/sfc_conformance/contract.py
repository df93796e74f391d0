"""Our OpenAPI contract, and checking an answer against it (API-1, API-3).

The document under ``contracts/`` is OpenAPI 3.1, whose schemas are JSON
Schema 2020-12, so a JSON Schema validator checks bodies directly; we use
``jsonschema_rs`` because every answer of a run is checked and the
configuration documents are large.  ``date-time`` is checked as ISO 8601
(Codat sends unqualified local times and 7-digit fractions, which RFC 3339
checkers refuse); ``uuid`` as a UUID.
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

from ._resources import contract_path

_BASE = "urn:sfc-conformance:contract"


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
        self.document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        self._registry = jsonschema_rs.Registry([(_BASE, self.document)])
        self._validators: dict[str, Any] = {}
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


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))


def _reroot(schema: Any) -> Any:
    """Point the document's local refs (``#/components/...``) at the registered resource."""
    if isinstance(schema, dict):
        return {k: (f"{_BASE}{v}" if k == "$ref" and isinstance(v, str) and v.startswith("#/") else _reroot(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_reroot(v) for v in schema]
    return schema


@cache
def load_contract(path: Path | None = None) -> Contract:
    return Contract(path or contract_path())
