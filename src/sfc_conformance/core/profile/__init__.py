"""The profile's data and the judgements that live with its rules (no I/O).

    RULES, Rule, NOT_BUILT     the rules as data: id, level, source, sentence (_rules.py)
    OTP_WINDOW, LATE_OPEN_AT, ...  the time windows, in one place (_windows.py)
    Contract, load_contract    our OpenAPI contract and checking an answer against it (_contract.py)
    Verdict, PASS, FAIL, ...   the per-rule verdict and its statuses (_verdict.py)
    readiness, assess          READY-1's judgement of one merchant (_readiness.py)
    announcement_problems      DEL-1's judgement (_connection_deleted.py)
    progression                OTP-6's judgement (_otps.py)
    read_texts, visibility_problems, client_id_of  flow customization, CUST-1..3 (_customization.py)
    text_problems, entry_problems  the customized flow as the merchant sees it, CUST-5 (_customized_flow.py)
    read_syncs, latest_problems, ...  the sync history, SYNC-1..3 (_sync_history.py)
    page_problems, branding_problems  integrations, INT-1, INT-2, and API-4's paging of a list (_integrations.py)

It may import :mod:`sfc_conformance.core.account` (DEL-1 reads deliveries and run marks),
:mod:`sfc_conformance.core.http` and the base modules of core.

Importing this package is cheap: each module loads with the first name used from it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfc_conformance.core.profile import _readiness as readiness
    from sfc_conformance.core.profile._connection_deleted import (
        SeveredConnection,
        announcement_problems,
        announcing,
        heard_by_all,
    )
    from sfc_conformance.core.profile._contract import Contract, error_message_problem, load_contract
    from sfc_conformance.core.profile._customization import (
        LOCALES,
        Visibility,
        changeable_key,
        client_id_of,
        read_texts,
        read_visible,
        text_change_problems,
        text_of,
        visibility_problems,
    )
    from sfc_conformance.core.profile._customized_flow import (
        entry_problems,
        locale_of_tag,
        shows_stored,
        text_problems,
    )
    from sfc_conformance.core.profile._integrations import (
        absolute_uri,
        branding_problems,
        integration_problems,
        page_problems,
    )
    from sfc_conformance.core.profile._otps import progression
    from sfc_conformance.core.profile._readiness import (
        ACCOUNTING,
        AGREEMENT,
        COMMERCE,
        CONFIGURED,
        ENABLED,
        Readiness,
        Unmet,
        assess,
        enable_flag,
    )
    from sfc_conformance.core.profile._rules import (
        CONSUMER_RULES,
        NOT_BUILT,
        NOT_BUILT_REASON,
        RULE_TAG,
        RULES,
        SUITE_RULES,
        Rule,
    )
    from sfc_conformance.core.profile._sync_history import (
        SUCCESS_CODES,
        Listed,
        entry_of,
        instant,
        last_successful_problems,
        latest_problems,
        newest,
        range_problems,
        read_syncs,
    )
    from sfc_conformance.core.profile._verdict import (
        FAIL,
        IN_PART,
        NA,
        NOT_BUILT_STATUS,
        NOT_RUN,
        PASS,
        STATUSES,
        UNJUDGED,
        WARN,
        Outcome,
        RunFacts,
        ScenarioRun,
        Verdict,
    )
    from sfc_conformance.core.profile._windows import (
        EXPIRED_OPEN_AT,
        EXPIRED_OPEN_BAND,
        LATE_OPEN_AT,
        LATE_OPEN_BAND,
        LATE_OPEN_LATEST,
        LIVE_EXPIRED_AFTER,
        LIVE_VALID_WITHIN,
        ON_TIME_SLACK,
        OTP_LIFETIME,
        OTP_WINDOW,
        late_open_due,
    )

_MODULES = {  # each module, and the names it gives the package
    "._connection_deleted": ("SeveredConnection", "announcement_problems", "announcing", "heard_by_all"),
    "._contract": ("Contract", "error_message_problem", "load_contract"),
    "._customization": ("LOCALES", "Visibility", "changeable_key", "client_id_of", "read_texts", "read_visible",
                        "text_change_problems", "text_of", "visibility_problems"),
    "._customized_flow": ("entry_problems", "locale_of_tag", "shows_stored", "text_problems"),
    "._integrations": ("absolute_uri", "branding_problems", "integration_problems", "page_problems"),
    "._otps": ("progression",),
    "._readiness": ("ACCOUNTING", "AGREEMENT", "COMMERCE", "CONFIGURED", "ENABLED", "Readiness", "Unmet", "assess",
                    "enable_flag"),
    "._rules": ("CONSUMER_RULES", "NOT_BUILT", "NOT_BUILT_REASON", "RULES", "RULE_TAG", "Rule", "SUITE_RULES"),
    "._sync_history": ("Listed", "SUCCESS_CODES", "entry_of", "instant", "last_successful_problems",
                       "latest_problems", "newest", "range_problems", "read_syncs"),
    "._verdict": ("FAIL", "IN_PART", "NA", "NOT_BUILT_STATUS", "NOT_RUN", "Outcome", "PASS", "RunFacts", "STATUSES",
                  "ScenarioRun", "UNJUDGED", "Verdict", "WARN"),
    "._windows": ("EXPIRED_OPEN_AT", "EXPIRED_OPEN_BAND", "LATE_OPEN_AT", "LATE_OPEN_BAND", "LATE_OPEN_LATEST",
                  "LIVE_EXPIRED_AFTER", "LIVE_VALID_WITHIN", "ON_TIME_SLACK", "OTP_LIFETIME", "OTP_WINDOW",
                  "late_open_due"),
}
_PUBLIC = {name: module for module, names in _MODULES.items() for name in names}
_NAMESPACES = {"readiness": "._readiness"}  # a module used as one: readiness.ACCOUNTING
__all__ = ["ACCOUNTING", "AGREEMENT", "COMMERCE", "CONFIGURED", "CONSUMER_RULES", "Contract", "ENABLED",
           "EXPIRED_OPEN_AT", "EXPIRED_OPEN_BAND", "FAIL", "IN_PART", "LATE_OPEN_AT", "LATE_OPEN_BAND",
           "LATE_OPEN_LATEST", "LIVE_EXPIRED_AFTER", "LIVE_VALID_WITHIN", "LOCALES", "Listed", "NA", "NOT_BUILT",
           "NOT_BUILT_REASON", "NOT_BUILT_STATUS", "NOT_RUN", "ON_TIME_SLACK", "OTP_LIFETIME", "OTP_WINDOW", "Outcome",
           "PASS", "RULES", "RULE_TAG", "Readiness", "Rule", "RunFacts", "STATUSES", "SUCCESS_CODES", "SUITE_RULES",
           "ScenarioRun", "SeveredConnection", "UNJUDGED", "Unmet", "Verdict", "Visibility", "WARN", "absolute_uri",
           "announcement_problems", "announcing", "assess", "branding_problems", "changeable_key", "client_id_of",
           "enable_flag", "entry_of", "entry_problems", "error_message_problem", "heard_by_all", "instant",
           "integration_problems", "last_successful_problems", "late_open_due", "latest_problems", "load_contract",
           "locale_of_tag", "newest", "page_problems", "progression", "range_problems", "read_syncs", "read_texts",
           "read_visible", "readiness", "shows_stored", "text_change_problems", "text_of", "text_problems",
           "visibility_problems"]


def __getattr__(name: str) -> Any:
    if name in _NAMESPACES:
        return importlib.import_module(_NAMESPACES[name], __name__)
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name], __name__), name)
