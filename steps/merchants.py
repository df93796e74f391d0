"""Givens: the merchants a scenario starts from, and how far they got.

``a shared merchant …`` lends one prepared merchant to every scenario that
leaves it as it found it (:mod:`sfc_conformance.suite.sharing`): a live run
then creates a few merchants for dozens of scenarios.  A scenario that
changes its merchant in a way that cannot be undone takes a new one.
"""

from __future__ import annotations

from pytest_bdd import given, parsers

from sfc_conformance.suite.drivers import MerchantDriver, link_through_api
from sfc_conformance.suite.sharing import LINKED, READY, STARTED
from sfc_conformance.suite.world import Merchant, Suite


def ready_merchant(sfc: Suite, driver: MerchantDriver, merchant: Merchant) -> Merchant:
    """``merchant``, its flow started, both connections linked and the sync configured and enabled."""
    sfc.expect(sfc.start_flow(merchant), 200, "starting the sync flow")
    link_through_api(sfc, merchant, "Commerce")  # the partner links its own platform
    driver.onboard(merchant)  # fails the step, saying why, unless the flow ends well
    return merchant


def _started(sfc: Suite) -> Merchant:
    merchant = sfc.create_merchant()
    sfc.expect(sfc.start_flow(merchant), 200, "starting the sync flow")
    return merchant


@given("a new merchant company", target_fixture="merchant")
def _(sfc: Suite) -> Merchant:
    return sfc.new_merchant()


@given("another merchant company", target_fixture="other")
def _(sfc: Suite) -> Merchant:
    return sfc.create_merchant()


@given("the partner has started the sync flow")
def _(sfc: Suite, merchant: Merchant) -> None:
    sfc.expect(sfc.start_flow(merchant), 200, "starting the sync flow")


@given("the merchant has authorized the accounting connection")
def _(driver: MerchantDriver, merchant: Merchant) -> None:
    driver.authorize_accounting(merchant)


@given("a merchant who is ready to sync", target_fixture="merchant")
def _(sfc: Suite, driver: MerchantDriver) -> Merchant:
    return ready_merchant(sfc, driver, sfc.new_merchant())


@given("a shared merchant whose flow has been started", target_fixture="merchant")
def _(sfc: Suite) -> Merchant:
    return sfc.shared.lend(STARTED, lambda: _started(sfc))


@given("a shared merchant whose accounting connection is authorized", target_fixture="merchant")
def _(sfc: Suite, driver: MerchantDriver) -> Merchant:
    if sfc.links_are_scarce:  # a linked merchant is one a person linked: the ready one serves (configured)
        return sfc.shared.lend(READY, lambda: ready_merchant(sfc, driver, sfc.merchant_to_share()))

    def linked() -> Merchant:
        merchant = _started(sfc)
        driver.authorize_accounting(merchant)
        return merchant

    return sfc.shared.lend(LINKED, linked)


@given("a shared merchant who is ready to sync", target_fixture="merchant")
def _(sfc: Suite, driver: MerchantDriver) -> Merchant:
    return sfc.shared.lend(READY, lambda: ready_merchant(sfc, driver, sfc.merchant_to_share()))


@given(parsers.parse('the merchant\'s schedule is daily at {hour:d} in "{zone}"'))
def _(sfc: Suite, driver: MerchantDriver, merchant: Merchant, hour: int, zone: str) -> None:
    document = sfc.configuration(merchant)
    document["schedule"].update({"selectedFrequency": "Daily", "syncHour": hour, "timeZone": zone})
    driver.configure(merchant, document)
