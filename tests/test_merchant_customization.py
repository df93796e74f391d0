"""What the merchant's side reads of the partner's customization (CUST-5): the texts by ``data-textkey``, the
account entries offered, a screenshot; in a real Chromium for either flow style, from the HTML for the pages.

The browser tests skip, saying why, only when no browser is found (CI installs Chromium).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.merchant.browser import MerchantBrowser
from sfc_conformance.merchant.browser_flow import FlowWalk
from sfc_conformance.merchant.customization import (
    CustomizationShown,
    as_shown,
    customization_in_html,
    customization_shown,
    entry_of,
)
from sfc_conformance.sandbox import FLOW_STYLES
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.sandbox.flow_text import filled
from sfc_conformance.sandbox.rendering import PartnerBranding
from sfc_conformance.suite.settings import Settings
from tests.conftest import Embedded, SandboxSteps
from tests.helpers import browser_or_skip

if TYPE_CHECKING:
    from sfc_conformance.suite.flow_viewer import FlowViewer

TITLE = "configure-content-sales-title"
ENTRY = "configure-content-sales-accounts-entries-sales"
FRENCH = {TITLE: "Vos recettes {commercePlatform}", ENTRY: "Chiffre d'affaires"}
# What a linked merchant's configure screen offers with every optional slot but gratuity hidden.
OFFERED = ("sales-accounts-sales", "sales-accounts-gratuity", "sales-taxRates-20", "sales-taxRates-5",
           "sales-taxRates-0", "sales-other-invoiceStatus", "sales-other-groupingPeriod", "fees-accounts-paymentFee",
           "payments-accounts-cash", "payments-accounts-card")
LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40">'
        '<rect width="160" height="40" rx="6" fill="#0a7"/></svg>')


def _customize(e: Embedded) -> str:
    """The partner's French texts stored and every optional entry but gratuity hidden; a linked merchant's
    French flow URL (it opens on the configure screen)."""
    client = e.api.client
    assert client.request("PATCH", "/sync/commerce/config/ui/text?locale=fr-fr", json_body=FRENCH).status_code == 200
    assert client.request("POST", "/sync/commerce/config/ui/accounts/platform/lqai",
                          json_body={"visibleAccounts": ["sales-accounts-gratuity"]}).status_code == 200
    merchant = e.steps.linked()
    return e.steps.flow_url(merchant.company_id) + "&locale=fr-fr"


def _expected(e: Embedded) -> dict[str, str]:
    return {key: as_shown(filled(text, commerce="Partner Commerce", accounting="Xero"))
            for key, text in e.target.sandbox.state.texts_for("fr-fr").items()}


def _assert_customized(shown: CustomizationShown, e: Embedded) -> None:
    expected = _expected(e)
    assert shown.lang == "fr-FR"
    assert len(shown.texts) >= 30 and {key: expected[key] for key in shown.texts} == shown.texts
    assert shown.texts[TITLE] == "Vos recettes Partner Commerce" and shown.texts[ENTRY] == "Chiffre d'affaires"
    assert shown.entries == OFFERED  # prepayments hidden; every required entry offered
    assert "sales-accounts-prepaid" not in shown.entries


# -- the reading itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text_key", "entry"), [
    ("configure-content-sales-accounts-entries-gratuity", "sales-accounts-gratuity"),
    ("configure-content-sales-accounts-entries-sales-other", "sales-accounts-sales-other"),
    ("configure-content-sales-accounts-taxRates-entries-5", "sales-taxRates-5"),
    ("configure-content-sales-other-entries-invoiceStatus", "sales-other-invoiceStatus"),
    ("configure-content-payments-accounts-entries-paypalQr", "payments-accounts-paypalQr"),
    ("configure-content-sales-title", None),
    ("configure-setupSidebar-checkboxes-sales", None),
])
def test_an_entry_is_named_by_its_text_key(text_key: str, entry: str | None) -> None:
    assert entry_of(text_key) == entry


def test_the_html_reader_reads_what_a_browser_would_show() -> None:
    document = """<!doctype html><html lang=fr-FR><head><title data-textkey=t0>not shown</title></head><body>
    <h2 data-textkey="a">Ventes   <b>et</b>
       plus</h2>
    <p data-textkey=b></p>
    <div hidden><p data-textkey=c>hidden</p></div><p style="display: none" data-textkey=d>none</p>
    <p data-textkey="a">again</p>
    <label><span data-textkey="configure-content-sales-accounts-entries-sales">Ventes</span>
      <select name=x><option>1</select></label>
    <label><span data-textkey="configure-content-sales-accounts-entries-gratuity">Pourboires</span></label>
    <label><span data-textkey="configure-content-sales-accounts-entries-prepaid">P</span><select disabled></select>
    </label>
    <label><span data-textkey="configure-content-fees-accounts-entries-loan">L</span><input type=hidden></label>
    <span data-textkey=e>unclosed"""
    shown = customization_in_html(document, url="http://flow.example/")
    assert shown.marks == (("a", "Ventes et plus"), ("b", ""), ("a", "again"),
                           ("configure-content-sales-accounts-entries-sales", "Ventes"),
                           ("configure-content-sales-accounts-entries-gratuity", "Pourboires"),
                           ("configure-content-sales-accounts-entries-prepaid", "P"),
                           ("configure-content-fees-accounts-entries-loan", "L"), ("e", "unclosed"))
    assert shown.texts["a"] == "Ventes et plus" and shown.shown_as("a") == ("Ventes et plus", "again")
    assert shown.entries == ("sales-accounts-sales",)  # only a label with a usable control offers an entry
    assert (shown.lang, shown.url, shown.screenshot, shown.scripted) == ("fr-FR", "http://flow.example/", None, False)
    assert shown.marks_text_keys and "entries offered: sales-accounts-sales" in shown.describe()


def test_a_document_that_marks_nothing_says_so() -> None:
    shown = customization_in_html("<html><body><main id=app></main><script>draw()</script></body></html>")
    assert not shown.marks_text_keys and shown.scripted and shown.entries == ()


@pytest.mark.parametrize("text", ["  Vos\n recettes\t ", "Vos recettes"])
def test_a_stored_text_compares_as_shown(text: str) -> None:
    assert as_shown(text) == "Vos recettes"


# -- without a browser: the pages style, from its HTML ----------------------------------------------------


def test_the_pages_style_is_read_from_its_html(embedded: Callable[..., Embedded]) -> None:
    e = embedded(flow_style="pages")
    page = e.browser.open(_customize(e))
    _assert_customized(customization_in_html(page.text), e)


def test_a_run_without_a_browser_reads_the_pages_and_says_the_app_needs_one(
        embedded: Callable[..., Embedded], eyes_on: Callable[[Embedded], FlowViewer]) -> None:
    e = embedded(flow_style="pages")
    shown = eyes_on(e).look_at_customization(_customize(e))
    _assert_customized(shown, e)
    assert shown.seen_with == "the HTML as received" and shown.screenshot is None

    e = embedded(flow_style="app")
    shown = eyes_on(e).look_at_customization(_customize(e))
    assert not shown.marks_text_keys and shown.scripted


# -- in a real browser, both styles ------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[MerchantBrowser]:
    with MerchantBrowser(browser_or_skip(), quiet=0.25) as browser:
        yield browser


@pytest.fixture
def branded() -> Iterator[Callable[[str], Embedded]]:
    """An embedded sandbox in a flow style, with the partner's logo and colours (not beside ``embedded``)."""
    made: list[Embedded] = []
    branding = PartnerBranding("Acme Pay", logo_image=LOGO.encode(), logo_type="image/svg+xml",
                               primary_colour="#0a7", accent_colour="#d9480f")

    def make(style: str) -> Embedded:
        for earlier in made:
            earlier.close()
        made.clear()
        target = EmbeddedTarget(flow_style=style, branding=branding)
        target.start()
        api = SyncFlowApi(target.client())
        made.append(Embedded(target, api, SandboxSteps(api, target.clock)))
        return made[-1]

    yield make
    for e in made:
        e.close()


def _png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


_LOOK_JS = """() => {
  const logo = document.getElementById("brand-logo");
  const button = document.querySelector("form#configure button[type=submit]");
  return {logo: logo ? logo.naturalWidth : 0, h1: getComputedStyle(document.querySelector("h1")).color,
          button: button ? getComputedStyle(button).backgroundColor : ""};
}"""


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_the_browser_reads_the_customized_flow(chromium: MerchantBrowser, branded: Callable[[str], Embedded],
                                               style: str) -> None:
    e = branded(style)
    url = _customize(e)
    with FlowWalk(chromium, route=e.target.answer) as walk:
        assert walk.open(url).name == "configure"
        shown = walk.customization()
        assert walk.session is not None
        look: dict[str, Any] = walk.session.evaluate(_LOOK_JS)
    _assert_customized(shown, e)
    assert shown.screenshot is not None and shown.screenshot.caption == "configuration form, as customized"
    assert _png_size(shown.screenshot.png)[0] == 800 and shown.screenshot in walk.screenshots()
    # The partner's logo loaded, and its colours on the heading and the button.
    assert look == {"logo": 160, "h1": "rgb(0, 170, 119)", "button": "rgb(0, 170, 119)"}


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_the_language_switch_shows_the_same_screen_in_english(chromium: MerchantBrowser,
                                                              embedded: Callable[..., Embedded], style: str) -> None:
    e = embedded(flow_style=style)
    url = _customize(e)
    with chromium.session(e.target.answer) as tab:
        tab.open(url)
        assert customization_shown(tab).texts[TITLE] == "Vos recettes Partner Commerce"
        tab.page.locator('nav#language a[data-locale="en-us"]').click()
        tab.page.wait_for_function("() => document.documentElement.lang === 'en-US'")
        tab.settle()
        english = customization_shown(tab.page, "in English")  # a Playwright page does too
    assert english.texts[TITLE] == "Sales" and english.lang == "en-US"
    assert english.entries == OFFERED  # the entries are the platform's, whatever the language
    assert english.screenshot is not None and english.screenshot.caption == "in English"


def test_a_run_with_a_browser_reads_either_style_and_keeps_the_screenshot(
        embedded: Callable[..., Embedded], eyes_on: Callable[..., FlowViewer]) -> None:
    path = browser_or_skip()
    e = embedded(flow_style="app")
    eyes = eyes_on(e, Settings(browser=path))
    shown = eyes.look_at_customization(_customize(e), "the app as customized")
    _assert_customized(shown, e)
    assert shown.screenshot is not None and eyes.screenshots == [shown.screenshot]
    assert shown.screenshot.caption == "the app as customized"
