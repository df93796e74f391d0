"""One fuzz run against one target: prepare a merchant, then both phases, then the report.

Webhook subscriptions (``POST /webhooks``) are fuzzed with generated bodies
only when the target is *contained*: the embedded sandbox in this process,
whose deliveries cannot leave it.  Any other target would post events to
whatever URL was generated, so it gets only bodies that are not JSON at all
(nothing it could subscribe), never a generated URL — not even in negative
cases, where a valid URL can sit next to the one invalid field.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.core.http import ApiClient
from sfc_conformance.fuzzing.budget import Budget
from sfc_conformance.fuzzing.engine import operations
from sfc_conformance.fuzzing.findings import Finding, Findings
from sfc_conformance.fuzzing.judge import Judge
from sfc_conformance.fuzzing.schema import load_schema
from sfc_conformance.fuzzing.sending import Sender
from sfc_conformance.fuzzing.stateful import run_stateful
from sfc_conformance.fuzzing.stateless import run_stateless

MERCHANT_NAME = "SFC conformance fuzz"
CONTAINED_HOOK = "https://fuzz.invalid/hook"


@dataclass(frozen=True)
class FuzzReport:
    findings: list[Finding]
    requests: int
    operations: list[str]
    succeeded: set[str]  # operations that answered at least one generated request with a 2xx
    elapsed: float
    out_of_time: bool
    merchant: str | None  # the company whose ids the stateless phase pinned
    subscriptions_fuzzed: bool  # POST /webhooks got generated bodies (contained targets only)
    not_judged: tuple[str, ...] = ()  # requests that got no answer in time: no verdict drawn from them

    @property
    def rules(self) -> list[str]:
        return sorted({finding.rule for finding in self.findings})

    @property
    def failures(self) -> list[Finding]:
        """Findings under MUST rules: each fails the run."""
        return [finding for finding in self.findings if finding.must]

    @property
    def warnings(self) -> list[Finding]:
        """Findings under SHOULD rules: they fail the run only when it is strict."""
        return [finding for finding in self.findings if not finding.must]

    def failed(self, *, strict: bool = False) -> bool:
        return bool(self.findings if strict else self.failures)


def fuzz(client: ApiClient, budget: Budget, *, contained: bool, commerce_key: str = "lqai",
         accounting_key: str = "gbol") -> FuzzReport:
    """Fuzz the target behind ``client``; raises the :class:`~sfc_conformance.core.errors.TargetError`
    that stopped the run if the target stopped answering."""
    schema = load_schema(commerce_key, accounting_key)
    sender = Sender(client, budget)
    findings = Findings()
    pinned = prepare_merchant(SyncFlowApi(client), commerce_key, accounting_key)
    if contained:
        pinned.update(prepare_subscription(SyncFlowApi(client)))
    platform_keys = {"commerceKey": commerce_key, "accountingKey": accounting_key}
    judge = Judge(findings, commerce_key=commerce_key, known={**platform_keys, **pinned})
    run_stateless(schema, sender, judge, budget, pinned=pinned, fuzz_subscriptions=contained,
                  platform_keys=platform_keys)
    run_stateful(schema, sender, Judge(findings, commerce_key=commerce_key), budget)
    if sender.target_error is not None:
        raise sender.target_error
    return FuzzReport(findings=list(findings), requests=sender.count,
                      operations=[operation.label for operation in operations(schema)], succeeded=sender.succeeded,
                      elapsed=time.monotonic() - budget.started, out_of_time=budget.spent(),
                      merchant=pinned.get("companyId"), subscriptions_fuzzed=contained,
                      not_judged=tuple(findings.not_judged))


def prepare_merchant(api: SyncFlowApi, commerce_key: str, accounting_key: str) -> dict[str, str]:
    """A company with its flow started, both connections authorized, configured, and one sync run, as the
    profile's steps make one.

    Returns the path ids to pin: ``companyId``, ``connectionId`` of the accounting connection, ``clientId``
    (the flow URL's segment before its platform keys), ``syncId`` of the sync and ``platformKey`` (the
    commerce key); as many as the target's answers allowed, none when it would not create a company (the
    fuzz then reports why, and the phases use ids of their own).
    """
    company = _json(api.create_company(MERCHANT_NAME), 200)
    if not isinstance(company, dict) or not isinstance(company.get("id"), str):
        return {}
    pinned = {"companyId": company["id"], "platformKey": commerce_key}
    flow = _json(api.start_flow(commerce_key, accounting_key, pinned["companyId"]), 200)
    client_id = _client_id(flow.get("url") if isinstance(flow, dict) else None, commerce_key, accounting_key)
    if client_id is not None:
        pinned["clientId"] = client_id
    listed = _json(api.list_connections(pinned["companyId"]), 200)
    connections = listed.get("results") if isinstance(listed, dict) else None
    for connection in connections if isinstance(connections, list) else []:
        if isinstance(connection, dict) and isinstance(connection.get("id"), str):
            api.authorize(pinned["companyId"], connection["id"], {"username": "sfc-conformance", "password": "fuzz"})
            if connection.get("sourceType") == "Accounting":
                pinned["connectionId"] = connection["id"]
    document = _json(api.get_configuration(pinned["companyId"]), 200)
    if isinstance(document, dict):
        api.set_configuration(pinned["companyId"], _first_choices(document))
    summary = _json(api.request_sync(pinned["companyId"]), 200)
    if isinstance(summary, dict) and isinstance(summary.get("commerceSyncId"), str):
        pinned["syncId"] = summary["commerceSyncId"]
    return pinned


def _client_id(url: object, commerce_key: str, accounting_key: str) -> str | None:
    """The segment of a flow URL just before its two platform keys: the partner's client id."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url).path.split("/")
    for at in range(1, len(parts) - 1):
        if (parts[at], parts[at + 1]) == (commerce_key, accounting_key) and parts[at - 1]:
            return parts[at - 1]
    return None


def _first_choices(node: Any) -> Any:
    """The configuration with the first offered option chosen wherever it offers some, and the sync enabled:
    a complete configuration on any target that offers options, so the merchant's syncs can succeed."""
    if isinstance(node, list):
        return [_first_choices(item) for item in node]
    if not isinstance(node, dict):
        return node
    chosen = {key: _first_choices(value) for key, value in node.items()}
    for options, selected, read in (("accountOptions", "selectedAccountId", "id"),
                                    ("taxRateOptions", "selectedTaxRateId", "id"),
                                    ("supplierOptions", "selectedSupplierId", "id"),
                                    ("invoiceStatusOptions", "selectedInvoiceStatus", None),
                                    ("groupingPeriodOptions", "selectedGroupingPeriod", None)):
        offered = node.get(options)
        if isinstance(offered, list) and offered:
            first = offered[0]
            chosen[selected] = first.get(read) if read and isinstance(first, dict) else first
    if "configured" in node:
        chosen["enable"] = True
    return chosen


def prepare_subscription(api: SyncFlowApi) -> dict[str, str]:
    """A subscription whose id ``DELETE /webhooks/{webhookId}`` is fuzzed with (contained targets only:
    its events go to an address no request leaves the process for)."""
    hook = _json(api.subscribe(CONTAINED_HOOK, ["connection.deleted"]), 201)
    return {"webhookId": hook["id"]} if isinstance(hook, dict) and isinstance(hook.get("id"), str) else {}


def _json(response: Any, status: int) -> Any:
    if response.status_code != status:
        return None
    try:
        return response.json()
    except ValueError:
        return None
