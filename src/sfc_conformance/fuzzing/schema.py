"""Our contract as schemathesis reads it for fuzzing: the same document, two changes in memory.

* No ``security``: the project's one client authenticates every request, and
  the fuzzer's own KEY-1 probes send the missing, wrong and Bearer
  credentials.  Left in, schemathesis would generate random ``Authorization``
  headers of its own.
* The start link (``create-company`` -> ``get-sync-flow-url``) carries the
  run's platform keys instead of the defaults the file names, so the stateful
  fuzz starts the flow for the platforms the target was asked about.
* A new connection's ``platformKey`` is one of the run's platform keys, so a
  valid ``create-connection`` names a platform the target knows (any four
  letters would almost always name none); its invalid cases name others.
* A date range's ``start`` is one early moment in valid cases, so a generated
  ``finish`` is most often after it (two generated moments are most often the
  same one: hypothesis starts from the simplest); invalid cases vary both.

The links of the contract are written so that ``create-company`` is the only
operation a scenario starts from (schemathesis starts scenarios at POSTs with
links of their own): every other step works on ids from earlier answers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import schemathesis
from schemathesis.specs.openapi.schemas import OpenApiSchema

from sfc_conformance.core.profile import load_contract

START_OPERATION = "get-sync-flow-url"
NEW_CONNECTION = "CreateConnection"  # the body of create-connection
DATE_RANGE = "SyncRange"  # the body of request-sync-for-date-range
RANGE_START = "1990-01-01T00:00:00Z"
# Explicit, so a schemathesis.toml in the working folder cannot change what is checked.  The stateful
# phase follows the contract's links only: links schemathesis infers between operations here carry
# ids of the wrong kind (a company id where a connection id goes) and only add 404s.
CONFIG = schemathesis.Config.from_dict({"phases": {"stateful": {"inference": {"algorithms": []}}}})


def load_schema(commerce_key: str = "lqai", accounting_key: str = "gbol") -> OpenApiSchema:
    document = copy.deepcopy(load_contract().document)
    document.pop("security", None)
    document["components"].pop("securitySchemes", None)
    for link in _links(document):
        if link.get("operationId") == START_OPERATION:
            link["parameters"].update(commerceKey=commerce_key, accountingKey=accounting_key)
    schemas = document["components"]["schemas"]
    new_connection = schemas.get(NEW_CONNECTION, {}).get("properties", {})
    if "platformKey" in new_connection:
        new_connection["platformKey"] = {"type": "string", "enum": sorted({commerce_key, accounting_key})}
    date_range = schemas.get(DATE_RANGE, {}).get("properties", {}).get("dateRange", {}).get("properties", {})
    if "start" in date_range:
        date_range["start"] = {"type": "string", "format": "date-time", "enum": [RANGE_START]}
    return schemathesis.openapi.from_dict(document, config=CONFIG)


def _links(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for response in (operation.get("responses") or {}).values():
                yield from (response.get("links") or {}).values()


def operation_id(operation: Any) -> str:
    """The contract's ``operationId`` of a schemathesis operation."""
    return str(operation.definition.raw.get("operationId", operation.label))
