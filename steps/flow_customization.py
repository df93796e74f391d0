"""Flow customization steps (CUST-1..4): the flow's texts per locale, the account entries it offers, and that
neither changes a merchant's configuration.

Texts and visible accounts belong to the partner's whole account: the run
keeps each as it found it before the first change and puts it back when the
scenario ends (:mod:`sfc_conformance.suite.client_settings` watches every
request), so these steps change them freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from pytest_bdd import parsers, then, when

from sfc_conformance.core.account import RunId
from sfc_conformance.core.profile import (
    LOCALES,
    Visibility,
    changeable_key,
    client_id_of,
    read_texts,
    read_visible,
    text_change_problems,
    visibility_problems,
)
from sfc_conformance.suite import configurations
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.run_merchants import Merchants
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.target_api import TargetApi

from .common import error_message

MALFORMED_KEYS = ("LQAI", "lqa")  # not four lower-case letters


# -- CUST-1: reading the texts ----------------------------------------------------------------------------------


@when(parsers.parse('the partner reads the flow\'s text in "{first}" and in "{second}"'), target_fixture="read")
def _(api: TargetApi, first: str, second: str) -> dict[str, httpx.Response]:
    return {locale: api.flow_texts(locale) for locale in (first, second)}


@when(parsers.parse('the partner reads the flow\'s text without a locale and in "{other}"'), target_fixture="read")
def _(api: TargetApi, other: str) -> dict[str, httpx.Response]:
    return {"no locale": api.flow_texts(None), other: api.flow_texts(other)}


@then("each answer is an object of text keys, each a text or a text with whether it is required")
def _(api: TargetApi, read: dict[str, httpx.Response]) -> None:
    """CUST-1: en-us and fr-fr answer a LocalizationInfo: text keys, each `{"text", "required"}` or a bare text."""
    for locale, answer in read.items():
        body = api.expect(answer, 200, f"reading the flow's text in {locale}")
        _, problems = read_texts(body)
        assert not problems, f"the flow's text in {locale}: " + "; ".join(problems)


@then("each of those is refused with a 4xx ErrorMessage")
def _(api: TargetApi, read: dict[str, httpx.Response]) -> None:
    """CUST-1: without a locale, or with another one, the text is refused with a 4xx and an ErrorMessage."""
    for locale, answer in read.items():
        assert 400 <= answer.status_code < 500, (f"reading the flow's text with {locale} answered "
                                                 f"{answer.status_code}, not a 4xx: {answer.text[:200]}")
        error_message(api, answer)


# -- CUST-2: changing one key -----------------------------------------------------------------------------------


@dataclass
class TextChange:
    """One key changed in one locale, and both locales' texts as they were before."""

    locale: str
    key: str
    before: dict[str, str]
    other_locale: str
    other_before: dict[str, str]
    own: list[str] = field(default_factory=list)  # the texts of its own the scenario stored, in order
    defaults: list[str] = field(default_factory=list)  # what null showed, each time
    after_null: dict[str, str] = field(default_factory=dict)  # the locale's texts after the last null


def _change(api: TargetApi, change: TextChange, value: str | None) -> dict[str, str]:
    api.expect(api.change_flow_texts(change.locale, {change.key: value}), 200,
               f"changing {change.key!r} in {change.locale} to {value!r}")
    return api.texts(change.locale)


@when(parsers.parse('the partner changes one text key in "{locale}" to a text of its own'),
      target_fixture="text_change")
def _(api: TargetApi, run_id: RunId, locale: str) -> TextChange:
    other = next(other for other in LOCALES if other != locale)
    key = changeable_key(api.expect(api.flow_texts(locale), 200, f"reading the flow's text in {locale}"))
    assert key is not None, f"the flow's text in {locale} has no key to change"
    change = TextChange(locale, key, api.texts(locale), other, api.texts(other))
    change.own.append(f"SFC conformance {run_id} text")
    _change(api, change, change.own[-1])
    return change


@then("that locale shows the text for the key, and every other key as it was")
def _(api: TargetApi, text_change: TextChange) -> None:
    """CUST-2: the next GET of the locale shows the text stored for the key, and every other key unchanged."""
    problems = text_change_problems(text_change.before, api.texts(text_change.locale), text_change.key,
                                    text_change.own[-1])
    assert not problems, f"after changing {text_change.key!r} in {text_change.locale}: " + "; ".join(problems)


@then("the other locale is as it was")
def _(api: TargetApi, text_change: TextChange) -> None:
    """CUST-2: a change in one locale leaves the other unchanged."""
    after = api.texts(text_change.other_locale)
    changed = sorted(k for k, text in text_change.other_before.items() if after.get(k) != text)
    assert not changed, (f"changing {text_change.key!r} in {text_change.locale} changed {len(changed)} key(s) in "
                         f"{text_change.other_locale} too, e.g. {changed[0]!r}: now {after.get(changed[0])!r}")


@when("the partner changes that key to an empty text")
def _(api: TargetApi, text_change: TextChange) -> None:
    _change(api, text_change, "")


@then("that locale shows an empty text for the key, and every other key as it was")
def _(api: TargetApi, text_change: TextChange) -> None:
    """CUST-2: `""` stores an empty text."""
    problems = text_change_problems(text_change.before, api.texts(text_change.locale), text_change.key, "")
    assert not problems, f"after emptying {text_change.key!r} in {text_change.locale}: " + "; ".join(problems)


@when("the partner sets that key to null, after the empty text and again after another text of its own")
def _(api: TargetApi, text_change: TextChange) -> None:
    text_change.defaults.append(_change(api, text_change, None).get(text_change.key, ""))
    text_change.own.append(text_change.own[0] + " again")
    _change(api, text_change, text_change.own[-1])
    text_change.after_null = _change(api, text_change, None)
    text_change.defaults.append(text_change.after_null.get(text_change.key, ""))


@then("the key shows its default both times, never a text of its own")
def _(text_change: TextChange) -> None:
    """CUST-2: null restores the key's default: the same text whatever the key held, never a text stored since;
    every other key as it was."""
    problems = text_change_problems(text_change.before, text_change.after_null, text_change.key, None)
    assert not problems, f"after setting {text_change.key!r} to null: " + "; ".join(problems)
    first, second = text_change.defaults
    assert first == second, (f"null gave {text_change.key!r} {first!r} after the empty text and {second!r} after "
                             "a text of its own: a default does not depend on what was stored")
    assert first not in text_change.own, (f"null left {text_change.key!r} showing {first!r}, the text the run "
                                          "stored, not its default")


# -- CUST-3: the visible accounts -------------------------------------------------------------------------------


@when("the partner reads its client id in a flow URL", target_fixture="client_id")
def _(settings: Settings, merchants: Merchants, merchant: Merchant) -> str:
    merchants.issue_flow_url(merchant, "starting the sync flow, to read the client id in its URL")
    found = client_id_of(merchant.flow.url, settings.commerce_key, settings.accounting_key)
    assert found, (f"the flow URL {merchant.flow.url.split('?')[0]} has no segment before its platform segments "
                   f"/{settings.commerce_key}/{settings.accounting_key}/: the profile's client id")
    return found


@dataclass
class VisibilityRun:
    """The changes of one platform's visible accounts, read back after each, and another platform around them."""

    readings: list[Visibility] = field(default_factory=list)
    other: tuple[tuple[int, frozenset[str] | None], ...] = ()  # (status, entries) before, during and after


def _other(api: TargetApi, client_id: str, platform: str) -> tuple[int, frozenset[str] | None]:
    answer = api.visible_accounts(client_id, platform)
    return answer.status_code, read_visible(api.json(answer)) if answer.status_code == 200 else None


@when("the partner sets the commerce platform's visible accounts to all, one entry, none, a hidden entry and all "
      "again", target_fixture="visibility")
def _(api: TargetApi, settings: Settings, client_id: str) -> VisibilityRun:
    platform, run = settings.commerce_key, VisibilityRun()
    before = _other(api, client_id, settings.accounting_key)

    def set_and_read(sent: str, body: dict[str, Any], chosen: frozenset[str] | None) -> frozenset[str]:
        answer = api.set_visible_accounts(platform, body)
        assert 200 <= answer.status_code < 300, (f"setting the visible accounts of {platform} to {sent} answered "
                                                 f"{answer.status_code}: {answer.text[:300]}")
        shown = api.visible(client_id, platform)
        run.readings.append(Visibility(sent, chosen, shown))
        return shown or frozenset()

    every = set_and_read("null", {"visibleAccounts": None}, None)
    assert every, f"with every entry shown, the flow offers no account entry for {platform} to choose from"
    one = sorted(every)[0]
    shown = set_and_read(f"[{one}]", {"visibleAccounts": [one]}, frozenset({one}))
    set_and_read("[]", {"visibleAccounts": []}, frozenset())
    during = _other(api, client_id, settings.accounting_key)  # read while the platform shows the fewest
    hidden = sorted(every - shown)
    if hidden:  # an entry [one] hid cannot be required
        set_and_read(f"[{hidden[0]}]", {"visibleAccounts": [hidden[0]]}, frozenset({hidden[0]}))
    set_and_read("absent", {}, None)
    run.other = (before, during, _other(api, client_id, settings.accounting_key))
    return run


@then("each read answered what was set, with every required entry, and every entry when none was chosen")
def _(visibility: VisibilityRun) -> None:
    """CUST-3: the GET answers what was set, every required entry included; `[]` leaves the required ones only;
    absent or null shows them all."""
    problems = visibility_problems(visibility.readings)
    assert not problems, "; ".join(problems[:6])


@then("the other platform's visible accounts are as they were")
def _(settings: Settings, visibility: VisibilityRun) -> None:
    """CUST-3: a change for one platform leaves every other platform as it was."""
    before, *later = visibility.other
    changed = [reading for reading in later if reading != before]
    assert not changed, (f"changing {settings.commerce_key}'s visible accounts changed "
                         f"{settings.accounting_key}'s: {before[0]} {sorted(before[1] or [])[:6]} became "
                         f"{changed[0][0]} {sorted(changed[0][1] or [])[:6]}")


@then("a platform key that is not four lower-case letters is refused with a 4xx")
def _(api: TargetApi, client_id: str) -> None:
    """CUST-3: a malformed platform key is refused with a 4xx, when set and when read."""
    for key in MALFORMED_KEYS:
        for what, answer in (("setting", api.set_visible_accounts(key, {"visibleAccounts": []})),
                             ("reading", api.visible_accounts(client_id, key))):
            assert 400 <= answer.status_code < 500, (f"{what} the visible accounts of {key!r} answered "
                                                     f"{answer.status_code}, not a 4xx: {answer.text[:200]}")


# -- CUST-4: nothing else changes -------------------------------------------------------------------------------


@when("the partner notes the merchant's configuration", target_fixture="configuration_before")
def _(api: TargetApi, merchant: Merchant) -> dict[str, Any]:
    return api.configuration(merchant)


@when("the partner changes a text in each locale, and shows no account entry it may hide, then every one, for the "
      "merchant's commerce platform")
def _(api: TargetApi, settings: Settings, run_id: RunId) -> None:
    for locale in LOCALES:
        key = changeable_key(api.expect(api.flow_texts(locale), 200, f"reading the flow's text in {locale}"))
        assert key is not None, f"the flow's text in {locale} has no key to change"
        api.expect(api.change_flow_texts(locale, {key: f"SFC conformance {run_id} text"}), 200,
                   f"changing {key!r} in {locale}")
    hidden_then_all: tuple[list[str] | None, ...] = ([], None)
    for entries in hidden_then_all:
        answer = api.set_visible_accounts(settings.commerce_key, {"visibleAccounts": entries})
        assert 200 <= answer.status_code < 300, (f"setting the visible accounts of {settings.commerce_key} to "
                                                 f"{entries} answered {answer.status_code}")


@then("the merchant's configuration is as it was")
def _(api: TargetApi, merchant: Merchant, configuration_before: dict[str, Any]) -> None:
    """CUST-4: no text or visibility change changes a company's configuration: its choices and `configured`."""
    after = api.configuration(merchant)
    changed = configurations.differences(configurations.selections(configuration_before),
                                         configurations.selections(after))
    if configuration_before.get("configured") != after.get("configured"):
        changed["configured"] = (configuration_before.get("configured"), after.get("configured"))
    assert not changed, f"customizing the flow changed the merchant's configuration: {changed}"
