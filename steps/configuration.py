"""Configuration and review steps: the merchant's choices, stored, refused, changed, enabled and disabled."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pytest_bdd import parsers, then, when

from sfc_conformance.core.clock import Clock
from sfc_conformance.core.profile import enable_flag
from sfc_conformance.suite import configurations
from sfc_conformance.suite.drivers import MerchantDriver
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.target_api import TargetApi, UnexpectedAnswer

from .common import error_message

STORED_BEFORE = pytest.StashKey[dict[str, Any]]()


@when("the partner reads the configuration", target_fixture="answer")
def _(api: TargetApi, merchant: Merchant) -> httpx.Response:
    return api.get_configuration(merchant.company_id)


@when("the merchant configures the sync with valid choices, starting tomorrow")
def _(api: TargetApi, clock: Clock, driver: MerchantDriver, merchant: Merchant) -> None:
    driver.configure(merchant, configurations.complete(api.configuration(merchant),
                                                       start=configurations.tomorrow(clock.now())))


@when("the merchant configures the sync with each frequency offered in turn", target_fixture="frequencies")
def _(api: TargetApi, driver: MerchantDriver, merchant: Merchant) -> dict[str, str]:
    document = configurations.complete(api.configuration(merchant))
    offered = (document.get("schedule") or {}).get("frequencyOptions") or []
    assert offered, "the configuration offers no frequencyOptions to choose from"
    outcome = {}
    for frequency in offered:
        try:
            driver.configure(merchant, configurations.with_frequency(document, frequency))
        except UnexpectedAnswer as refused:  # the target would not take it: that is this frequency's answer
            outcome[frequency] = f"refused: {str(refused)[:300]}"
            continue
        stored = (api.configuration(merchant).get("schedule") or {}).get("selectedFrequency")
        outcome[frequency] = f"stored as {stored!r}" if stored != frequency else "stored"
    return outcome


@when("the merchant posts a configuration that leaves a required account unselected and claims it is configured",
      target_fixture="answer")
def _(api: TargetApi, merchant: Merchant) -> httpx.Response:
    document = configurations.complete(api.configuration(merchant))
    required = configurations.first_required_slot(document)
    assert required is not None, ("the target's configuration marks no account as required; that `configured` is "
                                  "derived cannot be shown")
    required["selectedAccountId"] = None
    document["configured"] = True  # a claim only a crafted API request can make
    merchant.configuration = document
    return api.set_configuration(merchant.company_id, document)


@when(parsers.parse("the merchant posts a configuration with {invalid}"), target_fixture="answer")
def _(api: TargetApi, merchant: Merchant, invalid: str, request: pytest.FixtureRequest) -> httpx.Response:
    current = api.configuration(merchant)
    request.node.stash[STORED_BEFORE] = configurations.selections(current)
    return api.set_configuration(merchant.company_id, configurations.invalid(current, invalid))


@when("the merchant configures the sync without syncHour and timeZone")
def _(api: TargetApi, driver: MerchantDriver, merchant: Merchant) -> None:
    document = configurations.complete(api.configuration(merchant))
    for key in ("syncHour", "timeZone"):
        document["schedule"].pop(key, None)
    driver.configure(merchant, document)


@when("the merchant tries to configure the sync", target_fixture="answer")
def _(api: TargetApi, merchant: Merchant) -> httpx.Response:
    # The API, not the driver: the refusal itself is what the scenario looks at.
    return api.set_configuration(merchant.company_id, configurations.complete(api.configuration(merchant)))


def _set_enable(api: TargetApi, driver: MerchantDriver, merchant: Merchant, enable: bool) -> None:
    document = api.configuration(merchant)
    document.pop("enabled", None)
    document["enable"] = enable
    driver.configure(merchant, document)


@when("the merchant disables the sync")
def _(api: TargetApi, driver: MerchantDriver, merchant: Merchant) -> None:
    _set_enable(api, driver, merchant, False)


@when("the merchant enables the sync again")
def _(api: TargetApi, driver: MerchantDriver, merchant: Merchant) -> None:
    _set_enable(api, driver, merchant, True)


@when(parsers.parse("the merchant changes the {choice}"))
def _(api: TargetApi, clock: Clock, driver: MerchantDriver, merchant: Merchant, choice: str) -> None:
    driver.configure(merchant, configurations.changed(api.configuration(merchant), choice, clock.now()))


@then("every one of them was stored and returned")
def _(frequencies: dict[str, str]) -> None:
    """CONF-3: every frequency the target offers in frequencyOptions is accepted, and returned."""
    wrong = {f: what for f, what in frequencies.items() if what != "stored"}
    assert not wrong, f"of the frequencies the target offers, not every one can be chosen: {wrong}"


TOO_EARLY = (400, 403, 409, 412, 422)


@then("the configuration is refused because the accounting connection is not linked yet")
def _(api: TargetApi, answer: httpx.Response) -> None:
    """CONF-7: configuring before the accounting connection is Linked is refused (4xx).  The company exists and
    the key is right: what is refused is configuring too early, so a 404 is not that refusal."""
    status = answer.status_code
    if status == 404:
        raise AssertionError("configuring before the accounting connection is linked answered 404, as if the "
                             f"company did not exist; it exists: expected one of {TOO_EARLY}: {answer.text[:300]}")
    assert status in TOO_EARLY, (f"configuring before the accounting connection is linked answered {status}, "
                                 f"not a refusal of the request ({', '.join(map(str, TOO_EARLY))}): "
                                 f"{answer.text[:300]}")
    error_message(api, answer)


@then(parsers.re(r"the configuration is (?P<negation>not )?configured"))
def _(api: TargetApi, merchant: Merchant, negation: str | None) -> None:
    """CONF-1, CONF-3, CONF-4, CONF-7, REV-1: `configured`, as the target derives it, is what the merchant's
    choices make it."""
    expected = not negation
    configured = api.configuration(merchant).get("configured")
    assert configured is expected, f"`configured` is {configured!r}, expected {expected}"


@then("the configuration offers account, tax rate, invoice status and grouping period options")
def _(api: TargetApi, answer: httpx.Response) -> None:
    """CONF-2: a linked accounting connection offers every kind of option to choose from."""
    offered = configurations.offered(api.expect(answer, 200, "reading the configuration"))
    missing = [kind for kind, present in offered.items() if not present]
    assert not missing, f"the configuration offers no {', no '.join(missing)} options"


@then("the next configuration read returns the merchant's choices")
@then("the configuration still holds the merchant's choices")
@then(parsers.parse("the configuration returns the changed {choice}"))
def _(api: TargetApi, merchant: Merchant) -> None:
    """CONF-3, REV-1, REV-3: what the merchant chose is stored and returned unchanged."""
    assert merchant.configuration is not None, "the merchant posted no configuration"
    differences = configurations.differences(configurations.selections(merchant.configuration),
                                             configurations.selections(api.configuration(merchant)))
    assert not differences, f"the stored configuration differs from the merchant's choices (wanted, stored): " \
                            f"{differences}"


@then("the stored configuration is unchanged")
def _(api: TargetApi, merchant: Merchant, request: pytest.FixtureRequest) -> None:
    """CONF-5: a refused configuration stores nothing."""
    before = request.node.stash[STORED_BEFORE]
    after = configurations.selections(api.configuration(merchant))
    assert after == before, f"a refused configuration changed what is stored: before {before}, after {after}"


@then(parsers.parse('the schedule\'s syncHour is {hour:d} and its timeZone is "{zone}"'))
def _(api: TargetApi, merchant: Merchant, hour: int, zone: str) -> None:
    """CONF-6: no syncHour means 0, no timeZone means Etc/UTC."""
    schedule = api.configuration(merchant).get("schedule") or {}
    assert (schedule.get("syncHour"), schedule.get("timeZone")) == (hour, zone), (
        f"the schedule is syncHour {schedule.get('syncHour')!r} in {schedule.get('timeZone')!r}, "
        f"expected {hour} in {zone!r}")


@then(parsers.re(r"the sync is (?P<state>disabled|enabled) and (still )?configured"))
def _(api: TargetApi, merchant: Merchant, state: str) -> None:
    """REV-2: disabling sets enable false and keeps configured true; enabling again restores it."""
    expected = state == "enabled"
    document = api.configuration(merchant)
    flag = enable_flag(document)[1]
    assert flag is expected, f"the enable flag is {flag!r}, expected {expected}"
    assert document.get("configured") is True, "`configured` is no longer true"
