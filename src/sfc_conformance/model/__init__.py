"""Every rule, everywhere: a model of the protocol that Hypothesis drives (profile v3).

The scenarios show the rules by example; the model says what a conforming
target holds and holds the target to it in every state and for every value a
random sequence of calls reaches, shrinking a failure to the shortest
sequence that shows it.

    run.run_model(client, key, budget)   one run: sequences of calls, each failure shrunk, with its seed
    ├── machine.ProtocolMachine          the state machine: each step a call drawn from its menu, the merchant's
    │   │                                journey (TOUR) first; the RUN-3 invariant; what it made, deleted at its end,
    │   │                                and the client-wide settings it changed, put back
    │   ├── calls.Calls                  what every call stands on: its target drawn, its step named, a rule blamed
    │   │   ├── companies, flow          create, read, list, delete companies; the start call (URL-*, LINK-1/2),
    │   │   │                            whose flow URL names the partner's client id
    │   │   ├── connections              create (LINK-4), list, authorize, change, delete (API-4, LINK-3, REV-4,
    │   │   │                            READY-1)
    │   │   ├── configuring              read and post, in every way a merchant may and every invalid way (CONF-*,
    │   │   │                            REV-1..3); every value of one choice in turn
    │   │   ├── syncs, subscriptions     request and read syncs: latest, list, by id, last successful, date ranges
    │   │   │                            (DEL-2, SYNC-1..3); webhook subscriptions
    │   │   ├── customizing              the flow's texts per locale, the visible accounts per platform, each change
    │   │   │                            read back, a configuration unchanged (CUST-1..4); put back at the end
    │   │   ├── integrations             the integrations list, paged, and each one's branding (INT-1, INT-2)
    │   │   └── keys                     every call with every credential that is not the key (KEY-1)
    │   ├── judging.Judging              one call sent and held to the profile; lists (API-4) and documents read back
    │   │   └── every_answer             API-5, KEY-2, API-3, API-2, API-1 on every answer
    │   ├── allowed                      the answers the profile allows, call by call, with their rule
    │   ├── holdings                     what a conforming target holds: companies, connections, configurations,
    │   │                                syncs, subscriptions, flow texts, visible accounts, and the rule behind each
    │   │                                expected value; Phase
    │   ├── documents                    a Configuration read and written the model's way
    │   └── values                       every value a choice allows, each kind of invalid one, near-miss keys
    ├── model_run.ModelRun               what a run's sequences share; ModelBudget, Reach
    └── transcript                       numbered steps, masked curl lines; ModelFailure

Importing this package is cheap: Hypothesis loads with the first name used
from it, so the command line can read its options without paying for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfc_conformance.model.holdings import Phase
    from sfc_conformance.model.model_run import ModelBudget
    from sfc_conformance.model.run import ModelReport, run_model
    from sfc_conformance.model.transcript import ModelFailure

_PUBLIC = {"ModelBudget": ".model_run", "ModelReport": ".run", "run_model": ".run", "ModelFailure": ".transcript",
           "Phase": ".holdings"}
__all__ = ["ModelBudget", "ModelFailure", "ModelReport", "Phase", "run_model"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name], __name__), name)
