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
    "tolerance-4-minutes": ("PWH-1", "a timestamp more than 4 minutes off is refused, a minute short of "
                                     "Standard Webhooks' 5"),
    "refuses-unknown-fields": ("PWH-1", "an event with a field the contract does not name is refused with 422"),
    "verifies-reserialized-body": ("PWH-1", "the signature is checked over the JSON parsed and written again "
                                            "(minified), not over the bytes received"),
    "accepts-unsigned": ("PWH-2", "a delivery without one or all of the signature headers is accepted"),
    "accepts-forged-signature": ("PWH-2", "the signature is never checked, only that it is there and recent"),
    "accepts-stale-timestamp": ("PWH-2", "the signature is checked, its timestamp's age is not"),
    "past-timestamps-only": ("PWH-2", "a timestamp is checked for being too old, never for being too far ahead"),
    "tolerance-6-minutes": ("PWH-2", "a timestamp up to 6 minutes off is accepted, a minute past "
                                     "Standard Webhooks' 5"),
    "accepts-unknown-signature-version": ("PWH-2", "signatures of a version other than v1 are skipped, and a "
                                                   "header with no v1 signature is not checked at all"),
    "trusts-a-known-webhook-id": ("PWH-2", "a delivery under a webhook-id that verified before is accepted "
                                           "without checking its signature"),
    "missing-header-answers-5xx": ("PWH-2", "a signed delivery without webhook-id or webhook-timestamp "
                                            "answers 500"),
    "malformed-signature-answers-5xx": ("PWH-2", "a signature without a 'v1,' prefix or not base64 answers 500"),
    "retry-answers-5xx": ("PWH-3", "an event recorded already answers 500 (its id is a unique key)"),
    "unknown-type-answers-5xx": ("PWH-4", "an event of a type it does not handle answers 500"),
    "first-signature-only": ("PWH-4", "only the first of several signatures is checked"),
    "every-signature-must-verify": ("PWH-4", "one signature it cannot verify among several refuses the delivery"),
    "falls-over-under-burst": ("PWH-5", "past 10 new connection.deleted events within 2 s it answers 503"),
}


class Faults(FaultSwitches):
    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(FAULTS, names, kind="consumer fault")
