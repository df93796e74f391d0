"""Configuration and review steps (CONF-*, REV-1..3)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pytest_bdd import parsers, then, when

from sfc_conformance.core.readiness import enable_flag
from sfc_conformance.suite import choices
from sfc_conformance.suite.drivers import MerchantDriver
from sfc_conformance.suite.world import Merchant, Suite

from .common import error_message

STORED_BEFORE = pytest.StashKey[dict[str, Any]]()


@when("the partner reads the configuration", target_fixture="answer")
def _(sfc: Suite, merchant: Merchant) -> httpx.Response:
    return sfc.api.get_configuration(merchant.company_id)


# CONF-3
@when("the merchant configures the sync with valid choices, starting tomorrow")
def _(sfc: Suite, driver: MerchantDriver, merchant: Merchant) -> None:
    driver.configure(merchant, choices.complete(sfc.configuration(merchant), start=choices.tomorrow(sfc.clock.now())))


@when("the merchant configures the sync with each frequency offered in turn", target_fixture="frequencies")
def _(sfc: Suite, driver: MerchantDriver, merchant: Merchant) -> dict[str, str]:
    document = choices.complete(sfc.configuration(merchant))
    offered = (document.get("schedule") or {}).get("frequencyOptions") or []
    assert offered, "the configuration offers no frequencyOptions to choose from"
    outcome = {}
    for frequency in offered:
        try:
            driver.configure(merchant, choices.with_frequency(document, frequency))
        except AssertionError as refused:
            outcome[frequency] = f"refused: {str(refused)[:300]}"
            continue
        stored = (sfc.configuration(merchant).get("schedule") or {}).get("selectedFrequency")
        outcome[frequency] = f"stored as {stored!r}" if stored != frequency else "stored"
    return outcome


@when("the merchant posts a configuration that leaves a required account unselected and claims it is configured",
      target_fixture="answer")
def _(sfc: Suite, merchant: Merchant) -> httpx.Response:
    document = choices.complete(sfc.configuration(merchant))
    required = choices.first_required_slot(document)
    assert required is not None, "the target's configuration marks no account as required; CONF-4 cannot be shown"
    required["selectedAccountId"] = None
    document["configured"] = True  # a claim only a crafted API request can make
    merchant.configuration = document
    return sfc.api.set_configuration(merchant.company_id, document)


# CONF-5
@when(parsers.parse("the merchant posts a configuration with {invalid}"), target_fixture="answer")
def _(sfc: Suite, merchant: Merchant, invalid: str, request: pytest.FixtureRequest) -> httpx.Response:
    current = sfc.configuration(merchant)
    request.node.stash[STORED_BEFORE] = choices.selections(current)
    return sfc.api.set_configuration(merchant.company_id, choices.invalid(current, invalid))


# CONF-6
@when("the merchant configures the sync without syncHour and timeZone")
def _(sfc: Suite, driver: MerchantDriver, merchant: Merchant) -> None:
    document = choices.complete(sfc.configuration(merchant))
    for key in ("syncHour", "timeZone"):
        document["schedule"].pop(key, None)
    driver.configure(merchant, document)


@when("the merchant tries to configure the sync", target_fixture="answer")
def _(sfc: Suite, merchant: Merchant) -> httpx.Response:
    # The API, not the driver: the refusal itself is what CONF-7 looks at.
    return sfc.api.set_configuration(merchant.company_id, choices.complete(sfc.configuration(merchant)))


def _set_enable(sfc: Suite, driver: MerchantDriver, merchant: Merchant, enable: bool) -> None:
    document = sfc.configuration(merchant)
    document.pop("enabled", None)
    document["enable"] = enable
    driver.configure(merchant, document)


# REV-2, READY-1
@when("the merchant disables the sync")
def _(sfc: Suite, driver: MerchantDriver, merchant: Merchant) -> None:
    _set_enable(sfc, driver, merchant, False)


@when("the merchant enables the sync again")
def _(sfc: Suite, driver: MerchantDriver, merchant: Merchant) -> None:
    _set_enable(sfc, driver, merchant, True)


# REV-3
@when(parsers.parse("the merchant changes the {choice}"))
def _(sfc: Suite, driver: MerchantDriver, merchant: Merchant, choice: str) -> None:
    driver.configure(merchant, choices.changed(sfc.configuration(merchant), choice, sfc.clock.now()))


@then("every one of them was stored and returned")
def _(frequencies: dict[str, str]) -> None:
    wrong = {f: what for f, what in frequencies.items() if what != "stored"}
    assert not wrong, f"of the frequencies the target offers, not every one can be chosen: {wrong}"


# CONF-7: the company exists and the key is right; what is refused is configuring too early.
TOO_EARLY = (400, 403, 409, 412, 422)


@then("the configuration is refused because the accounting connection is not linked yet")
def _(sfc: Suite, answer: httpx.Response) -> None:
    status = answer.status_code
    if status == 404:
        raise AssertionError("configuring before the accounting connection is linked answered 404, as if the "
                             f"company did not exist; it exists: expected one of {TOO_EARLY}: {answer.text[:300]}")
    assert status in TOO_EARLY, (f"configuring before the accounting connection is linked answered {status}, "
                                 f"not a refusal of the request ({', '.join(map(str, TOO_EARLY))}): "
                                 f"{answer.text[:300]}")
    error_message(sfc, answer)


# CONF-1, CONF-3, CONF-4, CONF-7, REV-1
@then(parsers.re(r"the configuration is (?P<negation>not )?configured"))
def _(sfc: Suite, merchant: Merchant, negation: str | None) -> None:
    expected = not negation
    configured = sfc.configuration(merchant).get("configured")
    assert configured is expected, f"`configured` is {configured!r}, expected {expected}"


# CONF-2
@then("the configuration offers account, tax rate, invoice status and grouping period options")
def _(sfc: Suite, answer: httpx.Response) -> None:
    missing = [kind for kind, present in choices.offered(sfc.expect(answer, 200, "reading the configuration")).items()
               if not present]
    assert not missing, f"the configuration offers no {', no '.join(missing)} options"


@then("the next configuration read returns the merchant's choices")
@then("the configuration still holds the merchant's choices")
@then(parsers.parse("the configuration returns the changed {choice}"))
def _(sfc: Suite, merchant: Merchant) -> None:
    assert merchant.configuration is not None, "the merchant posted no configuration"
    differences = choices.differences(choices.selections(merchant.configuration),
                                      choices.selections(sfc.configuration(merchant)))
    assert not differences, f"the stored configuration differs from the merchant's choices (wanted, stored): " \
                            f"{differences}"


@then("the stored configuration is unchanged")
def _(sfc: Suite, merchant: Merchant, request: pytest.FixtureRequest) -> None:
    before = request.node.stash[STORED_BEFORE]
    after = choices.selections(sfc.configuration(merchant))
    assert after == before, f"a refused configuration changed what is stored: before {before}, after {after}"


@then(parsers.parse('the schedule\'s syncHour is {hour:d} and its timeZone is "{zone}"'))
def _(sfc: Suite, merchant: Merchant, hour: int, zone: str) -> None:
    schedule = sfc.configuration(merchant).get("schedule") or {}
    assert (schedule.get("syncHour"), schedule.get("timeZone")) == (hour, zone), (
        f"the schedule is syncHour {schedule.get('syncHour')!r} in {schedule.get('timeZone')!r}, "
        f"expected {hour} in {zone!r}")


@then(parsers.re(r"the sync is (?P<state>disabled|enabled) and (still )?configured"))
def _(sfc: Suite, merchant: Merchant, state: str) -> None:
    expected = state == "enabled"
    document = sfc.configuration(merchant)
    flag = enable_flag(document)[1]
    assert flag is expected, f"the enable flag is {flag!r}, expected {expected}"
    assert document.get("configured") is True, "`configured` is no longer true"
