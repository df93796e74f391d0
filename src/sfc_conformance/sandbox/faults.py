"""The fault catalog: every deliberate defect and every conforming variant of the sandbox, each defined once, here.

A fault breaks one rule of the profile in one place of the sandbox, to prove
that the suite catches a broken target.  Its entry in :data:`CATALOG` says
everything about it: the rule it breaks, what the sandbox then does, what it
changes in the sandbox's :class:`~.policy.Policy` (grep that field to find the
one place it enters the rules), and, when a live run cannot show it by design
of the profile, why.  Faults are off unless asked for with
``--sandbox-fault NAME``; a partner never needs them.

Variants (:data:`VARIANT_CATALOG`) are the other half of the proof:
differences the profile allows (the seed page's spelling of a flag, fields the
contract does not know, a webhook delivered again) that a conforming Codat-like
target may show.  The suite must pass the sandbox with any of them
(``--sandbox-variant NAME``); the kill matrix runs each one as a clean case.

Data only, cheap to import: the command line and the run's settings read the
names without starting the sandbox.  :data:`FAULTS`, :data:`VARIANTS`,
:data:`CHANGES`, :data:`LIVE_BLIND` and :data:`EXPOSED_BY` are views of the
two tables, by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from sfc_conformance.core.fault_switches import FaultSwitches
from sfc_conformance.core.profile import LIVE_EXPIRED_AFTER, LIVE_VALID_WITHIN, OTP_LIFETIME

__all__ = ["CATALOG", "CHANGES", "EXPOSED_BY", "FAULTS", "LIVE_BLIND", "VARIANTS", "VARIANT_CATALOG", "Fault",
           "Faults", "Variant"]

SECONDS = timedelta(seconds=1)


@dataclass(frozen=True)
class Fault:
    rule: str                    # the rule of the profile it breaks
    does: str                    # what the sandbox then does
    changes: Mapping[str, Any]   # the fields of the sandbox's Policy it sets
    live_blind: str | None = None  # why a live run cannot show it, by design of the profile
    exposed_by: str | None = None  # the tags a focused run needs, when it shows only in other rules' scenarios too


@dataclass(frozen=True)
class Variant:
    does: str                    # what the sandbox then does, all of it within the profile
    changes: Mapping[str, Any]   # the fields of the sandbox's Policy it sets


def _fault(rule: str, does: str, *, live_blind: str | None = None, exposed_by: str | None = None,
           **changes: Any) -> Fault:
    return Fault(rule, does, MappingProxyType(changes), live_blind, exposed_by)


def _variant(does: str, **changes: Any) -> Variant:
    return Variant(does, MappingProxyType(changes))


CATALOG: Mapping[str, Fault] = MappingProxyType({
    "relative-flow-url": _fault("URL-1", "the start call answers a path, not an absolute URL",
                                absolute_flow_url=False),
    "otp-five-digits": _fault("URL-2", "OTPs have five digits", otp_digits=5),
    "flow-url-without-merchant": _fault("URL-2", "the flow URL carries no `merchantIdentifier`",
                                        url_names_merchant=False),
    "otp-repeated-while-valid": _fault("URL-3", "a start call inside the OTP window hands out the same OTP again",
                                       resends_valid_otp=True),
    "otp-expires-early": _fault("OTP-1", "OTP stops working at 29 s instead of 30 s",
                                otp_lifetime=OTP_LIFETIME - SECONDS,
                                live_blind=f"the profile's live check judges a link opened at most "
                                           f"{LIVE_VALID_WITHIN:g} s after the start call was sent"),
    "otp-dies-after-10s": _fault("OTP-1", "OTP stops working 10 s after issue", otp_lifetime=10 * SECONDS),
    "otp-dies-after-20s": _fault("OTP-1", "OTP stops working 20 s after issue", otp_lifetime=20 * SECONDS),
    "otp-dies-after-24s": _fault("OTP-1", "OTP stops working 24 s after issue", otp_lifetime=24 * SECONDS),
    "otp-dies-after-27s": _fault("OTP-1", "OTP stops working 27 s after issue", otp_lifetime=27 * SECONDS),
    "expired-otp-resent": _fault("OTP-3", "after an OTP expired, start calls for that merchant hand it out again",
                                 resends_expired_otp=True),
    "otp-lasts-too-long": _fault("OTP-2", "OTP stays valid for 60 s instead of 30 s", otp_lifetime=OTP_LIFETIME * 2),
    "otp-lasts-31s": _fault("OTP-2", "OTP stays valid for 31 s: one second too long",
                            otp_lifetime=OTP_LIFETIME + SECONDS,
                            live_blind=f"the profile's live check refuses from {LIVE_EXPIRED_AFTER:g} s after the "
                                       "start call's answer: 1 s of network slack"),
    "otp-lasts-33s": _fault("OTP-2", "OTP stays valid for 33 s instead of 30 s", otp_lifetime=33 * SECONDS),
    "otp-lasts-40s": _fault("OTP-2", "OTP stays valid for 40 s instead of 30 s", otp_lifetime=40 * SECONDS),
    "otp-reusable": _fault("OTP-5", "a flow URL can be opened more than once", otp_single_use=False),
    "otp-not-bound": _fault("OTP-4", "any merchantIdentifier is accepted with an OTP", otp_bound_to_merchant=False),
    "otp-predictable": _fault("OTP-6", "OTPs are issued from a counter", otp_from_counter=True),
    "redirect-dropped": _fault("URL-4", "redirectUrl is left out of the flow URL", redirect_in_url=False),
    "redirect-not-encoded": _fault("URL-4", "redirectUrl is pasted into the flow URL without percent-encoding",
                                   redirect_encoded=False),
    "redirect-non-ascii-dropped": _fault("URL-4", "redirectUrl loses its non-ASCII characters in the flow URL",
                                         redirect_keeps_non_ascii=False),
    "redirect-plus-read-as-space": _fault("URL-4", "redirectUrl is form-decoded once more on its way into the flow "
                                                   "URL: a `+` in it comes back as a space",
                                          decodes_redirect_twice=True),
    "javascript-redirect-accepted": _fault("URL-5", "javascript: redirect URLs are accepted",
                                           refused_redirect_schemes=()),
    "unknown-platform-accepted": _fault("URL-6", "unknown platform keys are accepted", accepts_unknown_platforms=True),
    "crash-on-malformed-key": _fault("URL-6", "a malformed platform key answers 500", crashes_on_malformed_key=True),
    "api-key-optional": _fault("KEY-1", "API calls without an Authorization header are served", key_optional=True),
    "bearer-accepted": _fault("KEY-1", "the API key sent as a Bearer token is accepted", accepts_bearer=True),
    "refused-delete-still-deletes": _fault("KEY-1", "a DELETE with a wrong key answers 401 but deletes the connection",
                                           refused_delete_still_deletes=True),
    "key-with-a-trailing-character": _fault("KEY-1", "the key is compared over its own length only: the key with "
                                                     "characters after it is accepted",
                                            accepts_longer_key=True),
    "key-in-any-case": _fault("KEY-1", "the key is compared without regard to case", accepts_key_in_any_case=True),
    "api-key-echoed": _fault("KEY-2", "the API key is echoed in a response header", echoes_key=True),
    "api-key-in-link-url": _fault("KEY-2", "connections' `linkUrl` carries the API key in its query",
                                  key_in_link_urls=True),
    "no-commerce-connection": _fault("LINK-1", "the start call creates no commerce connection",
                                     creates_commerce_connection=False),
    "duplicate-connections": _fault("LINK-2", "every start call creates new connections", duplicates_connections=True),
    "link-url-dropped": _fault("LINK-3", "a Linked connection is sent without `linkUrl`", sends_link_url=False),
    "stale-read-after-link": _fault("LINK-3", "the first list of connections after an authorization still shows "
                                              "the connection as it was before it (a lagging read)",
                                    stale_first_list_after_link=True),
    "configured-from-start": _fault("CONF-1", "`configured` is true before any configuration is posted",
                                    configured_from_start=True),
    "no-tax-rate-options": _fault("CONF-2", "a linked configuration offers no tax rate options",
                                  offers_tax_rates=False),
    "grouping-period-not-stored": _fault("CONF-3", "the posted grouping period is not stored",
                                         stores_grouping_period=False),
    "start-date-not-stored": _fault("CONF-3", "the posted schedule `startDate` is ignored", stores_start_date=False),
    "monthly-refused": _fault("CONF-3", "a configuration with the offered frequency Monthly is refused with 400",
                              refuses_monthly=True),
    "sync-hour-kept-in-utc": _fault("CONF-3", "a posted `syncHour` is stored as the UTC hour it falls on in the "
                                              "schedule's time zone, and answered so",
                                    sync_hour_to_utc=True),
    "sync-hour-23-refused": _fault("CONF-3", "a schedule with the offered syncHour 23 is refused with 400 (hours "
                                             "checked as 0-22)",
                                   last_sync_hour=22),
    "offered-invoice-status-refused": _fault("CONF-3", "the offered invoice status Paid is refused with 400: the "
                                                       "validator's list lags the options",
                                             accepted_invoice_statuses=("Draft", "Submitted")),
    "trust-configured-flag": _fault("CONF-4", "`configured` is taken from the request body",
                                    trusts_configured_flag=True),
    "sync-hour-unchecked": _fault("CONF-5", "syncHour outside 0-23 is stored", wraps_sync_hour=True),
    "refused-configuration-partly-stored": _fault("CONF-5", "an invalid configuration is refused with 400, but its "
                                                            "valid choices were stored on the way",
                                                  stores_part_of_refused=True),
    "foreign-account-accepted": _fault("CONF-5", "an account id from another company's chart is accepted and stored",
                                       accepts_foreign_accounts=True),
    "schedule-defaults-to-london": _fault("CONF-6", "a schedule without `timeZone` defaults to Europe/London",
                                          default_time_zone="Europe/London"),
    "absent-sync-hour-kept": _fault("CONF-6", "a schedule without `syncHour` keeps the stored hour instead of 0",
                                    keeps_absent_sync_hour=True),
    "configure-before-link": _fault("CONF-7", "configuration is accepted before the accounting connection is linked",
                                    before_link="accepted"),
    "configure-before-link-404": _fault("CONF-7", "configuring before the accounting connection is linked answers "
                                                  "404, as if the company did not exist",
                                        before_link="not-found"),
    "start-resets-configuration": _fault("REV-1", "a start call for a configured company resets its configuration",
                                         start_resets_configuration=True),
    "disable-unconfigures": _fault("REV-2", "disabling also clears `configured`", disable_unconfigures=True),
    "enabled-instead-of-enable": _fault("REV-2", "the flag is sent and read only as `enabled`: a posted `enable` is "
                                                 "ignored",
                                        flag_sent_as="enabled", reads_enable=False),
    "tax-rate-change-ignored": _fault("REV-3", "once configured, changes to the tax rate mapping are ignored",
                                      kept_on_review=frozenset({"tax_rates"})),
    "invoice-status-change-ignored": _fault("REV-3", "once configured, changes to the invoice status are ignored",
                                            kept_on_review=frozenset({"invoice_status"})),
    "grouping-period-change-ignored": _fault("REV-3", "once configured, changes to the grouping period are ignored",
                                             kept_on_review=frozenset({"grouping_period"})),
    "unlink-ignored": _fault("REV-4", "PATCH to `Unlinked` answers 200 but the connection stays Linked",
                             ignores_unlink=True),
    "start-relinks-deauthorized": _fault("REV-4", "a start call sets a de-authorized or unlinked connection Linked "
                                                  "again, with no authorization",
                                         relinks_on_start=True),
    "no-webhook-on-delete": _fault("DEL-1", "no connection.deleted webhook is sent", announces_deletion=False),
    "webhook-wrong-company": _fault("DEL-1", "connection.deleted names another company",
                                    event_names_other_company=True),
    "webhook-first-subscriber-only": _fault("DEL-1", "connection.deleted goes to the first subscription only",
                                            first_subscriber_only=True),
    "webhook-announced-twice": _fault("DEL-1", "each deletion is announced again 5 s later, as a new event",
                                      announces_twice=True),
    "webhook-id-per-subscriber": _fault("DEL-1", "each subscription hears of one deletion under an event id of its own",
                                        event_id_per_subscriber=True),
    "webhook-late": _fault("DEL-1", "connection.deleted leaves 12 s after the deletion", webhook_delay=12 * SECONDS),
    "webhook-without-date": _fault("DEL-1", "connection.deleted events carry no `generatedDate`", event_dated=False),
    "sync-after-delete": _fault("DEL-2", "syncs still complete after the connection is deleted",
                                syncs_after_delete=True),
    "sync-after-delete-500": _fault("DEL-2", "a sync requested after the deletion answers 500",
                                    sync_after_delete_status=500),
    "latest-complete-after-delete": _fault("DEL-2", "after the deletion the latest sync status says Complete",
                                           latest_complete_after_delete=True),
    "scheduler-ignores-delete": _fault("DEL-3", "scheduled syncs go on after the connection is deleted",
                                       scheduler_ignores_delete=True),
    "schedule-stops-silently": _fault("DEL-3", "after the deletion no scheduled sync runs, not even the failing "
                                               "next one",
                                      next_scheduled_sync_fails=False),
    "unsigned-webhooks": _fault("DEL-4", "webhooks are sent without signature headers", signature="unsigned"),
    "webhook-signature-wrong": _fault("DEL-4", "webhooks are signed with another secret", signature="wrong-secret"),
    "commerce-deauthorize-ignored": _fault("READY-1", "PATCH of the commerce connection answers 200 and changes "
                                                      "nothing",
                                           ignores_commerce_patch=True),
    "company-without-connections": _fault("READY-1", "the company is read with an empty `dataConnections`",
                                          company_hides_connections=True),
    "company-shows-stale-links": _fault("READY-1", "the company's `dataConnections` show de-authorized connections "
                                                   "as Linked",
                                        company_shows_stale_links=True),
    "unknown-company-found": _fault("READY-2", "an unknown company id answers 200", finds_unknown_companies=True),
    "deleted-company-still-readable": _fault("READY-2", "`GET /companies/{id}` of a deleted company answers 200 with "
                                                        "the company (a soft delete's row is read)",
                                             reads_deleted_companies=True),
    "unknown-company-configuration-readable": _fault("READY-2", "the configuration of an unknown company answers "
                                                                "200, a blank configuration",
                                                     finds_unknown_configurations=True),
    "connection-missing-field": _fault("API-1", "connections are sent without `integrationKey`",
                                       sends_integration_key=False),
    "non-iso-dates": _fault("API-1", "a company's `created` is sent as dd/mm/yyyy hh:mm:ss, not ISO 8601",
                            created_as_text=True),
    "json-as-text-plain": _fault("API-2", "connection lists are sent as text/plain", connections_as_text_plain=True),
    "plain-text-errors": _fault("API-3", "errors are plain text, not ErrorMessage", errors_as_plain_text=True),
    "error-status-mismatch": _fault("API-3", "every ErrorMessage says `statusCode` 400, whatever the HTTP status",
                                    error_status_code=400),
    # A whole-run check sees every answer of the run: a focused run needs the scenarios that de-authorize too.
    "status-outside-enum": _fault("API-1", "a de-authorized connection's status is sent as `Deauthorised`, outside "
                                           "the enum",
                                  misspells_deauthorized=True, exposed_by="API-1 or REV-4"),
    "wrong-total-results": _fault("API-4", "`totalResults` counts one too many", extra_total_results=1),
    "next-link-on-last-page": _fault("API-4", "the last page still carries `_links.next`",
                                     next_link_on_last_page=True),
    "page-ignored": _fault("API-4", "every page of connections holds the first page's items", ignores_page=True),
    "connection-count-stale-after-delete": _fault("API-4", "a company's connection list still counts the deleted "
                                                            "connections in `totalResults` (a cached count, never "
                                                            "lowered)",
                                                  counts_deleted_connections=True),
    "company-count-keeps-deleted": _fault("API-4", "`GET /companies` still counts the deleted companies in "
                                                   "`totalResults`",
                                          counts_deleted_companies=True),
    "webhook-page-size-ignored": _fault("API-4", "`GET /webhooks` answers every subscription on each page, whatever "
                                                 "its `pageSize` (its other lists are paged)",
                                        ignores_webhook_page_size=True),
    "deleted-subscription-listed": _fault("API-4", "`GET /webhooks` still lists the deleted subscriptions",
                                          lists_deleted_subscriptions=True),
    "crash-on-bad-json": _fault("API-5", "a malformed JSON body answers 500", crashes_on_bad_json=True),
    "crash-on-unknown-connection": _fault("API-5", "a well-formed connection id that does not exist answers 500",
                                          crashes_on_unknown_connection=True),
    "page-past-the-end-500": _fault("API-5", "a page of companies or connections after the last one answers 500",
                                    crashes_past_the_last_page=True),
    "no-retry-after": _fault("API-6", "429 answers carry no Retry-After", sends_retry_after=False),
    "created-connection-not-listed": _fault("LINK-4", "a connection created with `POST …/connections` is answered, "
                                                      "but the company's list never shows it (written to one store, "
                                                      "listed from another)",
                                            lists_created_connections=False),
    "latest-sync-is-the-first": _fault("SYNC-1", "`…/syncs/latest/status` answers the company's first sync, not its "
                                                 "newest",
                                       latest_sync_is_first=True),
    "range-sync-not-listed": _fault("SYNC-1", "a sync for a date range runs, but the history never lists it",
                                    lists_range_syncs=False),
    "last-successful-is-latest": _fault("SYNC-2", "`…/syncs/lastSuccessful/status` answers the newest sync, whatever "
                                                  "its code",
                                        last_successful_any_code=True),
    "reversed-date-range-accepted": _fault("SYNC-3", "a date range whose start is after its finish is accepted and "
                                                     "starts a sync",
                                           checks_range_order=False),
    "text-locale-defaults-to-english": _fault("CUST-1", "the flow's text without a `locale` answers en-us, as if "
                                                        "it had been asked for",
                                              text_default_locale="en-us"),
    "text-change-in-every-locale": _fault("CUST-2", "a text change is stored for every locale, not only the one "
                                                    "named",
                                          texts_per_locale=False),
    "text-null-ignored": _fault("CUST-2", "a text set to null keeps what it showed: nulls are skipped as 'no "
                                          "change', not read as the default",
                                null_text_restores_default=False),
    "empty-visible-accounts-shows-all": _fault("CUST-3", "`{\"visibleAccounts\": []}` shows every entry, as null "
                                                         "does (an empty list taken for no list)",
                                               empty_visible_list_shows_all=True),
    "visible-accounts-for-every-platform": _fault("CUST-3", "the visible accounts set for one commerce platform "
                                                            "apply to every platform (one setting, not one each)",
                                                  visible_accounts_per_platform=False),
    "hiding-clears-chosen-accounts": _fault("CUST-4", "hiding an account entry clears that account in the "
                                                      "configuration of every company on that commerce platform",
                                            hiding_clears_accounts=True),
    "integrations-page-size-ignored": _fault("INT-1", "every page of `GET /config/integrations` holds every "
                                                      "integration, whatever its pageSize",
                                             pages_integrations=False),
    "branding-for-unknown-key": _fault("INT-2", "a platform key no integration has gets a generic branding (200), "
                                                "not a 404",
                                       brands_unknown_keys=True),
    "pages-drop-invoice-status": _fault("FLOW-1", "the configure page ignores the invoice status chosen",
                                        pages_keep_invoice_status=False),
    "no-success-page": _fault("FLOW-2", "the flow ends on an empty 204 instead of a success page or redirect",
                              success_page=False),
    "next-sync-off-schedule": _fault("FLOW-3", "the settings page shows the next sync an hour late",
                                     next_sync_shown_late_by=3600 * SECONDS),
    "flow-shows-default-texts": _fault("CUST-5", "the flow shows every text's default, not the text the partner "
                                                 "stored for its key", shows_stored_texts=False),
    "hidden-entry-offered": _fault("CUST-5", "the configure screen still offers the account entries the partner "
                                             "hid", offers_hidden_entries=True),
    "flow-locale-ignored": _fault("CUST-5", "the flow ignores the locale chosen and always shows en-us",
                                  follows_flow_locale=False),
})

VARIANT_CATALOG: Mapping[str, Variant] = MappingProxyType({
    "enabled-spelling": _variant("the configuration's flag is sent as `enabled`, as the seed page spells it; "
                                 "a posted `enable` (or `enabled`) is read",
                                 flag_sent_as="enabled"),
    "unknown-fields": _variant("answers and webhook events carry fields the contract does not know",
                               unknown_fields=True),
    "webhook-retried": _variant("every webhook delivery is sent twice, with the same `webhook-id` and event",
                                deliveries_per_event=2),
    "sync-refused-after-delete": _variant("a sync requested after the deletion is refused with a 409 ErrorMessage",
                                          sync_after_delete_status=409),
})

# Views of the two tables, by name.
FAULTS: dict[str, tuple[str, str]] = {name: (fault.rule, fault.does) for name, fault in CATALOG.items()}
VARIANTS: dict[str, str] = {name: variant.does for name, variant in VARIANT_CATALOG.items()}
CHANGES: dict[str, Mapping[str, Any]] = {**{name: fault.changes for name, fault in CATALOG.items()},
                                         **{name: variant.changes for name, variant in VARIANT_CATALOG.items()}}
LIVE_BLIND: dict[str, str] = {name: fault.live_blind for name, fault in CATALOG.items() if fault.live_blind}
EXPOSED_BY: dict[str, str] = {name: fault.exposed_by for name, fault in CATALOG.items() if fault.exposed_by}


class Faults(FaultSwitches):
    """The faults and variants a sandbox is built with: a name the catalog lacks is refused."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__({**FAULTS, **{name: ("", does) for name, does in VARIANTS.items()}}, names,
                         kind="sandbox fault")
