"""The one fuzz loop: every operation of our contract, with requests nobody wrote by hand.

For each operation, in the order of :func:`operations` (those that change or
destroy the pinned merchant last), :func:`walk` produces

1. hand-made requests (:func:`hand_made`): where the operation takes a body, bodies that
   are not JSON at all (:data:`RAW_BODIES`); and, where a rule of the profile demands that
   some request be refused, requests it demands refused (:mod:`.refusals`), so each such
   rule is put to the test whatever the generator draws;
2. generated cases for each mode the :class:`Plan` gives the operation (valid, invalid),
   path ids pinned to a real merchant so bodies reach the target's validation rather than
   stopping at a 404; where only the pinned ids were left to vary, ids of their own;
3. every path parameter once as a well-formed id that does not exist, the others the
   merchant's (API-5: a target must answer 404, not fail).

What is sent, and how each answer is judged, is the :class:`Examiner`'s:
``sfc-conformance fuzz`` holds every answer to every check (:mod:`.stateless`),
the suite's API-5 scenario looks for 5xx only.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import hypothesis
from hypothesis import given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis.core.result import Err
from schemathesis.generation.modes import GenerationMode

from sfc_conformance.fuzzing.budget import Budget
from sfc_conformance.fuzzing.cases import BOTH, NONEXISTENT_KEY, UNKNOWN_ID, Kind, Outgoing
from sfc_conformance.fuzzing.refusals import NO_BODY, filled, probes
from sfc_conformance.fuzzing.schema import operation_id

MODES: dict[Kind, GenerationMode] = {"positive": GenerationMode.POSITIVE, "negative": GenerationMode.NEGATIVE}

# Bodies no generator from the contract sends: not JSON at all (truncated, not UTF-8, nested past any
# parser's depth), and JSON no parser should choke on (a number past any float).  No rule demands that a
# target refuse them (except where a rule demands a body it lacks, as SYNC-3): each answer is judged as any.
RAW_BODIES = (b'{"truncated', b"\xff\xfe not utf-8", b"[" * 10000, b'{"a": 1e999999}')
# A connection added to the pinned company is its newest, not yet authorized; de-authorizing or deleting the
# pinned connection does the same: each would turn every later configuration request into a 409.  Deleting the
# pinned company, every later request into a 404.  In this order, at the end.
RUN_LAST = ("create-connection", "update-connection", "delete-connection", "delete-company")


class Examiner(Protocol):
    """Sends what :func:`walk` produces and judges the answers."""

    def hand_made(self, operation: Any, request: Outgoing) -> None: ...

    def case(self, case: Any, kind: Kind) -> None: ...


@dataclass(frozen=True)
class Plan:
    """What a walk sends: ``budget.max_examples`` cases per operation and mode, with these ids."""

    budget: Budget
    pinned: Mapping[str, str] = field(default_factory=dict)  # path ids of a real merchant
    known: Mapping[str, str] = field(default_factory=dict)  # kept beside an unknown id: pinned ids, platform keys
    modes: Callable[[str], tuple[Kind, ...]] = lambda operation: BOTH  # by operationId; () for hand-made only


def walk(schema: Any, plan: Plan, examiner: Examiner) -> None:
    for operation in operations(schema):
        fixed = {name: value for name, value in plan.pinned.items() if "{" + name + "}" in operation.path}
        for request in hand_made(operation, plan):
            examiner.hand_made(operation, request)
        for kind in plan.modes(operation_id(operation)):
            examine = _examining(examiner, kind)
            if not generate(operation.as_strategy(MODES[kind], path_parameters=fixed or None),
                            plan.budget.settings(), examine, seed=plan.budget.seed):
                # Only the pinned ids were left to vary: generate ids of its own instead.
                generate(operation.as_strategy(MODES[kind]), plan.budget.settings(), examine, seed=plan.budget.seed)
        for parameters in unknown_id_variants(operation, plan.known):  # well-formed, but nobody's
            generate(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=parameters),
                     plan.budget.settings(max_examples=1), _examining(examiner, "unknown-id"), seed=plan.budget.seed)


def hand_made(operation: Any, plan: Plan) -> list[Outgoing]:
    """The operation's hand-made requests: bodies that are not JSON (where it takes a body), the merchant's
    ids in the path; then each request a rule demands refused (:func:`.refusals.probes`)."""
    method, names = operation.method.upper(), list(_path_names(operation))
    made = []
    if operation.body:
        path = operation.path.format(**{name: plan.pinned.get(name, UNKNOWN_ID) for name in names})
        made += [Outgoing(method, path, operation.path, headers={"Content-Type": "application/json"}, content=content)
                 for content in RAW_BODIES]
    for probe in probes(operation_id(operation)):
        values = {name: quote(filled(probe.path.get(name, "{" + name + "}"), plan.known), safe="")
                  for name in names}
        query = {name: filled(value, plan.known) for name, value in probe.query.items()}
        url = operation.path.format(**values) + (f"?{urlencode(query)}" if query else "")
        if probe.body is NO_BODY:
            made.append(Outgoing(method, url, operation.path))
        else:
            made.append(Outgoing(method, url, operation.path, headers={"Content-Type": "application/json"},
                                 json_body=copy.deepcopy(probe.body)))
    return made


def _examining(examiner: Examiner, kind: Kind) -> Callable[[Any], None]:
    def examine(case: Any) -> None:  # one argument: what hypothesis gives a test
        examiner.case(case, kind)

    return examine


def operations(schema: Any) -> list[Any]:
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # the contract is validated by its own tests: this is a packaging fault
            raise result.err()
        found.append(result.ok())
    return sorted(found, key=lambda op: RUN_LAST.index(operation_id(op)) + 1 if operation_id(op) in RUN_LAST else 0)


def unknown_id_variants(operation: Any, known: Mapping[str, str]) -> list[dict[str, str]]:
    """The operation's path parameters with one of them a well-formed id that does not exist (API-5).

    One variant per path parameter; the others keep the ``known`` values (a real
    merchant's), so the unknown one is what the target meets.
    """
    names = list(_path_names(operation))
    variants = []
    for name in names:
        parameters = {other: known[other] for other in names if other != name and other in known}
        parameters[name] = _nonexistent(operation, name)
        variants.append(parameters)
    return variants


def generate(strategy: SearchStrategy[Any], run_with: settings, test: Callable[[Any], None], *,
             seed: int | None = None) -> bool:
    """Run ``test`` on the cases ``strategy`` generates; False when it can generate none."""
    run: Callable[[], None] = run_with(given(strategy)(test))
    if seed is not None:
        run = hypothesis.seed(seed)(run)
    try:
        run()
    except Unsatisfiable:
        return False
    return True


def _nonexistent(operation: Any, name: str) -> str:
    parameter = next(p for p in operation.path_parameters if p.name == name)
    schema = (getattr(parameter, "definition", None) or {}).get("schema") or {}
    return str(uuid.uuid4()) if schema.get("format") == "uuid" else NONEXISTENT_KEY


def _path_names(operation: Any) -> Iterator[str]:
    for parameter in operation.path_parameters:
        yield parameter.name
