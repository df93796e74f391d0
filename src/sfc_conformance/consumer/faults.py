"""Broken consumers, for proving that ``sfc-conformance consumer`` catches them.

Each fault breaks one PWH rule in one place of the reference consumer
(:mod:`sfc_conformance.consumer.reference`; grep the fault's name to find
it).  They are off unless asked for with ``consumer --serve --fault NAME``;
a partner never needs them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sfc_conformance.core.fault_switches import FaultSwitches

FAULTS: dict[str, tuple[str, str]] = {
    # name: (rule it breaks, what the consumer then does)
    "answers-after-20s": ("PWH-1", "a new connection.deleted event is answered after 20 s of work"),
    "accepts-unsigned": ("PWH-2", "a delivery without signature headers is accepted"),
    "accepts-forged-signature": ("PWH-2", "the signature is never checked, only that it is there and recent"),
    "accepts-stale-timestamp": ("PWH-2", "the signature is checked, its timestamp's age is not"),
    "retry-answers-5xx": ("PWH-3", "an event recorded already answers 500 (its id is a unique key)"),
    "unknown-type-answers-5xx": ("PWH-4", "an event of a type it does not handle answers 500"),
    "falls-over-under-burst": ("PWH-5", "past 10 deliveries within 2 s it answers 503"),
}


class Faults(FaultSwitches):
    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(FAULTS, names, kind="consumer fault")
