"""The one seam where faults and variants enter the sandbox: a :class:`Policy` built from their names.

The healthy sandbox is ``Policy()``: every field holds what the profile asks
for, and the rules read it as plain values (``policy.otp_lifetime``,
``policy.otp_digits``, ``policy.refused_redirect_schemes``...).  Each fault of
the catalog (:mod:`.faults`) changes a field or two, as :data:`CHANGES` says;
so a fault's name leads here, and the field it changes leads (by grep) to the
one place it enters the rules.

A field that is a value (a lifetime, a number of digits, a delay) keeps the
rule free of branches; a departure that cannot be said as a value is a
``bool`` named for what the sandbox then does (``policy.announces_twice``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sfc_conformance.core.windows import OTP_LIFETIME
from sfc_conformance.sandbox.configuration import DEFAULT_TIME_ZONE
from sfc_conformance.sandbox.faults import Faults

SECONDS = timedelta(seconds=1)
REDIRECT_SCHEMES_REFUSED = ("javascript:", "data:", "vbscript:")


@dataclass(frozen=True)
class Policy:
    # -- the API's gate (api.py) -------------------------------------------------------------
    key_optional: bool = False                  # a call without Authorization is served
    accepts_bearer: bool = False                # the key as a Bearer token is accepted
    refused_delete_still_deletes: bool = False  # a DELETE answered 401 is carried out all the same
    echoes_key: bool = False                    # the key goes back in a response header
    key_in_link_urls: bool = False              # every `linkUrl` carries the key
    crashes_on_bad_json: bool = False           # a body that is not JSON answers 500
    connections_as_text_plain: bool = False     # connection lists are labelled text/plain
    errors_as_plain_text: bool = False          # refusals are plain text, not ErrorMessage
    error_status_code: int | None = None        # every ErrorMessage's `statusCode`, whatever the status
    sends_retry_after: bool = True              # a 429 says when to come back
    unknown_fields: bool = False                # answers and events carry fields the contract does not know

    # -- companies and connections (companies.py) ------------------------------------------
    finds_unknown_companies: bool = False       # an unknown company id answers 200
    company_hides_connections: bool = False     # the company is read with an empty `dataConnections`
    company_shows_stale_links: bool = False     # de-authorized connections read as Linked on the company
    created_as_text: bool = False               # a company's `created` is dd/mm/yyyy hh:mm:ss
    sends_integration_key: bool = True
    misspells_deauthorized: bool = False        # `Deauthorised`, outside the enum
    sends_link_url: bool = True                 # a Linked connection carries its `linkUrl`
    extra_total_results: int = 0                # `totalResults` counts this many too many
    next_link_on_last_page: bool = False
    ignores_page: bool = False                  # every page holds the first page's items
    crashes_on_unknown_connection: bool = False
    ignores_unlink: bool = False                # PATCH to Unlinked answers 200 and changes nothing
    ignores_commerce_patch: bool = False        # PATCH of the commerce connection changes nothing

    # -- starting and opening the flow (flow.py) ------------------------------------------
    absolute_flow_url: bool = True
    otp_digits: int = 6
    otp_lifetime: timedelta = OTP_LIFETIME
    otp_from_counter: bool = False              # OTPs issued from a counter, not drawn at random
    otp_bound_to_merchant: bool = True
    otp_single_use: bool = True
    resends_valid_otp: bool = False             # a start call inside the window hands out the last OTP again
    resends_expired_otp: bool = False           # a start call after expiry hands out the expired OTP again
    url_names_merchant: bool = True             # the flow URL carries `merchantIdentifier`
    redirect_in_url: bool = True                # the flow URL carries the partner's `redirectUrl`
    redirect_encoded: bool = True               # ... percent-encoded
    redirect_keeps_non_ascii: bool = True
    refused_redirect_schemes: tuple[str, ...] = REDIRECT_SCHEMES_REFUSED
    accepts_unknown_platforms: bool = False
    crashes_on_malformed_key: bool = False
    creates_commerce_connection: bool = True
    duplicates_connections: bool = False        # every start call creates new connections
    start_resets_configuration: bool = False

    # -- configuring (configuring.py, configuration.py) ------------------------------------
    configured_from_start: bool = False         # `configured` true before anything is posted
    trusts_configured_flag: bool = False        # `configured` taken from the request body
    offers_tax_rates: bool = True
    flag_sent_as: str = "enable"                # the configuration's flag, as the answers spell it
    reads_enable: bool = True                   # a posted `enable` is read
    default_time_zone: str = DEFAULT_TIME_ZONE  # a schedule without `timeZone` is in this zone
    wraps_sync_hour: bool = False               # an hour outside 0-23 is stored, wrapped into the day
    refuses_monthly: bool = False               # the offered frequency Monthly is refused
    stores_start_date: bool = True
    stores_grouping_period: bool = True
    disable_unconfigures: bool = False          # disabling clears the accounts, so `configured`
    kept_on_review: frozenset[str] = frozenset()  # choices a configured company can no longer change
    before_link: str = "refused"                # configuring before Linked: "refused" 409, "accepted", "not-found"

    # -- syncs, the schedule and the deletion (syncs.py) ----------------------------------
    syncs_after_delete: bool = False            # a sync after the deletion completes
    sync_after_delete_status: int | None = None  # a sync after the deletion is refused with this status
    latest_complete_after_delete: bool = False
    scheduler_ignores_delete: bool = False      # scheduled syncs go on after the deletion
    next_scheduled_sync_fails: bool = True      # after the deletion the next scheduled sync runs and fails
    next_sync_shown_late_by: timedelta = timedelta(0)  # the settings page's next sync, shifted
    announces_deletion: bool = True
    event_names_other_company: bool = False
    event_dated: bool = True                    # the event carries `generatedDate`
    first_subscriber_only: bool = False
    event_id_per_subscriber: bool = False       # one deletion, a different event id for each subscriber
    announces_twice: bool = False               # the deletion is announced again, as a new event
    webhook_delay: timedelta = timedelta(0)     # deliveries leave this long after the deletion
    deliveries_per_event: int = 1               # the same delivery (same webhook-id) sent this often
    signature: str = "signed"                   # "signed", "unsigned" or "wrong-secret"

    # -- the merchant's side (pages.py, flow_app.py, flow_forms.py) -------------------------
    success_page: bool = True                   # the flow ends on a success page or the redirect
    pages_keep_invoice_status: bool = True

    @classmethod
    def of(cls, names: Iterable[str] = ()) -> Policy:
        """The policy with these faults and variants switched on (a name the catalog lacks is refused)."""
        changes: dict[str, Any] = {}
        for name in Faults(names):
            for field, value in CHANGES[name].items():
                if isinstance(value, frozenset):  # sets of choices add up: two such faults keep both
                    value = changes.get(field, frozenset()) | value
                changes[field] = value
        return dataclasses.replace(cls(), **changes)


# What each fault and variant changes, by name (the catalog, faults.py, says which rule it breaks).
CHANGES: dict[str, dict[str, Any]] = {
    "relative-flow-url": {"absolute_flow_url": False},
    "otp-five-digits": {"otp_digits": 5},
    "flow-url-without-merchant": {"url_names_merchant": False},
    "otp-repeated-while-valid": {"resends_valid_otp": True},
    "otp-expires-early": {"otp_lifetime": OTP_LIFETIME - SECONDS},
    "otp-dies-after-10s": {"otp_lifetime": 10 * SECONDS},
    "expired-otp-resent": {"resends_expired_otp": True},
    "otp-lasts-too-long": {"otp_lifetime": OTP_LIFETIME * 2},
    "otp-lasts-31s": {"otp_lifetime": OTP_LIFETIME + SECONDS},
    "otp-reusable": {"otp_single_use": False},
    "otp-not-bound": {"otp_bound_to_merchant": False},
    "otp-predictable": {"otp_from_counter": True},
    "redirect-dropped": {"redirect_in_url": False},
    "redirect-not-encoded": {"redirect_encoded": False},
    "redirect-non-ascii-dropped": {"redirect_keeps_non_ascii": False},
    "javascript-redirect-accepted": {"refused_redirect_schemes": ()},
    "unknown-platform-accepted": {"accepts_unknown_platforms": True},
    "crash-on-malformed-key": {"crashes_on_malformed_key": True},
    "api-key-optional": {"key_optional": True},
    "bearer-accepted": {"accepts_bearer": True},
    "refused-delete-still-deletes": {"refused_delete_still_deletes": True},
    "api-key-echoed": {"echoes_key": True},
    "api-key-in-link-url": {"key_in_link_urls": True},
    "no-commerce-connection": {"creates_commerce_connection": False},
    "duplicate-connections": {"duplicates_connections": True},
    "link-url-dropped": {"sends_link_url": False},
    "configured-from-start": {"configured_from_start": True},
    "no-tax-rate-options": {"offers_tax_rates": False},
    "grouping-period-not-stored": {"stores_grouping_period": False},
    "start-date-not-stored": {"stores_start_date": False},
    "monthly-refused": {"refuses_monthly": True},
    "trust-configured-flag": {"trusts_configured_flag": True},
    "sync-hour-unchecked": {"wraps_sync_hour": True},
    "schedule-defaults-to-london": {"default_time_zone": "Europe/London"},
    "configure-before-link": {"before_link": "accepted"},
    "configure-before-link-404": {"before_link": "not-found"},
    "start-resets-configuration": {"start_resets_configuration": True},
    "disable-unconfigures": {"disable_unconfigures": True},
    "enabled-instead-of-enable": {"flag_sent_as": "enabled", "reads_enable": False},
    "tax-rate-change-ignored": {"kept_on_review": frozenset({"tax_rates"})},
    "invoice-status-change-ignored": {"kept_on_review": frozenset({"invoice_status"})},
    "grouping-period-change-ignored": {"kept_on_review": frozenset({"grouping_period"})},
    "unlink-ignored": {"ignores_unlink": True},
    "no-webhook-on-delete": {"announces_deletion": False},
    "webhook-wrong-company": {"event_names_other_company": True},
    "webhook-first-subscriber-only": {"first_subscriber_only": True},
    "webhook-announced-twice": {"announces_twice": True},
    "webhook-id-per-subscriber": {"event_id_per_subscriber": True},
    "webhook-late": {"webhook_delay": 12 * SECONDS},
    "webhook-without-date": {"event_dated": False},
    "sync-after-delete": {"syncs_after_delete": True},
    "sync-after-delete-500": {"sync_after_delete_status": 500},
    "latest-complete-after-delete": {"latest_complete_after_delete": True},
    "scheduler-ignores-delete": {"scheduler_ignores_delete": True},
    "schedule-stops-silently": {"next_scheduled_sync_fails": False},
    "unsigned-webhooks": {"signature": "unsigned"},
    "webhook-signature-wrong": {"signature": "wrong-secret"},
    "commerce-deauthorize-ignored": {"ignores_commerce_patch": True},
    "company-without-connections": {"company_hides_connections": True},
    "company-shows-stale-links": {"company_shows_stale_links": True},
    "unknown-company-found": {"finds_unknown_companies": True},
    "connection-missing-field": {"sends_integration_key": False},
    "non-iso-dates": {"created_as_text": True},
    "json-as-text-plain": {"connections_as_text_plain": True},
    "plain-text-errors": {"errors_as_plain_text": True},
    "error-status-mismatch": {"error_status_code": 400},
    "status-outside-enum": {"misspells_deauthorized": True},
    "wrong-total-results": {"extra_total_results": 1},
    "next-link-on-last-page": {"next_link_on_last_page": True},
    "page-ignored": {"ignores_page": True},
    "crash-on-bad-json": {"crashes_on_bad_json": True},
    "crash-on-unknown-connection": {"crashes_on_unknown_connection": True},
    "no-retry-after": {"sends_retry_after": False},
    "pages-drop-invoice-status": {"pages_keep_invoice_status": False},
    "no-success-page": {"success_page": False},
    "next-sync-off-schedule": {"next_sync_shown_late_by": 3600 * SECONDS},
    # Variants: differences the profile allows.
    "enabled-spelling": {"flag_sent_as": "enabled"},
    "unknown-fields": {"unknown_fields": True},
    "webhook-retried": {"deliveries_per_event": 2},
    "sync-refused-after-delete": {"sync_after_delete_status": 409},
}
