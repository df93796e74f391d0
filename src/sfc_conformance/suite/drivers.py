"""How the merchant acts: through the public API, or through the sandbox's flow pages.

Both drivers do the same things to a merchant; FLOW-1 holds them to the same
result.  :class:`ApiDriver` works against any target; :class:`PagesDriver`
speaks the embedded sandbox's own pages.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

import httpx

from . import choices
from .world import Merchant, Suite


class ApiDriver:
    def __init__(self, suite: Suite) -> None:
        self.suite = suite

    def authorize_accounting(self, merchant: Merchant) -> httpx.Response:
        connection = self.suite.connection(merchant, "Accounting")
        return self.suite.api.authorize(merchant.company_id, connection["id"], self.suite.settings.credentials)

    def configure(self, merchant: Merchant, document: dict[str, Any]) -> httpx.Response:
        merchant.configuration = document
        return self.suite.api.set_configuration(merchant.company_id, document)

    def onboard(self, merchant: Merchant, pick: int = 0) -> None:
        self.suite.expect(self.authorize_accounting(merchant), 200, "authorizing the accounting connection")
        document = choices.complete(self.suite.configuration(merchant), pick=pick)
        self.suite.expect(self.configure(merchant, document), 200, "configuring the sync")


_ACTION = re.compile(r'<form[^>]*\baction="([^"]+)"[^>]*\bid=(?:"?)(\w+)', re.IGNORECASE)


class PagesDriver:
    """Walks the sandbox's flow pages like a browser: open, authorize, configure."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite

    def _forms(self, page: httpx.Response) -> dict[str, str]:
        return {form_id: action for action, form_id in _ACTION.findall(page.text)}

    def _post(self, page: httpx.Response, form_id: str, fields: dict[str, str]) -> httpx.Response:
        forms = self._forms(page)
        if form_id not in forms:
            raise AssertionError(f"the flow page has no {form_id!r} form (forms: {sorted(forms)}): "
                                 f"{page.status_code} {page.text[:300]}")
        url = urljoin(str(page.request.url), forms[form_id])
        return self.suite.client.request("POST", url, authenticated=False, retry=False, content=_form(fields),
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})

    def _follow(self, answer: httpx.Response) -> httpx.Response:
        location = answer.headers.get("location", "")
        if answer.status_code in (302, 303) and location.startswith("/"):
            return self.suite.open_flow(urljoin(str(answer.request.url), location))
        return answer

    def onboard(self, merchant: Merchant, pick: int = 0) -> httpx.Response:
        """Authorize and configure through the pages; the last answer (success page or redirect)."""
        if not merchant.flows:
            self.suite.expect(self.suite.start_flow(merchant), 200, "starting the sync flow")
        page = self.suite.open_flow(merchant.flow.url)
        if "authorize" in self._forms(page):
            page = self._follow(self._post(page, "authorize", self.suite.settings.credentials))
        wanted = choices.complete(self.suite.configuration(merchant), pick=pick)
        merchant.configuration = wanted
        return self._post(page, "configure", _configure_fields(wanted))


def _configure_fields(doc: dict[str, Any]) -> dict[str, str]:
    fields = {f"account.{section}.{slot}": entry.get("selectedAccountId") or ""
              for section, slot, entry in choices.account_slots(doc)}
    fields.update({f"taxRate.{component}": entry.get("selectedTaxRateId") or ""
                   for component, entry in choices.tax_components(doc)})
    fields["invoiceStatus"] = choices.invoice_status(doc).get("selectedInvoiceStatus") or ""
    fields["groupingPeriod"] = choices.grouping_period(doc).get("selectedGroupingPeriod") or ""
    schedule = doc["schedule"]
    fields.update({"selectedFrequency": schedule["selectedFrequency"], "syncHour": str(schedule["syncHour"]),
                   "timeZone": schedule["timeZone"]})
    if doc.get("enable"):
        fields["enable"] = "on"
    return fields


def _form(fields: dict[str, str]) -> bytes:
    return str(httpx.QueryParams(fields)).encode()
