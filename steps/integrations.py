"""Integrations steps (INT-1, INT-2): the list, a page at a time, and an integration's branding."""

from __future__ import annotations

import math
from typing import Any

import httpx
from pytest_bdd import then, when

from sfc_conformance.core.profile import branding_problems, integration_problems, page_problems
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.target_api import TargetApi

from .common import error_message


@when("the partner lists every integration on one page", target_fixture="integrations")
def _(api: TargetApi) -> list[dict[str, Any]]:
    return api.every_integration()


@when("the partner lists the integrations again, a third of them a page", target_fixture="integration_pages")
def _(api: TargetApi, integrations: list[dict[str, Any]]) -> list[tuple[int, int, Any]]:
    size = max(1, math.ceil(len(integrations) / 3))
    pages = []
    for page in range(1, math.ceil(len(integrations) / size) + 1):
        answer = api.list_integrations(page=page, page_size=size)
        pages.append((page, size, api.expect(answer, 200, f"listing page {page} of the integrations")))
    return pages


@then("every integration has a key, a name, a logoUrl and whether it is enabled")
def _(integrations: list[dict[str, Any]]) -> None:
    """INT-1: each listed integration names its `key`, `name`, `logoUrl` and `enabled`."""
    problems = [problem for item in integrations for problem in integration_problems(item)]
    assert not problems, f"{len(problems)} problem(s) in the list of integrations: " + "; ".join(problems[:5])


@then("the commerce key and the accounting key are among them")
def _(settings: Settings, integrations: list[dict[str, Any]]) -> None:
    """INT-1: the run's commerce and accounting keys are listed integrations."""
    keys = {item.get("key") for item in integrations if isinstance(item, dict)}
    missing = [key for key in (settings.commerce_key, settings.accounting_key) if key not in keys]
    assert not missing, f"the integrations list {len(keys)} keys, not {missing}"


@then("each page holds its slice of the whole list, with the true totalResults and its links")
def _(integrations: list[dict[str, Any]], integration_pages: list[tuple[int, int, Any]]) -> None:
    """INT-1: the list is paged as API-4 says: page N holds the N-th slice, totalResults is the true count,
    self and current linked, next exactly when a later page exists."""
    total = len(integrations)
    problems = [problem for page, size, body in integration_pages for problem in page_problems(body, page, size, total)]
    assert not problems, "; ".join(problems[:5])
    keys = [item.get("key") for _, _, body in integration_pages for item in body["results"]]
    whole = [item.get("key") for item in integrations]
    assert keys == whole, f"the pages, one after the other, hold {keys[:10]}…, the whole list {whole[:10]}…"


@then("the integrations list refuses page 0 and pageSize 5001 with 400")
def _(api: TargetApi) -> None:
    """INT-1: as API-4 says, page < 1 or pageSize > 5000 answers 400."""
    for page, size in ((0, 10), (1, 5001)):
        answer = api.list_integrations(page=page, page_size=size)
        assert answer.status_code == 400, (f"listing the integrations with page {page} and pageSize {size} answered "
                                           f"{answer.status_code}, not 400: {answer.text[:200]}")
        error_message(api, answer)


@when("the partner reads the branding of the commerce key and of the accounting key", target_fixture="brandings")
def _(api: TargetApi, settings: Settings) -> dict[str, Any]:
    return {key: api.expect(api.integration_branding(key), 200, f"reading the branding of {key}")
            for key in (settings.commerce_key, settings.accounting_key)}


@then("each branding holds logo and button images whose src are absolute URIs")
def _(brandings: dict[str, Any]) -> None:
    """INT-2: a listed key's branding answers its logo and button images, each `src` an absolute URI."""
    problems = [f"{key}: {problem}" for key, body in brandings.items() for problem in branding_problems(body)]
    assert not problems, "; ".join(problems[:6])


@when("the partner reads the branding of a platform key no integration has", target_fixture="answer")
def _(api: TargetApi) -> httpx.Response:
    return api.integration_branding(api.unknown_platform_key())


@then("the branding is refused with 404 and an ErrorMessage")
def _(api: TargetApi, answer: httpx.Response) -> None:
    """INT-2: an unknown key's branding answers 404, as an ErrorMessage."""
    assert answer.status_code == 404, (f"the branding of a key no integration has answered {answer.status_code}, "
                                       f"not 404: {answer.text[:300]}")
    error_message(api, answer)
