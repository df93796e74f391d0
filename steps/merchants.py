"""Givens: the merchants a scenario starts from, and how far they got."""

from __future__ import annotations

from pytest_bdd import given, parsers

from sfc_conformance.suite.drivers import MerchantDriver
from sfc_conformance.suite.world import Merchant, Suite


@given("a new merchant company", target_fixture="merchant")
def _(sfc: Suite) -> Merchant:
    return sfc.new_merchant()


@given("another merchant company", target_fixture="other")
def _(sfc: Suite) -> Merchant:
    return sfc.new_merchant()


@given("the partner has started the sync flow")
def _(sfc: Suite, merchant: Merchant) -> None:
    sfc.expect(sfc.start_flow(merchant), 200, "starting the sync flow")


@given("the merchant has authorized the accounting connection")
def _(driver: MerchantDriver, merchant: Merchant) -> None:
    driver.authorize_accounting(merchant)


@given("a merchant who is ready to sync", target_fixture="merchant")
def _(sfc: Suite, driver: MerchantDriver) -> Merchant:
    merchant = sfc.started_merchant()
    commerce = sfc.connection(merchant, "Commerce")  # the partner links its own platform
    sfc.expect(sfc.api.authorize(merchant.company_id, commerce["id"], sfc.settings.credentials), 200,
               "authorizing the commerce connection")
    driver.onboard(merchant)  # fails the step, saying why, unless the flow ends well
    return merchant


@given(parsers.parse('the merchant\'s schedule is daily at {hour:d} in "{zone}"'))
def _(sfc: Suite, driver: MerchantDriver, merchant: Merchant, hour: int, zone: str) -> None:
    document = sfc.configuration(merchant)
    document["schedule"].update({"selectedFrequency": "Daily", "syncHour": hour, "timeZone": zone})
    driver.configure(merchant, document)
