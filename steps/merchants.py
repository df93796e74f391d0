"""Givens: the merchants a scenario starts from, and how far they got.

``a shared merchant …`` lends one prepared merchant to every scenario that
leaves it as it found it (:mod:`sfc_conformance.suite.shared_merchants`): a
live run then creates a few merchants for dozens of scenarios.  A scenario
that changes its merchant in a way that cannot be undone takes a new one.
"""

from __future__ import annotations

from pytest_bdd import given, parsers

from sfc_conformance.suite.drivers import ApiDriver, MerchantDriver
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.run_merchants import Merchants
from sfc_conformance.suite.shared_merchants import LINKED, READY, STARTED
from sfc_conformance.suite.target_api import TargetApi


def ready_merchant(merchants: Merchants, api_driver: ApiDriver, driver: MerchantDriver,
                   merchant: Merchant) -> Merchant:
    """``merchant``, its flow started, both connections linked and the sync configured and enabled."""
    merchants.issue_flow_url(merchant)
    api_driver.link(merchant, "Commerce")  # the partner links its own platform
    driver.onboard(merchant)  # fails the step, saying why, unless the flow ends well
    return merchant


def _started(merchants: Merchants) -> Merchant:
    merchant = merchants.create()
    merchants.issue_flow_url(merchant)
    return merchant


@given("a new merchant company", target_fixture="merchant")
def _(merchants: Merchants) -> Merchant:
    return merchants.new()


@given("another merchant company", target_fixture="other")
def _(merchants: Merchants) -> Merchant:
    return merchants.create()


@given("the partner has started the sync flow")
def _(merchants: Merchants, merchant: Merchant) -> None:
    merchants.issue_flow_url(merchant)


@given("the merchant has authorized the accounting connection")
def _(driver: MerchantDriver, merchant: Merchant) -> None:
    driver.authorize_accounting(merchant)


@given("a merchant who is ready to sync", target_fixture="merchant")
def _(merchants: Merchants, api_driver: ApiDriver, driver: MerchantDriver) -> Merchant:
    return ready_merchant(merchants, api_driver, driver, merchants.new())


@given("a shared merchant whose flow has been started", target_fixture="merchant")
def _(merchants: Merchants) -> Merchant:
    return merchants.lend(STARTED, lambda: _started(merchants))


@given("a shared merchant whose accounting connection is authorized", target_fixture="merchant")
def _(merchants: Merchants, api_driver: ApiDriver, driver: MerchantDriver) -> Merchant:
    if merchants.links_are_scarce:  # a linked merchant is one a person linked: the ready one serves (configured)
        return merchants.lend(READY, lambda: ready_merchant(merchants, api_driver, driver, merchants.to_share()))

    def linked() -> Merchant:
        merchant = _started(merchants)
        driver.authorize_accounting(merchant)
        return merchant

    return merchants.lend(LINKED, linked)


@given("a shared merchant who is ready to sync", target_fixture="merchant")
def _(merchants: Merchants, api_driver: ApiDriver, driver: MerchantDriver) -> Merchant:
    return merchants.lend(READY, lambda: ready_merchant(merchants, api_driver, driver, merchants.to_share()))


@given(parsers.parse('the merchant\'s schedule is daily at {hour:d} in "{zone}"'))
def _(api: TargetApi, driver: MerchantDriver, merchant: Merchant, hour: int, zone: str) -> None:
    document = api.configuration(merchant)
    document["schedule"].update({"selectedFrequency": "Daily", "syncHour": hour, "timeZone": zone})
    driver.configure(merchant, document)
