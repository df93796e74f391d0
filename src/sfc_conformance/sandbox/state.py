"""The sandbox's state and every rule it enforces, one part per concept, behind one lock.

Handlers in :mod:`.api`, :mod:`.pages` and :mod:`.flow_app` only translate
HTTP to calls on :class:`SandboxState`, so an API step and a flow page that do
the same thing change the same state the same way (FLOW-1).  The parts:

    records.Records            the store, the lock, the lookups every rule starts from
    companies.Companies        companies and connections     READY-1, READY-2, LINK-3, REV-4, API-1, API-4
    connecting.Connecting      a connection the partner adds LINK-4
    flow.Flow                  the start call, the OTP       URL-*, OTP-*, LINK-1, LINK-2, REV-1
    configuring.Configuring    the merchant's configuration  CONF-*, REV-1..3, READY-3
    syncs.Syncs                syncs, history, schedule,     SYNC-1..3, DEL-*, FLOW-3
                               deletion
    housekeeping.Housekeeping  the account as a whole        READY-1 (the records' own truth)
    integrations.Integrations  the platforms, branded        INT-1, INT-2
    flow_text.FlowTexts        the flow's text per locale    CUST-1, CUST-2, CUST-4
    visible_accounts.          the entries the flow offers   CUST-3, CUST-4
      VisibleAccounts

Faults and variants enter every part through one :class:`~.policy.Policy`.
Each rule id sits in a comment beside the code that enforces it:
``grep -rn OTP-2 src/sfc_conformance/sandbox`` lands there.
"""

from __future__ import annotations

from sfc_conformance.sandbox.companies import Companies
from sfc_conformance.sandbox.configuring import Configuring
from sfc_conformance.sandbox.connecting import Connecting
from sfc_conformance.sandbox.flow import Flow
from sfc_conformance.sandbox.flow_text import FlowTexts
from sfc_conformance.sandbox.housekeeping import Housekeeping
from sfc_conformance.sandbox.integrations import Integrations
from sfc_conformance.sandbox.syncs import Syncs
from sfc_conformance.sandbox.visible_accounts import VisibleAccounts


class SandboxState(Companies, Connecting, Flow, Configuring, Syncs, Housekeeping, Integrations, FlowTexts,
                   VisibleAccounts):
    """One sandbox's records and rules; built with a clock, a policy and a webhook dispatcher."""
