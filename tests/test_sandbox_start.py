"""The sandbox's start call: the flow URL it answers, what it refuses, the connections it creates,
also under concurrent calls.

Rules: URL-1, URL-2, URL-4..6, LINK-1, LINK-2.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.merchant.view import otp_of
from tests.helpers import query as _query

if TYPE_CHECKING:
    from tests.conftest import SandboxSteps

NOBODY = str(uuid.UUID(int=0x1234, version=4))


def _connections(api: SyncFlowApi, company_id: str) -> list[dict[str, Any]]:
    return api.all_connections(company_id)


# -- start the flow (URL-1, URL-2, URL-4..6, LINK-1, LINK-2) ---------------------


def test_start_answers_an_absolute_flow_url(api: SyncFlowApi, steps: SandboxSteps) -> None:
    company_id = steps.company()
    response = api.start_flow("lqai", "gbol", company_id)
    assert response.status_code == 200
    assert set(response.json()) == {"url"}
    url = urlsplit(response.json()["url"])
    assert url.scheme in ("http", "https") and url.netloc


def test_flow_url_carries_otp_and_merchant(steps: SandboxSteps) -> None:
    company_id = steps.company()
    query = _query(steps.flow_url(company_id))
    assert query["merchantIdentifier"] == company_id
    assert query["otp"].isdigit() and len(query["otp"]) >= 6


@pytest.mark.parametrize("redirect", [
    "https://app.example.com/sync/done?merchant=42&step=2",
    "app.codat.io",
    "https://example.com/path with spaces/é",
])
def test_flow_url_carries_redirect_url_when_given(steps: SandboxSteps, redirect: str) -> None:
    url = steps.flow_url(steps.company(), redirect_url=redirect)
    assert _query(url)["redirectUrl"] == redirect


def test_flow_url_has_no_redirect_url_when_none_given(steps: SandboxSteps) -> None:
    assert "redirectUrl" not in _query(steps.flow_url(steps.company()))


@pytest.mark.parametrize("redirect", [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https://" + "a" * 2100,
])
def test_start_refuses_a_dangerous_or_huge_redirect_url(api: SyncFlowApi, steps: SandboxSteps,
                                                        redirect: str) -> None:
    company_id = steps.company()
    steps.error(api.start_flow("lqai", "gbol", company_id, redirect_url=redirect), 400)
    assert _connections(api, company_id) == []


@pytest.mark.parametrize(("commerce", "accounting"), [
    ("zzzz", "gbol"),      # unknown commerce key
    ("lqai", "zzzz"),      # unknown accounting key
    ("LQAI", "gbol"),      # malformed: upper case
    ("lqai", "gbo"),       # malformed: three letters
    ("lqai", "gb0l"),      # malformed: a digit
    ("lqai", "gbolx"),     # malformed: five letters
    ("lqai", "lqai"),      # commerce key in the accounting slot
    ("gbol", "gbol"),      # accounting key in the commerce slot
    ("lqai", "%20%20%20%20"),
])
def test_start_refuses_bad_platform_keys(api: SyncFlowApi, steps: SandboxSteps, commerce: str,
                                         accounting: str) -> None:
    company_id = steps.company()
    response = api.start_flow(commerce, accounting, company_id)
    assert response.status_code in (400, 404)
    steps.error(response, response.status_code)
    assert _connections(api, company_id) == []


def test_start_refuses_a_missing_merchant(api: SyncFlowApi, steps: SandboxSteps) -> None:
    steps.error(api.client.request("GET", "/config/sync/commerce/lqai/gbol/start"), 400)


def test_start_refuses_an_unknown_company_id(api: SyncFlowApi, steps: SandboxSteps) -> None:
    steps.error(api.start_flow("lqai", "gbol", NOBODY), 404)


def test_start_refuses_an_overlong_merchant(api: SyncFlowApi, steps: SandboxSteps) -> None:
    steps.error(api.start_flow("lqai", "gbol", "m" * 300), 400)


@pytest.mark.parametrize("accounting", ["gbol", "qhyg", "fbrh", "mqjo"])
def test_start_creates_pending_commerce_and_accounting_connections(api: SyncFlowApi, steps: SandboxSteps,
                                                                   accounting: str) -> None:
    company_id = steps.company()
    api.start_flow("lqai", accounting, company_id)
    found = {(c["sourceType"], c["integrationKey"], c["status"]) for c in _connections(api, company_id)}
    assert found == {("Commerce", "lqai", "PendingAuth"), ("Accounting", accounting, "PendingAuth")}


def test_repeated_start_creates_no_further_connections(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    steps.flow_url(merchant.company_id)
    steps.flow_url(merchant.company_id)
    assert {c["id"] for c in _connections(api, merchant.company_id)} == {merchant.commerce_id,
                                                                          merchant.accounting_id}


# -- concurrency --------------------------------------------------------------------------


def test_twenty_merchants_at_once_get_distinct_ids_and_otps(api: SyncFlowApi, steps: SandboxSteps) -> None:
    def one(index: int) -> tuple[str, str]:
        company_id = steps.company(f"Merchant {index}")
        return company_id, otp_of(steps.flow_url(company_id))

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20)))
    assert len({company_id for company_id, _ in results}) == 20
    assert len({otp for _, otp in results}) == 20
    for company_id, _ in results:
        assert len(_connections(api, company_id)) == 2


def test_concurrent_start_calls_for_one_company_create_its_connections_once(api: SyncFlowApi,
                                                                            steps: SandboxSteps) -> None:
    company_id = steps.company()
    with ThreadPoolExecutor(max_workers=20) as pool:
        otps = list(pool.map(lambda _: otp_of(steps.flow_url(company_id)), range(20)))
    assert len(set(otps)) == 20
    assert len(_connections(api, company_id)) == 2
