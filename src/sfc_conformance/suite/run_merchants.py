"""The run's merchants: created under the run's mark, their flows started, or lent to the scenarios that share one.

    merchant = merchants.new()                 # a company of its own (or the one a person linked for the scenario)
    merchants.issue_flow_url(merchant)         # the start call, which must give a flow URL
    merchant = merchants.lend(READY, prepare)  # a shared merchant, as it was prepared (:mod:`.shared_merchants`)

Every company is named ``SFC conformance <run id> <label>`` (RUN-3), so that
the end of the run, or ``sfc-conformance cleanup``, finds it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import httpx
import pytest

from sfc_conformance.core.account import RunId
from sfc_conformance.core.clock import Clock
from sfc_conformance.suite.merchants import FlowUrl, Merchant
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.shared_merchants import SharedMerchants
from sfc_conformance.suite.target_api import TargetApi


class Merchants:
    """Where a scenario's merchants come from: created, started, lent, or linked by a person beforehand."""

    def __init__(self, api: TargetApi, settings: Settings, clock: Clock, run_id: RunId) -> None:
        self._api = api
        self._settings = settings
        self._clock = clock
        self._run_id = run_id
        self._numbers = itertools.count(1)
        self.shared = SharedMerchants(api)
        self.scenario = ""  # the node id of the scenario running now
        # --merchant-driver manual: merchants a person linked at the start, by the scenario each is for,
        # and those left for the shared merchant.
        self.reserved: dict[str, Merchant] = {}
        self.linked_for_sharing: list[Merchant] = []
        self.cannot_link: dict[str, str] = {}  # source type -> why the API could not link it on this target

    def create(self) -> Merchant:
        """A new company, named as the run's."""
        name = self._run_id.company_name(f"merchant {next(self._numbers)}")
        company = self._api.expect(self._api.create_company(name), 200, "creating a company")
        return Merchant(company["id"], name)

    def new(self) -> Merchant:
        """The scenario's own merchant: with --merchant-driver manual the one a person linked for it, else created."""
        reserved = self.reserved.pop(self.scenario, None)
        if reserved is not None:  # --merchant-driver manual: created at the start, linked by a person since
            return reserved
        return self.create()

    def start_flow(self, merchant: Merchant, redirect_url: str | None = None) -> httpx.Response:
        """The partner's start call for ``merchant``; the flow URL it gives, if any, is the merchant's latest."""
        sent = self._clock.now()
        answer = self._api.start_flow(self._settings.commerce_key, self._settings.accounting_key,
                                      merchant.company_id, redirect_url)
        received = self._clock.now()
        if answer.status_code == 200:
            body = self._api.json(answer)
            url = body.get("url") if isinstance(body, dict) else None
            if isinstance(url, str):
                merchant.flows.append(FlowUrl(url, sent, received))
        return answer

    def issue_flow_url(self, merchant: Merchant, what: str = "starting the sync flow") -> httpx.Response:
        """A start call the step relies on: its answer, or a failure saying ``what`` failed."""
        answer = self.start_flow(merchant)
        self._api.expect(answer, 200, what)
        return answer

    def started(self) -> Merchant:
        """A new merchant whose flow has been started."""
        merchant = self.new()
        self.issue_flow_url(merchant)
        return merchant

    @property
    def links_are_scarce(self) -> bool:
        """Linked merchants are the ones a person linked (--merchant-driver manual, --linked-company)."""
        return self._settings.merchant_driver == "manual" or bool(self._settings.linked_companies)

    def to_share(self) -> Merchant:
        """A merchant to prepare as the shared ready one: with --merchant-driver manual, one a person linked."""
        if self._settings.merchant_driver != "manual":
            return self.create()
        if not self.linked_for_sharing:
            pytest.skip("nothing could be linked: no merchant a person linked at the start of the run is left for "
                        "the scenarios that share one (--merchant-driver manual)")
        return self.linked_for_sharing.pop(0)

    def lend(self, kind: str, prepare: Callable[[], Merchant]) -> Merchant:
        """A shared merchant of ``kind``, as it was prepared (``prepare`` makes one when none is left to lend)."""
        return self.shared.lend(kind, prepare)
