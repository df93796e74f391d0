"""Our OpenAPI contract, and checking an answer against it (API-1, API-3).

The document under ``contracts/`` is OpenAPI 3.1, whose schemas are JSON
Schema 2020-12, so :mod:`jsonschema` validates bodies directly.  ``date-time``
is checked as ISO 8601 (Codat sends unqualified local times and 7-digit
fractions, which RFC 3339 checkers refuse); ``uuid`` as a UUID.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ._resources import contract_path

FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _iso_datetime(value: object) -> bool:
    if isinstance(value, str):
        datetime.fromisoformat(value)
    return True


@FORMATS.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    if isinstance(value, str):
        uuid.UUID(value)
    return True


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
        self._registry = Registry().with_resource("contract", Resource(self.document, DRAFT202012))
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
        return node

    def schema_named(self, name: str) -> dict[str, Any]:
        return {"$ref": f"contract#/components/schemas/{name}"}

    def validate_schema(self, schema: dict[str, Any], body: Any) -> list[str]:
        """Every way ``body`` breaks ``schema``, as ``path: message`` lines."""
        rooted = _reroot(schema)
        validator = jsonschema.Draft202012Validator(rooted, registry=self._registry, format_checker=FORMATS)
        problems = []
        for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in error.absolute_path) or "(body)"
            problems.append(f"{where}: {error.message[:300]}")
        return problems

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


def _reroot(schema: dict[str, Any]) -> dict[str, Any]:
    """Point the document's local refs (``#/components/...``) at the registered resource."""
    if isinstance(schema, dict):
        return {k: (f"contract{v}" if k == "$ref" and isinstance(v, str) and v.startswith("#/") else _reroot(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_reroot(v) for v in schema]  # type: ignore[return-value]
    return schema


@cache
def load_contract(path: Path | None = None) -> Contract:
    return Contract(path or contract_path())
