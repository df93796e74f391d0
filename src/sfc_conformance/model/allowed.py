"""The answers the profile allows, call by call: a set of statuses and the rule an answer outside it breaks.

Where the profile names one answer (``GET /companies/{id}`` of an unknown id:
404, READY-2) the set holds it alone; where it leaves a choice (DELETE of a
connection: "200 or 204"; an unknown platform key: "400 or 404"; an optional
call: 404 or 405 when the target does not offer it) the set holds every
answer it allows; where it only demands a refusal (CONF-7: "refused (4xx)")
any 4xx is in, and where it only says what a call does (CUST-2: "stores X")
any 2xx; and where it says nothing, anything but a 5xx is (the rules every
answer keeps, :mod:`.every_answer`, still hold).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Allowed:
    statuses: frozenset[int]
    rule: str  # the rule an answer outside the set breaks
    why: str  # the profile's words for it
    classes: frozenset[int] = frozenset()  # whole classes allowed: 4 for any 4xx
    but_not: frozenset[int] = frozenset()  # statuses of an allowed class that are still wrong here

    def allows(self, status: int) -> bool:
        if status in self.but_not:
            return False
        return status in self.statuses or status // 100 in self.classes

    def shown(self) -> str:
        parts = [str(s) for s in sorted(self.statuses)]
        parts += [f"any {c}xx" + (f" but {', '.join(map(str, sorted(self.but_not)))}" if self.but_not else "")
                  for c in sorted(self.classes)]
        return " or ".join(parts)


def exactly(status: int, rule: str, why: str) -> Allowed:
    return Allowed(frozenset({status}), rule, why)


def one_of(statuses: Iterable[int], rule: str, why: str) -> Allowed:
    return Allowed(frozenset(statuses), rule, why)


def refusal(rule: str, why: str, *, but_not: Iterable[int] = ()) -> Allowed:
    """Any 4xx (the profile only demands a refusal)."""
    return Allowed(frozenset(), rule, why, frozenset({4}), frozenset(but_not))


def success(rule: str, why: str) -> Allowed:
    """Any 2xx (the profile says the call does something, not which status it answers)."""
    return Allowed(frozenset(), rule, why, frozenset({2}))


UNSAID: Final = frozenset({2, 4})  # the classes of an answer the profile leaves open


def unsaid(rule: str, why: str) -> Allowed:
    """The profile fixes nothing here: any answer but a 5xx (API-5 judges those), 2xx bodies per the contract."""
    return Allowed(frozenset(), rule, why, UNSAID)


NOT_OFFERED: Final = frozenset({404, 405})  # an optional call the target does not offer

# -- the start call (seed §1) ---------------------------------------------------------------------
START: Final = exactly(200, "URL-1", "a valid start call answers 200 with `{\"url\": ...}`")
START_BAD_KEY: Final = one_of({400, 404}, "URL-6", "an unknown or malformed platform key, or a commerce key in the "
                                                   "accounting slot, is refused with 400 or 404")
START_UNSAFE_REDIRECT: Final = exactly(400, "URL-5", "a `redirectUrl` with a `javascript:`, `data:` or `vbscript:` "
                                                     "scheme is refused with 400")

# -- companies (READY-2, API-4) ----------------------------------------------------------------------
READ_COMPANY: Final = exactly(200, "READY-2", "`GET /companies/{companyId}` answers the company")
UNKNOWN_COMPANY: Final = exactly(404, "READY-2", "an unknown id answers 404 with an `ErrorMessage`")
GONE_COMPANY: Final = exactly(404, "READY-2", "once a company is deleted, later reads answer 404")
MALFORMED_COMPANY: Final = one_of({400, 404}, "READY-2", "an id that is not one the target handed out is unknown: "
                                                        "404 (400 for one that is not even well-formed)")
UNDER_NO_COMPANY: Final = refusal("READY-2", "the company does not exist (an unknown id answers 404): a call under "
                                             "it is refused")
LIST: Final = exactly(200, "API-4", "a list answers its page")
BAD_PAGING: Final = exactly(400, "API-4", "`page` < 1 or `pageSize` > 5000 answers 400")
PAST_THE_END: Final = Allowed(frozenset({200}), "API-4", "a page after the last holds no item (or is refused)",
                              frozenset({4}))


def page(number: int, size: int, total: int) -> Allowed:
    """Page ``number`` of ``size`` in a list of ``total``: answered, or (past the last page) answered empty or
    refused."""
    return PAST_THE_END if number > 1 and (number - 1) * size >= total else LIST


PAGE_SIZE_ZERO: Final = unsaid("API-4", "the profile bounds `pageSize` above only")

# -- connections (LINK-3, REV-4, DEL-*) -------------------------------------------------------------
AUTHORIZE: Final = exactly(200, "LINK-3", "after the merchant authorizes, that connection is `Linked`")
AUTHORIZE_AGAIN: Final = Allowed(frozenset({200}), "LINK-3", "authorizing a connection that is not pending: "
                                                            "`Linked`, or refused", frozenset({4}))
DEAUTHORIZE: Final = exactly(200, "REV-4", "de-authorizing (PATCH `status` to `Deauthorized` or `Unlinked`) leaves "
                                           "the connection not `Linked`")
SEVER: Final = one_of({200, 204}, "DEL-1", "the merchant severs a connection: `DELETE` answers 200 or 204")

CREATE_CONNECTION: Final = success("LINK-4", "`POST /companies/{companyId}/connections` with a known `platformKey` "
                                              "creates one `PendingAuth` connection")
CREATE_BAD_KEY: Final = refusal("LINK-4", "an unknown platform key is refused with 4xx and an `ErrorMessage`")
CREATE_NO_COMPANY: Final = exactly(404, "LINK-4", "an unknown company is refused with 404 and an `ErrorMessage`")

# -- configuration (CONF-*, REV-*) ------------------------------------------------------------------
CONFIGURE: Final = exactly(200, "CONF-3", "a valid configuration posted is stored and returned")
CONFIGURE_INVALID: Final = exactly(400, "CONF-5", "invalid choices are refused with 400 and `validation.errors`")
CONFIGURE_TOO_EARLY: Final = refusal("CONF-7", "configuring before the accounting connection is `Linked` is refused "
                                               "(4xx; the company exists, so not 404)", but_not={404})
READ_CONFIGURATION: Final = exactly(200, "CONF-1", "a started company's configuration is read")

# -- syncs (DEL-2, SYNC-1..3) -------------------------------------------------------------------------
SYNC_REQUEST: Final = unsaid("DEL-2", "a requested sync answers a `SyncSummary` or an `ErrorMessage`")
NO_SYNC_YET: Final = exactly(404, "SYNC-1", "the latest sync status answers 404 when none ran")
LATEST_SYNC: Final = exactly(200, "SYNC-1", "the newest sync is what `…/syncs/latest/status` answers")
SYNC_LIST: Final = exactly(200, "SYNC-1", "every sync a request started is listed by `…/syncs/list/status`")
SYNC_LIST_NONE: Final = unsaid("SYNC-1", "the syncs of a company that ran none: an empty list, or a refusal")
READ_SYNC: Final = exactly(200, "SYNC-1", "each listed `syncId` answers `…/syncs/{syncId}/status`")
UNKNOWN_SYNC: Final = exactly(404, "SYNC-1", "an unknown `syncId` answers 404 with an `ErrorMessage`")
BAD_RANGE: Final = exactly(400, "SYNC-3", "a date range without both ends, or whose start is not before its finish, "
                                          "is refused with 400 and `validation.errors`")
LAST_SUCCESSFUL: Final = exactly(200, "SYNC-2", "`…/syncs/lastSuccessful/status` answers the newest sync that "
                                                "succeeded")
LAST_SUCCESSFUL_MAYBE: Final = one_of({200, 404}, "SYNC-2", "404 while none succeeded (or the target's own, "
                                                            "unseen, sync)")

# -- flow customization, client-wide (CUST-1..3) -----------------------------------------------------------
TEXTS: Final = exactly(200, "CUST-1", "`GET /sync/commerce/config/ui/text?locale=L` answers a `LocalizationInfo` "
                                      "for `en-us` and `fr-fr`")
TEXTS_BAD_LOCALE: Final = refusal("CUST-1", "without `locale`, or with another one, the flow's text answers 4xx")
CHANGE_TEXTS: Final = success("CUST-2", "`PATCH` with `{\"K\": \"X\"}` stores X for key K in locale L")
SET_VISIBLE: Final = success("CUST-3", "`POST …/config/ui/accounts/platform/{P}` sets which entries the flow offers")
READ_VISIBLE: Final = exactly(200, "CUST-3", "`GET /clients/{clientId}/config/ui/accounts/platform/{P}` answers what "
                                            "was set")
VISIBLE_BAD_KEY: Final = refusal("CUST-3", "a platform key that is not four lower-case letters is refused with 4xx")

# -- integrations (INT-1, INT-2) --------------------------------------------------------------------------
INTEGRATIONS: Final = exactly(200, "INT-1", "`GET /config/integrations` lists integrations, paged as API-4 says")
INTEGRATIONS_BAD_PAGING: Final = exactly(400, "INT-1", "paged as API-4 says: `page` < 1 or `pageSize` > 5000 answers "
                                                       "400")
INTEGRATIONS_PAST_THE_END: Final = Allowed(frozenset({200}), "INT-1", "paged as API-4 says: a page after the last "
                                                                      "holds no item (or is refused)", frozenset({4}))
BRANDING: Final = exactly(200, "INT-2", "`GET /config/integrations/{key}/branding` answers the branding of a listed "
                                        "key")
BRANDING_UNKNOWN: Final = exactly(404, "INT-2", "an unknown key answers 404 with an `ErrorMessage`")

# -- webhooks, housekeeping ----------------------------------------------------------------------------
SUBSCRIBE: Final = exactly(201, "DEL-1", "subscribing to `connection.deleted` answers 201 with the subscription")
OPTIONAL_LIST: Final = one_of({200, *NOT_OFFERED}, "API-4", "an optional list answers its items, or 404/405 when the "
                                                           "target does not offer it")
OPTIONAL_DELETE: Final = Allowed(frozenset(NOT_OFFERED), "READY-2", "an optional delete answers 204, or 404/405 when "
                                                                    "the target does not offer it", frozenset({2}))

# -- the key (KEY-1) ----------------------------------------------------------------------------------
STILL_THERE: Final = exactly(200, "KEY-1", "a call without the key changes nothing: what it would have deleted is "
                                         "still there")
NOT_THE_KEY: Final = exactly(401, "KEY-1", "every API call without the key, with a wrong key, or with another "
                                           "scheme answers 401")
