"""What the embedded sandbox can be asked to be, by name: its flow styles, its faults, its conforming variants.

Data only.  The sandbox implements each name (:mod:`sfc_conformance.sandbox.policy`
says where a fault enters its rules); the command line offers the names and the
run's settings check them, without importing the sandbox.  A fault breaks one
rule of the profile in one place; a variant is a difference the profile allows,
which the suite must pass.
"""

from __future__ import annotations

# How the merchant's side is built: server-rendered pages (sandbox/pages.py), or a
# browser app (sandbox/flow_app.py) whose document always loads and whose own
# requests meet the OTP's 401.
FLOW_STYLES = ("pages", "app")

FAULTS: dict[str, tuple[str, str]] = {
    # name: (rule it breaks, what the sandbox then does)
    "relative-flow-url": ("URL-1", "the start call answers a path, not an absolute URL"),
    "otp-five-digits": ("URL-2", "OTPs have five digits"),
    "flow-url-without-merchant": ("URL-2", "the flow URL carries no `merchantIdentifier`"),
    "otp-repeated-while-valid": ("URL-3", "a start call inside the OTP window hands out the same OTP again"),
    "otp-expires-early": ("OTP-1", "OTP stops working at 29 s instead of 30 s"),
    "otp-dies-after-10s": ("OTP-1", "OTP stops working 10 s after issue"),
    "expired-otp-resent": ("OTP-3", "after an OTP expired, start calls for that merchant hand it out again"),
    "otp-lasts-too-long": ("OTP-2", "OTP stays valid for 60 s instead of 30 s"),
    "otp-lasts-31s": ("OTP-2", "OTP stays valid for 31 s: one second too long"),
    "otp-reusable": ("OTP-5", "a flow URL can be opened more than once"),
    "otp-not-bound": ("OTP-4", "any merchantIdentifier is accepted with an OTP"),
    "otp-predictable": ("OTP-6", "OTPs are issued from a counter"),
    "redirect-dropped": ("URL-4", "redirectUrl is left out of the flow URL"),
    "redirect-not-encoded": ("URL-4", "redirectUrl is pasted into the flow URL without percent-encoding"),
    "redirect-non-ascii-dropped": ("URL-4", "redirectUrl loses its non-ASCII characters in the flow URL"),
    "javascript-redirect-accepted": ("URL-5", "javascript: redirect URLs are accepted"),
    "unknown-platform-accepted": ("URL-6", "unknown platform keys are accepted"),
    "crash-on-malformed-key": ("URL-6", "a malformed platform key answers 500"),
    "api-key-optional": ("KEY-1", "API calls without an Authorization header are served"),
    "bearer-accepted": ("KEY-1", "the API key sent as a Bearer token is accepted"),
    "refused-delete-still-deletes": ("KEY-1", "a DELETE with a wrong key answers 401 but deletes the connection"),
    "api-key-echoed": ("KEY-2", "the API key is echoed in a response header"),
    "api-key-in-link-url": ("KEY-2", "connections' `linkUrl` carries the API key in its query"),
    "no-commerce-connection": ("LINK-1", "the start call creates no commerce connection"),
    "duplicate-connections": ("LINK-2", "every start call creates new connections"),
    "link-url-dropped": ("LINK-3", "a Linked connection is sent without `linkUrl`"),
    "configured-from-start": ("CONF-1", "`configured` is true before any configuration is posted"),
    "no-tax-rate-options": ("CONF-2", "a linked configuration offers no tax rate options"),
    "grouping-period-not-stored": ("CONF-3", "the posted grouping period is not stored"),
    "start-date-not-stored": ("CONF-3", "the posted schedule `startDate` is ignored"),
    "monthly-refused": ("CONF-3", "a configuration with the offered frequency Monthly is refused with 400"),
    "trust-configured-flag": ("CONF-4", "`configured` is taken from the request body"),
    "sync-hour-unchecked": ("CONF-5", "syncHour outside 0-23 is stored"),
    "schedule-defaults-to-london": ("CONF-6", "a schedule without `timeZone` defaults to Europe/London"),
    "configure-before-link": ("CONF-7", "configuration is accepted before the accounting connection is linked"),
    "configure-before-link-404": ("CONF-7", "configuring before the accounting connection is linked answers 404, "
                                            "as if the company did not exist"),
    "start-resets-configuration": ("REV-1", "a start call for a configured company resets its configuration"),
    "disable-unconfigures": ("REV-2", "disabling also clears `configured`"),
    "enabled-instead-of-enable": ("REV-2", "the flag is sent and read only as `enabled`: a posted `enable` is ignored"),
    "tax-rate-change-ignored": ("REV-3", "once configured, changes to the tax rate mapping are ignored"),
    "invoice-status-change-ignored": ("REV-3", "once configured, changes to the invoice status are ignored"),
    "grouping-period-change-ignored": ("REV-3", "once configured, changes to the grouping period are ignored"),
    "unlink-ignored": ("REV-4", "PATCH to `Unlinked` answers 200 but the connection stays Linked"),
    "no-webhook-on-delete": ("DEL-1", "no connection.deleted webhook is sent"),
    "webhook-wrong-company": ("DEL-1", "connection.deleted names another company"),
    "webhook-first-subscriber-only": ("DEL-1", "connection.deleted goes to the first subscription only"),
    "webhook-announced-twice": ("DEL-1", "each deletion is announced again 5 s later, as a new event"),
    "webhook-id-per-subscriber": ("DEL-1", "each subscription hears of one deletion under an event id of its own"),
    "webhook-late": ("DEL-1", "connection.deleted leaves 12 s after the deletion"),
    "webhook-without-date": ("DEL-1", "connection.deleted events carry no `generatedDate`"),
    "sync-after-delete": ("DEL-2", "syncs still complete after the connection is deleted"),
    "sync-after-delete-500": ("DEL-2", "a sync requested after the deletion answers 500"),
    "latest-complete-after-delete": ("DEL-2", "after the deletion the latest sync status says Complete"),
    "scheduler-ignores-delete": ("DEL-3", "scheduled syncs go on after the connection is deleted"),
    "schedule-stops-silently": ("DEL-3", "after the deletion no scheduled sync runs, not even the failing next one"),
    "unsigned-webhooks": ("DEL-4", "webhooks are sent without signature headers"),
    "webhook-signature-wrong": ("DEL-4", "webhooks are signed with another secret"),
    "commerce-deauthorize-ignored": ("READY-1", "PATCH of the commerce connection answers 200 and changes nothing"),
    "company-without-connections": ("READY-1", "the company is read with an empty `dataConnections`"),
    "company-shows-stale-links": ("READY-1",
                                  "the company's `dataConnections` show de-authorized connections as Linked"),
    "unknown-company-found": ("READY-2", "an unknown company id answers 200"),
    "connection-missing-field": ("API-1", "connections are sent without `integrationKey`"),
    "non-iso-dates": ("API-1", "a company's `created` is sent as dd/mm/yyyy hh:mm:ss, not ISO 8601"),
    "json-as-text-plain": ("API-2", "connection lists are sent as text/plain"),
    "plain-text-errors": ("API-3", "errors are plain text, not ErrorMessage"),
    "error-status-mismatch": ("API-3", "every ErrorMessage says `statusCode` 400, whatever the HTTP status"),
    "status-outside-enum": ("API-1", "a de-authorized connection's status is sent as `Deauthorised`, outside the enum"),
    "wrong-total-results": ("API-4", "`totalResults` counts one too many"),
    "next-link-on-last-page": ("API-4", "the last page still carries `_links.next`"),
    "page-ignored": ("API-4", "every page of connections holds the first page's items"),
    "crash-on-bad-json": ("API-5", "a malformed JSON body answers 500"),
    "crash-on-unknown-connection": ("API-5", "a well-formed connection id that does not exist answers 500"),
    "no-retry-after": ("API-6", "429 answers carry no Retry-After"),
    "pages-drop-invoice-status": ("FLOW-1", "the configure page ignores the invoice status chosen"),
    "no-success-page": ("FLOW-2", "the flow ends on an empty 204 instead of a success page or redirect"),
    "next-sync-off-schedule": ("FLOW-3", "the settings page shows the next sync an hour late"),
}


VARIANTS: dict[str, str] = {
    # name: what the sandbox then does, all of it within the profile
    "enabled-spelling": "the configuration's flag is sent as `enabled`, as the seed page spells it; "
                        "a posted `enable` (or `enabled`) is read",
    "unknown-fields": "answers and webhook events carry fields the contract does not know",
    "webhook-retried": "every webhook delivery is sent twice, with the same `webhook-id` and event",
    "sync-refused-after-delete": "a sync requested after the deletion is refused with a 409 ErrorMessage",
}
