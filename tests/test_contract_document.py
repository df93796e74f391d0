"""Checks on the conformance contract document itself (no network)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

CONTRACT = Path(__file__).resolve().parents[1] / "contracts" / "sync-flow.openapi.yaml"

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# The wire-protocol table of the profile, minus the merchant's browser opening
# the flow URL (that one is not an API call): every operation of Codat's Sync
# for Commerce OAS (operationIds as Codat names them), and the Platform calls
# the flow needs beside them.
EXPECTED_OPERATIONS: dict[tuple[str, str], str] = {
    ("post", "/companies"): "create-company",
    ("get", "/companies/{companyId}"): "get-company",
    ("get", "/config/sync/commerce/{commerceKey}/{accountingKey}/start"): "get-sync-flow-url",
    ("get", "/companies/{companyId}/connections"): "list-connections",
    (
        "put",
        "/companies/{companyId}/connections/{connectionId}/authorization",
    ): "update-connection-authorization",
    ("patch", "/companies/{companyId}/connections/{connectionId}"): "update-connection",
    ("delete", "/companies/{companyId}/connections/{connectionId}"): "delete-connection",
    ("get", "/config/companies/{companyId}/sync/commerce"): "get-configuration",
    ("post", "/config/companies/{companyId}/sync/commerce"): "set-configuration",
    ("post", "/webhooks"): "create-webhook",
    ("post", "/companies/{companyId}/sync/commerce/latest"): "request-sync",
    ("get", "/companies/{companyId}/sync/commerce/syncs/latest/status"): "get-latest-sync",
    ("get", "/companies"): "list-companies",
    ("post", "/companies/{companyId}/connections"): "create-connection",
    ("get", "/config/integrations"): "list-integrations",
    ("get", "/config/integrations/{platformKey}/branding"): "get-integration-branding",
    ("get", "/sync/commerce/config/ui/text"): "get-config-text-sync-flow",
    ("patch", "/sync/commerce/config/ui/text"): "update-config-text-sync-flow",
    ("post", "/sync/commerce/config/ui/accounts/platform/{platformKey}"): "update-visible-accounts-sync-flow",
    ("get", "/clients/{clientId}/config/ui/accounts/platform/{platformKey}"): "get-visible-accounts",
    ("post", "/meta/companies/{companyId}/sync/commerce/historic"): "request-sync-for-date-range",
    ("get", "/meta/companies/{companyId}/sync/commerce/status"): "get-sync-status",
    ("get", "/companies/{companyId}/sync/commerce/syncs/list/status"): "list-syncs",
    ("get", "/companies/{companyId}/sync/commerce/syncs/lastSuccessful/status"): "get-last-successful-sync",
    ("get", "/companies/{companyId}/sync/commerce/syncs/{syncId}/status"): "get-sync-by-id",
    # The optional housekeeping calls.
    ("delete", "/companies/{companyId}"): "delete-company",
    ("get", "/webhooks"): "list-webhooks",
    ("delete", "/webhooks/{webhookId}"): "delete-webhook",
}

# Beside Codat's 22: read a company, sever a connection, subscribe, and the optional housekeeping calls.
PLATFORM_CALLS = {("get", "/companies/{companyId}"), ("delete", "/companies/{companyId}/connections/{connectionId}"),
                  ("post", "/webhooks"), ("delete", "/companies/{companyId}"), ("get", "/webhooks"),
                  ("delete", "/webhooks/{webhookId}")}

ERROR_STATUSES = ("400", "401", "404", "429", "4XX", "5XX")
ERROR_SCHEMA_REF = "#/components/schemas/ErrorMessage"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with CONTRACT.open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    assert isinstance(loaded, dict)
    return loaded


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s until a plain object is reached."""
    seen: set[str] = set()
    while "$ref" in node:
        ref = node["$ref"]
        assert isinstance(ref, str) and ref.startswith("#/"), ref
        assert ref not in seen, f"reference cycle at {ref}"
        seen.add(ref)
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _keys(node: Any, trail: str = "") -> Iterator[tuple[str, str]]:
    """Every mapping key in the document, with where it sits."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key), trail
            yield from _keys(value, f"{trail}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _keys(value, f"{trail}/{index}")


def test_contract_is_a_valid_openapi_3_1_document() -> None:
    spec, _ = read_from_filename(str(CONTRACT))
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    assert spec["info"]["title"] == (
        "Sync for Commerce sync configuration flow — conformance contract"
    )


def test_operations_are_exactly_the_wire_protocol(document: dict[str, Any]) -> None:
    found = {(method, path): op.get("operationId") for method, path, op in _operations(document)}
    assert set(found) == set(EXPECTED_OPERATIONS)
    assert found == EXPECTED_OPERATIONS


def test_codats_22_operations_and_the_platform_calls_beside_them() -> None:
    assert PLATFORM_CALLS <= set(EXPECTED_OPERATIONS)
    assert len(set(EXPECTED_OPERATIONS) - PLATFORM_CALLS) == 22


def test_the_sandbox_serves_exactly_the_contracts_operations(document: dict[str, Any]) -> None:
    from sfc_conformance.sandbox.app import Sandbox

    sandbox = Sandbox()
    try:
        served = {(op.method.lower(), op.path) for op in sandbox.directory.operations}
    finally:
        sandbox.close()
    assert served == {(method, path) for method, path, _ in _operations(document)}


def test_a_later_path_never_hides_behind_an_earlier_template(document: dict[str, Any]) -> None:
    """The contract reads an answer by the first path whose template matches it: a named path
    (`…/syncs/list/status`) comes before the template that would match it too (`…/syncs/{syncId}/status`)."""
    from sfc_conformance.core.profile import load_contract

    contract = load_contract()
    for method, path, _ in _operations(document):
        if "{" in path:
            continue
        found = contract.operation(method, path)
        assert found is not None and found.template == path, f"{method.upper()} {path}"


def test_connection_deleted_webhook_is_described(document: dict[str, Any]) -> None:
    assert set(document["webhooks"]) == {"connection.deleted"}
    delivery = document["webhooks"]["connection.deleted"]["post"]
    schema = delivery["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ConnectionWebhook"}


@pytest.mark.parametrize("status", ERROR_STATUSES)
def test_every_operation_answers_errors_as_error_message(
    document: dict[str, Any], status: str
) -> None:
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        assert status in responses, f"{method.upper()} {path} lacks {status}"
        response = _resolve(document, responses[status])
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": ERROR_SCHEMA_REF}, f"{method.upper()} {path} {status}"


def test_too_many_requests_declares_retry_after(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        response = _resolve(document, operation["responses"]["429"])
        header = _resolve(document, response["headers"]["Retry-After"])
        assert header["schema"]["type"] == "integer", f"{method.upper()} {path}"


def test_success_statuses(document: dict[str, Any]) -> None:
    successes = {
        (method, path): sorted(code for code in op["responses"] if str(code).startswith("2"))
        for method, path, op in _operations(document)
    }
    assert successes[("post", "/webhooks")] == ["201"]
    assert successes[("delete", "/companies/{companyId}/connections/{connectionId}")] == [
        "200",
        "204",
    ]
    for key, codes in successes.items():
        if key[1] != "/webhooks" and key[0] != "delete":
            assert codes == ["200"], key


def test_no_openapi_3_0_or_invalid_keywords(document: dict[str, Any]) -> None:
    offending = [
        f"{trail}/{key}"
        for key, trail in _keys(document)
        if key in {"nullable", "minValue", "maxValue"}
    ]
    assert offending == []


def test_api_key_scheme_is_applied_globally(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes == {"auth_header": schemes["auth_header"]}
    scheme = schemes["auth_header"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert document["security"] == [{"auth_header": []}]
    for method, path, operation in _operations(document):
        assert "security" not in operation, f"{method.upper()} {path} overrides security"


def test_ids_are_uuids(document: dict[str, Any]) -> None:
    parameters = document["components"]["parameters"]
    for name in ("companyId", "connectionId"):
        assert parameters[name]["in"] == "path"
        assert parameters[name]["schema"] == {"type": "string", "format": "uuid"}
    schemas = document["components"]["schemas"]
    for schema_name in ("Company", "Connection", "Webhook", "ConnectionWebhook"):
        assert schemas[schema_name]["properties"]["id"]["format"] == "uuid", schema_name


def test_platform_keys_stay_plain_strings(document: dict[str, Any]) -> None:
    item = document["paths"]["/config/sync/commerce/{commerceKey}/{accountingKey}/start"]
    keys = {p["name"]: p["schema"] for p in item["parameters"]}
    assert keys == {"commerceKey": {"type": "string"}, "accountingKey": {"type": "string"}}


def _closed_somewhere(node: Any) -> bool:
    if isinstance(node, dict):
        return node.get("additionalProperties") is False or any(_closed_somewhere(v) for v in node.values())
    if isinstance(node, list):
        return any(_closed_somewhere(v) for v in node)
    return False


def test_no_answer_or_event_schema_forbids_unknown_fields(document: dict[str, Any]) -> None:
    """API-1 (profile v2): a field the contract does not know is allowed in answers and events."""
    request_only = {"UpdateConnection", "CreateCompany", "ConnectionAuthorization", "CreateWebhook",
                    "SyncToLatestArgs"}
    closed = [name for name, schema in document["components"]["schemas"].items()
              if name not in request_only and _closed_somewhere(schema)]
    assert not closed, f"schemas that refuse unknown fields: {closed}"


def test_unknown_fields_are_named_but_are_no_problem() -> None:
    from sfc_conformance.core.profile import load_contract

    contract = load_contract()
    connection = {"id": "8f810334-2846-4898-828e-dd7b5318ecbb", "integrationId": "9e0cc03b-3868-4543-98c0-568f0f1b12a3",
                  "integrationKey": "gbol", "sourceId": "aff0f057-255f-42c4-8d4a-ae23b43e1615",
                  "platformName": "Xero", "linkUrl": "https://link.example/start", "status": "Linked",
                  "created": "2022-04-22T16:58:17Z", "sourceType": "Accounting", "newField": 1}
    company = {"id": "c37c7d07-dc91-4f7f-9106-322fa27f0aa6", "name": "Acme", "redirect": "https://link.example",
               "dataConnections": [connection], "tags": {"a": "b"}}
    path = "/companies/c37c7d07-dc91-4f7f-9106-322fa27f0aa6"
    assert contract.check_answer("GET", path, 200, company) == []
    assert contract.unknown_fields("GET", path, 200, company) == ["dataConnections[].newField", "tags"]
    assert contract.unknown_fields("GET", path, 404, {"statusCode": 404, "error": "x", "traceId": "t"}) == ["traceId"]
