"""API-5: requests generated from our contract, sent through the suite's client; no answer may be a 5xx.

The requests are the contract fuzzer's (:func:`sfc_conformance.fuzzing.walk`,
the loop ``sfc-conformance fuzz`` runs): for every operation, bodies that are
not JSON, ``examples`` valid and ``examples`` invalid cases with the
merchant's ids pinned, and every path parameter once as a well-formed id that
does not exist.  Generation is seeded, so a run is repeatable.  This scenario
only looks for 5xx; the whole-run scenarios (API-1..3, KEY-2) see the answers too.

Webhook subscriptions get no generated body: a generated URL would make the
target post events to an arbitrary host.  Against a live target no valid
company is generated either: the partner's account is not filled with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfc_conformance.suite.world import Merchant, Suite

if TYPE_CHECKING:
    from sfc_conformance.fuzzing import Kind, Outgoing

NOT_GENERATED = "create-webhook"  # POST /webhooks
NOT_GENERATED_LIVE = "create-company"  # POST /companies: invalid bodies only


@dataclass(frozen=True)
class ServerError:
    method: str
    path: str
    status: int
    shown: str


@dataclass
class Fuzzed:
    """What the generated requests of a scenario met: how many were sent, which were answered with a 5xx."""

    pinned: dict[str, str]  # the merchant's ids the requests were pinned to
    sent: int = 0
    failures: list[ServerError] = field(default_factory=list)
    unknown_ids: int = 0  # requests with a well-formed id that does not exist


class _ServerErrors:
    """The examiner of API-5: every request through the suite's client, each 5xx kept."""

    def __init__(self, suite: Suite, fuzzed: Fuzzed) -> None:
        self.suite = suite
        self.fuzzed = fuzzed

    def raw_body(self, operation: Any, request: Outgoing, must_refuse: bool) -> None:
        self._send(request)

    def case(self, case: Any, kind: Kind) -> None:
        from sfc_conformance.fuzzing import outgoing  # noqa: PLC0415 - loaded with the fuzz, as schemathesis is

        self._send(outgoing(case))
        self.fuzzed.unknown_ids += kind == "unknown-id"

    def _send(self, request: Outgoing) -> None:
        answer = self.suite.client.request(request.method, request.url, params=request.params,
                                           headers=request.headers, json_body=request.json_body,
                                           content=request.content, retry=False)
        self.fuzzed.sent += 1
        if answer.status_code >= 500:
            self.fuzzed.failures.append(ServerError(request.method, request.template, answer.status_code,
                                                    self.suite.observations.records[-1].shown))


def fuzz(suite: Suite, merchant: Merchant, examples: int) -> Fuzzed:
    """Walk every operation: ``examples`` generated cases per mode, and an unknown id for each path parameter."""
    # schemathesis and hypothesis load here, when API-5 runs, not whenever the steps are collected.
    from sfc_conformance.fuzzing import BOTH, Budget, Plan, load_schema, walk  # noqa: PLC0415

    pinned = {"companyId": merchant.company_id, "connectionId": suite.connection(merchant, "Accounting")["id"]}
    live = suite.settings.live

    def modes(operation: str) -> tuple[Kind, ...]:
        if operation == NOT_GENERATED:
            return ()
        return ("negative",) if live and operation == NOT_GENERATED_LIVE else BOTH

    fuzzed = Fuzzed(pinned)
    plan = Plan(Budget(examples), pinned=pinned, modes=modes,
                known={"commerceKey": suite.commerce_key, "accountingKey": suite.accounting_key, **pinned})
    walk(load_schema(suite.settings.commerce_key, suite.settings.accounting_key), plan, _ServerErrors(suite, fuzzed))
    return fuzzed
