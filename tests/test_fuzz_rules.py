"""Only the profile's rules fail a target: every check of the fuzz judges named rules, and accepting a request
fails only where a rule demands its refusal, under that rule.  Answers judged one at a time."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from sfc_conformance.core.profile import RULES
from sfc_conformance.fuzzing import Budget, Plan, load_schema
from sfc_conformance.fuzzing.cases import NONEXISTENT_KEY, UNKNOWN_ID
from sfc_conformance.fuzzing.checks import CHECKS, Breach, Exchange, RuleMismatch, check, judged, parsed
from sfc_conformance.fuzzing.engine import hand_made, operations
from sfc_conformance.fuzzing.judge import _path_parameters
from sfc_conformance.fuzzing.refusals import REFUSALS, Asked, reasons
from sfc_conformance.fuzzing.schema import operation_id
from sfc_conformance.fuzzing.sending import Credentials

ROOT = Path(__file__).resolve().parents[1]
KEY = "rules-test-api-key-0c5e"
COMPANY = "3f1c1a7e-2c5d-4b8e-9a51-0a1f1f3f2b44"
CONNECTION = {"id": "9a071a7e-2c5d-4b8e-9a51-0a1f1f3f2b44", "integrationId": COMPANY, "integrationKey": "gbol",
              "sourceId": COMPANY, "platformName": "Xero", "linkUrl": "https://flow.example/link",
              "status": "Linked", "created": "2026-01-05T09:00:00Z", "sourceType": "Accounting"}
PAGE = {"results": [CONNECTION], "pageNumber": 1, "pageSize": 100, "totalResults": 1,
        "_links": {"self": {"href": "/c"}, "current": {"href": "/c?page=1"}}}
WEBHOOKS = {"results": [{"id": COMPANY, "url": "https://hooks.example/x", "eventTypes": ["connection.deleted"],
                         "disabled": False}]}
NOT_FOUND = {"statusCode": 404, "service": "PublicApi", "error": "No such thing", "correlationId": "c",
             "canBeRetried": "Unknown", "detailedErrorCode": 0}
SCHEMATHESIS_CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                       "response_schema_conformance", "negative_data_rejection", "positive_data_acceptance",
                       "unsupported_method", "missing_required_header", "ignored_auth", "use_after_free",
                       "ensure_resource_availability")


def exchange(operation: str, status: int, answer: Any = None, *, query: str = "", path: dict[str, str] | None = None,
             sent: Any = None, content_type: str = "application/json", credentials: Credentials = Credentials.KEY,
             keyed_status: int | None = None, unknown: frozenset[str] = frozenset()) -> Exchange:
    """One request to ``operation`` (an operationId of the contract) and its answer, as the fuzz reads them."""
    op = next(op for op in operations(load_schema()) if operation_id(op) == operation)
    content = b"" if answer is None else answer if isinstance(answer, bytes) else json.dumps(answer).encode()
    pairs = [tuple(pair.split("=", 1)) for pair in query.split("&") if pair]
    authorization = {Credentials.KEY: "Basic " + base64.b64encode(KEY.encode()).decode(),
                     Credentials.MISSING: None, Credentials.WRONG: "Basic d3Jvbmc=",
                     Credentials.BEARER: f"Bearer {KEY}"}[credentials]
    asked = Asked(operation=operation, path=path or {}, query=pairs,  # type: ignore[arg-type]
                  body=parsed(json.dumps(sent).encode() if sent is not None else b""), unknown=unknown)
    return Exchange(asked=asked, label=op.label, method=op.method.upper(), template=op.path, status=status,
                    content=content, body=parsed(content),
                    headers={"content-type": [content_type]} if content else {}, authorization=authorization,
                    credentials=credentials, keyed_status=keyed_status)


def breaches(x: Exchange) -> list[tuple[str, str]]:
    return [(breach.rule, breach.title) for breach in judged(x)]


def rules(x: Exchange) -> set[str]:
    return {breach.rule for breach in judged(x)}


# -- the table: every check judges rules of the profile, and only those ---------------------------------------


def test_every_check_judges_rules_of_the_profile_and_none_is_schemathesis_own() -> None:
    assert set(CHECKS) == {"answered", "no_server_error", "documented_answer", "json_is_application_json",
                           "error_is_error_message", "refuses_missing_or_wrong_key", "never_echoes_the_key",
                           "paging_is_consistent", "refused_where_demanded"}
    for each in CHECKS.values():
        assert each.rules and all(rule in RULES for rule in each.rules), each
    assert not set(CHECKS) & set(SCHEMATHESIS_CHECKS)
    judge_source = (ROOT / "src/sfc_conformance/fuzzing/judge.py").read_text()
    assert "validate_response" not in judge_source and "schemathesis.checks" not in judge_source


def test_the_check_to_rule_table() -> None:
    table = {name: each.rules for name, each in CHECKS.items()}
    assert table == {
        "answered": ("API-5",), "no_server_error": ("API-5",), "documented_answer": ("API-1",),
        "json_is_application_json": ("API-2",), "error_is_error_message": ("API-3",),
        "refuses_missing_or_wrong_key": ("KEY-1",), "never_echoes_the_key": ("KEY-2",),
        "paging_is_consistent": ("API-4",),
        "refused_where_demanded": ("API-4", "CONF-5", "URL-6", "URL-5", "READY-2", "LINK-4", "CUST-1", "CUST-3",
                                   "SYNC-1", "SYNC-3", "INT-1", "INT-2")}


def test_the_readme_names_every_check_and_every_refusal_rule() -> None:
    readme = (ROOT / "README.md").read_text()
    fuzzing = readme[readme.index("## Fuzzing"):readme.index("\n## ", readme.index("## Fuzzing") + 1)]
    for refusal in REFUSALS:
        assert refusal.rule in fuzzing, refusal.rule
    for name in CHECKS:
        assert f"`{name}`" in fuzzing, name


def test_a_check_without_a_rule_of_the_profile_cannot_be_registered() -> None:
    def ruleless(x: Exchange) -> Iterator[Breach]:
        yield from ()

    with pytest.raises(ValueError, match="rules of the profile"):
        check()(ruleless)
    with pytest.raises(ValueError, match="unknown"):
        check("API-99")(ruleless)
    assert "ruleless" not in CHECKS


def test_a_breach_under_a_rule_its_check_does_not_judge_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def misreports(x: Exchange) -> Iterator[Breach]:
        yield Breach("URL-1", "wrong", "a check of API-2 cannot fail URL-1")

    monkeypatch.setitem(CHECKS, "json_is_application_json",
                        CHECKS["json_is_application_json"].__class__("json_is_application_json", ("API-2",),
                                                                     misreports))
    with pytest.raises(RuleMismatch, match="judges API-2, not URL-1"):
        list(judged(exchange("list-companies", 200, {"results": []})))


def test_every_refusal_is_judged_and_every_hand_made_request_is_one_its_rule_demands_refused() -> None:
    assert {refusal.rule for refusal in REFUSALS} == set(CHECKS["refused_where_demanded"].rules)
    known = {"companyId": COMPANY, "connectionId": CONNECTION["id"], "commerceKey": "lqai", "accountingKey": "gbol"}
    plan = Plan(Budget(1), pinned={"companyId": COMPANY}, known=known)
    probed: set[str] = set()
    for op in operations(load_schema()):
        for request in hand_made(op, plan):
            if request.content is not None:
                continue  # a body that is not JSON: judged by its answer alone
            url = urlsplit(request.url)
            asked = Asked(operation=operation_id(op), path=_path_parameters(op.path, url.path),
                          query=parse_qsl(url.query), body=request.json_body)
            assert reasons(asked), f"{request.method} {request.url} {request.json_body}: no rule demands its refusal"
            probed.update(refusal.rule for refusal, _ in reasons(asked))
    # Every refusal that brings hand-made requests: the contract has every operation they are made for.
    assert probed == {refusal.rule for refusal in REFUSALS if refusal.probes}


# -- accepting an odd request is no failure by itself ---------------------------------------------------------


@pytest.mark.parametrize("query", ["pageSize=null&page=false", "page=&pageSize=", "page=1.5", "page=%C3%A9",
                                   "page=0&page=2", "unknown=1", "pageSize=0"])
def test_an_unpaged_list_that_ignores_odd_paging_conforms(query: str) -> None:
    """The issue's false verdict: GET /webhooks?pageSize=null&page=false answered 200 is judged by its body."""
    assert breaches(exchange("list-webhooks", 200, WEBHOOKS, query=query)) == []


@pytest.mark.parametrize("query", ["pageSize=null&page=false", "page=", "page=abc", "page=%2B1", "whatever=0"])
def test_a_paged_list_that_ignores_what_it_cannot_read_conforms(query: str) -> None:
    assert breaches(exchange("list-connections", 200, PAGE, query=query)) == []
    assert breaches(exchange("list-companies", 200, {**PAGE, "results": [], "totalResults": 0},
                             query=query)) == []


def test_a_body_with_faults_a_target_may_ignore_is_no_failure_when_accepted() -> None:
    """Unknown properties, readOnly ones, null, wrong types where no rule names a refusal: the answer is judged."""
    configuration = {"companyId": COMPANY, "configured": True, "schedule": {"syncHour": 3, "timeZone": "Etc/UTC"},
                     "enable": True}
    for sent in ({"schedule": {"syncHour": 3}, "unknown": {"x": 1}}, {"companyId": 5, "configured": "yes"},
                 {"enable": "yes"}, {"schedule": 5}, {"schedule": {"syncHour": "7", "timeZone": "etc/utc"}},
                 {"schedule": {"timeZone": ""}}, {"configuration": {"sales": {"accounts": {"x": {
                     "selectedAccountId": 5}}}}}, [1, 2], "text"):
        assert breaches(exchange("set-configuration", 200, configuration, sent=sent,
                                 path={"companyId": COMPANY})) == [], sent
    assert breaches(exchange("create-company", 200, {"id": COMPANY, "name": "x", "redirect": "https://a.example/r"},
                             sent={"name": "x_y:z", "extra": [1]})) == []


def test_optional_calls_a_target_lacks_conform() -> None:
    """404 or 405 for DELETE /companies/{id}, GET and DELETE /webhooks, with the key and without."""
    gone = {"statusCode": 405, "error": "Method not allowed"}
    for operation, path in (("delete-company", {"companyId": COMPANY}), ("list-webhooks", {}),
                            ("delete-webhook", {"webhookId": COMPANY})):
        for status in (404, 405):
            body = {**gone, "statusCode": status}
            assert breaches(exchange(operation, status, body, path=path)) == []
            for credentials in (Credentials.MISSING, Credentials.WRONG, Credentials.BEARER):
                assert breaches(exchange(operation, status, body, path=path, credentials=credentials,
                                         keyed_status=status)) == []
    # A call the profile requires has no such excuse.
    assert rules(exchange("get-company", 404, NOT_FOUND, path={"companyId": COMPANY},
                          credentials=Credentials.MISSING, keyed_status=404)) == {"KEY-1"}


@pytest.mark.parametrize(("status", "answer"), [(200, None), (200, {"ok": True}), (204, None)])
def test_a_deleted_connection_may_answer_200_or_204(status: int, answer: Any) -> None:
    assert breaches(exchange("delete-connection", status, answer,
                             path={"companyId": COMPANY, "connectionId": CONNECTION["id"]})) == []


def test_fields_the_contract_does_not_know_and_codat_date_times_conform() -> None:
    answer = {**PAGE, "extra": {"nested": 1}, "results": [{**CONNECTION, "created": "2026-01-05T09:00:00",
                                                           "lastSync": "2026-01-05T09:00:00.1234567Z", "new": 1}]}
    assert breaches(exchange("list-connections", 200, answer)) == []


# -- where a rule demands a refusal, accepting fails under that rule ------------------------------------------


@pytest.mark.parametrize(("operation", "query", "rule"), [
    ("list-companies", "page=0", "API-4"),
    ("list-companies", "page=-3", "API-4"),
    ("list-connections", "pageSize=5001", "API-4"),
    ("list-connections", "pageSize=99999999999999999999", "API-4"),
])
def test_a_page_out_of_bounds_accepted_fails_api_4(operation: str, query: str, rule: str) -> None:
    page = PAGE if operation == "list-connections" else {**PAGE, "results": [], "totalResults": 0}
    assert breaches(exchange(operation, 200, page, query=query)) == [(rule, "A page out of bounds was accepted")]
    assert breaches(exchange(operation, 400, {**NOT_FOUND, "statusCode": 400}, query=query)) == []


@pytest.mark.parametrize("sent", [
    {"schedule": {"syncHour": 24}}, {"schedule": {"syncHour": -1}}, {"schedule": {"syncHour": 3.5}},
    {"schedule": {"syncHour": True}}, {"schedule": {"syncHour": "noon"}}, {"schedule": {"syncHour": 10 ** 400}},
    {"schedule": {"timeZone": "Nowhere/Atlantis"}}, {"schedule": {"timeZone": 7}},
    {"schedule": {"selectedFrequency": "Fortnightly"}},
    {"configuration": {"sales": {"invoiceStatus": {"selectedInvoiceStatus": 3}}}},
    {"configuration": {"sales": {"grouping": {"groupingPeriod": {"selectedGroupingPeriod": ["Daily"]}}}}},
])
def test_an_invalid_configuration_choice_accepted_fails_conf_5(sent: dict[str, Any]) -> None:
    found = breaches(exchange("set-configuration", 200, {"companyId": COMPANY, "configured": False}, sent=sent,
                              path={"companyId": COMPANY}))
    assert found == [("CONF-5", "An invalid configuration choice was accepted")]


@pytest.mark.parametrize(("path", "query", "rule"), [
    ({"commerceKey": "LQAI", "accountingKey": "gbol"}, "merchantIdentifier=x", "URL-6"),
    ({"commerceKey": "lqai", "accountingKey": NONEXISTENT_KEY}, "merchantIdentifier=x", "URL-6"),
    ({"commerceKey": "lqai", "accountingKey": "lqai"}, "merchantIdentifier=x", "URL-6"),
    ({"commerceKey": "lqai", "accountingKey": "gbol"}, "merchantIdentifier=x&redirectUrl=javascript:alert(1)",
     "URL-5"),
    ({"commerceKey": "lqai", "accountingKey": "gbol"}, "merchantIdentifier=x&redirectUrl= \tJaVa\nScript:x",
     "URL-5"),
])
def test_a_start_call_the_profile_refuses_accepted_fails_its_rule(path: dict[str, str], query: str,
                                                                  rule: str) -> None:
    assert rules(exchange("get-sync-flow-url", 200, {"url": "https://flow.example/x"}, path=path,
                          query=query)) == {rule}


def test_a_start_call_with_keys_a_target_may_know_is_judged_by_its_answer() -> None:
    for path, query in (({"commerceKey": "lqai", "accountingKey": "qhyg"}, "merchantIdentifier=x"),
                        ({"commerceKey": "abcd", "accountingKey": "gbol"}, "merchantIdentifier=x&extra=1"),
                        ({"commerceKey": "lqai", "accountingKey": "gbol"}, "redirectUrl=app.codat.io")):
        assert breaches(exchange("get-sync-flow-url", 200, {"url": "https://flow.example/x"}, path=path,
                                 query=query)) == []


def test_an_unknown_company_found_fails_ready_2() -> None:
    company = {"id": COMPANY, "name": "x", "redirect": "https://a.example/r"}
    assert rules(exchange("get-company", 200, company, path={"companyId": "not-a-uuid"})) == {"READY-2"}
    assert rules(exchange("get-company", 200, company, path={"companyId": UNKNOWN_ID},
                          unknown=frozenset({"companyId"}))) == {"READY-2"}
    assert rules(exchange("get-company", 200, company, path={"companyId": COMPANY})) == set()


@pytest.mark.parametrize(("operation", "asked", "rule"), [
    ("create-connection", Asked("create-connection", path={"companyId": COMPANY}, body={"platformKey": "zzzz"}),
     "LINK-4"),
    ("create-connection", Asked("create-connection", path={"companyId": "x"}, body={"platformKey": "gbol"}),
     "LINK-4"),
    ("get-config-text-sync-flow", Asked("get-config-text-sync-flow"), "CUST-1"),
    ("get-config-text-sync-flow", Asked("get-config-text-sync-flow", query=[("locale", "de-de")]), "CUST-1"),
    ("get-visible-accounts", Asked("get-visible-accounts", path={"clientId": "c", "platformKey": "LQAI"}),
     "CUST-3"),
    ("get-sync-by-id", Asked("get-sync-by-id", path={"companyId": COMPANY, "syncId": UNKNOWN_ID},
                             unknown=frozenset({"syncId"})), "SYNC-1"),
    ("request-sync-for-date-range", Asked("request-sync-for-date-range", body={}), "SYNC-3"),
    ("request-sync-for-date-range", Asked("request-sync-for-date-range", body={"dateRange": {
        "start": "2024-02-01T00:00:00Z", "finish": "2024-01-01T00:00:00Z"}}), "SYNC-3"),
    ("list-integrations", Asked("list-integrations", query=[("page", "0")]), "INT-1"),
    ("get-integration-branding", Asked("get-integration-branding", path={"platformKey": "zzzz"}), "INT-2"),
])
def test_the_rules_of_operations_the_contract_may_gain(operation: str, asked: Asked, rule: str) -> None:
    assert [refusal.rule for refusal, _ in reasons(asked)] == [rule]


@pytest.mark.parametrize("asked", [
    Asked("create-connection", path={"companyId": COMPANY}, body={"platformKey": "gbol"}),
    Asked("get-config-text-sync-flow", query=[("locale", "FR-FR")]),
    Asked("request-sync-for-date-range", body={"dateRange": {"start": "2024-01-01", "finish": "2024-02-01T00:00"}}),
    Asked("list-integrations", query=[("page", "no")]),
    Asked("get-integration-branding", path={"platformKey": "abcd"}),
])
def test_requests_those_rules_let_a_target_accept(asked: Asked) -> None:
    assert reasons(asked) == []


def test_a_2xx_with_an_invalid_body_still_fails_api_1() -> None:
    assert breaches(exchange("list-webhooks", 200, {"results": "none"}, query="page=false")) == [
        ("API-1", "Response violates schema")]
    assert breaches(exchange("list-webhooks", 200, b"<html>", content_type="text/html")) == [
        ("API-1", "The answer is not JSON")]
    assert breaches(exchange("delete-company", 200, {"id": COMPANY}, path={"companyId": COMPANY})) == [
        ("API-1", "Undocumented status")]


def test_the_other_rules_still_judge_every_answer() -> None:
    assert rules(exchange("list-webhooks", 500, {"statusCode": 500, "error": "x"})) == {"API-5"}
    assert rules(exchange("list-webhooks", 200, WEBHOOKS, content_type="text/plain")) == {"API-2"}
    assert rules(exchange("list-webhooks", 405, b"Method Not Allowed", content_type="text/plain")) == {"API-3"}
    assert rules(exchange("list-webhooks", 404, {"statusCode": 400, "error": "x"})) == {"API-3"}
    assert rules(exchange("list-webhooks", 200, WEBHOOKS, credentials=Credentials.BEARER)) == {"KEY-1"}
    assert rules(exchange("list-webhooks", 200, {"results": [], "note": KEY})) == {"KEY-2"}
    assert rules(exchange("list-connections", 200, {**PAGE, "totalResults": 2}, query="page=1")) == {"API-4"}
