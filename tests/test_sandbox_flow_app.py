"""The sandbox's app-style flow (``--flow-style app``), over its ASGI app: no browser needed.

The document always loads with 200; the flow API the app's script calls
answers 401 to an expired, changed, other merchant's or used OTP (OTP-1..5);
walking the app's screens leaves the state the API steps do (FLOW-1..3).
Both styles meet the same OTP cases here, each where its merchant meets them.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from sfc_conformance.sandbox import FLOW_STYLES
from sfc_conformance.sandbox.app import Sandbox
from sfc_conformance.sandbox.flow_app import SCRIPT
from sfc_conformance.suite.flow_viewer import changed_otp
from tests.helpers import with_query as _with_query

if TYPE_CHECKING:
    from tests.conftest import Embedded, SandboxMerchant

FIXED_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class AppClient:
    """What the app's script does, as plain HTTP: the document, then the flow API."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def document(self, url: str) -> httpx.Response:
        return self.http.get(url)

    def session(self, url: str) -> httpx.Response:
        """The script's first call: the OTP and merchant from the page's URL, to the flow API."""
        parts = urlsplit(url)
        client_id, commerce, accounting = parts.path.split("/")[2:5]
        query = dict(parse_qsl(parts.query))
        body = {"otp": query.get("otp", ""), "merchantIdentifier": query.get("merchantIdentifier", "")}
        return self.http.post(f"{parts.scheme}://{parts.netloc}/flow-api/{client_id}/{commerce}/{accounting}/session",
                              json=body)

    def opened(self, url: str) -> tuple[str, dict[str, Any]]:
        answer = self.session(url)
        assert answer.status_code == 200, answer.text
        return answer.json()["token"], answer.json()["screen"]

    def post(self, url: str, token: str, action: str, fields: dict[str, str]) -> httpx.Response:
        parts = urlsplit(url)
        return self.http.post(f"{parts.scheme}://{parts.netloc}/flow-api/s/{token}/{action}", json=fields)

    def screen(self, url: str, token: str, name: str) -> httpx.Response:
        parts = urlsplit(url)
        return self.http.get(f"{parts.scheme}://{parts.netloc}/flow-api/s/{token}/screens/{name}")


def _fields(screen: dict[str, Any], form_id: str = "configure") -> dict[str, dict[str, Any]]:
    """Every field of a screen's form, by name."""
    for part in screen["parts"]:
        if "form" in part and part["form"]["id"] == form_id:
            return {f["name"]: f for s in part["form"]["fieldsets"] for f in s["fields"]}
    raise AssertionError(f"no form {form_id!r} on screen {screen['name']}")


def _filled(screen: dict[str, Any], **changes: str) -> dict[str, str]:
    """The configure form as a browser sends it: the first offered option of every select, then ``changes``."""
    fields = _fields(screen)
    filled = {name: f["options"][0][0] for name, f in fields.items() if f["kind"] == "select"}
    filled.update(selectedFrequency="Daily", syncHour="0", timeZone="Etc/UTC", enable="on")
    filled.update(changes)
    return filled


def _facts(screen: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in screen["facts"]}


@pytest.fixture
def app_flow(embedded: Callable[..., Embedded]) -> Embedded:
    return embedded(flow_style="app", start=FIXED_START)


@pytest.fixture
def app(app_flow: Embedded) -> AppClient:
    return AppClient(app_flow.api.client.http)


# -- the document: always 200, changes nothing -------------------------------------------------------


def test_the_document_always_loads(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.started()
    other = app_flow.steps.company("Other Ltd")
    used = app_flow.steps.flow_url(merchant.company_id)
    app.opened(used)
    forged_client = re.sub(r"/sync-flow/[^/]+/", "/sync-flow/00000000-0000-0000-0000-000000000000/", used)
    for url in (merchant.flow.url, used, _with_query(used, merchantIdentifier=other), _with_query(used, otp="000000"),
                forged_client, _with_query(used, otp="")):
        answer = app.document(url)
        assert answer.status_code == 200, url
        assert answer.headers["content-type"].startswith("text/html")
        assert '<main id=app>' in answer.text and "<script>" in answer.text
    app_flow.target.clock.advance(3600)
    assert app.document(merchant.flow.url).status_code == 200


def test_loading_the_document_does_not_use_the_otp(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.started()
    for _ in range(3):
        app.document(merchant.flow.url)
    assert app.session(merchant.flow.url).status_code == 200


def test_the_document_runs_only_its_own_script(app_flow: Embedded, app: AppClient) -> None:
    answer = app.document(app_flow.steps.started().flow.url)
    policy = answer.headers["content-security-policy"]
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
    assert re.findall(r"<script>(.*?)</script>", answer.text, re.S) == [SCRIPT]
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", answer.text)  # nothing fetched from elsewhere


# -- the OTP, in both styles: where the merchant meets the 401 (OTP-1..5) --------------------------------


def _meets(e: Embedded, url: str) -> int:
    """The status the merchant meets: the document's (pages), or the app's own OTP call's (app)."""
    document = e.api.client.http.get(url)
    if e.target.flow_style == "pages":
        return document.status_code
    assert document.status_code == 200
    return AppClient(e.api.client.http).session(url).status_code


CASES: dict[str, Callable[[Embedded, SandboxMerchant], tuple[str, int]]] = {
    "fresh": lambda e, m: (m.flow.url, 200),
    "at 29.999 s": lambda e, m: (_later(e, 29.999, m.flow.url), 200),
    "at 30.000 s": lambda e, m: (_later(e, 30, m.flow.url), 401),
    "a changed digit": lambda e, m: (changed_otp(m.flow.url), 401),
    "another merchant": lambda e, m: (_with_query(m.flow.url, merchantIdentifier=e.steps.company("Other Ltd")), 401),
    "no otp": lambda e, m: (_with_query(m.flow.url, otp=""), 401),
    "another client": lambda e, m: (re.sub(r"/sync-flow/[^/]+/", f"/sync-flow/{'0' * 8}-0000-0000-0000-{'0' * 12}/",
                                            m.flow.url), 401),
    "other platform keys": lambda e, m: (m.flow.url.replace("/lqai/gbol/", "/lqai/qhyg/"), 401),
}


def _later(e: Embedded, seconds: float, url: str) -> str:
    e.target.clock.advance(seconds)
    return url


@pytest.mark.parametrize("style", FLOW_STYLES)
@pytest.mark.parametrize("case", list(CASES))
def test_the_otp_in_both_styles(embedded: Callable[..., Embedded], style: str, case: str) -> None:
    e = embedded(flow_style=style, start=FIXED_START)
    url, expected = CASES[case](e, e.steps.started())
    assert _meets(e, url) == expected


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_a_used_otp_is_refused_in_both_styles(embedded: Callable[..., Embedded], style: str) -> None:
    e = embedded(flow_style=style)
    url = e.steps.started().flow.url
    assert _meets(e, url) == 200
    assert _meets(e, url) == 401


def test_the_refusal_is_an_error_message(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.started()
    app_flow.target.clock.advance(30)
    answer = app.session(merchant.flow.url)
    body = app_flow.steps.error(answer, 401)
    assert "expired" in body["error"]


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"otp": 123456}', b"not json", b'{"otp": null}'])
def test_a_malformed_session_call_is_refused_not_a_crash(app_flow: Embedded, app: AppClient, body: bytes) -> None:
    url = urlsplit(app_flow.steps.started().flow.url)
    client_id, commerce, accounting = url.path.split("/")[2:5]
    answer = app.http.post(f"{app_flow.target.base_url}/flow-api/{client_id}/{commerce}/{accounting}/session",
                           content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400


# -- walking the app's screens (FLOW-1, FLOW-2) ---------------------------------------------------------


def test_a_new_merchant_starts_on_the_authorize_screen(app_flow: Embedded, app: AppClient) -> None:
    _, screen = app.opened(app_flow.steps.started().flow.url)
    assert screen["name"] == "authorize"
    assert set(_fields(screen, "authorize")) == {"username", "password"}


def test_authorizing_links_accounting_and_leads_to_configure(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.started()
    token, _ = app.opened(merchant.flow.url)
    answer = app.post(merchant.flow.url, token, "authorize", {"username": "m", "password": "p"})
    assert answer.status_code == 200 and answer.json()["screen"]["name"] == "configure"
    statuses = {c["sourceType"]: c["status"] for c in app_flow.api.all_connections(merchant.company_id)}
    assert statuses == {"Accounting": "Linked", "Commerce": "PendingAuth"}


def test_the_configure_screen_offers_the_api_s_options(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.started()
    token, _ = app.opened(merchant.flow.url)
    screen = app.post(merchant.flow.url, token, "authorize", {"username": "m"}).json()["screen"]
    conf = app_flow.steps.configuration(merchant.company_id)["configuration"]
    fields = _fields(screen)
    assert [v for v, _ in fields["account.sales.sales"]["options"]] == [
        o["id"] for o in conf["sales"]["accounts"]["sales"]["accountOptions"]]
    assert [v for v, _ in fields["invoiceStatus"]["options"]] == conf["sales"]["invoiceStatus"]["invoiceStatusOptions"]
    assert "Europe/London" in [v for v, _ in fields["timeZone"]["options"]]
    assert fields["account.sales.sales"]["label"] == "Sales (required)"


def _configure(e: Embedded, app: AppClient, merchant: SandboxMerchant,
               **changes: str) -> tuple[httpx.Response, dict[str, str]]:
    token, _ = app.opened(merchant.flow.url)
    screen = app.post(merchant.flow.url, token, "authorize", {"username": "m"}).json()["screen"]
    fields = _filled(screen, **changes)
    return app.post(merchant.flow.url, token, "configure", fields), fields


def test_the_app_leaves_the_state_the_api_steps_do(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.started()
    token, _ = app.opened(merchant.flow.url)
    screen = app.post(merchant.flow.url, token, "authorize", {"username": "m"}).json()["screen"]
    last = {name: f["options"][-1][0] for name, f in _fields(screen).items() if f["kind"] == "select"}
    fields = _filled(screen, syncHour="7", timeZone="Europe/Paris",
                     **{"account.sales.sales": last["account.sales.sales"], "invoiceStatus": last["invoiceStatus"]})
    done = app.post(merchant.flow.url, token, "configure", fields)
    assert done.status_code == 200 and done.json()["screen"]["name"] == "success"
    stored = app_flow.steps.configuration(merchant.company_id)

    assert _selections(stored) == {k: v for k, v in fields.items() if k in _selections(stored)}

    # The same choices made through the API, option by option, store the same document (ids are per company).
    offered = {name: [v for v, _ in f["options"]] for name, f in _fields(screen).items() if f["kind"] == "select"}
    twin = app_flow.steps.linked("Twin Ltd")
    document = app_flow.steps.configuration(twin.company_id)
    twin_offered = _offered(document)
    choices = {name: twin_offered[name][offered[name].index(value)] for name, value in fields.items()
               if name in twin_offered}
    _select_in(document, choices)
    document["schedule"].update(syncHour=7, timeZone="Europe/Paris", selectedFrequency="Daily")
    document["enable"] = True
    via_api = app_flow.steps.configure(twin.company_id, document)
    assert _selections(via_api) == choices
    for key in ("enable", "configured", "schedule"):
        assert via_api[key] == stored[key], key
    assert (stored["enable"], stored["configured"]) == (True, True)


def _slots(document: dict[str, Any]) -> dict[str, tuple[dict[str, Any], str, str]]:
    """Every choice of a Configuration by its form field name: (entry, options key, selection key)."""
    conf = document["configuration"]
    found = {f"account.{section}.{slot}": (entry, "accountOptions", "selectedAccountId")
             for section in ("sales", "payments", "fees") for slot, entry in conf[section]["accounts"].items()}
    found.update({f"taxRate.{name}": (entry, "taxRateOptions", "selectedTaxRateId")
                  for name, entry in conf["sales"]["taxRates"].items()})
    found["invoiceStatus"] = (conf["sales"]["invoiceStatus"], "invoiceStatusOptions", "selectedInvoiceStatus")
    found["groupingPeriod"] = (conf["sales"]["grouping"]["groupingPeriod"], "groupingPeriodOptions",
                               "selectedGroupingPeriod")
    return found


def _offered(document: dict[str, Any]) -> dict[str, list[str]]:
    return {name: [o["id"] if isinstance(o, dict) else o for o in entry[options]]
            for name, (entry, options, _) in _slots(document).items()}


def _selections(document: dict[str, Any]) -> dict[str, str]:
    return {name: entry[selected] for name, (entry, _, selected) in _slots(document).items()}


def _select_in(document: dict[str, Any], choices: dict[str, str]) -> None:
    for name, (entry, _, selected) in _slots(document).items():
        entry[selected] = choices[name]


@pytest.mark.parametrize(("redirect_url", "location"), [
    ("https://app.example.com/sync/done?merchant=42", "https://app.example.com/sync/done?merchant=42"),
    ("app.codat.io", "https://app.codat.io"),
])
def test_configuring_ends_in_the_redirect(app_flow: Embedded, app: AppClient, redirect_url: str,
                                          location: str) -> None:
    done, _ = _configure(app_flow, app, app_flow.steps.started(redirect_url=redirect_url))
    assert done.status_code == 200 and done.json() == {"redirect": location}


def test_the_redirect_is_the_start_call_s_not_the_url_s(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.started(redirect_url="https://app.example.com/done")
    token, _ = app.opened(_with_query(merchant.flow.url, redirectUrl="https://evil.example/"))
    app.post(merchant.flow.url, token, "authorize", {"username": "m"})
    screen = app.screen(merchant.flow.url, token, "configure").json()["screen"]
    assert app.post(merchant.flow.url, token, "configure", _filled(screen)).json() == {
        "redirect": "https://app.example.com/done"}


def test_an_incomplete_configuration_does_not_end_the_flow(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.started(redirect_url="https://app.example.com/done")
    answer, _ = _configure(app_flow, app, merchant, **{"account.payments.cash": ""})
    body = app_flow.steps.error(answer, 400)
    assert "required" in body["error"]
    assert app_flow.steps.configuration(merchant.company_id)["configured"] is False


@pytest.mark.parametrize(("name", "value"), [("syncHour", "24"), ("syncHour", "abc"), ("timeZone", "Mars/Olympus"),
                                             ("account.sales.sales", "not-an-offered-id"), ("invoiceStatus", "Void")])
def test_a_refused_choice_names_the_problem_and_stores_nothing(app_flow: Embedded, app: AppClient, name: str,
                                                              value: str) -> None:
    merchant = app_flow.steps.linked()
    before = app_flow.steps.configuration(merchant.company_id)
    token, screen = app.opened(app_flow.steps.flow_url(merchant.company_id))
    assert screen["name"] == "configure"
    answer = app.post(merchant.flow.url, token, "configure", _filled(screen, **{name: value}))
    body = app_flow.steps.error(answer, 400)
    assert body["validation"]["errors"]
    assert app_flow.steps.configuration(merchant.company_id) == before


def test_a_form_that_is_not_strings_is_refused(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.started()
    token, _ = app.opened(merchant.flow.url)
    answer = app.http.post(f"{app_flow.target.base_url}/flow-api/s/{token}/authorize", json={"username": ["m"]})
    assert answer.status_code == 400


# -- sessions --------------------------------------------------------------------------------------


def test_an_unknown_session_is_refused(app_flow: Embedded, app: AppClient) -> None:
    base = app_flow.target.base_url
    for method, path in [("GET", "screens/configure"), ("GET", "screens/settings"), ("POST", "authorize"),
                         ("POST", "configure"), ("POST", "settings"), ("POST", "deauthorize")]:
        answer = app.http.request(method, f"{base}/flow-api/s/forged-token/{path}", json={})
        assert answer.status_code == 401, (method, path)


def test_an_unknown_screen_is_not_found(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.started()
    token, _ = app.opened(merchant.flow.url)
    assert app.screen(merchant.flow.url, token, "nothing").status_code == 404


def test_a_session_ends_after_an_hour(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.started()
    token, _ = app.opened(merchant.flow.url)
    app_flow.target.clock.advance(3600)
    assert app.post(merchant.flow.url, token, "authorize", {"username": "m"}).status_code == 401


# -- review (seed §4, FLOW-3) -----------------------------------------------------------------------


def test_a_configured_merchant_starts_on_settings_with_last_and_next_sync(app_flow: Embedded,
                                                                          app: AppClient) -> None:
    merchant = app_flow.steps.configured(syncHour=12, timeZone="Etc/UTC")
    app_flow.target.clock.advance(4 * 3600)  # 13:00: the 12:00 sync has run
    _, screen = app.opened(app_flow.steps.flow_url(merchant.company_id))
    assert screen["name"] == "settings"
    facts = _facts(screen)
    assert facts["last-sync"]["datetime"] == "2026-01-05T12:00:00.000Z"
    assert facts["last-sync"]["text"] == "2026-01-05 12:00 UTC"
    assert facts["next-sync"]["datetime"] == "2026-01-06T12:00:00.000Z"
    assert facts["schedule"]["text"] == "Daily at 12:00 Etc/UTC"
    assert facts["sync-enabled"]["text"] == "Enabled"
    assert facts["accounting-status"]["text"] == "Linked"


def test_a_linked_but_unconfigured_merchant_starts_on_configure(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.linked()
    _, screen = app.opened(app_flow.steps.flow_url(merchant.company_id))
    assert screen["name"] == "configure"


def test_settings_change_the_schedule_and_disable(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.configured()
    url = app_flow.steps.flow_url(merchant.company_id)
    token, _ = app.opened(url)
    answer = app.post(url, token, "settings", {"selectedFrequency": "Monthly", "syncHour": "21",
                                               "timeZone": "Europe/Berlin"})
    assert answer.status_code == 200
    facts = _facts(answer.json()["screen"])
    assert facts["schedule"]["text"] == "Monthly at 21:00 Europe/Berlin"
    assert facts["sync-enabled"]["text"] == "Disabled" and "datetime" not in facts["next-sync"]
    stored = app_flow.steps.configuration(merchant.company_id)
    assert (stored["enable"], stored["configured"], stored["schedule"]["syncHour"]) == (False, True, 21)


def test_deauthorizing_in_settings_unlinks_accounting(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.configured()
    url = app_flow.steps.flow_url(merchant.company_id)
    token, _ = app.opened(url)
    screen = app.post(url, token, "deauthorize", {}).json()["screen"]
    assert _facts(screen)["accounting-status"]["text"] == "Deauthorized"
    statuses = {c["sourceType"]: c["status"] for c in app_flow.api.all_connections(merchant.company_id)}
    assert statuses["Accounting"] == "Deauthorized"


def test_the_review_link_leads_to_the_stored_mapping(app_flow: Embedded, app: AppClient) -> None:
    merchant = app_flow.steps.configured()
    url = app_flow.steps.flow_url(merchant.company_id)
    token, screen = app.opened(url)
    assert any(p.get("link", {}).get("id") == "review-mapping" for p in screen["parts"])
    configure = app.screen(url, token, "configure").json()["screen"]
    stored = app_flow.steps.configuration(merchant.company_id)["configuration"]
    assert _fields(configure)["account.sales.sales"]["value"] == \
        stored["sales"]["accounts"]["sales"]["selectedAccountId"]


# -- faults reach the app style too ---------------------------------------------------------------------


def test_the_no_success_page_fault_leaves_the_app_blank(embedded: Callable[..., Embedded]) -> None:
    e = embedded(flow_style="app", faults=["no-success-page"])
    done, _ = _configure(e, AppClient(e.api.client.http), e.steps.started())
    assert done.status_code == 204 and done.content == b""


def test_the_dropped_invoice_status_fault_reaches_the_app(embedded: Callable[..., Embedded]) -> None:
    e = embedded(flow_style="app", faults=["pages-drop-invoice-status"])
    merchant = e.steps.started()
    _configure(e, AppClient(e.api.client.http), merchant)
    stored = e.steps.configuration(merchant.company_id)["configuration"]
    assert stored["sales"]["invoiceStatus"]["selectedInvoiceStatus"] is None


def test_an_unknown_flow_style_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown flow style 'spa'"):
        Sandbox(flow_style="spa")
