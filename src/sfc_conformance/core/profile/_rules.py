"""The rules of the sync-flow profile, as data: id, level, source and the sentence a failure breaks.

Each rule is checked by the scenarios tagged with its id in ``features/``;
``tests/test_rule_coverage.py`` fails when a rule has no scenario or a
scenario names an unknown rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RULE_TAG = re.compile(r"^[A-Z]+-[0-9]+$")


@dataclass(frozen=True)
class Rule:
    id: str
    level: str  # "MUST" or "SHOULD"
    section: str
    sentence: str

    @property
    def must(self) -> bool:
        return self.level == "MUST"


CUSTOMIZATION_SECTION = ('Flow customization (seed: "customize your flow"; Codat\'s "Customizing the Sync configuration '
                         'flow"; OAS sync flow settings)')
SYNC_HISTORY_SECTION = ('Sync history (OAS sync operations; seed §4 "the date and time of the last sync and the next '
                        'one")')

_TABLE = [
    ('URL-1', 'MUST', 'Start URL (seed §1)',
     'A valid start call answers 200 with `{"url": ...}`, an absolute http(s) URL.'),
    ('URL-2', 'MUST', 'Start URL (seed §1)',
     "The URL's query carries `otp` (six or more digits) and `merchantIdentifier` equal to the value sent, after decoding."),
    ('URL-3', 'MUST', 'Start URL (seed §1)',
     'Each start call issues a fresh OTP: two calls never return the same one.'),
    ('URL-4', 'MUST', 'Start URL (seed §1)',
     "With `redirectUrl=R` the URL's query carries `redirectUrl` equal to R after decoding; without it there is no `redirectUrl`."),
    ('URL-5', 'SHOULD', 'Start URL (seed §1)',
     'A `redirectUrl` with a `javascript:`, `data:` or `vbscript:` scheme is refused with 400 (the seed asks for an absolute URL but its own example is the bare host `app.codat.io`, so bare hosts stay accepted).'),
    ('URL-6', 'MUST', 'Start URL (seed §1)',
     'An unknown or malformed platform key, or a commerce key in the accounting slot, is refused with 400 or 404 and an `ErrorMessage`; never 2xx, never 5xx.'),
    ('OTP-1', 'MUST', 'One-time password (seed §1, "One-time password")',
     'The flow URL opened within 30 s of issue is not refused. A live run judges it both straight away and late in the window (opened 20–28 s after sending the start call), so an OTP that dies early is caught.'),
    ('OTP-2', 'MUST', 'One-time password (seed §1, "One-time password")',
     'Opened 30 s or more after issue it answers 401. Live checks allow network slack without leaving a blind band: valid when opened ≤ 28 s after *sending* the start call, refused when opened ≥ 31 s after *receiving* its answer; against a controllable clock the boundary is exact (29.999 s valid, 30.000 s refused).'),
    ('OTP-3', 'MUST', 'One-time password (seed §1, "One-time password")',
     'After expiry a new start call gives a URL that works (OTP-1 holds for it).'),
    ('OTP-4', 'MUST', 'One-time password (seed §1, "One-time password")',
     'The OTP is bound to its merchant: the same `otp` with another `merchantIdentifier`, or a changed digit, answers 401.'),
    ('OTP-5', 'SHOULD', 'One-time password (seed §1, "One-time password")',
     'The OTP is single use: a second open of the same URL answers 401.'),
    ('OTP-6', 'SHOULD', 'One-time password (seed §1, "One-time password")',
     'OTPs are unpredictable: over 20 calls, no repeats and no arithmetic progression (a progression modulo 10^digits — a counter that wraps — is one too).'),
    ('KEY-1', 'MUST', 'API key (OAS `auth_header`)',
     'Every API call without an `Authorization` header, with a wrong key, or with another scheme (`Bearer`) answers 401 with an `ErrorMessage` whose `statusCode` is 401, and changes nothing.'),
    ('KEY-2', 'MUST', 'API key (OAS `auth_header`)',
     'No response body, header or flow URL contains the API key.'),
    ('LINK-1', 'MUST', 'Authorization (seed §2)',
     'After the start call the company has one `Commerce` connection with `integrationKey` = commerce key and one `Accounting` connection with `integrationKey` = accounting key, both `PendingAuth`.'),
    ('LINK-2', 'MUST', 'Authorization (seed §2)',
     'Repeating the start call for the same company creates no further connections.'),
    ('LINK-3', 'MUST', 'Authorization (seed §2)',
     'After the merchant authorizes, that connection is `Linked`; `linkUrl` and `created` are present.'),
    ('LINK-4', 'MUST', 'Authorization (seed §2)',
     '`POST /companies/{companyId}/connections` with a known `platformKey` creates one `PendingAuth` connection with that `integrationKey`, listed from then on; an unknown key or company is refused with 4xx and an `ErrorMessage` (404 for an unknown company).'),
    ('CONF-1', 'MUST', 'Configuration (seed §3, synchronization-schedule page)',
     'Before configuration `configured` is false.'),
    ('CONF-2', 'MUST', 'Configuration (seed §3, synchronization-schedule page)',
     'Once the accounting connection is `Linked`, the configuration offers account options (`accountOptions`), tax rate options, invoice status options and grouping period options to choose from.'),
    ('CONF-3', 'MUST', 'Configuration (seed §3, synchronization-schedule page)',
     'A valid configuration posted is returned unchanged by the next GET (accounts, tax rate mapping, schedule — frequency, `startDate`, `syncHour`, `timeZone` —, invoice status, grouping period) with `configured` true. Every frequency the target offers in `frequencyOptions` is accepted.'),
    ('CONF-4', 'MUST', 'Configuration (seed §3, synchronization-schedule page)',
     '`configured` is derived by the target: a configuration that leaves a `required` account without `selectedAccountId` stays `configured: false`, whatever the body claimed.'),
    ('CONF-5', 'MUST', 'Configuration (seed §3, synchronization-schedule page)',
     'Invalid choices are refused with 400 and `validation.errors`, and nothing is stored: `syncHour` outside 0–23, `selectedFrequency` not in `frequencyOptions`, a `timeZone` that is not an IANA zone, a `selectedAccountId` not among the `accountOptions`, a `selectedInvoiceStatus` or grouping period not among its options.'),
    ('CONF-6', 'MUST', 'Configuration (seed §3, synchronization-schedule page)',
     'Schedule defaults: no `syncHour` means 0; no `timeZone` means `Etc/UTC`.'),
    ('CONF-7', 'MUST', 'Configuration (seed §3, synchronization-schedule page)',
     'Configuring before the accounting connection is `Linked` is refused (4xx).'),
    ('REV-1', 'MUST', 'Review (seed §4)',
     'A start call for an already configured company keeps its configuration (`configured` stays true, choices unchanged).'),
    ('REV-2', 'MUST', 'Review (seed §4)',
     'Disabling sets `enable` false and keeps `configured` true; enabling again restores it.'),
    ('REV-3', 'MUST', 'Review (seed §4)',
     'On review, a changed schedule, account, tax rate, invoice status or grouping period choice is stored and returned (seed §4 lists all five).'),
    ('REV-4', 'MUST', 'Review (seed §4)',
     'De-authorizing (PATCH `status` to `Deauthorized` or `Unlinked`) leaves the accounting connection not `Linked`.'),
    ('DEL-1', 'MUST', 'Connection deleted (seed §4, caution)',
     "When the merchant severs the accounting connection, every consumer subscribed to `connection.deleted` (the suite subscribes two) receives, within 10 s, the event: a POST whose JSON is a `ConnectionWebhook`: `id` (uuid), `eventType` `connection.deleted`, `generatedDate`, `payload.referenceCompany.id` = the company, `payload.connection.id` = the connection. One deletion is one event (one event `id`); the same event delivered again with the same `webhook-id` is a retry and allowed. A delivery counts whether or not its signature verifies — signatures are DEL-4's concern."),
    ('DEL-2', 'MUST', 'Connection deleted (seed §4, caution)',
     'After the deletion a requested sync does not succeed: a 4xx `ErrorMessage` (a 5xx is no answer), or a `SyncSummary` whose `syncStatusCode` is 4000 or more; and the latest sync status is not `Complete` for any sync after the deletion.'),
    ('DEL-3', 'MUST', 'Connection deleted (seed §4, caution)',
     'After the deletion the next scheduled sync fails and no later scheduled sync is attempted (seed §4: "the next scheduled data sync will fail, and no further data syncs will be attempted"; checked where the target\'s clock can be moved).'),
    ('DEL-4', 'SHOULD', 'Connection deleted (seed §4, caution)',
     'Deliveries are signed with Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`); given the signing secret, the suite verifies each one and refuses a forged one.'),
    ('READY-1', 'MUST', 'Readiness (seed §5)',
     "A merchant is ready exactly when it has a `Linked` `Accounting` connection, a `Linked` `Commerce` connection, and a configuration with `enable` true and `configured` true. The suite names every unmet condition, in the target's own field names (`enabled` where the target says `enabled`). The connections are read where the seed reads them, from `GET /companies/{companyId}` (its `dataConnections`), and must agree with the connections list."),
    ('READY-2', 'MUST', 'Readiness (seed §5)',
     '`GET /companies/{companyId}` answers the company; an unknown id answers 404 with an `ErrorMessage`.'),
    ('READY-3', 'SHOULD', 'Readiness (seed §5)',
     'The seed calls the flag `enabled`, the OAS `enable`. The suite reads `enable`, accepts `enabled` as an alias, and reports which one the target sent.'),
    ('API-1', 'MUST', 'API contract (OAS)',
     "Every 2xx JSON body validates against the contract (required fields, enums, uuid ids, date-time strings). Fields the contract does not know are allowed — in answers and in webhook events alike — even where the OAS writes `additionalProperties: false`: Codat's change policy counts a new field as a non-breaking change. The suite may list them as a note, never as a failure."),
    ('API-2', 'MUST', 'API contract (OAS)',
     'JSON bodies are sent as `application/json`.'),
    ('API-3', 'MUST', 'API contract (OAS)',
     'Every 4xx/5xx body is an `ErrorMessage` whose `statusCode` equals the HTTP status.'),
    ('API-4', 'MUST', 'API contract (OAS)',
     'Paging: `page` and `pageSize` are honoured (page N holds the N-th slice: no item on two pages, every item on one); `totalResults` is the true count; `_links.self` and `_links.current` are present, `_links.next` exactly when a later page exists; `page` < 1 or `pageSize` > 5000 answers 400.'),
    ('API-5', 'MUST', 'API contract (OAS)',
     'No input, valid or not, makes the target answer 5xx (fuzzed from the contract; every path parameter is also tried with well-formed ids that do not exist).'),
    ('API-6', 'SHOULD', 'API contract (OAS)',
     "A 429 carries `Retry-After`. The suite's own client retries 408/429/5xx with capped backoff, as Codat's SDKs do, and, unlike them, honours `Retry-After`."),
    ('FLOW-1', 'MUST', "Embedded sandbox only (the flow's own pages)",
     'Walking the flow pages (authorize, configure) leaves the same state the API steps do.'),
    ('FLOW-2', 'MUST', "Embedded sandbox only (the flow's own pages)",
     'At the end of the flow the merchant sees a success page, or is redirected (3xx `Location`) to `redirectUrl` when one was given.'),
    ('FLOW-3', 'MUST', "Embedded sandbox only (the flow's own pages)",
     'For a configured merchant the flow opens on the settings page, which shows the last and the next sync date-time; the next one follows the schedule (daily at `syncHour` in `timeZone`).'),
    ('CUST-1', 'MUST', CUSTOMIZATION_SECTION,
     '`GET /sync/commerce/config/ui/text?locale=L` answers, for `en-us` and `fr-fr`, a `LocalizationInfo`: an object of text keys. A key\'s value is `{"text": ..., "required": ...}` as the OAS writes it; a bare string, as Codat\'s docs show it, is the same text (accept both readings). Without `locale`, or with another one, it answers 4xx with an `ErrorMessage`, never 2xx or 5xx.'),
    ('CUST-2', 'MUST', CUSTOMIZATION_SECTION,
     '`PATCH` on the same path with `{"K": "X"}` stores X for key K in locale L only: the next GET of L shows X for K and every other key unchanged; the other locale is unchanged. `""` stores an empty text; `null` restores K\'s default (its text before any change).'),
    ('CUST-3', 'MUST', CUSTOMIZATION_SECTION,
     '`POST /sync/commerce/config/ui/accounts/platform/{P}` `{"visibleAccounts": [...]}` sets which entries the flow offers for platform P; `GET /clients/{clientId}/config/ui/accounts/platform/{P}` answers what was set, every required entry included (required entries cannot be hidden); `[]` leaves exactly the required ones; absent or `null` shows them all. A change for P leaves every other platform as it was; a key that is not four lower-case letters is refused with 4xx.'),
    ('CUST-4', 'MUST', CUSTOMIZATION_SECTION,
     'Customization changes what the merchant sees, nothing else: a company\'s configuration (`GET /config/companies/{id}/sync/commerce`) is the same before and after any text or visibility change.'),
    ('CUST-5', 'MUST', CUSTOMIZATION_SECTION,
     'The merchant sees it: in a browser, wherever the flow marks a text key (`data-textkey="K"`, as Codat\'s flow does), it shows the stored text of the flow\'s locale, and an account entry hidden by CUST-3 is not offered while a required one always is. Without a browser, or on a flow that marks no text keys, `n/a` with the reason.'),
    ('INT-1', 'SHOULD', 'Integrations (OAS)',
     '`GET /config/integrations` lists integrations (`key`, `name`, `logoUrl`, `enabled`), paged as API-4 says, the commerce and accounting keys a run uses among them.'),
    ('INT-2', 'SHOULD', 'Integrations (OAS)',
     '`GET /config/integrations/{key}/branding` answers the `logo` and `button` images (absolute `src` URIs) of a listed key; an unknown key answers 404 with an `ErrorMessage`.'),
    ('SYNC-1', 'MUST', SYNC_HISTORY_SECTION,
     'Every sync a request starts (`…/sync/commerce/latest`, `…/sync/commerce/historic`) is listed from then on by `…/syncs/list/status`; the newest entry is what `…/syncs/latest/status` answers; each listed `syncId` answers `…/syncs/{syncId}/status` with the same `syncStatusCode`; an unknown `syncId` answers 404 with an `ErrorMessage`.'),
    ('SYNC-2', 'MUST', SYNC_HISTORY_SECTION,
     '`…/syncs/lastSuccessful/status` answers the newest listed sync whose code is a success (2000 or 2040), or 404 with an `ErrorMessage` when none succeeded; it never names a sync that started after the accounting connection was deleted.'),
    ('SYNC-3', 'MUST', SYNC_HISTORY_SECTION,
     'A date-range sync needs `dateRange.start` and `dateRange.finish` (date-times, start before finish): otherwise 400 with `validation.errors` and no sync started; a valid range answers a `SyncSummary` whose `syncDateRangeUtc` is that range.'),
]

# The partner's webhook endpoint (profile v2, last section): the same events seen from the other side.
# `sfc-conformance consumer` plays Codat against the partner's own endpoint; `run` never judges these.
CONSUMER_SECTION = "The partner's webhook endpoint"
_TABLE += [
    ('PWH-1', 'MUST', CONSUMER_SECTION,
     'A correctly signed `connection.deleted` delivery is answered 2xx within 15 s.'),
    ('PWH-2', 'MUST', CONSUMER_SECTION,
     'Given the signing secret: a delivery without signature headers, with a wrong signature, or with a timestamp more than 5 minutes off is refused with a 4xx (never 2xx, never 5xx).'),
    ('PWH-3', 'SHOULD', CONSUMER_SECTION,
     'The same delivery again (same `webhook-id`) is answered 2xx: a retry is acknowledged, not an error.'),
    ('PWH-4', 'SHOULD', CONSUMER_SECTION,
     "A correctly signed event of a type the consumer does not know is answered 2xx (consumers ignore what they don't handle)."),
    ('PWH-5', 'SHOULD', CONSUMER_SECTION,
     'Under a burst (20 deliveries at once) every delivery is still answered 2xx within 15 s.'),
]

RULES: dict[str, Rule] = {rid: Rule(rid, level, section, sentence) for rid, level, section, sentence in _TABLE}
# Which command judges a rule: `consumer` the partner's endpoint, `run` (its scenarios) everything else.
CONSUMER_RULES: dict[str, Rule] = {rid: rule for rid, rule in RULES.items() if rule.section == CONSUMER_SECTION}
SUITE_RULES: dict[str, Rule] = {rid: rule for rid, rule in RULES.items() if rid not in CONSUMER_RULES}

# Rules of the profile the suite has no scenario for yet (profile v3 added them).  Their verdict is
# "not built" with this reason, never pass; tests/test_rule_coverage.py keeps the list exact: a rule
# leaves it when its first scenario is tagged.
NOT_BUILT_REASON = "not built yet: the suite has no scenario for this rule of profile version 3"
NOT_BUILT: frozenset[str] = frozenset()
