"""How the merchant acts: through the public API, through the sandbox's flow, or as a person.

The drivers do the same things to a merchant – authorize the accounting
connection, configure (which covers enabling, disabling and changing
choices), de-authorize, sever – and each action either succeeds or raises
:class:`~.target_api.UnexpectedAnswer` with what the target answered, which
fails the step unless the step takes it as an answer (a frequency the target
refuses).  :class:`ApiDriver` works against any
target; :class:`PagesDriver` walks the embedded sandbox's server-rendered
pages with plain HTTP, and :class:`BrowserDriver` walks its flow in the run's
browser, in either flow style, keeping a screenshot of every screen.  A run
with ``--merchant-driver pages`` or ``browser`` holds the flow to every rule
the API meets (FLOW-1 compares the two directly).  :class:`ManualDriver` is
the API but for the authorization, which a person did at the start of the
run (:mod:`.linking`).

On a live target, linking may simply not be possible through the API (Xero
signs its merchants in on its own page): an authorization the target
refuses with a 4xx makes the scenario ``n/a`` with that reason, never a
FAIL, and so does a merchant a person did not link.

Partner actions (creating the company, starting the flow, linking the
commerce connection) and deliberately invalid requests are not the merchant's
and go to the API in the steps themselves.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urljoin

import httpx
import pytest

from sfc_conformance.core.clock import Clock
from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.core.http import ApiClient
from sfc_conformance.core.profile import enable_flag
from sfc_conformance.merchant.browser_flow import CAPTIONS, FlowStepFailed, FlowWalk, Screen
from sfc_conformance.suite import configurations
from sfc_conformance.suite.flow_viewer import FlowViewer
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.run_merchants import Merchants
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.subscriptions import Subscriptions
from sfc_conformance.suite.target_api import TargetApi, UnexpectedAnswer

if TYPE_CHECKING:
    from sfc_conformance.merchant.browser import MerchantBrowser

T = TypeVar("T")


class MerchantDriver(Protocol):
    def authorize_accounting(self, merchant: Merchant) -> None: ...

    def configure(self, merchant: Merchant, document: dict[str, Any]) -> None: ...

    def deauthorize_accounting(self, merchant: Merchant, status: str) -> None: ...

    def sever_accounting(self, merchant: Merchant) -> None: ...

    def onboard(self, merchant: Merchant, pick: int = 0) -> None: ...


@dataclass(frozen=True)
class FlowEnd:
    """Where walking the flow left the merchant (FLOW-2): the success page, a redirect, or something else."""

    screen: str  # "success", "redirect", or what else the flow showed
    location: str = ""  # for a redirect: where the merchant was sent
    status: int | None = None  # the last HTTP status, when it says how the flow ended (a 303, a 204)
    shown: str = ""  # what the merchant saw, for a failure

    @property
    def finished(self) -> bool:
        return self.screen in ("success", "redirect")


def _accepted(answer: httpx.Response, what: str, statuses: tuple[int, ...]) -> httpx.Response:
    if answer.status_code not in statuses:
        raise UnexpectedAnswer(f"{what}: the target answered {answer.status_code}: {answer.text[:500]}")
    return answer


CANNOT_LINK = ("link merchants by hand instead (--merchant-driver manual, or --linked-company ID), or use an "
               "accounting key whose integration takes credentials through the API (on Codat's sandbox: "
               "--accounting-key mqjo, its Sandbox integration)")


class ApiDriver:
    """The merchant's actions as the public API calls of the profile."""

    def __init__(self, api: TargetApi, settings: Settings, merchants: Merchants, subscriptions: Subscriptions,
                 clock: Clock) -> None:
        self._api = api
        self._settings = settings
        self._merchants = merchants
        self._subscriptions = subscriptions
        self._clock = clock

    def link(self, merchant: Merchant, source_type: str) -> None:
        """``PUT …/authorization`` for the merchant's connection of ``source_type``; ``n/a`` when a live target
        refuses it (the partner links its own commerce platform this way too)."""
        connection = self._api.connection(merchant, source_type)
        answer = self._api.authorize(merchant.company_id, connection["id"], self._settings.credentials)
        what = f"authorizing the {source_type.lower()} connection"
        if self._settings.live and 400 <= answer.status_code < 500:
            cannot_link = self._merchants.cannot_link
            cannot_link[source_type] = (f"nothing could be linked: the target refused {what} through the API "
                                        f"(PUT …/authorization answered {answer.status_code}: "
                                        f"{answer.text[:160]}); {CANNOT_LINK}")
            pytest.skip(cannot_link[source_type])
        _accepted(answer, what, (200,))

    def authorize_accounting(self, merchant: Merchant) -> None:
        self.link(merchant, "Accounting")

    def configure(self, merchant: Merchant, document: dict[str, Any]) -> None:
        merchant.configuration = document
        _accepted(self._api.set_configuration(merchant.company_id, document), "configuring the sync", (200,))

    def deauthorize_accounting(self, merchant: Merchant, status: str) -> None:
        connection = self._api.connection(merchant, "Accounting")
        answer = self._api.update_connection(merchant.company_id, connection["id"], status)
        _accepted(answer, f"setting the accounting connection {status}", (200,))

    def sever_accounting(self, merchant: Merchant) -> None:
        connection = self._api.connection(merchant, "Accounting")
        merchant.severed_after_sync = self._api.latest_sync_id(merchant)
        merchant.severed_connection_id = connection["id"]
        answer = self._api.delete_connection(merchant.company_id, connection["id"])
        _accepted(answer, "deleting the accounting connection", (200, 204))
        merchant.severed_at = self._clock.now()
        self._subscriptions.record_deletion(merchant)

    def onboard(self, merchant: Merchant, pick: int = 0) -> None:
        self.authorize_accounting(merchant)
        document = configurations.complete(self._api.configuration(merchant), pick=pick)
        merchant.configuration = document
        _accepted(self._api.set_configuration(merchant.company_id, document), "configuring the sync", (200,))


class ManualDriver(ApiDriver):
    """A person linked the merchant's accounting connection at the start of the run; the rest is the API."""

    def authorize_accounting(self, merchant: Merchant) -> None:
        status = self._api.connection(merchant, "Accounting").get("status")
        if status != "Linked":
            pytest.skip(f"nothing could be linked: company {merchant.company_id}'s accounting connection is "
                        f"{status}; with --merchant-driver manual only the merchants a person linked at the start "
                        "of the run are linked")


_FORM = re.compile(r'<form[^>]*\baction="([^"]+)"[^>]*\bid=(?:"?)(\w+)', re.IGNORECASE)
_LINK = re.compile(r'<a id=(?:"?)([\w-]+)(?:"?) href="([^"]+)"', re.IGNORECASE)


def form_action(page: httpx.Response, form_id: str) -> str:
    """Where the flow page's form ``form_id`` posts to, as an absolute URL; fails the step when there is none."""
    forms = {form: html.unescape(action) for action, form in _FORM.findall(page.text)}
    if form_id not in forms:
        raise UnexpectedAnswer(f"the flow page has no {form_id!r} form (forms: {sorted(forms)}): "
                               f"{page.status_code} {page.text[:300]}")
    return urljoin(str(page.request.url), forms[form_id])


class PagesDriver:
    """Walks the sandbox's flow pages like a browser: a fresh flow URL for every visit."""

    def __init__(self, api: TargetApi, settings: Settings, merchants: Merchants, client: ApiClient,
                 api_driver: ApiDriver) -> None:
        self._api = api
        self._settings = settings
        self._merchants = merchants
        self._client = client
        self._api_driver = api_driver  # what the pages do not offer

    # -- a browser's few moves -----------------------------------------------------

    def _open(self, url: str) -> httpx.Response:
        """One GET of a flow page, as a browser fetches it: no API key, no redirects followed."""
        return self._client.request("GET", url, authenticated=False, retry=False,
                                    headers={"Accept": "text/html,application/json"})

    def _visit(self, merchant: Merchant) -> httpx.Response:
        """The page a new flow URL opens on (the merchant comes back through the partner's app)."""
        self._merchants.issue_flow_url(merchant)
        return _accepted(self._open(merchant.flow.url), "opening the flow URL", (200,))

    def _post(self, page: httpx.Response, form_id: str, fields: dict[str, str]) -> httpx.Response:
        return self._client.request("POST", form_action(page, form_id), authenticated=False, retry=False,
                                    content=str(httpx.QueryParams(fields)).encode(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})

    def _follow(self, answer: httpx.Response) -> httpx.Response:
        location = answer.headers.get("location", "")
        if answer.status_code in (302, 303) and location.startswith("/"):
            return self._open(urljoin(str(answer.request.url), location))
        return answer

    def _configure_page(self, page: httpx.Response) -> httpx.Response:
        """From the settings page of a configured merchant, on to the mapping review."""
        if 'id=configure' in page.text:
            return page
        links = dict(_LINK.findall(page.text))
        if "review-mapping" not in links:
            raise UnexpectedAnswer(f"the flow page offers no way to the configuration: {page.text[:300]}")
        return self._open(urljoin(str(page.request.url), links["review-mapping"]))

    # -- the merchant's actions ------------------------------------------------------

    def authorize_accounting(self, merchant: Merchant) -> None:
        page = self._visit(merchant)
        answer = self._post(page, "authorize", self._settings.credentials)
        _accepted(answer, "authorizing on the flow page", (303,))

    def configure(self, merchant: Merchant, document: dict[str, Any]) -> None:
        merchant.configuration = document
        page = self._configure_page(self._visit(merchant))
        answer = self._post(page, "configure", _configure_fields(document))
        _accepted(answer, "saving the configuration page", (200, 303))

    def deauthorize_accounting(self, merchant: Merchant, status: str) -> None:
        if status != "Deauthorized":  # the settings page has one button, and it de-authorizes
            self._api_driver.deauthorize_accounting(merchant, status)
            return
        answer = self._post(self._visit(merchant), "deauthorize", {})
        _accepted(answer, "de-authorizing on the settings page", (303,))

    def sever_accounting(self, merchant: Merchant) -> None:
        self._api_driver.sever_accounting(merchant)  # the flow pages offer no deletion: the partner's app does it

    def walk(self, merchant: Merchant, pick: int = 0) -> FlowEnd:
        """Authorize and configure in one visit (of the flow URL issued last, if any); where the flow ended."""
        if not merchant.flows:
            self._merchants.issue_flow_url(merchant)
        page = self._open(merchant.flow.url)
        if 'id=authorize' in page.text:
            page = self._follow(self._post(page, "authorize", self._settings.credentials))
        wanted = configurations.complete(self._api.configuration(merchant), pick=pick)
        merchant.configuration = wanted
        answer = self._post(page, "configure", _configure_fields(wanted))
        shown = f"{answer.status_code} {answer.text[:300]}"
        if answer.status_code in (301, 302, 303, 307, 308) and "location" in answer.headers:
            return FlowEnd("redirect", answer.headers["location"], answer.status_code, shown)
        success = answer.status_code == 200 and re.search(r'\bid="?success\b', answer.text)
        return FlowEnd("success" if success else "other", status=answer.status_code, shown=shown)

    def onboard(self, merchant: Merchant, pick: int = 0) -> None:
        end = self.walk(merchant, pick)
        if not end.finished:
            raise UnexpectedAnswer(f"onboarding on the flow pages ended with {end.shown}")


class BrowserDriver:
    """Walks the sandbox's flow in the run's browser, in either flow style: a fresh flow URL for every visit.

    Each action is one visit, run in the browser's thread
    (:meth:`~sfc_conformance.suite.flow_viewer.FlowViewer.in_browser`); the
    screens it passed through go to the scenario's evidence, whatever happened.
    """

    def __init__(self, api: TargetApi, settings: Settings, merchants: Merchants, viewer: FlowViewer,
                 api_driver: ApiDriver) -> None:
        self._api = api
        self._settings = settings
        self._merchants = merchants
        self._viewer = viewer
        self._api_driver = api_driver  # what the flow does not offer

    def _visit(self, merchant: Merchant, steps: Callable[[FlowWalk], T], *, new_url: bool = True) -> T:
        if new_url or not merchant.flows:  # the merchant comes back through the partner's app
            self._merchants.issue_flow_url(merchant)
        url = merchant.flow.url
        shots: list[Screenshot] = []

        def visit(browser: MerchantBrowser) -> T:
            with FlowWalk(browser, route=self._viewer.route) as walk:
                try:
                    walk.open(url)
                    return steps(walk)
                finally:
                    shots.extend(walk.screenshots())

        try:
            return self._viewer.in_browser(visit)
        except FlowStepFailed as failed:  # a screen that was not the one the step leads to: the flow's answer
            raise UnexpectedAnswer(str(failed)) from failed
        finally:
            self._viewer.keep(shots)

    def authorize_accounting(self, merchant: Merchant) -> None:
        credentials = self._settings.credentials

        def authorize(walk: FlowWalk) -> None:
            _led_to(walk.authorize(credentials["username"], credentials["password"]), ("configure",),
                    "authorizing on the flow's authorization screen")

        self._visit(merchant, authorize)

    def configure(self, merchant: Merchant, document: dict[str, Any]) -> None:
        merchant.configuration = document
        fields = _configure_fields(document)
        self._visit(merchant, lambda walk: _led_to(walk.configure(fields), ("success", "redirect"),
                                                    "saving the configuration form"))

    def deauthorize_accounting(self, merchant: Merchant, status: str) -> None:
        if status != "Deauthorized":  # the settings screen has one button, and it de-authorizes
            self._api_driver.deauthorize_accounting(merchant, status)
            return
        self._visit(merchant, lambda walk: _led_to(walk.deauthorize(), ("settings",),
                                                    "de-authorizing on the settings screen"))

    def sever_accounting(self, merchant: Merchant) -> None:
        self._api_driver.sever_accounting(merchant)  # the flow offers no deletion: the partner's app does it

    def walk(self, merchant: Merchant, pick: int = 0) -> FlowEnd:
        """Authorize and configure in one visit (of the flow URL issued last, if any); where the flow ended."""
        credentials = self._settings.credentials

        def onboard(walk: FlowWalk) -> FlowEnd:
            if walk.current.name == "authorize":
                walk.authorize(credentials["username"], credentials["password"])
            # What the API offers once linked (run here, in the browser's thread, between two screens).
            wanted = configurations.complete(self._api.configuration(merchant), pick=pick)
            merchant.configuration = wanted
            end = walk.configure(_configure_fields(wanted))
            return FlowEnd(end.name, end.url if end.name == "redirect" else "", end.redirect_status, _shown(end))

        return self._visit(merchant, onboard, new_url=False)

    def onboard(self, merchant: Merchant, pick: int = 0) -> None:
        end = self.walk(merchant, pick)
        if not end.finished:
            raise UnexpectedAnswer(f"onboarding in the browser ended on {end.shown}")


def _shown(screen: Screen) -> str:
    said = "; ".join(screen.problems)
    text = " ".join(screen.text.split())[:300]
    return f"the {CAPTIONS.get(screen.name, screen.name)} ({screen.url}){': ' + said if said else ''}: {text}"


def _led_to(screen: Screen, expected: tuple[str, ...], what: str) -> None:
    if screen.name not in expected:
        raise UnexpectedAnswer(f"{what} led to {_shown(screen)}")


def driver_for(name: str, api_driver: ApiDriver, pages_driver: PagesDriver, browser_driver: BrowserDriver,
               manual_driver: ManualDriver) -> MerchantDriver:
    """The driver ``--merchant-driver`` names: "api" (the default), "pages", "browser" or "manual"."""
    drivers: dict[str, MerchantDriver] = {"pages": pages_driver, "browser": browser_driver, "manual": manual_driver}
    return drivers.get(name, api_driver)


def walker_for(settings: Settings, viewer: FlowViewer, pages_driver: PagesDriver,
                browser_driver: BrowserDriver) -> PagesDriver | BrowserDriver | None:
    """Who walks the flow for the flow-page rules (FLOW-1..3): the browser when the run has one, else the
    server-rendered pages with plain HTTP; None for an app-style flow without a browser (only a browser runs it)."""
    if viewer.has_browser:
        return browser_driver
    if settings.flow_style == "app":
        return None
    return pages_driver


def _configure_fields(doc: dict[str, Any]) -> dict[str, str]:
    fields = {f"account.{section}.{slot}": entry.get("selectedAccountId") or ""
              for section, slot, entry in configurations.account_slots(doc)}
    fields.update({f"taxRate.{component}": entry.get("selectedTaxRateId") or ""
                   for component, entry in configurations.tax_components(doc)})
    fields["invoiceStatus"] = configurations.invoice_status(doc).get("selectedInvoiceStatus") or ""
    fields["groupingPeriod"] = configurations.grouping_period(doc).get("selectedGroupingPeriod") or ""
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
