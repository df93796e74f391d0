"""API-5: requests generated from our contract by schemathesis, sent through the suite's client.

Every operation gets ``examples`` positive and ``examples`` negative cases,
derandomized so a run is repeatable.  Path ids are pinned to a real merchant
so bodies reach the target's validation rather than stopping at a 404.
Webhook subscriptions are never fuzzed: a generated URL would make the target
post events to an arbitrary host.  The contract as schemathesis reads it, the
hand-made bodies and the generation loop are the contract fuzzer's
(:mod:`sfc_conformance.fuzzing`); this scenario only looks for 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from schemathesis.generation.modes import GenerationMode

from ..fuzzing.schema import load_schema
from ..fuzzing.stateless import RAW_BODIES, generate, operations
from .world import Merchant, Suite

NEVER_FUZZED = {("POST", "/webhooks")}
MALFORMED_BODIES = [body for body, _ in RAW_BODIES]


@dataclass(frozen=True)
class ServerError:
    method: str
    path: str
    status: int
    shown: str


def fuzz(suite: Suite, merchant: Merchant, examples: int) -> tuple[int, list[ServerError]]:
    """Send the generated requests; (how many were sent, the ones answered with a 5xx)."""
    schema = load_schema(suite.settings.commerce_key, suite.settings.accounting_key)
    connection = suite.connection(merchant, "Accounting")["id"]
    pinned = {"companyId": merchant.company_id, "connectionId": connection}
    sent = 0
    failures: list[ServerError] = []

    def send(case: Any) -> None:
        nonlocal sent
        kwargs = case.as_transport_kwargs(base_url=suite.target.base_url)
        headers = {k: v for k, v in (kwargs.get("headers") or {}).items()
                   if k.lower() not in ("authorization", "x-schemathesis-testcaseid")}
        content = kwargs.get("data")
        if isinstance(content, str):
            content = content.encode()
        answer = suite.client.request(kwargs["method"], kwargs["url"], params=kwargs.get("params"),
                                      headers=headers, json_body=kwargs.get("json"), content=content, retry=False)
        sent += 1
        if answer.status_code >= 500:
            failures.append(ServerError(kwargs["method"], case.operation.path, answer.status_code,
                                        suite.observations.records[-1].shown))

    def send_raw(method: str, path: str, content: bytes) -> None:
        nonlocal sent
        answer = suite.client.request(method, path, content=content, retry=False,
                                      headers={"Content-Type": "application/json"})
        sent += 1
        if answer.status_code >= 500:
            failures.append(ServerError(method, path, answer.status_code, suite.observations.records[-1].shown))

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
        repeatable = settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        for mode in modes:
            if not generate(operation.as_strategy(mode, path_parameters=fixed), repeatable, send):
                generate(operation.as_strategy(mode), repeatable, send)  # only the pinned ids were left to negate
    return sent, failures
