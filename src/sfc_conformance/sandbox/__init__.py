"""The embedded sandbox: a stateful, Codat-like Sync for Commerce target.

    app.Sandbox          assembles it: state, API, the merchant's side, the faults' layers; serve.py serves it
    api.py               the API's gate: the key, the rate limit, ErrorMessage (KEY-*, API-2, API-3, API-6)
    state.SandboxState   every rule, one part per concept, behind one lock:
      companies.py         companies and connections (READY-1, READY-2, LINK-3, REV-4, API-4)
      connecting.py        a connection created through the API (LINK-4)
      flow.py              the start call and the OTP (URL-*, OTP-*, LINK-1, LINK-2, REV-1)
      configuring.py       the merchant's configuration (CONF-*, REV-*); configuration.py its document
      syncs.py             syncs and their history, the schedule and the deletion (SYNC-*, DEL-*, FLOW-3);
                           webhooks.py sends
      integrations.py      the integrations and their branding (INT-*); querying.py reads `query`/`orderBy`
      flow_text.py         the flow's text per locale (CUST-1, CUST-2)
      visible_accounts.py  the account entries the flow offers per commerce platform (CUST-3)
      housekeeping.py      the account as a whole, and READY-1 as the records have it
    directory.py         the start page: the operations, platform keys and client id the sandbox serves
    pages.py, flow_app.py  the merchant's side: server-rendered pages, or a browser app (FLOW-*);
                           templates/ holds their HTML
    faults.py            the fault catalog: each fault and variant defined once
    policy.py            the one Policy through which faults enter the rules
    shapes.py            the faults that reshape what the healthy sandbox sends: answers and webhook events

Each rule id sits in a comment beside the code that enforces it, so
``grep -rn OTP-2 src/sfc_conformance/sandbox`` lands there.  Importing this
package imports nothing heavy, so the command line can read the fault list cheaply.
"""

from enum import StrEnum

from sfc_conformance.sandbox.faults import FAULTS, VARIANTS


class FlowStyle(StrEnum):
    """How the merchant's side is built."""

    PAGES = "pages"  # server-rendered pages (:mod:`.pages`)
    # A browser app (:mod:`.flow_app`): its document always loads, its own requests meet the OTP's 401.
    APP = "app"


FLOW_STYLES: tuple[str, ...] = tuple(style.value for style in FlowStyle)

__all__ = ["FAULTS", "FLOW_STYLES", "VARIANTS", "FlowStyle"]
