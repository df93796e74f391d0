"""The one-time password of the flow URL on the controllable clock (OTP-1..6, URL-2, URL-3)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.merchant.view import otp_of
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.suite.flow_viewer import changed_otp
from tests.helpers import query as _query
from tests.helpers import with_query as _with_query

if TYPE_CHECKING:
    from tests.conftest import SandboxSteps


def _open(api: SyncFlowApi, url: str) -> httpx.Response:
    """The merchant's browser: no API key."""
    return api.client.http.get(url)


def test_flow_url_opened_at_once_is_served(api: SyncFlowApi, steps: SandboxSteps) -> None:
    url = steps.flow_url(steps.company())
    response = _open(api, url)
    assert response.status_code == 200
    assert 'id=authorize' in response.text


def test_flow_url_opened_at_29_999_s_is_served(target: EmbeddedTarget, api: SyncFlowApi,
                                               steps: SandboxSteps) -> None:
    url = steps.flow_url(steps.company())
    target.clock.advance(29.999)
    assert _open(api, url).status_code == 200


@pytest.mark.parametrize("seconds", [30.0, 3600], ids=["at-30.000s", "an-hour-late"])
def test_flow_url_opened_at_or_after_30_000_s_is_refused(target: EmbeddedTarget, api: SyncFlowApi,
                                                         steps: SandboxSteps, seconds: float) -> None:
    url = steps.flow_url(steps.company())
    target.clock.advance(seconds)
    assert _open(api, url).status_code == 401


def test_new_start_call_after_expiry_gives_a_working_url(target: EmbeddedTarget, api: SyncFlowApi,
                                                         steps: SandboxSteps) -> None:
    company_id = steps.company()
    expired = steps.flow_url(company_id)
    target.clock.advance(45)
    assert _open(api, expired).status_code == 401
    fresh = steps.flow_url(company_id)
    target.clock.advance(29)
    assert _open(api, fresh).status_code == 200


def test_flow_url_is_single_use(api: SyncFlowApi, steps: SandboxSteps) -> None:
    url = steps.flow_url(steps.company())
    assert _open(api, url).status_code == 200
    assert _open(api, url).status_code == 401


def test_otp_with_another_merchant_is_refused(api: SyncFlowApi, steps: SandboxSteps) -> None:
    url = steps.flow_url(steps.company("Acme Trading Ltd"))
    other = steps.company("Other Merchant Ltd")
    assert _open(api, _with_query(url, merchantIdentifier=other)).status_code == 401


def test_otp_with_a_changed_digit_is_refused(api: SyncFlowApi, steps: SandboxSteps) -> None:
    assert _open(api, changed_otp(steps.flow_url(steps.company()))).status_code == 401


def test_otp_without_merchant_is_refused(api: SyncFlowApi, steps: SandboxSteps) -> None:
    url = steps.flow_url(steps.company())
    query = _query(url)
    del query["merchantIdentifier"]
    assert _open(api, urlunsplit(urlsplit(url)._replace(query=urlencode(query)))).status_code == 401


def test_otp_for_another_accounting_platform_is_refused(api: SyncFlowApi, steps: SandboxSteps) -> None:
    url = steps.flow_url(steps.company())
    assert _open(api, url.replace("/gbol/", "/qhyg/")).status_code == 401


def test_otp_under_another_client_id_is_refused(target: EmbeddedTarget, api: SyncFlowApi,
                                                steps: SandboxSteps) -> None:
    url = steps.flow_url(steps.company())
    forged = url.replace(target.sandbox.state.client_id, "00000000-0000-4000-8000-000000000000")
    assert _open(api, forged).status_code == 401
    assert _open(api, url).status_code == 200


def test_otp_is_six_or_more_digits(steps: SandboxSteps) -> None:
    otp = otp_of(steps.flow_url(steps.company()))
    assert otp.isdigit() and len(otp) >= 6


def test_each_start_call_issues_a_fresh_otp(steps: SandboxSteps) -> None:
    company_id = steps.company()
    otps = [int(otp_of(steps.flow_url(company_id))) for _ in range(20)]
    assert len(set(otps)) == 20
    steps_between = {b - a for a, b in zip(otps, otps[1:], strict=False)}
    assert len(steps_between) > 1, "OTPs form an arithmetic progression"


def test_every_fresh_otp_works_once(target: EmbeddedTarget, api: SyncFlowApi, steps: SandboxSteps) -> None:
    company_id = steps.company()
    urls = [steps.flow_url(company_id) for _ in range(3)]
    target.clock.advance(10)
    assert [_open(api, url).status_code for url in urls] == [200, 200, 200]


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset_ms=st.one_of(st.integers(min_value=0, max_value=120_000),
                           st.integers(min_value=29_990, max_value=30_010)))
def test_opening_is_refused_exactly_from_30_s(target: EmbeddedTarget, api: SyncFlowApi,
                                              steps: SandboxSteps, offset_ms: int) -> None:
    # One target serves every example; each example has its own OTP, so they do not interfere.
    url = steps.flow_url(steps.company())
    target.clock.advance(offset_ms / 1000)
    refused = _open(api, url).status_code == 401
    assert refused == (offset_ms >= 30_000)
