"""Which schema-violating request bodies a target may accept: those whose only faults it may ignore.

Schemathesis expects every request that breaks the contract to be refused.
Three kinds of fault need not be, by the contract's and the profile's terms:

* a property the schema does not list where ``additionalProperties`` is
  false: unknown input a target may ignore, as Codat's API does;
* a ``readOnly`` property (ids, options, labels, ``configured``): JSON Schema
  lets the owner of such a value ignore attempts to set it, and the profile's
  configuration POST carries them back as last read;
* ``null`` in an optional property: the profile lets a target treat a missing
  field as unchanged, and null is how Codat's serializers write a missing one.

A body counts as ignorable when it validates against the contract's request
schema once all three are let through.  Any other fault in it must still be refused.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import jsonschema_rs

from sfc_conformance.core.contract import load_contract


def only_ignorable_faults(method: str, path: str, sent: bytes | str | None) -> bool:
    """Whether the body as sent breaks this operation's request schema only where a target may ignore it.

    ``sent`` is the body on the wire: no body at all is fine where the contract makes
    the body optional; bytes that are not JSON are never ignorable.
    """
    operation = load_contract().document["paths"].get(path, {}).get(method.lower(), {})
    request_body = operation.get("requestBody") or {}
    raw = sent.encode() if isinstance(sent, str) else (sent or b"")
    if not raw.strip():
        return not request_body.get("required", False)
    validator = _lenient_body_validator(method.lower(), path)
    if validator is None:
        return False
    try:
        return bool(validator.is_valid(json.loads(raw)))
    except ValueError:  # not JSON (or JSON the validator cannot hold): nothing here a target may ignore
        return False


@cache
def _lenient_body_validator(method: str, path: str) -> Any:
    document = load_contract().document
    operation = document["paths"].get(path, {}).get(method, {})
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    if content is None:
        return None
    lenient = _let_through(copy.deepcopy({"schema": content["schema"], "components": document["components"]}))
    return jsonschema_rs.Draft202012Validator({**lenient["schema"], "components": lenient["components"]})


def _let_through(node: Any) -> Any:
    """``node`` without ``additionalProperties: false``, with readOnly schemas accepting anything and
    optional properties accepting null."""
    if isinstance(node, list):
        return [_let_through(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("readOnly") is True:
        return {}
    lenient = {key: _let_through(value) for key, value in node.items()
               if not (key == "additionalProperties" and value is False)}
    if isinstance(lenient.get("properties"), dict):
        # A readOnly property is required of answers only (OpenAPI), never of a request.
        read_only = {name for name, schema in node["properties"].items()
                     if isinstance(schema, dict) and schema.get("readOnly") is True}
        if "required" in lenient:
            lenient["required"] = [name for name in lenient["required"] if name not in read_only]
        required = set(lenient.get("required") or ())
        lenient["properties"] = {name: schema if name in required else {"anyOf": [schema, {"type": "null"}]}
                                 for name, schema in lenient["properties"].items()}
    return lenient
