"""Is the receiver reachable at its public URL (``--receiver-url``)?  Checked once, before DEL-1 relies on it.

The suite posts a marked probe through the public URL, from this machine,
and waits a few seconds for the receiver to record it.  If it never arrives
the target's deliveries could not arrive either, so DEL-1 and DEL-4 are
``n/a`` with the reason rather than FAIL.  The probe carries no event: the
DEL checks look only at ``connection.deleted`` events for the run's own
connections, so it counts for nothing.
"""

from __future__ import annotations

import secrets
from typing import Final

import httpx

from sfc_conformance.core.account import Delivery, RunId, WebhookReceiver, subscriber_url
from sfc_conformance.core.secrets import redact

PROBE_FIELD: Final = "sfcReceiverProbe"
WAIT: Final = 5.0  # seconds for the probe to reach the receiver once posted


def unreachable(receiver: WebhookReceiver, public_url: str, run: RunId, *, timeout: float = 10.0) -> str | None:
    """None when a POST through ``public_url`` reaches ``receiver``; else why not, in one line."""
    token = secrets.token_hex(8)
    url = run.tag_url(subscriber_url(public_url, "probe"))
    shown = redact(public_url)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as http:
            answer = http.post(url, json={PROBE_FIELD: token})
    except httpx.HTTPError as error:
        return f"your receiver at {shown} is not reachable from here: the probe POST failed ({type(error).__name__})"

    def is_probe(delivery: Delivery) -> bool:
        return isinstance(delivery.body, dict) and delivery.body.get(PROBE_FIELD) == token

    if receiver.wait_for(is_probe, WAIT):
        return None
    return (f"your receiver at {shown} is not reachable from here: a probe POST through it answered "
            f"{answer.status_code} and never reached the receiver")
