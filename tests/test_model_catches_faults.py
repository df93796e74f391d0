"""The model alone catches the sandbox's faults its calls can see, each under the rule it breaks, and shows the
shortest sequence it found: numbered steps, masked curl lines, the seed that replays it.  The faults it cannot
see are listed with the reason; the two lists together are the whole catalog, so neither can go stale."""

from __future__ import annotations

import re

import pytest

from sfc_conformance.model import ModelBudget
from sfc_conformance.sandbox.app import DEFAULT_API_KEY
from sfc_conformance.sandbox.faults import CATALOG
from tests.helpers import run_embedded

# fault -> the rules the model may report it under: the catalog's first, then another the same defect breaks too.
CAUGHT: dict[str, tuple[str, ...]] = {
    "relative-flow-url": ("URL-1",),
    "otp-five-digits": ("URL-2",),
    "flow-url-without-merchant": ("URL-2",),
    "otp-repeated-while-valid": ("URL-3",),
    "redirect-dropped": ("URL-4",),
    "redirect-not-encoded": ("URL-4",),
    "redirect-non-ascii-dropped": ("URL-4",),
    "javascript-redirect-accepted": ("URL-5",),
    # Every key becomes lqai/gbol: a company started with qhyg gets a gbol connection first, often (LINK-1).
    "unknown-platform-accepted": ("URL-6", "LINK-1"),
    "crash-on-malformed-key": ("URL-6",),
    "api-key-optional": ("KEY-1",),
    "bearer-accepted": ("KEY-1",),
    "refused-delete-still-deletes": ("KEY-1",),
    "api-key-echoed": ("KEY-2",),
    "api-key-in-link-url": ("KEY-2",),
    "no-commerce-connection": ("LINK-1",),
    "duplicate-connections": ("LINK-2",),
    "link-url-dropped": ("LINK-3",),
    "configured-from-start": ("CONF-1",),
    "no-tax-rate-options": ("CONF-2",),
    "grouping-period-not-stored": ("CONF-3",),
    "start-date-not-stored": ("CONF-3",),
    "monthly-refused": ("CONF-3",),
    "trust-configured-flag": ("CONF-4",),
    "sync-hour-unchecked": ("CONF-5",),
    "schedule-defaults-to-london": ("CONF-6",),
    "configure-before-link": ("CONF-7",),
    "configure-before-link-404": ("CONF-7",),
    "start-resets-configuration": ("REV-1",),
    "disable-unconfigures": ("REV-2",),
    "enabled-instead-of-enable": ("REV-2",),
    "tax-rate-change-ignored": ("REV-3",),
    "invoice-status-change-ignored": ("REV-3",),
    "grouping-period-change-ignored": ("REV-3",),
    "unlink-ignored": ("REV-4",),
    "sync-after-delete": ("DEL-2",),
    "sync-after-delete-500": ("DEL-2",),
    "latest-complete-after-delete": ("DEL-2",),
    "commerce-deauthorize-ignored": ("READY-1",),
    "company-without-connections": ("READY-1",),
    "company-shows-stale-links": ("READY-1",),
    # An unknown id read as a company: a malformed id's fabricated company is not even a uuid (API-1).
    "unknown-company-found": ("READY-2", "API-1"),
    "connection-missing-field": ("API-1",),
    "non-iso-dates": ("API-1",),
    "json-as-text-plain": ("API-2",),
    "plain-text-errors": ("API-3",),
    "error-status-mismatch": ("API-3",),
    "status-outside-enum": ("API-1",),
    "wrong-total-results": ("API-4",),
    "next-link-on-last-page": ("API-4",),
    "page-ignored": ("API-4",),
    "crash-on-bad-json": ("API-5",),
    "crash-on-unknown-connection": ("API-5",),
    # Defects no scenario reaches (tests/test_model_new_faults.py): the model's alone.
    "sync-hour-23-refused": ("CONF-3",),
    "offered-invoice-status-refused": ("CONF-3",),
    "connection-count-stale-after-delete": ("API-4",),
    "key-with-a-trailing-character": ("KEY-1",),
    "key-in-any-case": ("KEY-1",),
    "start-relinks-deauthorized": ("REV-4",),
    "unknown-company-configuration-readable": ("READY-2",),
    "page-past-the-end-500": ("API-5",),
    "company-count-keeps-deleted": ("API-4",),
    "absent-sync-hour-kept": ("CONF-6",),
    "refused-configuration-partly-stored": ("CONF-5",),
    "redirect-plus-read-as-space": ("URL-4",),
    "deleted-subscription-listed": ("API-4",),
    "foreign-account-accepted": ("CONF-5",),
    "stale-read-after-link": ("LINK-3",),
    "sync-hour-kept-in-utc": ("CONF-3",),
    "deleted-company-still-readable": ("READY-2",),
    "webhook-page-size-ignored": ("API-4",),
    # The sync history, which the model reads after every sync it requests.
    "latest-sync-is-the-first": ("SYNC-1",),
    "range-sync-not-listed": ("SYNC-1",),
    "last-successful-is-latest": ("SYNC-2",),
    "reversed-date-range-accepted": ("SYNC-3",),
    # A connection the partner creates, read back at once and in every list after.
    "created-connection-not-listed": ("LINK-4",),
    # The partner's customization of the flow: each change read back in its locale or platform, the other one,
    # and a merchant's configuration.
    "text-locale-defaults-to-english": ("CUST-1",),
    "text-change-in-every-locale": ("CUST-2",),
    "text-null-ignored": ("CUST-2",),
    "empty-visible-accounts-shows-all": ("CUST-3",),
    "visible-accounts-for-every-platform": ("CUST-3",),
    "hiding-clears-chosen-accounts": ("CUST-4",),
    # The integrations, listed a page at a time, and their branding.
    "integrations-page-size-ignored": ("INT-1",),
    "branding-for-unknown-key": ("INT-2",),
}

TIME = "the model is time-free: it never waits out an OTP window nor moves a clock"
BROWSER = "the flow URL is opened by the merchant's browser, which the model does not play"
DELIVERIES = "webhook deliveries reach the suite's receiver; the model judges the API's answers only"
NOT_SEEN: dict[str, str] = {
    **{name: f"{TIME}, and {BROWSER}" for name in (
        "otp-expires-early", "otp-dies-after-10s", "otp-dies-after-20s", "otp-dies-after-24s", "otp-dies-after-27s",
        "expired-otp-resent", "otp-lasts-too-long", "otp-lasts-31s", "otp-lasts-33s", "otp-lasts-40s")},
    "otp-reusable": BROWSER,
    "otp-not-bound": BROWSER,
    "otp-predictable": "OTP-6 is judged over 20 start calls in a row for one merchant, more than a sequence makes",
    **{name: DELIVERIES for name in (
        "no-webhook-on-delete", "webhook-wrong-company", "webhook-first-subscriber-only", "webhook-announced-twice",
        "webhook-id-per-subscriber", "webhook-late", "webhook-without-date", "unsigned-webhooks",
        "webhook-signature-wrong")},
    "scheduler-ignores-delete": f"DEL-3 is about scheduled syncs: {TIME}",
    "schedule-stops-silently": f"DEL-3 is about scheduled syncs: {TIME}",
    "no-retry-after": "API-6 needs a rate limit the run sets on the target for a while; the model never does",
    "pages-drop-invoice-status": "the flow's pages are the merchant's side; the model calls the API",
    "no-success-page": "the flow's pages are the merchant's side; the model calls the API",
    "next-sync-off-schedule": "the flow's settings page is the merchant's side, and the next sync needs a clock",
    **{name: "the flow's pages are the merchant's side; the model calls the API" for name in (
        "flow-shows-default-texts", "hidden-entry-offered", "flow-locale-ignored")},
}


def test_the_two_lists_are_the_whole_catalog() -> None:
    assert not set(CAUGHT) & set(NOT_SEEN)
    assert set(CAUGHT) | set(NOT_SEEN) == set(CATALOG)
    for fault, rules in CAUGHT.items():
        assert rules[0] == CATALOG[fault].rule, fault


SEEDS = (0, 1, 2)  # a run that does not meet the fault tries the next seed: which seed meets it is the draw's


@pytest.mark.release  # the model run once a fault, up to three times
@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_the_model_alone_catches(fault: str) -> None:
    runs = []
    for seed in SEEDS:  # found, not shrunk: a run ends at the first rule broken
        report = run_embedded(ModelBudget(seed=seed, sequences=25, shrink_calls=0), fault)
        runs.append(report.summary())
        if set(report.failures) & set(CAUGHT[fault]):
            return
    raise AssertionError(f"{fault} not caught under {CAUGHT[fault]}: " + "; ".join(runs))


@pytest.mark.release  # the model run once a fault, up to three times
@pytest.mark.parametrize("fault", sorted(NOT_SEEN))
def test_what_the_model_cannot_see_leaves_it_quiet(fault: str) -> None:
    """A fault outside the model's sight breaks nothing the model judges: it never blames the wrong rule."""
    report = run_embedded(ModelBudget(seed=0, sequences=4), fault)
    assert not report.failures, report.shown()


def test_a_failure_is_shown_shrunk_with_numbered_steps_masked_curl_lines_and_its_seed() -> None:
    report = run_embedded(ModelBudget(seed=9), "link-url-dropped")
    failure = report.failures["LINK-3"]
    shown = report.shown()
    # The shortest way to a linked connection: create the company, start its flow, authorize a connection.
    assert failure.length - 1 == 3, shown
    assert "seed 9" in shown and "replay: --model-seed 9" in shown
    steps = re.findall(r"^ {4}(\d+)\. ", shown, re.MULTILINE)
    assert steps == [str(n) for n in range(len(steps))], shown
    assert "curl -X PUT" in shown and "Basic **********" in shown
    assert DEFAULT_API_KEY not in shown
    assert shown.splitlines()[1].startswith("LINK-3 (MUST) After the merchant authorizes"), shown


def test_a_credential_that_is_not_the_key_is_shown_in_words() -> None:
    report = run_embedded(ModelBudget(seed=0, sequences=25, shrink_calls=300), "bearer-accepted")
    shown = report.failures["KEY-1"].shown()
    assert "-H 'Authorization: <the key as a Bearer token>'" in shown, shown
    assert "Bearer s" not in shown


def test_shrinking_stops_at_its_share_of_calls() -> None:
    report = run_embedded(ModelBudget(seed=0, sequences=25, shrink_calls=100), "invoice-status-change-ignored")
    assert "REV-3" in report.failures
    assert report.ended and "shrinking stopped" in report.ended
