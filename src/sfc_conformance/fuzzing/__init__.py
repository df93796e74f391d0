"""Contract fuzzing: every operation of our contract, with requests nobody wrote by hand.

    run.fuzz(client, budget, contained=...)    one run: prepare a merchant, then
    ├── stateless.run_stateless                every operation alone: valid and invalid cases,
    │                                          KEY-1 probes, bodies that are not JSON
    └── stateful.run_stateful                  scenarios along the contract's links, ids from real answers
    judge.judge                                every answer before schemathesis' checks and ours (checks.py);
                                               ignorable.py says which invalid bodies a target may accept
    findings.Findings                          each failure once, with its rule and a curl to reproduce it
    sending.Sender                             through the project's one client, key masked in every curl
    command                                    ``sfc-conformance fuzz``

The Gherkin suite's API-5 scenario (:mod:`sfc_conformance.suite.fuzz`) sends
its generated requests through the same :mod:`.schema` and :mod:`.sending`.
"""

from __future__ import annotations

from .budget import Budget
from .findings import Finding
from .run import FuzzReport, fuzz

__all__ = ["Budget", "Finding", "FuzzReport", "fuzz"]
