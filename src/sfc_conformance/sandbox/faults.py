"""Deliberate defects, for proving that the suite catches a broken target.

Each fault breaks one rule of the profile in one place of the sandbox
(grep the fault's name to find that place).  They are off unless asked for
with ``--sandbox-fault NAME``; a partner never needs them.
"""

from __future__ import annotations

from collections.abc import Iterable

FAULTS: dict[str, tuple[str, str]] = {
    # name: (rule it breaks, what the sandbox then does)
    "otp-lasts-too-long": ("OTP-2", "OTP stays valid for 60 s instead of 30 s"),
    "otp-reusable": ("OTP-5", "a flow URL can be opened more than once"),
    "otp-not-bound": ("OTP-4", "any merchantIdentifier is accepted with an OTP"),
    "otp-predictable": ("OTP-6", "OTPs are issued from a counter"),
    "redirect-dropped": ("URL-4", "redirectUrl is left out of the flow URL"),
    "javascript-redirect-accepted": ("URL-5", "javascript: redirect URLs are accepted"),
    "unknown-platform-accepted": ("URL-6", "unknown platform keys are accepted"),
    "api-key-optional": ("KEY-1", "API calls without an Authorization header are served"),
    "api-key-echoed": ("KEY-2", "the API key is echoed in a response header"),
    "no-commerce-connection": ("LINK-1", "the start call creates no commerce connection"),
    "duplicate-connections": ("LINK-2", "every start call creates new connections"),
    "trust-configured-flag": ("CONF-4", "`configured` is taken from the request body"),
    "sync-hour-unchecked": ("CONF-5", "syncHour outside 0-23 is stored"),
    "configure-before-link": ("CONF-7", "configuration is accepted before the accounting connection is linked"),
    "start-resets-configuration": ("REV-1", "a start call for a configured company resets its configuration"),
    "disable-unconfigures": ("REV-2", "disabling also clears `configured`"),
    "no-webhook-on-delete": ("DEL-1", "no connection.deleted webhook is sent"),
    "sync-after-delete": ("DEL-2", "syncs still complete after the connection is deleted"),
    "scheduler-ignores-delete": ("DEL-3", "scheduled syncs go on after the connection is deleted"),
    "unsigned-webhooks": ("DEL-4", "webhooks are sent without signature headers"),
    "unknown-company-found": ("READY-2", "an unknown company id answers 200"),
    "connection-missing-field": ("API-1", "connections are sent without `integrationKey`"),
    "plain-text-errors": ("API-3", "errors are plain text, not ErrorMessage"),
    "wrong-total-results": ("API-4", "`totalResults` counts one too many"),
    "crash-on-bad-json": ("API-5", "a malformed JSON body answers 500"),
    "no-success-page": ("FLOW-2", "the flow ends on an empty 204 instead of a success page or redirect"),
    "next-sync-off-schedule": ("FLOW-3", "the settings page shows the next sync an hour late"),
}


class Faults:
    def __init__(self, names: Iterable[str] = ()) -> None:
        names = list(names)
        unknown = [n for n in names if n not in FAULTS]
        if unknown:
            raise ValueError(f"unknown sandbox fault {unknown[0]!r}; known: {', '.join(sorted(FAULTS))}")
        self._active = frozenset(names)

    def __contains__(self, name: str) -> bool:
        if name not in FAULTS:  # a typo at a call site must not silently disable a fault
            raise KeyError(name)
        return name in self._active

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._active))
