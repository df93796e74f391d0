"""The sandbox's state and every rule it enforces, one part per concept, behind one lock.

Handlers in :mod:`.api`, :mod:`.pages` and :mod:`.flow_app` only translate
HTTP to calls on :class:`SandboxState`, so an API step and a flow page that do
the same thing change the same state the same way (FLOW-1).  The parts:

    records.Records            the store, the lock, the lookups every rule starts from
    companies.Companies        companies and connections     READY-1, READY-2, LINK-3, REV-4, API-1, API-4
    flow.Flow                  the start call, the OTP       URL-*, OTP-*, LINK-1, LINK-2, REV-1
    configuring.Configuring    the merchant's configuration  CONF-*, REV-1..3, READY-3
    syncs.Syncs                syncs, schedule, deletion     DEL-*, FLOW-3
    housekeeping.Housekeeping  the account as a whole        READY-1 (the records' own truth)

Faults and variants enter every part through one :class:`~.policy.Policy`.
Each rule id sits in a comment beside the code that enforces it:
``grep -rn OTP-2 src/sfc_conformance/sandbox`` lands there.
"""

from __future__ import annotations

from sfc_conformance.sandbox.companies import Companies
from sfc_conformance.sandbox.configuring import Configuring
from sfc_conformance.sandbox.flow import Flow
from sfc_conformance.sandbox.housekeeping import Housekeeping
from sfc_conformance.sandbox.syncs import Syncs


class SandboxState(Companies, Flow, Configuring, Syncs, Housekeeping):
    """One sandbox's records and rules; built with a clock, a policy and a webhook dispatcher."""
