"""The parts steps ask for, against the embedded sandbox: merchants, the target's API, the drivers, subscriptions.

A merchant's action the target does not carry out, or an answer a step relies on that does not come, is an
:class:`UnexpectedAnswer`: it fails a step like any failed check, and a step that takes a refusal as an answer
(a frequency the target will not store) catches it by name.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.suite import configurations
from sfc_conformance.suite.drivers import ApiDriver, PagesDriver
from sfc_conformance.suite.run_parts import RunParts
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.target_api import UnexpectedAnswer


@pytest.fixture
def parts() -> Iterator[RunParts]:
    embedded = EmbeddedTarget()
    embedded.start()
    made = RunParts(Settings(), embedded, lambda line: None)
    yield made
    made.close()
    embedded.stop()


def _api_driver(parts: RunParts) -> ApiDriver:
    return ApiDriver(parts.api, parts.settings, parts.merchants, parts.subscriptions, parts.clock)


def test_an_answer_a_step_relies_on_that_does_not_come_is_an_unexpected_answer(parts: RunParts) -> None:
    with pytest.raises(UnexpectedAnswer, match=r"reading the company: expected 200, the target answered 404: "):
        parts.api.expect(parts.api.get_company("5f3c0de0-0000-4000-8000-00000000c0de"), 200, "reading the company")
    assert issubclass(UnexpectedAnswer, AssertionError)  # a step that meets one fails, as with any failed check


def test_merchants_are_named_as_the_runs_and_their_flow_urls_kept(parts: RunParts) -> None:
    merchant = parts.merchants.started()
    assert merchant.name == parts.run_id.company_name("merchant 1")
    assert merchant.flow.otp and merchant.flow.param("merchantIdentifier") == merchant.company_id
    answer = parts.merchants.start_flow(merchant, redirect_url="https://partner.example/done")
    assert answer.status_code == 200 and len(merchant.flows) == 2
    assert merchant.flow.param("redirectUrl") == "https://partner.example/done"


def test_a_scenario_gets_the_merchant_a_person_linked_for_it(parts: RunParts) -> None:
    linked = parts.merchants.create()
    parts.merchants.reserved["steps/test_conformance.py::test_del_1"] = linked
    parts.merchants.scenario = "steps/test_conformance.py::test_del_1"
    assert parts.merchants.new() is linked
    assert parts.merchants.new() is not linked  # once


def test_configuring_before_the_link_is_an_unexpected_answer_from_every_driver(parts: RunParts) -> None:
    api_driver = _api_driver(parts)
    pages_driver = PagesDriver(parts.api, parts.settings, parts.merchants, parts.client, api_driver)
    merchant = parts.merchants.started()
    document = configurations.complete(parts.api.configuration(merchant))
    with pytest.raises(UnexpectedAnswer, match="configuring the sync: the target answered 4"):
        api_driver.configure(merchant, document)
    with pytest.raises(UnexpectedAnswer, match="the flow page"):
        pages_driver.configure(merchant, document)


def test_onboarding_through_the_api_then_severing_is_recorded_for_the_whole_run_check(parts: RunParts) -> None:
    parts.subscriptions.subscribe(2)
    api_driver = _api_driver(parts)
    merchant = parts.merchants.started()
    api_driver.link(merchant, "Commerce")
    api_driver.onboard(merchant)
    assert parts.api.configuration(merchant)["configured"] is True
    api_driver.sever_accounting(merchant)
    severed = parts.subscriptions.severed(merchant)
    assert (severed.company_id, severed.subscribers) == (merchant.company_id, ("1", "2"))
    assert parts.subscriptions.deletions == [severed]
    with pytest.raises(AssertionError, match="already subscribed 2 consumers, not 3"):
        parts.subscriptions.subscribe(3)


def test_every_answer_goes_to_the_answer_log(parts: RunParts) -> None:
    before = len(parts.answer_log.records)
    parts.api.get_company("5f3c0de0-0000-4000-8000-00000000c0de")
    logged = parts.answer_log.records[before:]
    assert [(r.method, r.status, r.operation) for r in logged] == [("GET", 404, "GET /companies/{companyId}")]
    assert isinstance(logged[0].response, httpx.Response)
