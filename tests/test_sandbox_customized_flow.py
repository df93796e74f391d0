"""The flow the partner customizes, in both styles, over the sandbox's ASGI app (CUST-5 on the sandbox's side).

Every text with a key shows, in an element carrying ``data-textkey``, the text
the partner stored for the flow's locale (``&locale=fr-fr`` on the flow URL,
``en-us`` without one), platform names filled in; the locale rides along the
whole flow and a language switch changes it; the configure screen offers only
the account entries left visible, the required ones always, and a form without
the hidden ones still configures; the partner's logo and colours
(``--branding FILE``) show on every page, a neutral look without them.
The same in a real browser: tests/test_merchant_customization.py.
"""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.merchant.customization import as_shown, customization_in_html
from sfc_conformance.sandbox import FLOW_STYLES
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.sandbox.flow_app import _csp_hash
from sfc_conformance.sandbox.flow_text import LOCALES, filled
from sfc_conformance.sandbox.rendering import LOGO_PATH, NEUTRAL_PRIMARY, PartnerBranding
from tests.conftest import Embedded, SandboxSteps, assert_conforms
from tests.helpers import COMMAND, child_environment, refused

if TYPE_CHECKING:
    from tests.conftest import SandboxMerchant

COMMERCE, ACCOUNTING = "Partner Commerce", "Xero"
TITLE = "configure-content-sales-title"
GRATUITY, PREPAYMENTS = "account.sales.gratuity", "account.sales.prepayments"
REQUIRED = ("account.sales.sales", "account.payments.cash", "account.payments.card", "account.fees.fees")
ALWAYS = (*REQUIRED, "taxRate.standard", "taxRate.reduced", "taxRate.zero", "invoiceStatus", "groupingPeriod")
# What the partner stores: a text per locale, one with a placeholder, one emptied.
STORED = {
    "en-us": {TITLE: "Your takings on {commercePlatform}", "configure-content-sales-accounts-title": "",
              "configure-content-sales-accounts-entries-sales": "Turnover"},
    "fr-fr": {TITLE: "Vos recettes {commercePlatform}", "configure-content-fees-title": "Commissions",
              "configure-content-sales-accounts-entries-sales": "Chiffre d'affaires"},
}
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
       '<rect width="120" height="40" fill="#0a7"/></svg>')


@pytest.fixture
def flow(embedded: Callable[..., Embedded]) -> Callable[..., Embedded]:
    """``flow(style, **texts)``: an embedded sandbox in that flow style, the partner's texts of STORED stored."""

    def make(style: str = "pages") -> Embedded:
        e = embedded(flow_style=style)
        for locale, texts in STORED.items():
            assert _patch_texts(e, locale, texts).status_code == 200
        return e

    return make


@pytest.fixture
def branded() -> Iterator[Callable[..., Embedded]]:
    """``branded(branding, style)``: an embedded sandbox with the partner's branding; one at a time, as for
    ``embedded`` (they share the embedded host), and never beside it."""
    made: list[Embedded] = []

    def make(branding: PartnerBranding | None, style: str = "pages") -> Embedded:
        for earlier in made:
            earlier.close()
        made.clear()
        target = EmbeddedTarget(flow_style=style, branding=branding)
        target.start()
        client = target.client()
        client.http.event_hooks["response"].append(assert_conforms)
        api = SyncFlowApi(client)
        made.append(Embedded(target, api, SandboxSteps(api, target.clock)))
        return made[-1]

    yield make
    for e in made:
        e.close()


def _patch_texts(e: Embedded, locale: str, texts: dict[str, Any]) -> httpx.Response:
    return e.api.client.request("PATCH", f"/sync/commerce/config/ui/text?locale={locale}", json_body=texts)


def _show_entries(e: Embedded, entries: list[str] | None, platform: str = "lqai") -> None:
    answer = e.api.client.request("POST", f"/sync/commerce/config/ui/accounts/platform/{platform}",
                                  json_body={"visibleAccounts": entries})
    assert answer.status_code == 200, answer.text


def _expected(e: Embedded, locale: str) -> dict[str, str]:
    """Every text key and what the flow must show for it in ``locale``: the stored text, names filled in."""
    stored = e.target.sandbox.state.texts_for(locale)
    return {key: as_shown(filled(text, commerce=COMMERCE, accounting=ACCOUNTING)) for key, text in stored.items()}


def _with_locale(url: str, locale: str | None) -> str:
    return url if locale is None else f"{url}&locale={locale}"


# -- the app's screens, as its script gets them --------------------------------------------------


def _app_session(e: Embedded, url: str, locale: str | None = None) -> tuple[str, dict[str, Any]]:
    """The app script's first call: the OTP traded for a session, in ``locale``; (token, first screen)."""
    parts = urlsplit(url)
    client_id, commerce, accounting = parts.path.split("/")[2:5]
    query = dict(parse_qsl(parts.query))
    answer = e.api.client.http.post(
        f"{parts.scheme}://{parts.netloc}/flow-api/{client_id}/{commerce}/{accounting}/session",
        params={"locale": locale} if locale else None,
        json={"otp": query["otp"], "merchantIdentifier": query["merchantIdentifier"]})
    assert answer.status_code == 200, answer.text
    return answer.json()["token"], answer.json()["screen"]


def _app_screen(e: Embedded, token: str, name: str, locale: str | None = None) -> dict[str, Any]:
    answer = e.api.client.http.get(f"{e.target.base_url}/flow-api/s/{token}/screens/{name}",
                                   params={"locale": locale} if locale else None)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["screen"])


def _keyed(screen: dict[str, Any]) -> dict[str, str]:
    """Every text a screen names with its key, as the script draws it (``data-textkey``)."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("textkey"):
                found[node["textkey"]] = node["text"]
            if node.get("legendKey"):
                found[node["legendKey"]] = node["legend"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(screen)
    return found


def _app_fields(screen: dict[str, Any]) -> list[str]:
    return [f["name"] for part in screen["parts"] if "form" in part
            for s in part["form"]["fieldsets"] for f in s["fields"]]


def _configure_screen(e: Embedded, style: str, locale: str | None = None,
                      merchant: SandboxMerchant | None = None) -> tuple[dict[str, str], list[str], str]:
    """A linked merchant's first screen (configure), in either style: (text key -> text shown, field names,
    the language it declares)."""
    merchant = merchant or e.steps.linked()
    url = _with_locale(e.steps.flow_url(merchant.company_id), locale)
    if style == "pages":
        page = e.browser.open(url)
        assert page.status_code == 200 and "id=configure" in page.text, page.text[:300]
        shown = customization_in_html(page.text)
        return shown.texts, re.findall(r'<select name="([^"]+)"', page.text), shown.lang
    _, screen = _app_session(e, url, locale)
    assert screen["name"] == "configure"
    return {k: as_shown(v) for k, v in _keyed(screen).items()}, _app_fields(screen), screen["lang"]


# -- texts by data-textkey, in the flow's locale -----------------------------------------------------


@pytest.mark.parametrize("style", FLOW_STYLES)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_keyed_text_is_the_stored_one_of_the_flow_s_locale(flow: Callable[..., Embedded], style: str,
                                                                 locale: str) -> None:
    e = flow(style)
    texts, _, lang = _configure_screen(e, style, locale)
    expected = _expected(e, locale)
    assert lang == {"en-us": "en-US", "fr-fr": "fr-FR"}[locale]
    assert len(texts) >= 30, sorted(texts)  # the set-up steps, every heading, description and entry
    assert {key: expected[key] for key in texts} == texts
    assert texts[TITLE] == filled(STORED[locale][TITLE], commerce=COMMERCE, accounting=ACCOUNTING)
    assert texts["configure-content-sales-accounts-entries-sales"] == \
        STORED[locale]["configure-content-sales-accounts-entries-sales"]
    assert texts["configure-content-sales-accounts-description"] == expected[
        "configure-content-sales-accounts-description"] and ACCOUNTING in texts[
        "configure-content-sales-accounts-description"]  # the defaults' placeholders are filled too
    if locale == "en-us":
        assert texts["configure-content-sales-accounts-title"] == ""  # an emptied text shows nothing, still marked


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_a_text_restored_to_its_default_shows_the_default(flow: Callable[..., Embedded], style: str) -> None:
    e = flow(style)
    assert _patch_texts(e, "fr-fr", {TITLE: None}).status_code == 200
    texts, _, _ = _configure_screen(e, style, "fr-fr")
    assert texts[TITLE] == "Ventes"


@pytest.mark.parametrize("style", FLOW_STYLES)
@pytest.mark.parametrize("locale", [None, "de-de", "", "FR-FR"])
def test_without_a_locale_of_its_own_the_flow_shows_en_us(flow: Callable[..., Embedded], style: str,
                                                          locale: str | None) -> None:
    e = flow(style)
    texts, _, lang = _configure_screen(e, style, locale)
    if locale == "FR-FR":  # a locale is named in any case
        assert (lang, texts[TITLE]) == ("fr-FR", "Vos recettes Partner Commerce")
    else:
        assert (lang, texts[TITLE]) == ("en-US", "Your takings on Partner Commerce")


def test_the_locale_rides_along_every_page(flow: Callable[..., Embedded]) -> None:
    e = flow("pages")
    merchant = e.steps.started()
    first = e.browser.open(_with_locale(merchant.flow.url, "fr-fr"))
    assert "<html lang=fr-FR>" in first.text and "Connectez votre logiciel comptable" in first.text
    assert re.search(r'action="/sync-flow/s/[^"]+/authorize\?locale=fr-fr" id=authorize', first.text)
    linked = e.browser.submit(first, "authorize", {"username": "m", "password": "p"})
    assert linked.status_code == 303 and linked.headers["location"].endswith("/configure?locale=fr-fr")
    configure = e.browser.follow(linked)
    assert customization_in_html(configure.text).texts[TITLE] == "Vos recettes Partner Commerce"

    # The switch: the same page in the other locale, the one shown marked.
    switch = dict(re.findall(r'<a href="([^"]+)" hreflang="[^"]+" lang="[^"]+" data-locale="([\w-]+)"', configure.text))
    assert {locale: href.split("/")[-1] for href, locale in switch.items()} == {
        "en-us": "configure", "fr-fr": "configure?locale=fr-fr"}
    assert re.search(r'data-locale="fr-fr" aria-current=true>Français</a>', configure.text)
    english = e.browser.open(urlsplit(str(configure.url))._replace(path="", query="").geturl()
                             + next(href for href, locale in switch.items() if locale == "en-us"))
    assert customization_in_html(english.text).texts[TITLE] == "Your takings on Partner Commerce"
    assert "<html lang=en-US>" in english.text


def test_the_settings_and_success_pages_speak_the_locale_too(flow: Callable[..., Embedded]) -> None:
    e = flow("pages")
    merchant = e.steps.configured()
    settings = e.browser.open(_with_locale(e.steps.flow_url(merchant.company_id), "fr-fr"))
    assert "Réglages de la synchronisation" in settings.text and "Prochaine synchronisation" in settings.text
    assert re.search(r'<a id=review-mapping href="/sync-flow/s/[^"]+/configure\?locale=fr-fr">', settings.text)
    token = re.search(r"/sync-flow/s/([^/]+)/", settings.text)
    assert token
    success = e.browser.open(f"{e.target.base_url}/sync-flow/s/{token.group(1)}/success?locale=fr-fr")
    assert success.status_code == 200 and "Tout est prêt" in success.text and "id=success" in success.text
    authorize = e.browser.open(f"{e.target.base_url}/sync-flow/s/{token.group(1)}/authorize")
    assert authorize.status_code == 200 and "id=authorize" in authorize.text


def test_a_refusal_shows_in_the_locale_asked_for(flow: Callable[..., Embedded]) -> None:
    e = flow("pages")
    url = e.steps.flow_url(e.steps.company())
    e.target.clock.advance(30)
    page = e.browser.open(_with_locale(url, "fr-fr"))
    assert page.status_code == 401 and "Lien expiré" in page.text and "id=refused" in page.text


def test_the_app_draws_a_screen_again_in_the_locale_chosen(flow: Callable[..., Embedded]) -> None:
    e = flow("app")
    merchant = e.steps.started()
    token, first = _app_session(e, merchant.flow.url, "fr-fr")
    assert (first["name"], first["locale"], first["lang"], first["title"]) == (
        "authorize", "fr-fr", "fr-FR", "Connectez votre logiciel comptable")
    assert [(each["locale"], each["name"], each["current"]) for each in first["languages"]] == [
        ("en-us", "English", False), ("fr-fr", "Français", True)]
    again = _app_screen(e, token, "authorize", "en-us")
    assert (again["locale"], again["title"]) == ("en-us", "Connect your accounting software")
    answer = e.api.client.http.post(f"{e.target.base_url}/flow-api/s/{token}/authorize",
                                    params={"locale": "fr-fr"}, json={"username": "m"})
    assert _keyed(answer.json()["screen"])[TITLE] == "Vos recettes Partner Commerce"
    success = _app_screen(e, token, "success", "fr-fr")  # not configured yet: the screen it is on instead
    assert success["name"] == "configure"


# -- only the visible account entries --------------------------------------------------------------


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_hidden_entries_are_not_offered_and_required_ones_are(flow: Callable[..., Embedded], style: str) -> None:
    e = flow(style)
    _, everything, _ = _configure_screen(e, style)
    assert {GRATUITY, PREPAYMENTS, *ALWAYS} <= set(everything)

    _show_entries(e, [])  # the required ones only
    texts, fields, _ = _configure_screen(e, style)
    assert GRATUITY not in fields and PREPAYMENTS not in fields
    assert set(ALWAYS) <= set(fields)
    assert "configure-content-sales-accounts-entries-gratuity" not in texts
    assert "configure-content-sales-accounts-entries-prepaid" not in texts
    assert "configure-content-payments-accounts-entries-cash" in texts  # required by the configuration

    _show_entries(e, ["sales-accounts-gratuity"])
    _, fields, _ = _configure_screen(e, style)
    assert GRATUITY in fields and PREPAYMENTS not in fields

    _show_entries(e, None)  # all of them again
    _, fields, _ = _configure_screen(e, style)
    assert {GRATUITY, PREPAYMENTS} <= set(fields)


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_another_platform_s_choice_changes_nothing_here(flow: Callable[..., Embedded], style: str) -> None:
    e = flow(style)
    _show_entries(e, [], platform="abcd")
    _, fields, _ = _configure_screen(e, style)
    assert {GRATUITY, PREPAYMENTS} <= set(fields)


def test_a_form_without_the_hidden_entries_still_configures(flow: Callable[..., Embedded]) -> None:
    e = flow("pages")
    _show_entries(e, [])
    merchant = e.steps.linked()
    page = e.browser.open(e.steps.flow_url(merchant.company_id))
    fields = {name: e.browser.options(page, name)[0] for name in ALWAYS}
    done = e.browser.submit(page, "configure", {**fields, "syncHour": "0", "enable": "on"})
    assert done.status_code == 200 and "id=success" in done.text
    stored = e.steps.configuration(merchant.company_id)
    assert stored["configured"] is True
    assert stored["configuration"]["sales"]["accounts"]["gratuity"]["selectedAccountId"] is None


def test_a_choice_the_form_does_not_offer_is_kept_on_review(flow: Callable[..., Embedded]) -> None:
    """A hidden entry is neither offered nor changed: the merchant's earlier choice stays (CUST-4's spirit)."""
    e = flow("app")
    merchant = e.steps.configured()
    before = e.steps.configuration(merchant.company_id)["configuration"]["sales"]["accounts"]["gratuity"]
    assert before["selectedAccountId"] is not None
    _show_entries(e, [])
    token, _ = _app_session(e, e.steps.flow_url(merchant.company_id))
    screen = _app_screen(e, token, "configure")
    fields = {f["name"]: f for part in screen["parts"] if "form" in part
              for s in part["form"]["fieldsets"] for f in s["fields"]}
    assert GRATUITY not in fields
    posted = {name: (f["value"] or "") for name, f in fields.items() if f["kind"] == "select"}
    posted.update(syncHour="0", timeZone="Etc/UTC", selectedFrequency="Daily", enable="on",
                  **{GRATUITY: ""})  # a field the form never had: not read
    answer = e.api.client.http.post(f"{e.target.base_url}/flow-api/s/{token}/configure", json=posted)
    assert answer.status_code == 200, answer.text
    after = e.steps.configuration(merchant.company_id)["configuration"]["sales"]["accounts"]["gratuity"]
    assert after["selectedAccountId"] == before["selectedAccountId"]


# -- the partner's logo and colours ------------------------------------------------------------------


def _branding_file(folder: Path, document: Any, logo: bytes | str | None = SVG, logo_name: str = "logo.svg") -> Path:
    if logo is not None:
        (folder / logo_name).write_bytes(logo.encode() if isinstance(logo, str) else logo)
    path = folder / "branding.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


ACME = {"name": "Acme Pay", "logo": "logo.svg", "primaryColour": "#0a7", "accentColour": "#d9480f"}


def _first_document(e: Embedded) -> httpx.Response:
    answer = e.browser.open(e.steps.flow_url(e.steps.company()))
    assert answer.status_code == 200
    return answer


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_the_partner_s_logo_and_colours_show(branded: Callable[..., Embedded], tmp_path: Path, style: str) -> None:
    e = branded(PartnerBranding.from_file(_branding_file(tmp_path, ACME)), style)
    document = _first_document(e).text
    assert f'<img id=brand-logo src="{LOGO_PATH}" alt="Acme Pay logo">' in document
    assert "<style>:root{--brand-primary:#0a7;--brand-accent:#d9480f}</style>" in document
    logo = e.browser.open(f"{e.target.base_url}{LOGO_PATH}")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/svg+xml" and logo.text == SVG
    assert "sandbox" in logo.headers["content-security-policy"]  # an SVG opened on its own runs nothing


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_without_branding_the_flow_is_neutral(branded: Callable[..., Embedded], style: str) -> None:
    e = branded(None, style)
    document = _first_document(e).text
    assert "<img" not in document and f"--brand-primary:{NEUTRAL_PRIMARY}" in document
    assert e.browser.open(f"{e.target.base_url}{LOGO_PATH}").status_code == 404


def test_the_app_document_allows_the_logo_and_the_colours_and_nothing_more(branded: Callable[..., Embedded]) -> None:
    branding = PartnerBranding("Acme", logo_url="https://cdn.acme.example/logo.png", primary_colour="#123456")
    e = branded(branding, "app")
    answer = _first_document(e)
    policy = answer.headers["content-security-policy"]
    assert "img-src 'self' https://cdn.acme.example;" in policy
    assert _csp_hash(str(branding.style)) in policy and "default-src 'none'" in policy
    assert '<img id=brand-logo src="https://cdn.acme.example/logo.png" alt="Acme logo">' in answer.text
    neutral = branded(None, "app")
    assert "img-src" not in _first_document(neutral).headers["content-security-policy"]


@pytest.mark.parametrize(("document", "logo", "logo_name", "problem"), [
    ("{", SVG, "logo.svg", "is not JSON"),
    ([], SVG, "logo.svg", "must be a JSON object"),
    ({"primaryColor": "#0a7"}, SVG, "logo.svg", "unknown key 'primaryColor': the keys are name, logo"),
    ({"primaryColour": "red"}, SVG, "logo.svg", "primaryColour 'red' is not a colour: use #rgb or #rrggbb"),
    ({"accentColour": "#0a7;}body{display:none"}, SVG, "logo.svg", "accentColour"),
    ({"primaryColour": 7}, SVG, "logo.svg", "primaryColour must be a string"),
    ({"logo": "missing.svg"}, None, "logo.svg", "no such file"),
    ({"logo": "logo.bmp"}, b"BM", "logo.bmp", "use an SVG, PNG, JPEG, GIF or WebP file"),
    ({"logo": "logo.png"}, SVG, "logo.png", "is not the image/png image its name says"),
    ({"logo": "javascript:alert(1)"}, None, "logo.svg", "use an SVG, PNG"),
    ({"logo": "https://"}, None, "logo.svg", "is not a usable http(s) URL"),
    ({"name": "x" * 101}, None, "logo.svg", "name is longer than 100 characters"),
])
def test_a_bad_branding_file_says_what_is_wrong(tmp_path: Path, document: Any, logo: bytes | str | None,
                                                logo_name: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        PartnerBranding.from_file(_branding_file(tmp_path, document, logo, logo_name))


def test_a_logo_file_too_large_is_refused(tmp_path: Path) -> None:
    big = b"\x89PNG\r\n\x1a\n" + bytes(1 << 20)
    with pytest.raises(ValueError, match=r"at most 1048576 \(1 MiB\)"):
        PartnerBranding.from_file(_branding_file(tmp_path, {"logo": "big.png"}, big, "big.png"))


def test_only_a_colour_becomes_css() -> None:
    with pytest.raises(ValueError, match="is not a colour"):
        PartnerBranding(primary_colour="red}body{display:none")
    assert PartnerBranding(primary_colour="#ABC").style == ":root{--brand-primary:#ABC;--brand-accent:#5b7083}"


def test_an_empty_branding_file_is_the_neutral_look(tmp_path: Path) -> None:
    assert PartnerBranding.from_file(_branding_file(tmp_path, {}, None)) == PartnerBranding()


@pytest.mark.parametrize(("content", "problem"), [
    (None, "no such file"),
    ('{"primaryColour": "#zzz"}', "primaryColour '#zzz' is not a colour"),
    ('{"logo": "nowhere.svg"}', "nowhere.svg: no such file"),
])
def test_the_sandbox_command_refuses_a_bad_branding_file(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                         content: str | None, problem: str) -> None:
    path = tmp_path / "branding.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    line = refused(capsys, "sandbox", "--port", "0", "--branding", str(path))
    assert line.startswith(f"sfc-conformance: --branding {path}: ") and problem in line


def _lines(stream: Any, into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def test_the_served_sandbox_shows_the_branding_file(tmp_path: Path) -> None:
    path = _branding_file(tmp_path, ACME)
    out: queue.Queue[str | None] = queue.Queue()
    seen: list[str] = []
    with subprocess.Popen([*COMMAND, "sandbox", "--port", "0", "--api-key", "branding-key", "--branding", str(path)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=child_environment()) as process:
        threading.Thread(target=_lines, args=(process.stdout, out), daemon=True).start()
        try:
            deadline = time.monotonic() + 60
            while not any("base URL:" in line for line in seen):
                line = out.get(timeout=max(0.0, deadline - time.monotonic()))
                assert line is not None, "".join(seen)
                seen.append(line)
            base_url = next(line for line in seen if "base URL:" in line).split("base URL:")[1].strip()
            with httpx.Client(timeout=10) as http:
                logo = http.get(f"{base_url}{LOGO_PATH}")
                assert logo.status_code == 200 and logo.text == SVG
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
    while (line := out.get(timeout=10)) is not None:
        seen.append(line)
    assert any(line.startswith(f"  branding: {path} (logo {LOGO_PATH}, colours #0a7 and #d9480f)") for line in seen)
