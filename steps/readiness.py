"""Readiness steps (READY-1..READY-3)."""

from __future__ import annotations

import uuid

import httpx
from pytest_bdd import parsers, then, when

from sfc_conformance.readiness import Readiness, assess, enable_flag
from sfc_conformance.suite.world import Merchant, Suite


@when("the partner checks the merchant's readiness", target_fixture="readiness")
def _(sfc: Suite, merchant: Merchant) -> Readiness:
    company = sfc.expect(sfc.api.get_company(merchant.company_id), 200, "reading the company")
    return assess(company, sfc.configuration(merchant), sfc.connections(merchant))


@when("the partner reads the company", target_fixture="answer")
def _(sfc: Suite, merchant: Merchant) -> httpx.Response:
    return sfc.api.get_company(merchant.company_id)


@when("the partner reads a company with an unknown id", target_fixture="answer")
def _(sfc: Suite) -> httpx.Response:
    return sfc.api.get_company(str(uuid.uuid4()))


@then("the merchant is ready")
def _(readiness: Readiness) -> None:
    assert readiness.ready, f"a fully onboarded merchant is not ready: {'; '.join(readiness.reasons)}"


@then(parsers.parse('the merchant is not ready because "{reason}"'))
def _(readiness: Readiness, reason: str) -> None:
    assert not readiness.ready, "the merchant is reported ready"
    assert any(reason in unmet for unmet in readiness.reasons), (
        f"no unmet condition mentions {reason!r}; the suite found: {readiness.reasons}")


@then("the answer is the company with its id and name")
def _(sfc: Suite, merchant: Merchant, answer: httpx.Response) -> None:
    company = sfc.expect(answer, 200, "reading the company")
    assert (company.get("id"), company.get("name")) == (merchant.company_id, merchant.name), (
        f"the company read back is {company.get('id')} {company.get('name')!r}")


@then(parsers.parse('the configuration\'s enable flag is present as "enable" or "enabled"'))
def _(sfc: Suite, answer: httpx.Response) -> None:
    document = sfc.expect(answer, 200, "reading the configuration")
    sent, _ = enable_flag(document)
    assert sent, "the configuration has neither `enable` nor `enabled`"
    spelling = " (the seed page's spelling)" if sent == "enabled" else ""
    sfc.note("READY-3", f"the target sends `{sent}`{spelling}")
