"""API-5: requests generated from our contract by schemathesis, sent through the suite's client.

Every operation gets ``examples`` positive and ``examples`` negative cases,
derandomized so a run is repeatable.  Path ids are pinned to a real merchant
so bodies reach the target's validation rather than stopping at a 404; then
every path parameter is tried once with a well-formed id that does not exist,
the others still the merchant's.
Webhook subscriptions are never fuzzed: a generated URL would make the target
post events to an arbitrary host.  The contract as schemathesis reads it, the
hand-made bodies and the generation loop are the contract fuzzer's
(:mod:`sfc_conformance.fuzzing`); this scenario only looks for 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from schemathesis.generation.modes import GenerationMode

from ..fuzzing.schema import load_schema
from ..fuzzing.stateless import RAW_BODIES, generate, operations, unknown_id_variants
from .world import Merchant, Suite

NEVER_FUZZED = {("POST", "/webhooks")}
MALFORMED_BODIES = [body for body, _ in RAW_BODIES]


@dataclass(frozen=True)
class ServerError:
    method: str
    path: str
    status: int
    shown: str


@dataclass
class Fuzzed:
    """What the generated requests of a scenario met: how many were sent, which were answered with a 5xx."""

    pinned: dict[str, str]  # the merchant's ids, as they were before the fuzz changed anything
    sent: int = 0
    failures: list[ServerError] = field(default_factory=list)


def _repeatable(examples: int) -> settings:
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _sender(suite: Suite, fuzzed: Fuzzed) -> Any:
    def send(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=suite.target.base_url)
        headers = {k: v for k, v in (kwargs.get("headers") or {}).items()
                   if k.lower() not in ("authorization", "x-schemathesis-testcaseid")}
        content = kwargs.get("data")
        if isinstance(content, str):
            content = content.encode()
        answer = suite.client.request(kwargs["method"], kwargs["url"], params=kwargs.get("params"),
                                      headers=headers, json_body=kwargs.get("json"), content=content, retry=False)
        fuzzed.sent += 1
        if answer.status_code >= 500:
            fuzzed.failures.append(ServerError(kwargs["method"], case.operation.path, answer.status_code,
                                               suite.observations.records[-1].shown))

    return send


def _pinned(suite: Suite, merchant: Merchant) -> dict[str, str]:
    return {"companyId": merchant.company_id, "connectionId": suite.connection(merchant, "Accounting")["id"]}


def fuzz(suite: Suite, merchant: Merchant, examples: int, fuzzed: Fuzzed | None = None) -> Fuzzed:
    """Send the generated requests, ``examples`` per operation and mode (counted into ``fuzzed``)."""
    schema = load_schema(suite.settings.commerce_key, suite.settings.accounting_key)
    fuzzed = fuzzed or Fuzzed(_pinned(suite, merchant))
    pinned = fuzzed.pinned
    send = _sender(suite, fuzzed)

    def send_raw(method: str, path: str, content: bytes) -> None:
        answer = suite.client.request(method, path, content=content, retry=False,
                                      headers={"Content-Type": "application/json"})
        fuzzed.sent += 1
        if answer.status_code >= 500:
            fuzzed.failures.append(ServerError(method, path, answer.status_code, suite.observations.records[-1].shown))

    for operation in operations(schema):
        if operation.body and (operation.method.upper(), operation.path) not in NEVER_FUZZED:
            # Not JSON at all: something a generator from the contract never sends.
            path = operation.path.format(**pinned)
            for content in MALFORMED_BODIES:
                send_raw(operation.method.upper(), path, content)
        if (operation.method.upper(), operation.path) in NEVER_FUZZED:
            continue
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        if suite.settings.live and operation.path == "/companies":
            modes = [GenerationMode.NEGATIVE]  # do not fill a live account with generated companies
        fixed = {k: v for k, v in pinned.items() if "{" + k + "}" in operation.path} or None
        for mode in modes:
            if not generate(operation.as_strategy(mode, path_parameters=fixed), _repeatable(examples), send):
                generate(operation.as_strategy(mode), _repeatable(examples), send)  # only the pinned ids were left
    return fuzzed


def fuzz_unknown_ids(suite: Suite, merchant: Merchant) -> Fuzzed:
    """Every path parameter once with a well-formed id that does not exist, the others the merchant's."""
    schema = load_schema(suite.settings.commerce_key, suite.settings.accounting_key)
    fuzzed = Fuzzed(_pinned(suite, merchant))
    known = {"commerceKey": suite.commerce_key, "accountingKey": suite.accounting_key, **fuzzed.pinned}
    send = _sender(suite, fuzzed)
    for operation in operations(schema):
        if (operation.method.upper(), operation.path) in NEVER_FUZZED:
            continue
        for parameters in unknown_id_variants(operation, known):
            generate(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=parameters), _repeatable(1), send)
    return fuzzed
