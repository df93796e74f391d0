"""How the merchant acts: through the public API, through the sandbox's flow pages, or as a person.

The drivers do the same things to a merchant – authorize the accounting
connection, configure (which covers enabling, disabling and changing
choices), de-authorize, sever – and each action either succeeds or fails the
step with what the target answered.  :class:`ApiDriver` works against any
target; :class:`PagesDriver` walks the embedded sandbox's own pages, so a run
with ``--merchant-driver pages`` holds the pages to every rule the API meets
(FLOW-1 compares the two directly).  :class:`ManualDriver` is the API but for
the authorization, which a person did at the start of the run
(:mod:`.linking`).

On a live target, linking may simply not be possible through the API (Xero
signs its merchants in on its own page): an authorization the target
refuses with a 4xx makes the scenario ``n/a`` with that reason, never a
FAIL, and so does a merchant a person did not link.

Partner actions (creating the company, starting the flow, linking the
commerce connection) and deliberately invalid requests are not the merchant's
and go to the API in the steps themselves.
"""

from __future__ import annotations

import re
from typing import Any, Protocol
from urllib.parse import urljoin

import httpx
import pytest

from ..readiness import enable_flag
from . import choices
from .world import Merchant, Suite


class MerchantDriver(Protocol):
    def authorize_accounting(self, merchant: Merchant) -> None: ...

    def configure(self, merchant: Merchant, document: dict[str, Any]) -> None: ...

    def deauthorize_accounting(self, merchant: Merchant, status: str) -> None: ...

    def sever_accounting(self, merchant: Merchant) -> None: ...

    def onboard(self, merchant: Merchant, pick: int = 0) -> httpx.Response: ...


def _accepted(answer: httpx.Response, what: str, statuses: tuple[int, ...]) -> httpx.Response:
    if answer.status_code not in statuses:
        raise AssertionError(f"{what}: the target answered {answer.status_code}: {answer.text[:500]}")
    return answer


CANNOT_LINK = ("link merchants by hand instead (--merchant-driver manual, or --linked-company ID), or use an "
               "accounting key whose integration takes credentials through the API (on Codat's sandbox: "
               "--accounting-key mqjo, its Sandbox integration)")


def link_through_api(suite: Suite, merchant: Merchant, source_type: str) -> None:
    """``PUT …/authorization`` for the merchant's connection of ``source_type``; ``n/a`` when a live target refuses."""
    connection = suite.connection(merchant, source_type)
    answer = suite.api.authorize(merchant.company_id, connection["id"], suite.settings.credentials)
    what = f"authorizing the {source_type.lower()} connection"
    if suite.settings.live and 400 <= answer.status_code < 500:
        suite.cannot_link[source_type] = (f"nothing could be linked: the target refused {what} through the API "
                                          f"(PUT …/authorization answered {answer.status_code}: "
                                          f"{answer.text[:160]}); {CANNOT_LINK}")
        pytest.skip(suite.cannot_link[source_type])
    _accepted(answer, what, (200,))


class ApiDriver:
    """The merchant's actions as the public API calls of the profile."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite

    def authorize_accounting(self, merchant: Merchant) -> None:
        link_through_api(self.suite, merchant, "Accounting")

    def configure(self, merchant: Merchant, document: dict[str, Any]) -> None:
        merchant.configuration = document
        _accepted(self.suite.api.set_configuration(merchant.company_id, document), "configuring the sync", (200,))

    def deauthorize_accounting(self, merchant: Merchant, status: str) -> None:
        connection = self.suite.connection(merchant, "Accounting")
        answer = self.suite.api.update_connection(merchant.company_id, connection["id"], status)
        _accepted(answer, f"setting the accounting connection {status}", (200,))

    def sever_accounting(self, merchant: Merchant) -> None:
        connection = self.suite.connection(merchant, "Accounting")
        merchant.severed_after_sync = self.suite.latest_sync_id(merchant)
        merchant.severed_connection_id = connection["id"]
        answer = self.suite.api.delete_connection(merchant.company_id, connection["id"])
        _accepted(answer, "deleting the accounting connection", (200, 204))
        merchant.severed_at = self.suite.clock.now()
        self.suite.record_deletion(merchant)

    def onboard(self, merchant: Merchant, pick: int = 0) -> httpx.Response:
        self.authorize_accounting(merchant)
        document = choices.complete(self.suite.configuration(merchant), pick=pick)
        merchant.configuration = document
        return _accepted(self.suite.api.set_configuration(merchant.company_id, document), "configuring the sync",
                         (200,))


class ManualDriver(ApiDriver):
    """A person linked the merchant's accounting connection at the start of the run; the rest is the API."""

    def authorize_accounting(self, merchant: Merchant) -> None:
        status = self.suite.connection(merchant, "Accounting").get("status")
        if status != "Linked":
            pytest.skip(f"nothing could be linked: company {merchant.company_id}'s accounting connection is "
                        f"{status}; with --merchant-driver manual only the merchants a person linked at the start "
                        "of the run are linked")


_FORM = re.compile(r'<form[^>]*\baction="([^"]+)"[^>]*\bid=(?:"?)(\w+)', re.IGNORECASE)
_LINK = re.compile(r'<a id=(?:"?)([\w-]+)(?:"?) href="([^"]+)"', re.IGNORECASE)


class PagesDriver:
    """Walks the sandbox's flow pages like a browser: a fresh flow URL for every visit."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self.api = ApiDriver(suite)

    # -- a browser's few moves -----------------------------------------------------

    def _visit(self, merchant: Merchant) -> httpx.Response:
        """The page a new flow URL opens on (the merchant comes back through the partner's app)."""
        self.suite.expect(self.suite.start_flow(merchant), 200, "starting the sync flow")
        return _accepted(self.suite.open_flow(merchant.flow.url), "opening the flow URL", (200,))

    def _post(self, page: httpx.Response, form_id: str, fields: dict[str, str]) -> httpx.Response:
        forms = {form: action for action, form in _FORM.findall(page.text)}
        if form_id not in forms:
            raise AssertionError(f"the flow page has no {form_id!r} form (forms: {sorted(forms)}): "
                                 f"{page.status_code} {page.text[:300]}")
        url = urljoin(str(page.request.url), forms[form_id])
        return self.suite.client.request("POST", url, authenticated=False, retry=False,
                                         content=str(httpx.QueryParams(fields)).encode(),
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})

    def _follow(self, answer: httpx.Response) -> httpx.Response:
        location = answer.headers.get("location", "")
        if answer.status_code in (302, 303) and location.startswith("/"):
            return self.suite.open_flow(urljoin(str(answer.request.url), location))
        return answer

    def _configure_page(self, page: httpx.Response) -> httpx.Response:
        """From the settings page of a configured merchant, on to the mapping review."""
        if 'id=configure' in page.text:
            return page
        links = dict(_LINK.findall(page.text))
        if "review-mapping" not in links:
            raise AssertionError(f"the flow page offers no way to the configuration: {page.text[:300]}")
        return self.suite.open_flow(urljoin(str(page.request.url), links["review-mapping"]))

    # -- the merchant's actions ------------------------------------------------------

    def authorize_accounting(self, merchant: Merchant) -> None:
        page = self._visit(merchant)
        answer = self._post(page, "authorize", self.suite.settings.credentials)
        _accepted(answer, "authorizing on the flow page", (303,))

    def configure(self, merchant: Merchant, document: dict[str, Any]) -> None:
        merchant.configuration = document
        page = self._configure_page(self._visit(merchant))
        answer = self._post(page, "configure", _configure_fields(document))
        _accepted(answer, "saving the configuration page", (200, 303))

    def deauthorize_accounting(self, merchant: Merchant, status: str) -> None:
        if status != "Deauthorized":  # the settings page has one button, and it de-authorizes
            self.api.deauthorize_accounting(merchant, status)
            return
        answer = self._post(self._visit(merchant), "deauthorize", {})
        _accepted(answer, "de-authorizing on the settings page", (303,))

    def sever_accounting(self, merchant: Merchant) -> None:
        self.api.sever_accounting(merchant)  # the flow pages offer no deletion: the partner's app does it

    def onboard(self, merchant: Merchant, pick: int = 0) -> httpx.Response:
        """Authorize and configure in one visit; the last answer (success page or redirect)."""
        if not merchant.flows:
            self.suite.expect(self.suite.start_flow(merchant), 200, "starting the sync flow")
        page = self.suite.open_flow(merchant.flow.url)
        if 'id=authorize' in page.text:
            page = self._follow(self._post(page, "authorize", self.suite.settings.credentials))
        wanted = choices.complete(self.suite.configuration(merchant), pick=pick)
        merchant.configuration = wanted
        return self._post(page, "configure", _configure_fields(wanted))


def driver_for(suite: Suite) -> MerchantDriver:
    chosen = suite.settings.merchant_driver
    return PagesDriver(suite) if chosen == "pages" else ManualDriver(suite) if chosen == "manual" else ApiDriver(suite)


def _configure_fields(doc: dict[str, Any]) -> dict[str, str]:
    fields = {f"account.{section}.{slot}": entry.get("selectedAccountId") or ""
              for section, slot, entry in choices.account_slots(doc)}
    fields.update({f"taxRate.{component}": entry.get("selectedTaxRateId") or ""
                   for component, entry in choices.tax_components(doc)})
    fields["invoiceStatus"] = choices.invoice_status(doc).get("selectedInvoiceStatus") or ""
    fields["groupingPeriod"] = choices.grouping_period(doc).get("selectedGroupingPeriod") or ""
    schedule = doc.get("schedule") or {}
    fields["selectedFrequency"] = schedule.get("selectedFrequency") or "Daily"
    if schedule.get("startDate"):  # the page's date picker takes the day; the suite's start dates are midnights UTC
        fields["startDate"] = str(schedule["startDate"])[:10]
    # A form always sends its fields; an empty hour or zone means "not chosen" (CONF-6's defaults).
    fields["syncHour"] = "" if schedule.get("syncHour") is None else str(schedule["syncHour"])
    if schedule.get("timeZone"):
        fields["timeZone"] = schedule["timeZone"]
    if enable_flag(doc)[1]:
        fields["enable"] = "on"
    return fields
