"""Defects no scenario reaches, each a plausible slip of a real implementation, and the model catching each alone.

Each is a fault of the sandbox's catalog (:mod:`sfc_conformance.sandbox.faults`: its entry says what the sandbox
then does and the policy field that leads to the code).  With all of them on, the scenarios alone pass the
sandbox and the model fails each one's rule; tests/test_model_catches_faults.py has the model catch each alone.
"""

from __future__ import annotations

import pytest

from sfc_conformance.sandbox.faults import CATALOG
from tests.helpers import in_child

# -- the sandbox's faults ------------------------------------------------------------------------------------------

# name -> (the rule it breaks, the run that finds it)
NEW_FAULTS: dict[str, str] = {  # name -> the rule it breaks
    "sync-hour-23-refused": "CONF-3",
    "offered-invoice-status-refused": "CONF-3",
    "connection-count-stale-after-delete": "API-4",
    "key-with-a-trailing-character": "KEY-1",
    "key-in-any-case": "KEY-1",
    "start-relinks-deauthorized": "REV-4",
    "unknown-company-configuration-readable": "READY-2",
    "page-past-the-end-500": "API-5",
    "company-count-keeps-deleted": "API-4",
    "absent-sync-hour-kept": "CONF-6",
    "refused-configuration-partly-stored": "CONF-5",
    "redirect-plus-read-as-space": "URL-4",
    "deleted-subscription-listed": "API-4",
    "foreign-account-accepted": "CONF-5",
    "stale-read-after-link": "LINK-3",
    "sync-hour-kept-in-utc": "CONF-3",
    "deleted-company-still-readable": "READY-2",
    "webhook-page-size-ignored": "API-4",
}


def test_there_are_at_least_ten() -> None:
    assert len(NEW_FAULTS) >= 10


def test_each_new_fault_is_in_the_catalog_under_its_rule() -> None:
    """The model catching each alone, with seeds 0-2, is in tests/test_model_catches_faults.py (its CAUGHT)."""
    for name, rule in NEW_FAULTS.items():
        assert name in CATALOG and CATALOG[name].rule == rule, name


# Some a scenario meets too, by the way of another rule or by chance: the rule it fails then.
MET_BY_SCENARIOS: dict[str, str] = {
    "page-past-the-end-500": "API-5",  # the contract fuzz generates a page far past the end
    "unknown-company-configuration-readable": "API-1",  # the fuzz's ids that are not ones, seen by the contract
    "offered-invoice-status-refused": "REV-3",  # the review changes the invoice status to the last offered
    "key-with-a-trailing-character": "KEY-1",  # the key as `user:` with no password is one character longer
    "refused-configuration-partly-stored": "CONF-5",  # "nothing is stored" after each refusal
    "stale-read-after-link": "LINK-3",  # the connections are read just after the authorization
    "sync-hour-kept-in-utc": "REV-3",  # the review moves the schedule to another time zone
}


@pytest.mark.release  # a whole run, proving that these faults are the model's alone
def test_no_scenario_reaches_them() -> None:
    """With those no scenario meets on at once, the scenarios alone (the model off) find nothing: only the model
    does (each alone, in tests/test_model_catches_faults.py; the kill matrix, each under its rule, by a run as a
    partner makes it: the model's default budget and seed)."""
    assert len(set(NEW_FAULTS) - set(MET_BY_SCENARIOS)) >= 10
    unseen = [argument for name in sorted(set(NEW_FAULTS) - set(MET_BY_SCENARIOS))
              for argument in ("--sandbox-fault", name)]
    blind = in_child("run", "--model-budget", "0", *unseen)
    assert blind.returncode == 0, blind.stdout[-4000:] + blind.stderr
