"""RUN-3: what a run creates carries its id, and only that is recognised as the suite's."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sfc_conformance.core.account import RunId, run_of_company, run_of_webhook_url

COMPANY_NAME = re.compile(r"^[A-Za-z0-9\s\-',&@.,?!\s]+$")  # the OAS pattern a target enforces


def test_a_run_id_carries_its_start_time() -> None:
    run = RunId.new(datetime(2026, 12, 1, 15, 30, 12, tzinfo=UTC))
    assert run.value.startswith("20261201153012-")
    assert run.started == datetime(2026, 12, 1, 15, 30, 12, tzinfo=UTC)


def test_company_names_follow_the_oas_pattern_and_are_recognised() -> None:
    run = RunId.new(datetime.now(UTC))
    name = run.company_name("merchant 3")
    assert COMPANY_NAME.match(name)
    assert run_of_company(name) == run


def test_other_companies_are_not_recognised() -> None:
    for name in ("Acme Ltd", "SFC conformance", "SFC conformance 1a2b3c4d", "SFC conformance 20261201153012-a1b2x",
                 "My SFC conformance 20261201153012-a1b2", None, 7):
        assert run_of_company(name) is None, name


def test_webhook_urls_are_tagged_without_losing_their_query() -> None:
    run = RunId.new(datetime.now(UTC))
    tagged = run.tag_url("https://partner.example/hooks?token=a%20b&x=1")
    assert tagged.startswith("https://partner.example/hooks?token=a%20b&x=1&sfcRun=")
    assert run_of_webhook_url(tagged) == run
    assert run_of_webhook_url(run.tag_url("http://127.0.0.1:9/webhooks/sfc")) == run


def test_other_webhooks_are_not_recognised() -> None:
    for url in ("https://partner.example/hooks", "https://x.example/?sfcRun=yesterday", None):
        assert run_of_webhook_url(url) is None, url
