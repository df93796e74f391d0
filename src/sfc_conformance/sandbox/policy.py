"""The one seam where faults and variants enter the sandbox: a :class:`Policy` built from their names.

The healthy sandbox is ``Policy()``: every field holds what the profile asks
for, and the rules read it as plain values (``policy.otp_lifetime``,
``policy.otp_digits``, ``policy.refused_redirect_schemes``...).  Each fault of
the catalog (:mod:`.faults`) changes a field or two, as its entry there says;
so a fault's name leads to a field, and the field leads (by grep) to the one
place it enters the rules, or to :mod:`.shapes` when the fault reshapes what
the healthy sandbox sends.

A field that is a value (a lifetime, a number of digits, a delay) keeps the
rule free of branches; a departure that cannot be said as a value is a
``bool`` named for what the sandbox then does (``policy.announces_twice``).

What a few faults must remember beside the healthy records (a claimed
``configured``, an OTP counter) is :class:`FaultMemory`: the healthy records
hold nothing only a fault needs.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from sfc_conformance.core.profile import OTP_LIFETIME
from sfc_conformance.sandbox.configuration import DEFAULT_TIME_ZONE, INVOICE_STATUSES, FlagName
from sfc_conformance.sandbox.faults import CHANGES, Faults
from sfc_conformance.sandbox.model import Company, Webhook

REDIRECT_SCHEMES_REFUSED = ("javascript:", "data:", "vbscript:")
BeforeLink = Literal["refused", "accepted", "not-found"]  # configuring before Linked: 409, accepted, 404
Signature = Literal["signed", "unsigned", "wrong-secret"]


@dataclass(frozen=True)
class Policy:
    # -- the API's gate (api.py) -------------------------------------------------------------
    key_optional: bool = False                  # a call without Authorization is served
    accepts_bearer: bool = False                # the key as a Bearer token is accepted
    refused_delete_still_deletes: bool = False  # a DELETE answered 401 is carried out all the same
    accepts_longer_key: bool = False            # only as many characters as the key has are compared
    accepts_key_in_any_case: bool = False       # the key is compared without regard to case
    crashes_on_bad_json: bool = False           # a body that is not JSON answers 500

    # -- what the healthy sandbox sends, reshaped (shapes.py) --------------------------------
    echoes_key: bool = False                    # the key goes back in a response header
    key_in_link_urls: bool = False              # every `linkUrl` carries the key
    connections_as_text_plain: bool = False     # connection lists are labelled text/plain
    errors_as_plain_text: bool = False          # refusals are plain text, not ErrorMessage
    error_status_code: int | None = None        # every ErrorMessage's `statusCode`, whatever the status
    sends_retry_after: bool = True              # a 429 says when to come back
    unknown_fields: bool = False                # answers and events carry fields the contract does not know
    company_hides_connections: bool = False     # the company is read with an empty `dataConnections`
    company_shows_stale_links: bool = False     # de-authorized connections read as Linked on the company
    created_as_text: bool = False               # a company's `created` is dd/mm/yyyy hh:mm:ss
    sends_integration_key: bool = True
    misspells_deauthorized: bool = False        # `Deauthorised`, outside the enum
    sends_link_url: bool = True                 # a Linked connection carries its `linkUrl`
    extra_total_results: int = 0                # a connection list's `totalResults` counts this many too many
    next_link_on_last_page: bool = False        # a connection list's last page links a next one

    # -- companies and connections (companies.py, paging.py) --------------------------------
    finds_unknown_companies: bool = False       # an unknown company id answers 200
    ignores_page: bool = False                  # every page holds the first page's items
    crashes_past_the_last_page: bool = False    # a page after the last one answers 500
    counts_deleted_connections: bool = False    # a connection list's `totalResults` counts the deleted ones too
    crashes_on_unknown_connection: bool = False
    stale_first_list_after_link: bool = False   # the first list after an authorization shows the status before it
    ignores_unlink: bool = False                # PATCH to Unlinked answers 200 and changes nothing
    ignores_commerce_patch: bool = False        # PATCH of the commerce connection changes nothing

    # -- the partner's account as a whole (housekeeping.py) -------------------------------
    counts_deleted_companies: bool = False      # `GET /companies` counts the deleted companies too
    reads_deleted_companies: bool = False       # `GET /companies/{id}` still answers a deleted company
    lists_deleted_subscriptions: bool = False   # `GET /webhooks` still lists the deleted subscriptions
    ignores_webhook_page_size: bool = False     # `GET /webhooks` answers every subscription on each page

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
    decodes_redirect_twice: bool = False        # ... form-decoded once more on its way in: a `+` becomes a space
    refused_redirect_schemes: tuple[str, ...] = REDIRECT_SCHEMES_REFUSED
    accepts_unknown_platforms: bool = False
    crashes_on_malformed_key: bool = False
    creates_commerce_connection: bool = True
    duplicates_connections: bool = False        # every start call creates new connections
    relinks_on_start: bool = False              # a start call sets a de-authorized or unlinked connection Linked
    start_resets_configuration: bool = False

    # -- configuring (configuring.py, configuration.py) ------------------------------------
    finds_unknown_configurations: bool = False  # an unknown company's configuration answers 200, blank
    configured_from_start: bool = False         # `configured` true before anything is posted
    trusts_configured_flag: bool = False        # `configured` taken from the request body
    offers_tax_rates: bool = True
    flag_sent_as: FlagName = "enable"           # the configuration's flag, as the answers spell it
    reads_enable: bool = True                   # a posted `enable` is read
    default_time_zone: str = DEFAULT_TIME_ZONE  # a schedule without `timeZone` is in this zone
    wraps_sync_hour: bool = False               # an hour outside 0-23 is stored, wrapped into the day
    last_sync_hour: int = 23                    # the last hour of the day a posted `syncHour` may name
    keeps_absent_sync_hour: bool = False        # a schedule without `syncHour` keeps the stored hour
    sync_hour_to_utc: bool = False              # a posted `syncHour` is kept as the UTC hour it falls on
    refuses_monthly: bool = False               # the offered frequency Monthly is refused
    accepted_invoice_statuses: tuple[str, ...] = tuple(INVOICE_STATUSES)  # the statuses a post may choose
    accepts_foreign_accounts: bool = False      # an account id is checked against every company's chart
    stores_part_of_refused: bool = False        # a post is read into the stored choices: a refused one's part stays
    stores_start_date: bool = True
    stores_grouping_period: bool = True
    disable_unconfigures: bool = False          # disabling clears the accounts, so `configured`
    kept_on_review: frozenset[str] = frozenset()  # choices a configured company can no longer change
    before_link: BeforeLink = "refused"         # configuring before Linked: "refused" 409, "accepted", "not-found"

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
    signature: Signature = "signed"             # "signed", "unsigned" or "wrong-secret"
    latest_sync_is_first: bool = False          # the latest sync status answers the first sync of the history
    lists_range_syncs: bool = True              # a date-range sync is kept in the history
    last_successful_any_code: bool = False      # the last successful sync is the newest, whatever its code
    checks_range_order: bool = True             # a date range's start must be before its finish

    # -- what the partner adds and customizes (connecting.py, integrations.py, flow_text.py, visible_accounts.py)
    lists_created_connections: bool = True      # a connection created through the API is listed
    pages_integrations: bool = True             # the integrations list honours pageSize
    brands_unknown_keys: bool = False           # a key no integration has gets a generic branding
    text_default_locale: str | None = None      # the locale the flow's text is read in when none is given
    texts_per_locale: bool = True               # a text change is stored for the locale named only
    null_text_restores_default: bool = True     # a text set to null shows its default again
    empty_visible_list_shows_all: bool = False  # `visibleAccounts: []` is taken for no list: every entry shown
    visible_accounts_per_platform: bool = True  # each commerce platform has visible accounts of its own
    hiding_clears_accounts: bool = False        # hiding an entry clears that account in companies' configurations

    # -- the merchant's side (pages.py, flow_app.py, flow_forms.py) -------------------------
    success_page: bool = True                   # the flow ends on a success page or the redirect
    pages_keep_invoice_status: bool = True
    shows_stored_texts: bool = True             # the flow shows the partner's stored texts, not the defaults
    offers_hidden_entries: bool = False         # the configure form offers the account entries the partner hid
    follows_flow_locale: bool = True            # the flow shows the locale chosen, not always en-us

    @classmethod
    def of(cls, names: Iterable[str] = ()) -> Policy:
        """The policy with these faults and variants switched on (a name the catalog lacks is refused)."""
        changes: dict[str, Any] = {}
        for name in Faults(names):
            for key, value in CHANGES[name].items():
                if isinstance(value, frozenset):  # sets of choices add up: two such faults keep both
                    value = changes.get(key, frozenset()) | value
                changes[key] = value
        return dataclasses.replace(cls(), **changes)


@dataclass
class FaultMemory:
    """What a few faults remember beside the sandbox's records; the healthy sandbox leaves it empty."""

    # `trusts_configured_flag`: the `configured` each company's last configuration claimed, by company id.
    claimed_configured: dict[str, bool] = field(default_factory=dict)
    # `otp_from_counter`: where the next OTP comes from.
    otp_counter: Iterator[int] = field(default_factory=lambda: itertools.count(100000))
    # `counts_deleted_connections`: the cached count of each company's connections, by company id.
    connection_counts: dict[str, int] = field(default_factory=dict)
    # `stale_first_list_after_link`: the status a lagging read still shows, by id of the connection authorized.
    unreplicated_links: dict[str, str] = field(default_factory=dict)
    # `counts_deleted_companies`, `reads_deleted_companies`: the companies deleted, their rows kept.
    deleted_companies: list[Company] = field(default_factory=list)
    # `lists_deleted_subscriptions`: the subscriptions deleted, their rows kept.
    deleted_webhooks: list[Webhook] = field(default_factory=list)
