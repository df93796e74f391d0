"""Contract fuzzing: every operation of our contract, with requests nobody wrote by hand.

    engine.walk                  the one loop: for each operation, hand-made requests (bodies that
                                 are not JSON, requests a rule demands refused), generated valid and
                                 invalid cases (ids pinned to a real merchant), and every path
                                 parameter as an id that does not exist; an Examiner sends each
                                 and judges the answer
    run.fuzz(client, budget)     ``sfc-conformance fuzz``: prepare a merchant, then
    ├── stateless.run_stateless  the walk, every answer to every check, plus KEY-1 probes
    └── stateful.run_stateful    scenarios along the contract's links, ids from real answers
    judge.Judge                  every answer before every check (checks.CHECKS: each check with the
                                 profile rules it judges; none of schemathesis' own)
    refusals.REFUSALS            where a rule demands a refusal: the only requests a target fails by
                                 accepting, reported under that rule
    findings.Findings            each breach once, with its rule and a curl to reproduce it
    sending.Sender               through the project's one client, key masked in every curl
    command                      ``sfc-conformance fuzz``
    cases.Outgoing               a generated case as the request that goes out: plain data
    ahead.recorded, Ahead        a walk's requests recorded, not sent; worked out in a forked
                                 process while the caller does other work (they need no answer)

The Gherkin suite's API-5 scenario (:mod:`sfc_conformance.suite.fuzz`) sends the
same engine's requests, worked out ahead, and looks for 5xx only; it uses the
names below, never the modules' insides.

Importing this package is cheap: schemathesis and hypothesis load with the
first name used from it, so reading the command line never pays for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfc_conformance.fuzzing.ahead import Ahead, Recorded, recorded
    from sfc_conformance.fuzzing.budget import Budget
    from sfc_conformance.fuzzing.cases import BOTH, Kind, Outgoing, outgoing
    from sfc_conformance.fuzzing.engine import Examiner, Plan, walk
    from sfc_conformance.fuzzing.findings import Finding
    from sfc_conformance.fuzzing.run import FuzzReport, fuzz
    from sfc_conformance.fuzzing.schema import load_schema

_PUBLIC = {
    "Budget": ".budget", "Finding": ".findings", "FuzzReport": ".run", "fuzz": ".run", "load_schema": ".schema",
    "Examiner": ".engine", "Plan": ".engine", "walk": ".engine",
    "BOTH": ".cases", "Kind": ".cases", "Outgoing": ".cases", "outgoing": ".cases",
    "Ahead": ".ahead", "Recorded": ".ahead", "recorded": ".ahead",
}
__all__ = ["BOTH", "Ahead", "Budget", "Examiner", "Finding", "FuzzReport", "Kind", "Outgoing", "Plan", "Recorded",
           "fuzz", "load_schema", "outgoing", "recorded", "walk"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name], __name__), name)
