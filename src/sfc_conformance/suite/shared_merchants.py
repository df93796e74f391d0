"""Merchants shared between scenarios, so that a live run creates no more companies than it needs (RUN-3).

A scenario that only reads a merchant, or whose calls the target must refuse
(``Given a shared merchant …``), borrows one prepared merchant of its kind
instead of creating its own.  Sharing must not let one scenario's outcome
depend on another's, so a merchant is lent only in the state it was prepared
in, checked before every loan: its connections (ids, kinds, keys, statuses),
and its configuration's choices and ``configured``.  (Syncs are left out: no
shared scenario judges them, and a real merchant's schedule may run one at
any time.)

* A kind whose scenarios may change the configuration on purpose (the ready
  merchant: review, disable and enable) is *restorable*: a configuration that
  differs is posted back as it was read when the merchant was prepared, and
  checked again.
* Anything else that differs (a refused call the target carried out, a
  connection gone) retires the merchant, and the borrower gets a
  freshly prepared one, as if nothing had been shared.

The lent merchant is a copy: flow URLs issued during one scenario stay with
that scenario.  Merchants a person linked beforehand (``--linked-company``)
are shared the same way; the run puts their configuration back at its end.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import pytest

from sfc_conformance.core.errors import SfcError
from sfc_conformance.suite import configurations
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.target_api import TargetApi, UnexpectedAnswer

STARTED: Final = "started"  # the flow started: both connections PendingAuth, nothing configured
LINKED: Final = "linked"  # the accounting connection authorized, nothing configured
READY: Final = "ready"  # both connections Linked, configured and enabled (READY-1)
RESTORABLE: Final = frozenset({READY})


@dataclass
class _Lender:
    merchant: Merchant
    document: dict[str, Any]  # the configuration as read once prepared: what a restore posts back
    state: str
    kind: str = ""
    lent: bool = False


@dataclass
class SharedMerchants:
    """The merchants lent by kind (:data:`STARTED`, :data:`LINKED`, :data:`READY`), each checked before a loan."""

    api: TargetApi
    lenders: dict[str, _Lender] = field(default_factory=dict)
    prepared: int = 0  # merchants prepared for sharing, replacements included
    retired: list[str] = field(default_factory=list)  # why a merchant stopped being lent
    unpreparable: dict[str, str] = field(default_factory=dict)  # kind -> why it cannot be prepared here
    given: list[_Lender] = field(default_factory=list)  # every merchant a person linked beforehand, in order

    def lend(self, kind: str, prepare: Callable[[], Merchant]) -> Merchant:
        """A copy of the kind's merchant, in the state it was prepared in; prepared now if needed."""
        lender = self.lenders.get(kind)
        if lender is not None and not self._as_prepared(kind, lender):
            del self.lenders[kind]
            lender = None
        if lender is None:
            lender = self._next_given(kind)
        if lender is None:
            if kind in self.unpreparable:
                pytest.skip(self.unpreparable[kind])
            try:
                merchant = prepare()
            except pytest.skip.Exception as skipped:  # it cannot be prepared on this target (nothing links):
                self.unpreparable[kind] = str(skipped.msg)  # the other borrowers need not try again
                raise
            state, document = self.state_of(merchant)
            lender = self.lenders[kind] = _Lender(merchant, document, state)
            self.prepared += 1
        lender.lent = True
        return dataclasses.replace(lender.merchant, flows=[], configuration=copy.deepcopy(
            lender.merchant.configuration))

    def adopt(self, kind: str, merchant: Merchant) -> None:
        """A merchant a person linked and configured beforehand lends as ``kind``: the first one given at once,
        the others each when the one before has been retired."""
        state, document = self.state_of(merchant)
        merchant.configuration = document
        self.given.append(_Lender(merchant, document, state, kind=kind))
        if kind not in self.lenders:
            self.lenders[kind] = self.given[-1]

    def _next_given(self, kind: str) -> _Lender | None:
        waiting = [g for g in self.given if g.kind == kind and not g.lent]
        if not waiting:
            return None
        self.lenders[kind] = waiting[0]
        return waiting[0]

    def restore_given(self) -> list[str]:
        """End of the run: every merchant given with --linked-company as it was found; what could not be."""
        problems = []
        for lender in self.given:
            if not self._restored(lender):
                problems.append(f"company {lender.merchant.company_id}: its configuration could not be put back "
                                "as it was found")
        return problems

    # -- the state a merchant is lent in ------------------------------------------------

    def state_of(self, merchant: Merchant) -> tuple[str, dict[str, Any]]:
        """The merchant's lendable state, as one comparable text, and its configuration document."""
        connections = sorted((str(c.get("id")), str(c.get("sourceType")), str(c.get("integrationKey")),
                              str(c.get("status"))) for c in self.api.connections(merchant))
        document = self.api.configuration(merchant)
        state = {"connections": connections, "choices": configurations.selections(document),
                 "configured": document.get("configured")}
        return json.dumps(state, sort_keys=True, default=str), document

    def _as_prepared(self, kind: str, lender: _Lender) -> bool:
        if kind in RESTORABLE and self._restored(lender):
            return True
        if kind not in RESTORABLE and self._unchanged(lender):
            return True
        why = f"a {kind} merchant ({lender.merchant.company_id}) changed beyond restoring during a scenario"
        self.retired.append(why)
        return False

    def _unchanged(self, lender: _Lender) -> bool:
        try:
            return self.state_of(lender.merchant)[0] == lender.state
        except (UnexpectedAnswer, SfcError):  # it cannot even be read: not in the state it was lent in
            return False

    def _restored(self, lender: _Lender) -> bool:
        """As prepared, after posting the prepared configuration back if only that changed."""
        try:
            state, _ = self.state_of(lender.merchant)
            if state == lender.state:
                return True
            if json.loads(state)["connections"] != json.loads(lender.state)["connections"]:
                return False
            self.api.set_configuration(lender.merchant.company_id, lender.document)
            return self.state_of(lender.merchant)[0] == lender.state
        except (UnexpectedAnswer, SfcError):
            return False
