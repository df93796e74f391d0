"""Connection steps: the two connections (LINK-*), de-authorizing (REV-4), paging (API-4)."""

from __future__ import annotations

import httpx
from pytest_bdd import parsers, then, when

from sfc_conformance.suite.drivers import MerchantDriver
from sfc_conformance.suite.world import Merchant, Suite


@when("the merchant authorizes the accounting connection")
def _(driver: MerchantDriver, merchant: Merchant) -> None:
    driver.authorize_accounting(merchant)


@when(parsers.parse('the merchant de-authorizes the accounting connection with status "{status}"'))
def _(driver: MerchantDriver, merchant: Merchant, status: str) -> None:
    driver.deauthorize_accounting(merchant, status)


@when("the partner de-authorizes the commerce connection")
def _(sfc: Suite, merchant: Merchant) -> None:
    connection = sfc.connection(merchant, "Commerce")
    sfc.expect(sfc.api.update_connection(merchant.company_id, connection["id"], "Deauthorized"), 200,
               "de-authorizing the commerce connection")


@when("the merchant severs the accounting connection")
def _(driver: MerchantDriver, merchant: Merchant) -> None:
    driver.sever_accounting(merchant)


@when(parsers.parse("the partner lists the connections with page {page:d} and pageSize {size:d}"),
      target_fixture="answer")
def _(sfc: Suite, merchant: Merchant, page: int, size: int) -> httpx.Response:
    return sfc.api.list_connections(merchant.company_id, page=page, page_size=size)


# LINK-1
@then("the company has one Commerce connection with the commerce key and one Accounting connection with the "
      "accounting key")
def _(sfc: Suite, merchant: Merchant) -> None:
    connections = sfc.connections(merchant)
    for source_type, key in (("Commerce", sfc.commerce_key), ("Accounting", sfc.accounting_key)):
        found = [c for c in connections if c.get("sourceType") == source_type]
        assert len(found) == 1, f"expected one {source_type} connection, found {len(found)}: {connections}"
        assert found[0].get("integrationKey") == key, (
            f"the {source_type} connection's integrationKey is {found[0].get('integrationKey')!r}, not {key!r}")


@then("both connections are PendingAuth")
def _(sfc: Suite, merchant: Merchant) -> None:
    statuses = {c.get("sourceType"): c.get("status") for c in sfc.connections(merchant)}
    assert statuses.get("Commerce") == statuses.get("Accounting") == "PendingAuth", (
        f"expected both connections PendingAuth, found {statuses}")


# LINK-2
@then(parsers.parse("the company has exactly {count:d} connections"))
def _(sfc: Suite, merchant: Merchant, count: int) -> None:
    connections = sfc.connections(merchant)
    assert len(connections) == count, (
        f"expected {count} connections, the company has {len(connections)}: "
        f"{[(c.get('sourceType'), c.get('integrationKey')) for c in connections]}")


# LINK-3
@then("the accounting connection is Linked with a linkUrl and a created date")
def _(sfc: Suite, merchant: Merchant) -> None:
    connection = sfc.connection(merchant, "Accounting")
    assert connection.get("status") == "Linked", f"the accounting connection is {connection.get('status')}"
    assert connection.get("linkUrl") and connection.get("created"), f"linkUrl or created is missing: {connection}"


@then("the accounting connection is not Linked")
def _(sfc: Suite, merchant: Merchant) -> None:
    connection = sfc.connection(merchant, "Accounting")
    assert connection.get("status") != "Linked", "the accounting connection is still Linked after de-authorizing"


@then(parsers.parse("the page holds {count:d} connections of {total:d} in all"))
def _(sfc: Suite, answer: httpx.Response, count: int, total: int) -> None:
    body = sfc.expect(answer, 200, "listing connections")
    results = body.get("results") or []
    assert len(results) == count, f"the page holds {len(results)} connections, not {count}"
    assert body.get("totalResults") == total, f"totalResults is {body.get('totalResults')}, not {total}"


PAGING_LINKS = ("self", "current", "next", "previous")


@then(parsers.parse("the page's links are {links}"))
def _(sfc: Suite, answer: httpx.Response, links: str) -> None:
    body = sfc.expect(answer, 200, "listing connections")
    expected = {name.strip() for name in links.split(",") if name.strip()}
    # Of the paging links exactly these; other relations (a `first`, a `last`) may come and go.
    present = {k for k, v in (body.get("_links") or {}).items() if v and k in PAGING_LINKS}
    assert present == expected, (f"of the paging links {', '.join(PAGING_LINKS)}, _links holds {sorted(present)}, "
                                 f"expected exactly {sorted(expected)}")


@when("the partner lists the connections one at a time, page after page", target_fixture="paged")
def _(sfc: Suite, merchant: Merchant) -> tuple[list[str], list[list[str]]]:
    whole = sfc.expect(sfc.api.list_connections(merchant.company_id, page=1, page_size=5000), 200,
                       "listing every connection on one page")
    every = [str(c.get("id")) for c in whole.get("results") or []]
    pages = []
    for page in range(1, len(every) + 1):
        body = sfc.expect(sfc.api.list_connections(merchant.company_id, page=page, page_size=1), 200,
                          f"listing page {page} of the connections, one a page")
        pages.append([str(c.get("id")) for c in body.get("results") or []])
    return every, pages


@then("every connection is on exactly one page, in the order of the whole list")
def _(paged: tuple[list[str], list[list[str]]]) -> None:
    every, pages = paged
    assert len(every) >= 2, f"the company has {len(every)} connections; paging needs two to show anything"
    paged_through = [ident for page in pages for ident in page]
    assert paged_through == every, (
        "page N of size 1 does not hold the N-th connection: the pages hold "
        f"{[[i[:8] for i in page] for page in pages]}, the whole list is {[i[:8] for i in every]}")
