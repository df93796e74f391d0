"""CUST-5's judgement and how the run reaches what it judges: the stored texts where the flow marks their keys, in
the flow's language; the entries offered; the configure screen reached from wherever the flow opens, in the locale
asked for, by the flow URL's ``locale`` or the flow's own language choice.

The browser tests skip, saying why, only when no browser is found (CI installs Chromium).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sfc_conformance.core.profile import entry_problems, locale_of_tag, shows_stored, text_problems
from sfc_conformance.merchant.customization import customization_in_html
from sfc_conformance.sandbox import FLOW_STYLES
from sfc_conformance.suite.flow_viewer import FlowViewer
from sfc_conformance.suite.settings import Settings
from tests.conftest import Embedded
from tests.helpers import browser_or_skip

TITLE = "configure-content-sales-title"


# -- the judgement ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tag", "locale"), [
    ("fr-FR", "fr-fr"), ("fr", "fr-fr"), ("EN_us", "en-us"), ("en", "en-us"), ("en-GB", "en-us"),
    ("de-DE", None), ("", None),
])
def test_a_language_tag_names_the_locale_of_its_language(tag: str, locale: str | None) -> None:
    assert locale_of_tag(tag) == locale


@pytest.mark.parametrize(("stored", "shown", "same"), [
    ("Vos recettes", "  Vos\n recettes ", True),
    ("Associez les comptes de {commercePlatform} à ceux de {accountingPlatform}.",
     "Associez les comptes de Partner Commerce à ceux de Xero.", True),
    ("Associez les comptes de {commercePlatform}.", "Associez les taux de Partner Commerce.", False),
    ("Texte du partenaire (SFC conformance 1)", "Ventes", False),
    ("", "", True),
    ("", "Ventes", False),
])
def test_a_stored_text_shows_once_white_space_is_collapsed_and_placeholders_filled(stored: str, shown: str,
                                                                                   same: bool) -> None:
    assert shows_stored(stored, shown) is same


def test_every_marked_key_shows_the_stored_text_of_the_flows_locale() -> None:
    stored = {"a": "Ventes", "b": "Frais de {commercePlatform}"}
    assert text_problems([("a", "Ventes"), ("b", "Frais de Partner Commerce"), ("z", "not listed")], stored,
                         "fr-fr") == []
    problems = text_problems([("a", "Sales"), ("a", "Sales")], stored, "fr-fr")
    assert problems == ["'a' shows 'Sales', not the text stored for it in fr-fr: 'Ventes'"]


def test_a_hidden_entry_is_not_offered_and_a_required_one_always_is() -> None:
    required = {"sales-accounts-sales", "payments-accounts-card"}
    assert entry_problems(["sales-accounts-sales", "payments-accounts-card"], "sales-accounts-gratuity",
                          required) == []
    assert entry_problems(["sales-accounts-sales", "payments-accounts-card"], None, required) == []
    assert entry_problems(["sales-accounts-sales", "sales-accounts-gratuity"], "sales-accounts-gratuity",
                          required) == [
        "the configure screen offers 'sales-accounts-gratuity', which the partner hid",
        "the configure screen no longer offers the required entries ['payments-accounts-card']",
    ]


# -- what the reader notes on the way ------------------------------------------------------------------------


def test_the_html_reader_notes_the_language_choice_and_the_way_on_to_the_configure_screen() -> None:
    shown = customization_in_html("""<html lang=en-US><body><nav id=language>
      <a href="/s/t/settings" hreflang="en-US" aria-current=true>English</a>
      <a href="/s/t/settings?locale=fr-fr" hreflang="fr-FR">Français</a></nav>
      <p><a id=review-mapping href="/s/t/configure">Review</a></p></body></html>""")
    assert shown.languages == (("en-US", "/s/t/settings"), ("fr-FR", "/s/t/settings?locale=fr-fr"))
    assert shown.onward == "/s/t/configure" and shown.chose_language == ""


# -- the run's way to the configure screen, in the locale asked for ------------------------------------------


def _french_title(e: Embedded) -> None:
    answer = e.api.change_flow_texts("fr-fr", {TITLE: "Vos recettes"})
    assert answer.status_code == 200, answer.text


def test_without_a_browser_the_locale_of_the_url_is_followed(embedded: Callable[..., Embedded],
                                                             eyes_on: Callable[..., FlowViewer]) -> None:
    e = embedded()
    _french_title(e)
    url = e.steps.flow_url(e.steps.linked().company_id) + "&locale=fr-fr"
    shown = eyes_on(e).look_at_customization(url, locale="fr-fr")
    assert (shown.lang, shown.chose_language, shown.texts[TITLE]) == ("fr-FR", "", "Vos recettes")


def test_a_flow_opened_in_another_language_is_shown_in_the_one_asked_for_through_its_language_choice(
        embedded: Callable[..., Embedded], eyes_on: Callable[..., FlowViewer]) -> None:
    e = embedded()
    _french_title(e)
    url = e.steps.flow_url(e.steps.linked().company_id)  # no locale: the flow opens in en-us
    shown = eyes_on(e).look_at_customization(url, locale="fr-fr")
    assert (shown.lang, shown.chose_language, shown.texts[TITLE]) == ("fr-FR", "fr-FR", "Vos recettes")
    assert shown.entries and "reached by choosing fr-FR" in shown.describe()


def test_a_flow_that_ignores_the_locale_is_caught_showing_another_language_after_the_choice(
        embedded: Callable[..., Embedded], eyes_on: Callable[..., FlowViewer]) -> None:
    e = embedded(faults=["flow-locale-ignored"])
    url = e.steps.flow_url(e.steps.linked().company_id) + "&locale=fr-fr"
    shown = eyes_on(e).look_at_customization(url, locale="fr-fr")
    assert (shown.lang, shown.chose_language) == ("en-US", "fr-FR")
    assert "fr-FR" in [tag for tag, _ in shown.languages]


def test_a_configured_merchant_is_taken_from_the_settings_page_to_the_configure_screen(
        embedded: Callable[..., Embedded], eyes_on: Callable[..., FlowViewer]) -> None:
    e = embedded()
    url = e.steps.flow_url(e.steps.configured().company_id) + "&locale=fr-fr"
    shown = eyes_on(e).look_at_customization(url, locale="fr-fr")
    assert "sales-accounts-sales" in shown.entries and shown.lang == "fr-FR" and shown.marks_text_keys
    assert "/configure" in shown.url


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_in_a_browser_the_run_chooses_the_language_and_keeps_every_screen_it_read(
        embedded: Callable[..., Embedded], eyes_on: Callable[..., FlowViewer], style: str) -> None:
    path = browser_or_skip()
    e = embedded(flow_style=style)
    _french_title(e)
    eyes = eyes_on(e, Settings(browser=path))
    url = e.steps.flow_url(e.steps.configured().company_id)  # the settings page, in en-us
    shown = eyes.look_at_customization(url, "the configure screen in fr-fr", locale="fr-fr")
    assert (shown.lang, shown.chose_language, shown.texts[TITLE]) == ("fr-FR", "fr-FR", "Vos recettes")
    assert "sales-accounts-sales" in shown.entries
    assert [shot.caption for shot in eyes.screenshots] == [
        "the configure screen in fr-fr: the first screen, which links on to the configure screen",
        "the configure screen in fr-fr: in en-US, before choosing fr-FR in its language choice",
        "the configure screen in fr-fr",
    ]
