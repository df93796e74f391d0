"""The account entries the flow offers, per commerce platform: chosen by the partner, required ones always offered,
one platform's choice leaving the others (CUST-3), and never a company's configuration (CUST-4)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.sandbox.configuration import ACCOUNT_SLOTS
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.sandbox.visible_accounts import ENTRY_KEYS, REQUIRED, SLOT_ENTRIES

if TYPE_CHECKING:
    from tests.conftest import SandboxSteps

OPTIONAL = [key for key in ENTRY_KEYS if key not in REQUIRED]


def _client_id(steps: SandboxSteps) -> str:
    """The sandbox's client id, as a partner finds it: the flow URL's segment before the two platform keys."""
    parts = urlsplit(steps.flow_url(steps.company())).path.split("/")
    return parts[parts.index("lqai") - 1]


def _set(api: SyncFlowApi, platform: str, body: Any) -> list[str]:
    response = api.client.request("POST", f"/sync/commerce/config/ui/accounts/platform/{platform}", json_body=body)
    assert response.status_code == 200, response.text
    return list(response.json()["visibleAccounts"])


def _get(api: SyncFlowApi, client_id: str, platform: str) -> list[str]:
    response = api.client.request("GET", f"/clients/{client_id}/config/ui/accounts/platform/{platform}")
    assert response.status_code == 200, response.text
    return list(response.json()["visibleAccounts"])


@pytest.fixture
def client_id(steps: SandboxSteps) -> str:
    return _client_id(steps)


def test_every_entry_is_offered_until_the_partner_chooses(api: SyncFlowApi, client_id: str) -> None:
    assert _get(api, client_id, "lqai") == list(ENTRY_KEYS)
    assert "sales-accounts-sales" in ENTRY_KEYS and "payments-accounts-manual" in ENTRY_KEYS


def test_the_entries_chosen_are_offered_with_the_required_ones(api: SyncFlowApi, client_id: str) -> None:
    chosen = ["sales-accounts-gratuity", "payments-accounts-paypal"]
    answered = _set(api, "lqai", {"visibleAccounts": chosen})
    assert answered == _get(api, client_id, "lqai")  # CUST-3: GET answers what was set
    assert set(answered) == REQUIRED | set(chosen)  # CUST-3: every required entry included
    assert answered == [key for key in ENTRY_KEYS if key in answered]  # in the flow's order


def test_an_empty_list_leaves_exactly_the_required_ones(api: SyncFlowApi, client_id: str) -> None:
    _set(api, "lqai", {"visibleAccounts": OPTIONAL[:3]})
    assert set(_set(api, "lqai", {"visibleAccounts": []})) == REQUIRED
    assert set(_get(api, client_id, "lqai")) == REQUIRED


@pytest.mark.parametrize("reset", [{}, {"visibleAccounts": None}, None])
def test_no_list_shows_them_all_again(api: SyncFlowApi, client_id: str, reset: Any) -> None:
    _set(api, "lqai", {"visibleAccounts": []})
    response = api.client.request("POST", "/sync/commerce/config/ui/accounts/platform/lqai", json_body=reset)
    assert response.status_code == 200, response.text
    assert _get(api, client_id, "lqai") == list(ENTRY_KEYS)


def test_naming_a_required_entry_changes_nothing_about_it(api: SyncFlowApi) -> None:
    assert set(_set(api, "lqai", {"visibleAccounts": sorted(REQUIRED)})) == REQUIRED


def test_a_change_for_one_platform_leaves_the_others(api: SyncFlowApi, client_id: str) -> None:
    _set(api, "abcd", {"visibleAccounts": OPTIONAL[:1]})
    _set(api, "lqai", {"visibleAccounts": []})
    assert set(_get(api, client_id, "abcd")) == REQUIRED | set(OPTIONAL[:1])
    assert _get(api, client_id, "gbol") == list(ENTRY_KEYS)
    assert set(_get(api, client_id, "lqai")) == REQUIRED


@pytest.mark.parametrize("platform", ["LQAI", "lqa", "lqaix", "lq1i", "l%20ai"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_key_that_is_not_four_lower_case_letters_is_refused(api: SyncFlowApi, steps: SandboxSteps,
                                                               client_id: str, platform: str, method: str) -> None:
    path = (f"/clients/{client_id}/config/ui/accounts/platform/{platform}" if method == "GET"
            else f"/sync/commerce/config/ui/accounts/platform/{platform}")
    steps.error(api.client.request(method, path, json_body={"visibleAccounts": []} if method == "POST" else None),
                400)  # CUST-3


@pytest.mark.parametrize("client", [str(uuid.UUID(int=7, version=4)), "not-a-client"])
def test_an_unknown_client_is_404(api: SyncFlowApi, steps: SandboxSteps, client: str) -> None:
    steps.error(api.client.request("GET", f"/clients/{client}/config/ui/accounts/platform/lqai"), 404)


@pytest.mark.parametrize("body", [{"visibleAccounts": ["sales-accounts-nothing"]}, {"visibleAccounts": "all"},
                                  {"visibleAccounts": [5]}, ["sales-accounts-gratuity"]])
def test_an_invalid_choice_is_400_and_changes_nothing(api: SyncFlowApi, steps: SandboxSteps, client_id: str,
                                                      body: Any) -> None:
    _set(api, "lqai", {"visibleAccounts": []})
    steps.error(api.client.request("POST", "/sync/commerce/config/ui/accounts/platform/lqai", json_body=body), 400)
    assert set(_get(api, client_id, "lqai")) == REQUIRED


def test_what_the_merchant_must_fill_in_can_never_be_hidden() -> None:
    for (section, slot), entry in SLOT_ENTRIES.items():
        if ACCOUNT_SLOTS[section][slot][1]:
            assert entry in REQUIRED, f"{section}.{slot} is required by the configuration, {entry} is not"
    assert {"sales-accounts-sales", "sales-taxRates-20", "payments-accounts-card"} <= REQUIRED  # Codat's '*'
    assert "sales-accounts-gratuity" not in REQUIRED


def test_choices_are_client_wide_and_leave_every_configuration_as_it_was(api: SyncFlowApi, steps: SandboxSteps,
                                                                         target: EmbeddedTarget) -> None:
    merchant = steps.configured()
    before = steps.configuration(merchant.company_id)
    _set(api, "lqai", {"visibleAccounts": []})
    _set(api, "gbol", {"visibleAccounts": OPTIONAL})
    assert steps.configuration(merchant.company_id) == before  # CUST-4
    assert set(target.sandbox.state.visible_accounts("lqai")) == REQUIRED  # what the merchant's pages read
