"""The sandbox's integrations: the list, paged, filtered and ordered (INT-1), and each one's branding, whose images
the sandbox serves itself (INT-2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.core.http import ApiClient
from sfc_conformance.sandbox.platforms import ACCOUNTING, COMMERCE

if TYPE_CHECKING:
    from tests.conftest import SandboxSteps

EVERY_KEY = [*COMMERCE, *ACCOUNTING]


def _integrations(api: SyncFlowApi, **params: str) -> dict[str, Any]:
    response = api.client.request("GET", "/config/integrations", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_every_platform_the_sandbox_knows_is_listed(api: SyncFlowApi) -> None:
    page = _integrations(api)
    assert [item["key"] for item in page["results"]] == EVERY_KEY  # INT-1: the run's keys among them
    assert page["totalResults"] == len(EVERY_KEY)
    xero = next(item for item in page["results"] if item["key"] == "gbol")
    assert (xero["name"], xero["sourceType"], xero["enabled"]) == ("Xero", "Accounting", True)
    assert urlsplit(xero["logoUrl"]).netloc == "sandbox.embedded"  # absolute, and the sandbox's own


def test_integrations_are_paged_as_companies_are(api: SyncFlowApi, steps: SandboxSteps) -> None:
    first, second, third = (_integrations(api, page=str(n), pageSize="2") for n in (1, 2, 3))
    keys = [item["key"] for page in (first, second, third) for item in page["results"]]
    assert keys == EVERY_KEY  # every item on one page, none on two
    assert "next" in first["_links"] and "next" in second["_links"] and "next" not in third["_links"]
    assert third["_links"]["previous"]["href"] == "/config/integrations?page=2&pageSize=2"
    assert _integrations(api, page="4", pageSize="2")["results"] == []
    steps.error(api.client.request("GET", "/config/integrations", params={"page": "0"}), 400)
    steps.error(api.client.request("GET", "/config/integrations", params={"pageSize": "5001"}), 400)


@pytest.mark.parametrize(("query", "keys"), [
    ("key=gbol", ["gbol"]),
    ("name=xero", ["gbol"]),  # text compares without regard to case
    ("sourceType=Accounting", ["gbol", "qhyg", "fbrh", "mqjo"]),
    ("sourceType!=Accounting", ["lqai"]),
    ("name~book", ["qhyg"]),
    ("key=gbol || key=lqai", ["lqai", "gbol"]),
    ("sourceType=Accounting && name~o", ["gbol", "qhyg", "mqjo"]),
    ("{key=gbol || key=qhyg} && name~quick", ["qhyg"]),
    ("enabled=true", EVERY_KEY),
    ("enabled=false", []),
    ("isBeta=false&&key=fbrh", ["fbrh"]),
])
def test_a_query_keeps_what_it_names(api: SyncFlowApi, query: str, keys: list[str]) -> None:
    page = _integrations(api, query=query)
    assert [item["key"] for item in page["results"]] == keys
    assert page["totalResults"] == len(keys)


@pytest.mark.parametrize(("order", "keys"), [
    ("name", ["fbrh", "lqai", "qhyg", "mqjo", "gbol"]),
    ("-name", ["gbol", "mqjo", "qhyg", "lqai", "fbrh"]),
    ("key", ["fbrh", "gbol", "lqai", "mqjo", "qhyg"]),
    ("sourceType,-key", ["qhyg", "mqjo", "gbol", "fbrh", "lqai"]),
])
def test_order_by_orders_them(api: SyncFlowApi, order: str, keys: list[str]) -> None:
    assert [item["key"] for item in _integrations(api, orderBy=order)["results"]] == keys


@pytest.mark.parametrize(("params", "says"), [
    ({"query": "colour=red"}, "Could not resolve property colour on Integration"),
    ({"query": "key="}, "Malformed query"),
    ({"query": "key=gbol &&"}, "Malformed query"),
    ({"query": "{key=gbol"}, "Malformed query"),
    ({"query": "=gbol"}, "Malformed query"),
    ({"query": "enabled>true"}, "true or false"),
    ({"orderBy": "-colour"}, "Could not resolve property colour on Integration"),
])
def test_a_query_or_order_it_cannot_read_is_400(api: SyncFlowApi, steps: SandboxSteps, params: dict[str, str],
                                                says: str) -> None:
    body = steps.error(api.client.request("GET", "/config/integrations", params=params), 400)
    assert body["error"].startswith("Error parsing query - ") and says in body["error"]


# -- branding (INT-2) ---------------------------------------------------------------------------------


def _images(branding: dict[str, Any]) -> list[str]:
    return [branding[part][kind]["image"]["src"] for part, kinds in (("logo", ("full", "square")),
                                                                     ("button", ("default", "hover")))
            for kind in kinds]


@pytest.mark.parametrize("key", EVERY_KEY)
def test_each_listed_integration_has_branding_the_sandbox_serves(api: SyncFlowApi, raw_client: ApiClient,
                                                                 key: str) -> None:
    response = api.client.request("GET", f"/config/integrations/{key}/branding")
    assert response.status_code == 200, response.text
    branding = response.json()
    sources = _images(branding)
    assert len(set(sources)) == 4
    for src in sources:
        assert src.startswith("http://sandbox.embedded/")  # INT-2: absolute
        image = raw_client.request("GET", urlsplit(src).path, authenticated=False)  # as a browser loads it
        assert image.status_code == 200
        assert image.headers["content-type"].startswith("image/svg+xml")
        assert image.text.startswith("<svg") and "</svg>" in image.text
    name = {**COMMERCE, **ACCOUNTING}[key].name
    assert branding["logo"]["full"]["image"]["alt"] == f"{name} logo"
    assert name in raw_client.request("GET", urlsplit(sources[0]).path, authenticated=False).text


def test_a_listed_logo_url_is_an_image_too(api: SyncFlowApi, raw_client: ApiClient) -> None:
    for item in _integrations(api)["results"]:
        image = raw_client.request("GET", urlsplit(item["logoUrl"]).path, authenticated=False)
        assert (image.status_code, image.headers["content-type"].split(";")[0]) == (200, "image/svg+xml")


@pytest.mark.parametrize("key", ["zzzz", "abcd", "LQAI", "lqaix", "0000"])
def test_branding_of_a_key_none_has_is_404(api: SyncFlowApi, steps: SandboxSteps, key: str) -> None:
    steps.error(api.client.request("GET", f"/config/integrations/{key}/branding"), 404)  # INT-2, as the OAS has it


def test_an_image_nobody_names_is_404(raw_client: ApiClient) -> None:
    for path in ("/branding/zzzz/logo-full.svg", "/branding/gbol/logo-tiny.svg"):
        assert raw_client.request("GET", path, authenticated=False).status_code == 404


def test_integrations_are_behind_the_key_but_images_are_not(raw_client: ApiClient) -> None:
    for path in ("/config/integrations", "/config/integrations/gbol/branding"):
        assert raw_client.request("GET", path, authenticated=False).status_code == 401
    assert raw_client.request("GET", "/branding/gbol/logo-full.svg", authenticated=False).status_code == 200
