"""Operations on a target's account: its API, what a run creates there, and what it leaves.

    SyncFlowApi                the profile's wire protocol, one method per row (_sync_flow_api.py)
    Target, LiveTarget, Capabilities  what a run asks of a target, and the live kind (_targets.py)
    RunId, run_of_company, ...  how a live run marks what it creates (RUN-3; _run_identity.py)
    Deleter                    deleting what live runs created (RUN-2, RUN-3; _deletion.py)
    Sweeper                    what earlier runs left, found and removed (_leftovers.py)
    WebhookReceiver, ServedReceiver  catching ``connection.deleted`` (_webhook_receiver.py)
    webhook_for, generate_secret  Standard Webhooks signing (_webhook_signing.py)

It imports :mod:`sfc_conformance.core.http` and the base modules of core, never the profile.

Importing this package is cheap: each module loads with the first name used from it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfc_conformance.core.account._deletion import (
        COMPANY,
        KINDS,
        LIST_PATH,
        NOT_OFFERED,
        PAGE_SIZE,
        PLURAL,
        SUBSCRIPTION,
        Deleter,
        Leftover,
        Outcome,
    )
    from sfc_conformance.core.account._leftovers import Sweeper, parse_age
    from sfc_conformance.core.account._run_identity import RUN_QUERY, RunId, run_of_company, run_of_webhook_url
    from sfc_conformance.core.account._sync_flow_api import (
        PLATFORM_KEY,
        TEXTS_PATH,
        VISIBLE_ACCOUNTS_PATH,
        SyncFlowApi,
    )
    from sfc_conformance.core.account._targets import Capabilities, LiveTarget, Target
    from sfc_conformance.core.account._webhook_receiver import (
        SIGNATURE_HEADERS,
        SUBSCRIBER_QUERY,
        Delivery,
        ServedReceiver,
        WebhookReceiver,
        subscriber_url,
    )
    from sfc_conformance.core.account._webhook_signing import generate_secret, webhook_for

_MODULES = {  # each module, and the names it gives the package
    "._deletion": ("COMPANY", "Deleter", "KINDS", "LIST_PATH", "Leftover", "NOT_OFFERED", "Outcome", "PAGE_SIZE",
                   "PLURAL", "SUBSCRIPTION"),
    "._leftovers": ("Sweeper", "parse_age"),
    "._run_identity": ("RUN_QUERY", "RunId", "run_of_company", "run_of_webhook_url"),
    "._sync_flow_api": ("PLATFORM_KEY", "SyncFlowApi", "TEXTS_PATH", "VISIBLE_ACCOUNTS_PATH"),
    "._targets": ("Capabilities", "LiveTarget", "Target"),
    "._webhook_receiver": ("Delivery", "SIGNATURE_HEADERS", "SUBSCRIBER_QUERY", "ServedReceiver", "WebhookReceiver",
                           "subscriber_url"),
    "._webhook_signing": ("generate_secret", "webhook_for"),
}
_PUBLIC = {name: module for module, names in _MODULES.items() for name in names}
__all__ = ["COMPANY", "Capabilities", "Deleter", "Delivery", "KINDS", "LIST_PATH", "Leftover", "LiveTarget",
           "NOT_OFFERED", "Outcome", "PAGE_SIZE", "PLATFORM_KEY", "PLURAL", "RUN_QUERY", "RunId", "SIGNATURE_HEADERS",
           "SUBSCRIBER_QUERY", "SUBSCRIPTION", "ServedReceiver", "Sweeper", "SyncFlowApi", "TEXTS_PATH", "Target",
           "VISIBLE_ACCOUNTS_PATH", "WebhookReceiver", "generate_secret", "parse_age", "run_of_company",
           "run_of_webhook_url", "subscriber_url", "webhook_for"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name], __name__), name)
