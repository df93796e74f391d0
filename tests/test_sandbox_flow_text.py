"""The flow's text per locale, as the partner customizes it: read (CUST-1), changed, emptied and restored in one
locale only (CUST-2), client-wide and never a company's configuration (CUST-4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.sandbox.flow_text import LOCALES, TEXTS, filled

if TYPE_CHECKING:
    from tests.conftest import SandboxSteps

PATH = "/sync/commerce/config/ui/text"
TITLE = "configure-setupSidebar-title"
NEXT = "configure-misc-nextButton"


def _texts(api: SyncFlowApi, locale: str) -> dict[str, Any]:
    response = api.client.request("GET", PATH, params={"locale": locale})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _patch(api: SyncFlowApi, locale: str, body: Any) -> dict[str, Any]:
    response = api.client.request("PATCH", PATH, params={"locale": locale}, json_body=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _shown(texts: dict[str, Any]) -> dict[str, str]:
    return {key: value["text"] for key, value in texts.items()}


@pytest.mark.parametrize("locale", LOCALES)
def test_each_locale_answers_every_key_with_its_default(api: SyncFlowApi, locale: str) -> None:
    texts = _texts(api, locale)
    assert set(texts) == set(TEXTS)
    assert all(set(value) == {"text", "required"} for value in texts.values())  # CUST-1: as the OAS writes it
    assert _shown(texts) == {key: text.defaults[locale] for key, text in TEXTS.items()}


def test_the_defaults_are_codats_documented_texts_in_english_and_french_ones(api: SyncFlowApi) -> None:
    english, french = (_shown(_texts(api, locale)) for locale in LOCALES)
    assert english[NEXT] == "Next" and french[NEXT] == "Suivant"
    assert english["configure-misc-previousButton"] == "Previous"
    assert english["configure-required-indicator"] == "Indicates a required field"
    assert english["configure-content-payments-accounts-entries-vipps"] == "Vipps"
    assert english["configure-content-sales-description"] == ""  # no value by default
    assert filled(english[TITLE], commerce="Partner Commerce", accounting="Xero") == "Set up Sync to Xero"
    different = [key for key in english if english[key] and english[key] == french[key]]
    assert len(different) < 8, different  # brand names (Vipps, Swish...) read the same in both


def test_required_says_what_the_flow_always_shows(api: SyncFlowApi) -> None:
    texts = _texts(api, "en-us")
    assert texts[NEXT]["required"] is True
    assert texts["configure-content-sales-description"]["required"] is False  # empty by default
    assert texts["configure-content-sales-accounts-entries-sales"]["required"] is True  # cannot be hidden
    assert texts["configure-content-sales-accounts-entries-gratuity"]["required"] is False  # can


def test_a_change_is_stored_for_that_locale_and_key_only(api: SyncFlowApi) -> None:
    before = {locale: _shown(_texts(api, locale)) for locale in LOCALES}
    answered = _patch(api, "fr-fr", {NEXT: "Continuer"})
    after = {locale: _shown(_texts(api, locale)) for locale in LOCALES}
    assert _shown(answered) == after["fr-fr"]
    assert after["fr-fr"] == {**before["fr-fr"], NEXT: "Continuer"}  # CUST-2: every other key unchanged
    assert after["en-us"] == before["en-us"]  # CUST-2: the other locale unchanged


def test_empty_stores_empty_and_null_restores_the_default(api: SyncFlowApi) -> None:
    default = _shown(_texts(api, "en-us"))[TITLE]
    _patch(api, "en-us", {TITLE: "Connect your books", NEXT: "Onwards"})
    assert _shown(_patch(api, "en-us", {TITLE: ""}))[TITLE] == ""  # CUST-2: "" is an empty text
    assert _shown(_texts(api, "en-us"))[NEXT] == "Onwards"
    restored = _shown(_patch(api, "en-us", {TITLE: None}))  # CUST-2: null is the default again
    assert restored[TITLE] == default
    assert restored[NEXT] == "Onwards"


def test_the_oas_shape_is_read_as_the_docs_shape(api: SyncFlowApi) -> None:
    """Codat's OAS writes a change as a Localization; its docs as the bare text. Both mean the same."""
    _patch(api, "en-us", {NEXT: {"text": "Carry on", "required": False}})
    assert _texts(api, "en-us")[NEXT] == {"text": "Carry on", "required": True}  # `required` is the flow's
    _patch(api, "en-us", {NEXT: {"required": False}})  # no text: nothing to change
    assert _shown(_texts(api, "en-us"))[NEXT] == "Carry on"
    assert _shown(_patch(api, "en-us", {NEXT: {"text": None}}))[NEXT] == "Next"


def test_the_locale_is_read_in_any_case(api: SyncFlowApi) -> None:
    _patch(api, "FR-FR", {NEXT: "Poursuivre"})
    assert _shown(_texts(api, "fr-fr"))[NEXT] == "Poursuivre"


@pytest.mark.parametrize("params", [{}, {"locale": ""}, {"locale": "de-de"}, {"locale": "en"}, {"locale": "en_us"}])
@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_no_locale_or_another_one_is_refused(api: SyncFlowApi, steps: SandboxSteps, params: dict[str, str],
                                             method: str) -> None:
    body = {NEXT: "x"} if method == "PATCH" else None
    error = steps.error(api.client.request(method, PATH, params=params, json_body=body), 400)  # CUST-1
    assert "locale" in error["error"]
    assert _shown(_texts(api, "en-us"))[NEXT] == "Next"


@pytest.mark.parametrize("body", [
    {"configure-nothing-here": "x"},
    {NEXT: 5},
    {NEXT: ["Next"]},
    {NEXT: {"text": 5}},
    {NEXT: {"label": "Next"}},
    {NEXT: "x" * 2049},
    {TITLE: "Fine", "configure-nothing-here": "x"},
    ["Next"],
    "Next",
])
def test_an_invalid_change_is_400_and_changes_nothing(api: SyncFlowApi, steps: SandboxSteps, body: Any) -> None:
    before = _shown(_texts(api, "en-us"))
    error = steps.error(api.client.request("PATCH", PATH, params={"locale": "en-us"}, json_body=body), 400)
    if isinstance(body, dict):
        assert error["validation"]["errors"]
    assert _shown(_texts(api, "en-us")) == before


def test_an_empty_change_changes_nothing(api: SyncFlowApi) -> None:
    assert _patch(api, "en-us", {}) == _texts(api, "en-us")


def test_texts_are_client_wide_and_leave_every_configuration_as_it_was(api: SyncFlowApi,
                                                                      steps: SandboxSteps) -> None:
    merchant = steps.configured()
    before = steps.configuration(merchant.company_id)
    _patch(api, "en-us", {key: f"Changed {key}" for key in TEXTS})
    _patch(api, "fr-fr", {NEXT: ""})
    assert steps.configuration(merchant.company_id) == before  # CUST-4


def test_the_merchants_pages_read_the_texts_of_a_locale(target: EmbeddedTarget, api: SyncFlowApi) -> None:
    _patch(api, "fr-fr", {TITLE: "Reliez {accountingPlatform} à {commercePlatform}"})
    texts = target.sandbox.state.texts_for("fr-fr")
    assert filled(texts[TITLE], commerce="Caisse", accounting="Xero") == "Reliez Xero à Caisse"
    assert target.sandbox.state.texts_for("en-us")[TITLE] == TEXTS[TITLE].defaults["en-us"]
