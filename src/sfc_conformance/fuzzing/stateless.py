"""Phase one of ``sfc-conformance fuzz``: every operation on its own, every answer to every check.

The loop is the engine's (:func:`.engine.walk`): hand-made requests (bodies
that are not JSON, requests a rule demands refused), valid and invalid
generated cases with the prepared merchant's ids pinned, and every path
parameter once as an id that does not exist.  This phase adds what the command
checks: each answer goes before the :class:`.judge.Judge`, and the first valid
case of each operation is sent again without the key, with a wrong key and as a
Bearer token (KEY-1).
"""

from __future__ import annotations

from typing import Any

from sfc_conformance.fuzzing.budget import Budget
from sfc_conformance.fuzzing.cases import BOTH, Kind, Outgoing
from sfc_conformance.fuzzing.engine import Plan, walk
from sfc_conformance.fuzzing.judge import Judge
from sfc_conformance.fuzzing.sending import PROBES, OutOfBudget, Sender, Unanswered

SUBSCRIPTION = "create-webhook"


def run_stateless(schema: Any, sender: Sender, judge: Judge, budget: Budget, *, pinned: dict[str, str],
                  fuzz_subscriptions: bool, platform_keys: dict[str, str] | None = None) -> None:
    """``fuzz_subscriptions``: whether ``POST /webhooks`` may get generated bodies (see :mod:`.run`);
    ``platform_keys``: the run's ``commerceKey`` and ``accountingKey``, kept beside an unknown id."""

    def modes(operation: str) -> tuple[Kind, ...]:
        return () if operation == SUBSCRIPTION and not fuzz_subscriptions else BOTH

    plan = Plan(budget, pinned=pinned, known={**(platform_keys or {}), **pinned}, modes=modes)
    walk(schema, plan, _Judged(sender, judge))


class _Judged:
    """Every answer before every check; the first valid case of each operation also with the KEY-1 probes."""

    def __init__(self, sender: Sender, judge: Judge) -> None:
        self.sender = sender
        self.judge = judge
        self._probed: set[str] = set()

    def hand_made(self, operation: Any, request: Outgoing) -> None:
        try:
            sent = self.sender.send(request.method, request.url, params=request.params, headers=request.headers,
                                    json_body=request.json_body, content=request.content)
        except Unanswered as unanswered:
            self.judge.unanswered(operation, unanswered)
            return
        except OutOfBudget:
            return
        self.judge.answer(operation, sent)

    def case(self, case: Any, kind: Kind) -> None:
        probes = []
        if kind == "positive" and case.operation.label not in self._probed:
            self._probed.add(case.operation.label)
            probes = list(PROBES)  # sent once, with the operation's first valid case
        try:
            sent = self.sender.send_case(case)
            self.judge.answer(case.operation, sent, unknown_id=kind == "unknown-id")
            for credentials in probes:
                self.judge.answer(case.operation, self.sender.send_case(case, credentials),
                                  keyed_status=sent.response.status_code)
        except Unanswered as unanswered:
            self.judge.unanswered(case.operation, unanswered)
        except OutOfBudget:
            return  # the remaining examples are generated but not sent: nothing is left to spend
