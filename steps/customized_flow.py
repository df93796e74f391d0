"""The customized flow as the merchant sees it (CUST-5): the partner's texts where the flow marks their keys, in the
flow's language, and only the account entries the partner shows.

The merchant's side is read by the flow viewer
(:meth:`~sfc_conformance.suite.flow_viewer.FlowViewer.look_at_customization`): in the run's browser, with a
screenshot of the configure screen for the report, or, without one, from the HTML of server-rendered pages.  A
browser app without a browser, or a flow that marks no text key, is ``n/a`` with the reason: never pass, never
FAIL.

How a flow is told its locale the profile leaves open.  The merchant opens the flow URL with ``locale=L``, the
parameter Codat's flow takes; a flow that shows another language but offers L in its own language choice is
shown in L by choosing it there, as a merchant would.  A flow that offers no way to L is judged in the language
it shows, and the rule's note says so.

Texts and visible accounts belong to the partner's whole account: the run puts each back as it found it when
the scenario ends (:mod:`sfc_conformance.suite.client_settings`), so these steps change them freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest
from pytest_bdd import given, parsers, then, when

from sfc_conformance.core.account import RunId
from sfc_conformance.core.profile import (
    LOCALES,
    client_id_of,
    entry_problems,
    locale_of_tag,
    read_visible,
    text_problems,
)
from sfc_conformance.merchant.customization import CustomizationShown, entry_of
from sfc_conformance.merchant.view import PlainVerdict
from sfc_conformance.suite.flow_viewer import FlowViewer
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.rule_notes import RuleNotes, shortened
from sfc_conformance.suite.run_merchants import Merchants
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.target_api import TargetApi, UnexpectedAnswer
from sfc_conformance.verdicts import not_judged, rule_ids

NEEDS_A_BROWSER = ("the flow is a browser app: its document marks no text key until its script runs, and this run "
                   "has no browser to run it")
SCRIPT_UNREAD = "the flow's document runs script, and without a browser what the script draws is not read"
MARKS_NOTHING = ("the flow marks no text key (no element with data-textkey) on the screen it opens on, so there is "
                 "nothing of the partner's texts to judge")


@dataclass(frozen=True)
class FlowInLocale:
    """The configure screen as the merchant saw it, opened with ``locale=`` on the flow URL."""

    locale: str  # the locale asked for
    shown: CustomizationShown


@dataclass
class PartnerCustomization:
    """What the partner changed for the merchant's flow, and what the configure screen offered before."""

    locale: str  # where the texts were changed
    changed: dict[str, str]  # text key -> the text stored for it in ``locale``
    stored: dict[str, dict[str, str]]  # every locale -> its texts, as the API answers them after the change
    hidden: str | None  # the entry hidden, None when every entry the screen offered is required
    required: frozenset[str]  # the required entries the screen offered with nothing hidden
    notes: list[str] = field(default_factory=list)


def _visible_after(api: TargetApi, settings: Settings, merchant: Merchant, body: dict[str, list[str] | None],
                   sent: str) -> frozenset[str]:
    """Set the commerce platform's visible accounts to ``body`` and read back what the flow now offers."""
    platform = settings.commerce_key
    answer = api.set_visible_accounts(platform, body)
    if not 200 <= answer.status_code < 300:
        raise UnexpectedAnswer(f"setting the visible accounts of {platform} to {sent} answered {answer.status_code}: "
                               f"{answer.text[:300]}")
    client_id = next((found for flow in reversed(merchant.flows)
                      if (found := client_id_of(flow.url, settings.commerce_key, settings.accounting_key))), None)
    shown = api.visible(client_id, platform) if client_id else None
    if shown is None and answer.content:  # no client id to read them with: what the change answered (a VisibleAccounts)
        shown = read_visible(api.json(answer))
    if shown is None:
        raise UnexpectedAnswer(f"after setting the visible accounts of {platform} to {sent}, nothing says which "
                               "entries the flow offers (no VisibleAccounts read back)")
    return shown


def _mind_the_merchants_side(flow_viewer: FlowViewer, shown: CustomizationShown) -> None:
    """Skip (n/a) where this run cannot see the customization as the merchant does."""
    if not flow_viewer.has_browser and shown.scripted:  # the reason, and the option that gives the run a browser
        pytest.skip(flow_viewer.not_judged(PlainVerdict(False, SCRIPT_UNREAD if shown.marks_text_keys
                                                        else NEEDS_A_BROWSER)))
    if not shown.marks_text_keys:
        pytest.skip(f"{MARKS_NOTHING} ({shown.url.split('?')[0]}, seen with {shown.seen_with})")


def _seen_with(flow_viewer: FlowViewer, shown: CustomizationShown) -> str:
    return flow_viewer.seen_with if shown.screenshot is not None else shown.seen_with


def _run_text(run_id: RunId, number: int) -> str:
    return f"Texte du partenaire {number} (SFC conformance {run_id})"


@given("the partner shows every account entry for the merchant's commerce platform", target_fixture="every_entry")
def _(api: TargetApi, settings: Settings, merchant: Merchant) -> frozenset[str]:
    return _visible_after(api, settings, merchant, {"visibleAccounts": None}, "null")


@when("the merchant opens the flow on its configure screen", target_fixture="configure_screen")
def _(flow_viewer: FlowViewer, merchants: Merchants, merchant: Merchant) -> CustomizationShown:
    merchants.issue_flow_url(merchant, "starting the sync flow, to open it as the merchant")
    shown = flow_viewer.look_at_customization(merchant.flow.url, "the configure screen, every entry shown, texts "
                                                                 "as found")
    _mind_the_merchants_side(flow_viewer, shown)
    return shown


@when(parsers.parse('the partner changes texts the flow marks in "{locale}" and hides an entry it offers that is '
                    'not required'), target_fixture="customization")
def _(api: TargetApi, settings: Settings, run_id: RunId, merchant: Merchant, every_entry: frozenset[str],
      configure_screen: CustomizationShown, locale: str) -> PartnerCustomization:
    notes = []
    required = _visible_after(api, settings, merchant, {"visibleAccounts": []}, "[]") & every_entry
    offered = configure_screen.entries
    hidden = next((entry for entry in offered if entry not in required), None)
    if hidden is None:  # nothing the screen offers may be hidden: the required ones alone, and they must stay
        notes.append("every account entry the configure screen offers is required: none could be hidden")
    else:
        visible = sorted(every_entry - {hidden})
        _visible_after(api, settings, merchant, {"visibleAccounts": visible}, f"every entry but {hidden}")
    if not offered:
        notes.append("the configure screen offered no account entry (no control labelled by an entry's text key)")

    known = api.texts(locale)
    marked = [key for key in configure_screen.texts if key in known]
    assert marked, (f"none of the {len(configure_screen.texts)} text keys the flow marks is among its texts in "
                    f"{locale}: {shortened(list(configure_screen.texts))}")
    heading = next((key for key in marked if entry_of(key) is None and configure_screen.texts[key]), marked[0])
    label = next((key for key in marked if entry_of(key) in required and key != heading), None)
    keys = [heading] + ([label] if label else [])
    changed = {key: _run_text(run_id, number) for number, key in enumerate(keys, 1)}
    api.expect(api.change_flow_texts(locale, dict(changed)), 200, f"changing {keys} in {locale}")
    stored = {each: api.texts(each) for each in LOCALES}
    return PartnerCustomization(locale, changed, stored, hidden, frozenset(e for e in offered if e in required),
                                notes)


@when(parsers.parse('the merchant opens the flow in "{locale}"'), target_fixture="flow_in_locale")
def _(flow_viewer: FlowViewer, merchants: Merchants, merchant: Merchant, locale: str) -> FlowInLocale:
    merchants.issue_flow_url(merchant, f"starting the sync flow, to open it in {locale}")
    url = str(httpx.URL(merchant.flow.url).copy_set_param("locale", locale))
    shown = flow_viewer.look_at_customization(url, f"the configure screen in {locale}, as the partner customized it",
                                              locale=locale)
    return FlowInLocale(locale, shown)


@then("wherever the flow marks a text key, it shows the partner's text in the flow's language")
def _(flow_viewer: FlowViewer, rule_notes: RuleNotes, request: pytest.FixtureRequest,
      customization: PartnerCustomization, flow_in_locale: FlowInLocale) -> None:
    """CUST-5: wherever the flow marks a text key (data-textkey), it shows the stored text of the flow's locale."""
    asked, shown = flow_in_locale.locale, flow_in_locale.shown
    notes = [f"seen with {_seen_with(flow_viewer, shown)}"]
    judged = locale_of_tag(shown.lang)
    offers = shown.chose_language or next((tag for tag, _ in shown.languages if locale_of_tag(tag) == asked), "")
    if judged is None:
        notes.append(f"the flow declares no language of the profile (lang {shown.lang!r}): judged in {asked}, the "
                     "locale its URL asked for")
        judged = asked
    elif judged != asked and not offers:
        notes.append(f"the flow did not follow locale={asked} on its URL and offers no other way to it: judged in "
                     f"the language it shows, {judged}")
    elif shown.chose_language:
        notes.append(f"the flow did not follow locale={asked} on its URL; the merchant chose {shown.chose_language} "
                     "in its language choice")
    stored = customization.stored[judged]
    unknown = [key for key in shown.texts if key not in stored]
    if unknown:
        notes.append(f"keys the flow marks that its texts do not list (not judged): {shortened(unknown)}")
    for rule in rule_ids(request.node):
        for note in notes:
            rule_notes.note(rule, note)
    if judged != asked and offers:
        raise AssertionError(f"the flow offers {offers} in its language choice, and the merchant chose it; the flow "
                             f"still shows {shown.lang} (locale {judged}), not {asked}\n{shown.describe()}")
    if judged == customization.locale and not any(key in shown.texts for key in customization.changed):
        not_judged(f"the flow in {asked} marks none of the keys it marked before and the partner changed "
                   f"({shortened(list(customization.changed))}): it did not show the configure screen again\n"
                   f"{shown.describe()}")
    problems = text_problems(shown.marks, stored, judged)
    assert not problems, (f"the flow in {judged} does not show the partner's texts: " + "; ".join(problems[:6])
                          + f"\n{shown.describe()}")


@then("the entry the partner hid is not offered, and every required entry still is")
def _(rule_notes: RuleNotes, request: pytest.FixtureRequest, customization: PartnerCustomization,
      flow_in_locale: FlowInLocale) -> None:
    """CUST-5: an account entry the partner hid is not offered, while every required one still is (those the
    configure screen offered with nothing hidden)."""
    for rule in rule_ids(request.node):
        for note in customization.notes:
            rule_notes.note(rule, note)
    shown = flow_in_locale.shown
    problems = entry_problems(shown.entries, customization.hidden, customization.required)
    assert not problems, "; ".join(problems) + f"\n{shown.describe()}"
