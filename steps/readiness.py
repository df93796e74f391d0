"""Readiness steps: whether a merchant is ready to sync, and why not, in the target's own words."""

from __future__ import annotations

import uuid

import httpx
from pytest_bdd import parsers, then, when

from sfc_conformance.core.profile import (
    ACCOUNTING,
    AGREEMENT,
    COMMERCE,
    CONFIGURED,
    ENABLED,
    Readiness,
    assess,
    enable_flag,
)
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.rule_notes import RuleNotes
from sfc_conformance.suite.target_api import TargetApi

# The conditions of readiness as a business reader names them in the features.
CONDITIONS = {
    "the accounting connection is not Linked": ACCOUNTING,
    "the commerce connection is not Linked": COMMERCE,
    "the sync is not enabled": ENABLED,
    "the sync is not configured": CONFIGURED,
    "the company and its connections list disagree": AGREEMENT,
}


def _condition(phrase: str) -> str:
    if phrase not in CONDITIONS:
        raise ValueError(f"no readiness condition reads {phrase!r}; known: {'; '.join(CONDITIONS)}")
    return CONDITIONS[phrase]


def _named(readiness: Readiness, phrase: str) -> None:
    """The condition is unmet, and its reason speaks the target's language (its own flag name)."""
    condition = _condition(phrase)
    assert not readiness.ready, "the merchant is reported ready"
    reasons = [u.reason for u in readiness.unmet if u.condition == condition]
    assert reasons, f"the suite does not find that {phrase}; it found: {readiness.reasons or 'nothing'}"
    if condition == ENABLED:
        flag = f"`{readiness.flag_name}`" if readiness.flag_name else "neither `enable` nor `enabled`"
        assert all(flag in reason for reason in reasons), (
            f"the reason does not use the target's own name for the flag, {flag}: {reasons}")


@when("the partner checks the merchant's readiness", target_fixture="readiness")
def _(api: TargetApi, merchant: Merchant) -> Readiness:
    company = api.expect(api.get_company(merchant.company_id), 200, "reading the company")
    return assess(company, api.configuration(merchant), api.connections(merchant))


@when("the partner reads the company", target_fixture="answer")
def _(api: TargetApi, merchant: Merchant) -> httpx.Response:
    return api.get_company(merchant.company_id)


@when("the partner reads a company with an unknown id", target_fixture="answer")
def _(api: TargetApi) -> httpx.Response:
    return api.get_company(str(uuid.uuid4()))


@then("the merchant is ready")
def _(readiness: Readiness) -> None:
    """READY-1: with both connections Linked and the sync enabled and configured, the merchant is ready."""
    assert readiness.ready, f"a fully onboarded merchant is not ready: {'; '.join(readiness.reasons)}"


@then(parsers.parse("the merchant is not ready because {phrase}"))
def _(readiness: Readiness, phrase: str) -> None:
    """READY-1: the merchant is not ready, and this unmet condition is named in the target's own words."""
    _named(readiness, phrase)


@then(parsers.parse("the merchant is not ready, and the only reason is that {phrase}"))
def _(readiness: Readiness, phrase: str) -> None:
    """READY-1: ready exactly when every condition holds: this one unmet is named, and no other."""
    _named(readiness, phrase)
    others = [u.reason for u in readiness.unmet if u.condition != _condition(phrase)]
    assert not others, f"besides that {phrase}, the merchant is not ready because: {'; '.join(others)}"


@then("the answer is the company with its id and name")
def _(api: TargetApi, merchant: Merchant, answer: httpx.Response) -> None:
    """READY-2: GET /companies/{companyId} answers the company."""
    company = api.expect(answer, 200, "reading the company")
    assert (company.get("id"), company.get("name")) == (merchant.company_id, merchant.name), (
        f"the company read back is {company.get('id')} {company.get('name')!r}")


@then(parsers.parse('the configuration\'s enable flag is present as "enable" or "enabled"'))
def _(api: TargetApi, rule_notes: RuleNotes, answer: httpx.Response) -> None:
    """READY-3: the flag is there as `enable` or `enabled`; which one the target sends is noted."""
    document = api.expect(answer, 200, "reading the configuration")
    sent, _ = enable_flag(document)
    assert sent, "the configuration has neither `enable` nor `enabled`"
    spelling = " (the seed page's spelling)" if sent == "enabled" else ""
    rule_notes.note("READY-3", f"the target sends `{sent}`{spelling}")
