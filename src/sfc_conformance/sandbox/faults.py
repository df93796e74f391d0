"""Deliberate defects, for proving that the suite catches a broken target.

The catalog itself (names, the rule each fault breaks, what the sandbox then
does) is data in :mod:`sfc_conformance.core.sandbox_catalog`, which the command
line and the run's settings read without importing the sandbox.
Each fault breaks one rule of the profile in one place of the sandbox.  Its
name leads to :data:`.policy.CHANGES`, which says which field of the
sandbox's :class:`~.policy.Policy` it changes; grep that field to find the one
place it enters the rules.  Faults are off unless asked for with
``--sandbox-fault NAME``; a partner never needs them.

Variants are the other half of the proof: differences the profile allows
(the seed page's spelling of a flag, fields the contract does not know, a
webhook delivered again) that a conforming Codat-like target may show.  The
suite must pass the sandbox with any of them (``--sandbox-variant NAME``); the
kill matrix runs each one as a clean case.
"""

from __future__ import annotations

from collections.abc import Iterable

from sfc_conformance.core.fault_switches import FaultSwitches
from sfc_conformance.core.sandbox_catalog import FAULTS, VARIANTS
from sfc_conformance.core.windows import LIVE_EXPIRED_AFTER, LIVE_VALID_WITHIN

__all__ = ["EXPOSED_BY", "FAULTS", "LIVE_BLIND", "VARIANTS", "Faults"]

# Where a fault shows only in scenarios of other rules too (a whole-run check sees
# every answer of the run): the tags a focused run of that fault needs.
EXPOSED_BY: dict[str, str] = {
    "status-outside-enum": "API-1 or REV-4",
}

# Faults a live target cannot show, by design of the profile, with the reason.
LIVE_BLIND: dict[str, str] = {
    "otp-expires-early": f"the profile's live check judges a link opened at most {LIVE_VALID_WITHIN:g} s after "
                         "the start call was sent",
    "otp-lasts-31s": f"the profile's live check refuses from {LIVE_EXPIRED_AFTER:g} s after the start call's answer: "
                     "1 s of network slack",
}


class Faults(FaultSwitches):
    def __init__(self, names: Iterable[str] = ()) -> None:
        # Variants switch on the same way: each enters the healthy code at the one place it changes.
        super().__init__({**FAULTS, **{name: ("", does) for name, does in VARIANTS.items()}}, names,
                         kind="sandbox fault")
