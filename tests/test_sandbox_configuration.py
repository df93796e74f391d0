"""The merchant's sync configuration through the API (CONF-1..7, REV-1..4, READY-3)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from sfc_conformance.core.account import SyncFlowApi

if TYPE_CHECKING:
    from tests.conftest import SandboxSteps

Document = dict[str, Any]


def _accounts(document: Document) -> dict[str, str | None]:
    conf = document["configuration"]
    return {f"{section}.{slot}": entry["selectedAccountId"]
            for section in ("sales", "payments", "fees") for slot, entry in conf[section]["accounts"].items()}


def _choices(document: Document) -> dict[str, Any]:
    """Everything the merchant decides, in one comparable value."""
    conf, schedule = document["configuration"], document["schedule"]
    return {
        "enable": document["enable"],
        "accounts": _accounts(document),
        "taxRates": {k: v["selectedTaxRateId"] for k, v in conf["sales"]["taxRates"].items()},
        "invoiceStatus": conf["sales"]["invoiceStatus"]["selectedInvoiceStatus"],
        "groupingPeriod": conf["sales"]["grouping"]["groupingPeriod"]["selectedGroupingPeriod"],
        "frequency": schedule["selectedFrequency"],
        "syncHour": schedule["syncHour"],
        "timeZone": schedule["timeZone"],
    }


# -- before linking (CONF-1, CONF-7) ---------------------------------------------------


def test_before_configuration_configured_is_false(steps: SandboxSteps) -> None:
    merchant = steps.linked()
    document = steps.configuration(merchant.company_id)
    assert document["configured"] is False
    assert document["enable"] is False


def test_before_linking_no_options_are_offered(steps: SandboxSteps) -> None:
    document = steps.configuration(steps.started().company_id)
    conf = document["configuration"]
    assert all(not entry["accountOptions"]
               for section in ("sales", "payments", "fees") for entry in conf[section]["accounts"].values())
    assert all(not entry["taxRateOptions"] for entry in conf["sales"]["taxRates"].values())
    assert not conf["sales"]["invoiceStatus"]["invoiceStatusOptions"]
    assert not conf["sales"]["grouping"]["groupingPeriod"]["groupingPeriodOptions"]


def test_a_company_without_connections_has_a_configuration(steps: SandboxSteps) -> None:
    company_id = steps.company()
    assert steps.configuration(company_id)["configured"] is False


def test_configuring_before_linking_is_409(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    before = steps.configuration(merchant.company_id)
    steps.error(api.set_configuration(merchant.company_id, dict(before, enable=True)), 409)
    assert steps.configuration(merchant.company_id) == before


def test_linking_only_commerce_offers_no_options(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    steps.authorize(merchant.company_id, merchant.commerce_id)
    document = steps.configuration(merchant.company_id)
    assert not document["configuration"]["sales"]["accounts"]["sales"]["accountOptions"]
    steps.error(api.set_configuration(merchant.company_id, document), 409)


# -- after linking (CONF-2) --------------------------------------------------------------


def test_after_linking_every_kind_of_option_is_offered(steps: SandboxSteps) -> None:
    document = steps.configuration(steps.linked().company_id)
    conf = document["configuration"]
    for section in ("sales", "payments", "fees"):
        for entry in conf[section]["accounts"].values():
            assert entry["accountOptions"], section
            assert all(option["id"] and option["name"] for option in entry["accountOptions"])
    assert all(entry["taxRateOptions"] for entry in conf["sales"]["taxRates"].values())
    assert conf["sales"]["invoiceStatus"]["invoiceStatusOptions"]
    assert conf["sales"]["grouping"]["groupingPeriod"]["groupingPeriodOptions"]
    assert document["schedule"]["frequencyOptions"] == ["Daily", "Monthly"]


def test_options_are_the_company_s_own(steps: SandboxSteps) -> None:
    mine = steps.configuration(steps.linked("Mine").company_id)
    theirs = steps.configuration(steps.linked("Theirs").company_id)

    def ids(document: Document) -> set[str]:
        return {o["id"] for o in document["configuration"]["sales"]["accounts"]["sales"]["accountOptions"]}

    assert ids(mine).isdisjoint(ids(theirs))


def test_required_accounts_are_marked(steps: SandboxSteps) -> None:
    conf = steps.configuration(steps.linked().company_id)["configuration"]
    required = {f"{section}.{slot}" for section in ("sales", "payments", "fees")
                for slot, entry in conf[section]["accounts"].items() if entry["required"]}
    assert required == {"sales.sales", "payments.cash", "payments.card", "fees.fees"}


# -- a valid configuration (CONF-3, CONF-4, CONF-6) ----------------------------------------


def test_a_valid_configuration_round_trips_configured(steps: SandboxSteps) -> None:
    merchant = steps.linked()
    chosen = steps.choose(steps.configuration(merchant.company_id), syncHour=17, timeZone="Europe/London")
    answered = steps.configure(merchant.company_id, chosen)
    stored = steps.configuration(merchant.company_id)
    assert answered == stored
    assert stored["configured"] is True
    assert _choices(stored) == _choices(chosen)
    assert stored["schedule"]["syncHour"] == 17 and stored["schedule"]["timeZone"] == "Europe/London"


def test_a_valid_configuration_keeps_the_rest_of_the_document(steps: SandboxSteps) -> None:
    merchant = steps.linked()
    chosen = steps.choose(steps.configuration(merchant.company_id))
    stored = steps.configure(merchant.company_id, chosen)
    expected = copy.deepcopy(chosen)
    expected["configured"] = True
    expected["schedule"]["startDate"] = stored["schedule"]["startDate"]  # the target fills in the default
    assert stored == expected


def test_configured_in_the_body_is_ignored_when_a_required_account_is_missing(steps: SandboxSteps) -> None:
    merchant = steps.linked()
    chosen = steps.choose(steps.configuration(merchant.company_id))
    chosen["configuration"]["payments"]["accounts"]["cash"]["selectedAccountId"] = None
    chosen["configured"] = True
    assert steps.configure(merchant.company_id, chosen)["configured"] is False
    assert steps.configuration(merchant.company_id)["configured"] is False


def test_configured_in_the_body_is_ignored_when_everything_is_chosen(steps: SandboxSteps) -> None:
    merchant = steps.linked()
    chosen = steps.choose(steps.configuration(merchant.company_id))
    chosen["configured"] = False
    assert steps.configure(merchant.company_id, chosen)["configured"] is True


def test_optional_accounts_may_stay_empty(steps: SandboxSteps) -> None:
    merchant = steps.linked()
    chosen = steps.choose(steps.configuration(merchant.company_id))
    for slot in ("gratuity", "prepayments"):
        chosen["configuration"]["sales"]["accounts"][slot]["selectedAccountId"] = None
    assert steps.configure(merchant.company_id, chosen)["configured"] is True


@pytest.mark.parametrize("slot", ["sales.sales", "payments.cash", "payments.card", "fees.fees"])
def test_each_required_account_is_needed(steps: SandboxSteps, slot: str) -> None:
    merchant = steps.linked()
    chosen = steps.choose(steps.configuration(merchant.company_id))
    section, name = slot.split(".")
    chosen["configuration"][section]["accounts"][name]["selectedAccountId"] = None
    assert steps.configure(merchant.company_id, chosen)["configured"] is False


def test_schedule_defaults_are_hour_0_utc(steps: SandboxSteps) -> None:
    merchant = steps.linked()
    assert steps.configuration(merchant.company_id)["schedule"]["syncHour"] == 0
    assert steps.configuration(merchant.company_id)["schedule"]["timeZone"] == "Etc/UTC"
    chosen = steps.choose(steps.configuration(merchant.company_id), syncHour=9, timeZone="Asia/Tokyo")
    steps.configure(merchant.company_id, chosen)
    del chosen["schedule"]["syncHour"]
    del chosen["schedule"]["timeZone"]
    schedule = steps.configure(merchant.company_id, chosen)["schedule"]
    assert (schedule["syncHour"], schedule["timeZone"]) == (0, "Etc/UTC")


def test_null_schedule_fields_take_the_defaults(steps: SandboxSteps) -> None:
    merchant = steps.linked()
    chosen = steps.choose(steps.configuration(merchant.company_id), syncHour=None, timeZone=None)
    schedule = steps.configure(merchant.company_id, chosen)["schedule"]
    assert (schedule["syncHour"], schedule["timeZone"]) == (0, "Etc/UTC")


def test_the_enabled_alias_is_read(steps: SandboxSteps) -> None:
    merchant = steps.linked()
    chosen = steps.choose(steps.configuration(merchant.company_id))
    del chosen["enable"]
    chosen["enabled"] = True
    assert steps.configure(merchant.company_id, chosen)["enable"] is True


# -- invalid choices (CONF-5) ------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        node: Any = document
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        node[last] = value

    return change


INVALID: dict[str, tuple[Callable[[Document], None], str]] = {
    "syncHour 24": (_set("schedule.syncHour", 24), "schedule.syncHour"),
    "syncHour -1": (_set("schedule.syncHour", -1), "schedule.syncHour"),
    "syncHour '5'": (_set("schedule.syncHour", "5"), "schedule.syncHour"),
    "syncHour true": (_set("schedule.syncHour", True), "schedule.syncHour"),
    "syncHour 5.5": (_set("schedule.syncHour", 5.5), "schedule.syncHour"),
    "syncHour huge": (_set("schedule.syncHour", 10**30), "schedule.syncHour"),
    "frequency Weekly": (_set("schedule.selectedFrequency", "Weekly"), "schedule.selectedFrequency"),
    "frequency lower case": (_set("schedule.selectedFrequency", "daily"), "schedule.selectedFrequency"),
    "frequency number": (_set("schedule.selectedFrequency", 1), "schedule.selectedFrequency"),
    "timeZone Mars/Olympus": (_set("schedule.timeZone", "Mars/Olympus"), "schedule.timeZone"),
    "timeZone empty": (_set("schedule.timeZone", ""), "schedule.timeZone"),
    "timeZone offset": (_set("schedule.timeZone", "+01:00"), "schedule.timeZone"),
    "timeZone number": (_set("schedule.timeZone", 1), "schedule.timeZone"),
    "startDate text": (_set("schedule.startDate", "tomorrow"), "schedule.startDate"),
    "startDate year 1": (_set("schedule.startDate", "0001-01-01T00:00:00Z"), "schedule.startDate"),
    "startDate year 9999": (_set("schedule.startDate", "9999-12-31T23:00:00-12:00"), "schedule.startDate"),
    "account not offered": (_set("configuration.sales.accounts.sales.selectedAccountId", str(uuid.uuid4())),
                            "configuration.sales.accounts.sales.selectedAccountId"),
    "account number": (_set("configuration.fees.accounts.fees.selectedAccountId", 4000),
                       "configuration.fees.accounts.fees.selectedAccountId"),
    "unknown account slot": (_set("configuration.payments.accounts.cheque", {"selectedAccountId": None}),
                             "configuration.payments.accounts.cheque"),
    "tax rate not offered": (_set("configuration.sales.taxRates.standard.selectedTaxRateId", "20%"),
                             "configuration.sales.taxRates.standard.selectedTaxRateId"),
    "unknown tax component": (_set("configuration.sales.taxRates.luxury", {"selectedTaxRateId": None}),
                              "configuration.sales.taxRates.luxury"),
    "invoice status not offered": (_set("configuration.sales.invoiceStatus.selectedInvoiceStatus", "Void"),
                                   "configuration.sales.invoiceStatus.selectedInvoiceStatus"),
    "grouping period not offered": (
        _set("configuration.sales.grouping.groupingPeriod.selectedGroupingPeriod", "Yearly"),
        "configuration.sales.grouping.groupingPeriod.selectedGroupingPeriod"),
    "group-by not offered": (
        _set("configuration.sales.grouping.groupingLevels.invoiceLevel.selectedGroupByOptions", ["Colour"]),
        "configuration.sales.grouping.groupingLevels.invoiceLevel.selectedGroupByOptions"),
    "supplier not offered": (_set("configuration.fees.feesSupplier.selectedSupplierId", "nobody"),
                             "configuration.fees.feesSupplier.selectedSupplierId"),
    "enable as text": (_set("enable", "true"), "enable"),
    "syncSales as text": (_set("configuration.sales.syncSales", "yes"), "configuration.sales.syncSales"),
    "schedule not an object": (_set("schedule", "daily"), "schedule"),
    "configuration not an object": (_set("configuration", []), "configuration"),
    "accounts not an object": (_set("configuration.payments.accounts", "cash"), "configuration.payments.accounts"),
    "account entry not an object": (_set("configuration.payments.accounts.cash", "x"),
                                    "configuration.payments.accounts.cash"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_an_invalid_choice_is_400_and_nothing_is_stored(api: SyncFlowApi, steps: SandboxSteps, case: str) -> None:
    change, item = INVALID[case]
    merchant = steps.configured(syncHour=6, timeZone="Europe/Paris")
    before = steps.configuration(merchant.company_id)
    document = copy.deepcopy(before)
    document["schedule"]["syncHour"] = 11  # a valid change that must not be stored either
    document["enable"] = False
    change(document)
    body = steps.error(api.set_configuration(merchant.company_id, document), 400)
    assert item in [issue["itemId"] for issue in body["validation"]["errors"]]
    assert steps.configuration(merchant.company_id) == before


def test_an_account_of_another_company_is_not_offered(api: SyncFlowApi, steps: SandboxSteps) -> None:
    mine, theirs = steps.linked("Mine"), steps.linked("Theirs")
    foreign = steps.configuration(theirs.company_id)["configuration"]["sales"]["accounts"]["sales"]
    document = steps.choose(steps.configuration(mine.company_id))
    document["configuration"]["sales"]["accounts"]["sales"]["selectedAccountId"] = foreign["accountOptions"][0]["id"]
    steps.error(api.set_configuration(mine.company_id, document), 400)


def test_every_invalid_choice_is_reported_at_once(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()
    document = steps.choose(steps.configuration(merchant.company_id), syncHour=24, timeZone="Mars/Olympus",
                            selectedFrequency="Hourly")
    document["configuration"]["sales"]["invoiceStatus"]["selectedInvoiceStatus"] = "Void"
    body = steps.error(api.set_configuration(merchant.company_id, document), 400)
    items = {issue["itemId"] for issue in body["validation"]["errors"]}
    assert items == {"schedule.syncHour", "schedule.timeZone", "schedule.selectedFrequency",
                     "configuration.sales.invoiceStatus.selectedInvoiceStatus"}


@pytest.mark.parametrize("body", [[], "configured", 1, None])
def test_a_configuration_that_is_not_an_object_is_400(api: SyncFlowApi, steps: SandboxSteps, body: Any) -> None:
    merchant = steps.linked()
    path = f"/config/companies/{merchant.company_id}/sync/commerce"
    content = b"null" if body is None else None
    response = api.client.request("POST", path, json_body=body, content=content,
                                  headers={"Content-Type": "application/json"})
    steps.error(response, 400)


# -- review (REV-1..4) ----------------------------------------------------------------------


def test_a_start_call_keeps_the_configuration(steps: SandboxSteps) -> None:
    merchant = steps.configured(syncHour=8, timeZone="America/New_York")
    before = steps.configuration(merchant.company_id)
    steps.flow_url(merchant.company_id)
    after = steps.configuration(merchant.company_id)
    assert after == before
    assert after["configured"] is True


def test_disabling_keeps_configured_and_enabling_restores(steps: SandboxSteps) -> None:
    merchant = steps.configured()
    before = steps.configuration(merchant.company_id)
    disabled = steps.configure(merchant.company_id, dict(before, enable=False))
    assert (disabled["enable"], disabled["configured"]) == (False, True)
    enabled = steps.configure(merchant.company_id, dict(disabled, enable=True))
    assert enabled == before


def test_a_changed_schedule_is_stored(steps: SandboxSteps) -> None:
    merchant = steps.configured()
    document = steps.configuration(merchant.company_id)
    document["schedule"].update(selectedFrequency="Monthly", syncHour=22, timeZone="Australia/Sydney",
                                startDate="2026-02-15T00:00:00.000Z")
    steps.configure(merchant.company_id, document)
    schedule = steps.configuration(merchant.company_id)["schedule"]
    assert schedule == dict(document["schedule"])


def test_a_changed_account_and_tax_rate_are_stored(steps: SandboxSteps) -> None:
    merchant = steps.configured()
    document = steps.configuration(merchant.company_id)
    sales = document["configuration"]["sales"]
    sales["accounts"]["sales"]["selectedAccountId"] = sales["accounts"]["sales"]["accountOptions"][-1]["id"]
    sales["taxRates"]["reduced"]["selectedTaxRateId"] = sales["taxRates"]["reduced"]["taxRateOptions"][-1]["id"]
    sales["invoiceStatus"]["selectedInvoiceStatus"] = sales["invoiceStatus"]["invoiceStatusOptions"][0]
    steps.configure(merchant.company_id, document)
    stored = steps.configuration(merchant.company_id)
    assert _choices(stored) == _choices(document)
    assert stored["configured"] is True


def test_clearing_a_required_account_unconfigures(steps: SandboxSteps) -> None:
    merchant = steps.configured()
    document = steps.configuration(merchant.company_id)
    document["configuration"]["fees"]["accounts"]["fees"]["selectedAccountId"] = None
    assert steps.configure(merchant.company_id, document)["configured"] is False


@pytest.mark.parametrize("status", ["Deauthorized", "Unlinked"])
def test_deauthorizing_stops_configuration_changes(api: SyncFlowApi, steps: SandboxSteps, status: str) -> None:
    merchant = steps.configured()
    assert api.update_connection(merchant.company_id, merchant.accounting_id, status).status_code == 200
    statuses = {c["id"]: c["status"] for c in api.all_connections(merchant.company_id)}
    assert statuses[merchant.accounting_id] != "Linked"
    document = steps.configuration(merchant.company_id)
    steps.error(api.set_configuration(merchant.company_id, document), 409)


def test_relinking_offers_the_same_options_and_keeps_the_choices(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.configured()
    before = steps.configuration(merchant.company_id)
    api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized")
    steps.authorize(merchant.company_id, merchant.accounting_id)
    assert steps.configuration(merchant.company_id) == before
