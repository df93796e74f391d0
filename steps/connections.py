"""Connection steps: the two connections, linking and de-authorizing them, and paging through them."""

from __future__ import annotations

import httpx
from pytest_bdd import parsers, then, when

from sfc_conformance.suite.drivers import MerchantDriver
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.target_api import TargetApi


@when("the merchant authorizes the accounting connection")
def _(driver: MerchantDriver, merchant: Merchant) -> None:
    driver.authorize_accounting(merchant)


@when(parsers.parse('the merchant de-authorizes the accounting connection with status "{status}"'))
def _(driver: MerchantDriver, merchant: Merchant, status: str) -> None:
    driver.deauthorize_accounting(merchant, status)


@when("the partner de-authorizes the commerce connection")
def _(api: TargetApi, merchant: Merchant) -> None:
    connection = api.connection(merchant, "Commerce")
    api.expect(api.update_connection(merchant.company_id, connection["id"], "Deauthorized"), 200,
               "de-authorizing the commerce connection")


@when("the merchant severs the accounting connection")
def _(driver: MerchantDriver, merchant: Merchant) -> None:
    driver.sever_accounting(merchant)


@when(parsers.parse("the partner lists the connections with page {page:d} and pageSize {size:d}"),
      target_fixture="answer")
def _(api: TargetApi, merchant: Merchant, page: int, size: int) -> httpx.Response:
    return api.list_connections(merchant.company_id, page=page, page_size=size)


@when("the partner lists the connections one at a time, page after page", target_fixture="paged")
def _(api: TargetApi, merchant: Merchant) -> tuple[list[str], list[list[str]]]:
    whole = api.expect(api.list_connections(merchant.company_id, page=1, page_size=5000), 200,
                       "listing every connection on one page")
    every = [str(c.get("id")) for c in whole.get("results") or []]
    pages = []
    for page in range(1, len(every) + 1):
        body = api.expect(api.list_connections(merchant.company_id, page=page, page_size=1), 200,
                          f"listing page {page} of the connections, one a page")
        pages.append([str(c.get("id")) for c in body.get("results") or []])
    return every, pages


@then("the company has one Commerce connection with the commerce key and one Accounting connection with the "
      "accounting key")
def _(api: TargetApi, settings: Settings, merchant: Merchant) -> None:
    """LINK-1: the start call gave the company one connection of each kind, each with its platform key."""
    connections = api.connections(merchant)
    for source_type, key in (("Commerce", settings.commerce_key), ("Accounting", settings.accounting_key)):
        found = [c for c in connections if c.get("sourceType") == source_type]
        assert len(found) == 1, f"expected one {source_type} connection, found {len(found)}: {connections}"
        assert found[0].get("integrationKey") == key, (
            f"the {source_type} connection's integrationKey is {found[0].get('integrationKey')!r}, not {key!r}")


@then("both connections are PendingAuth")
def _(api: TargetApi, merchant: Merchant) -> None:
    """LINK-1: both connections wait for authorization."""
    statuses = {c.get("sourceType"): c.get("status") for c in api.connections(merchant)}
    assert statuses.get("Commerce") == statuses.get("Accounting") == "PendingAuth", (
        f"expected both connections PendingAuth, found {statuses}")


@then(parsers.parse("the company has exactly {count:d} connections"))
def _(api: TargetApi, merchant: Merchant, count: int) -> None:
    """LINK-2: starting the flow again created no further connections."""
    connections = api.connections(merchant)
    assert len(connections) == count, (
        f"expected {count} connections, the company has {len(connections)}: "
        f"{[(c.get('sourceType'), c.get('integrationKey')) for c in connections]}")


@then("the accounting connection is Linked with a linkUrl and a created date")
def _(api: TargetApi, merchant: Merchant) -> None:
    """LINK-3: the merchant's authorization linked the accounting connection."""
    connection = api.connection(merchant, "Accounting")
    assert connection.get("status") == "Linked", f"the accounting connection is {connection.get('status')}"
    assert connection.get("linkUrl") and connection.get("created"), f"linkUrl or created is missing: {connection}"


@then("the accounting connection is not Linked")
def _(api: TargetApi, merchant: Merchant) -> None:
    """REV-4: de-authorizing left the accounting connection not Linked."""
    connection = api.connection(merchant, "Accounting")
    assert connection.get("status") != "Linked", "the accounting connection is still Linked after de-authorizing"


@then(parsers.parse("the page holds {count:d} connections of {total:d} in all"))
def _(api: TargetApi, answer: httpx.Response, count: int, total: int) -> None:
    """API-4: the page holds its slice, and totalResults is the true count."""
    body = api.expect(answer, 200, "listing connections")
    results = body.get("results") or []
    assert len(results) == count, f"the page holds {len(results)} connections, not {count}"
    assert body.get("totalResults") == total, f"totalResults is {body.get('totalResults')}, not {total}"


PAGING_LINKS = ("self", "current", "next", "previous")


@then(parsers.parse("the page's links are {links}"))
def _(api: TargetApi, answer: httpx.Response, links: str) -> None:
    """API-4: self and current are there, next and previous exactly when there is such a page."""
    body = api.expect(answer, 200, "listing connections")
    expected = {name.strip() for name in links.split(",") if name.strip()}
    # Of the paging links exactly these; other relations (a `first`, a `last`) may come and go.
    present = {k for k, v in (body.get("_links") or {}).items() if v and k in PAGING_LINKS}
    assert present == expected, (f"of the paging links {', '.join(PAGING_LINKS)}, _links holds {sorted(present)}, "
                                 f"expected exactly {sorted(expected)}")


@then("every connection is on exactly one page, in the order of the whole list")
def _(paged: tuple[list[str], list[list[str]]]) -> None:
    """API-4: page N of size 1 holds the N-th connection: no item on two pages, every item on one."""
    every, pages = paged
    assert len(every) >= 2, f"the company has {len(every)} connections; paging needs two to show anything"
    paged_through = [ident for page in pages for ident in page]
    assert paged_through == every, (
        "page N of size 1 does not hold the N-th connection: the pages hold "
        f"{[[i[:8] for i in page] for page in pages]}, the whole list is {[i[:8] for i in every]}")
