"""Configuring the sync: the merchant's configuration read and written (CONF-*, REV-1..3, READY-3).

What a configuration holds and how a posted one is read is
:mod:`.configuration`; this module is the rule around it: configuring waits
for the accounting connection (CONF-7), ``configured`` is derived (CONF-4),
and a configured company's review changes what it asks to (REV-3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sfc_conformance.sandbox import configuration
from sfc_conformance.sandbox.errors import ApiError, ValidationIssue, bad_request, not_found
from sfc_conformance.sandbox.model import Company
from sfc_conformance.sandbox.policy import Policy
from sfc_conformance.sandbox.records import Records
from sfc_conformance.sandbox.schedule import next_run


def configuration_json(company: Company, policy: Policy, configured: bool) -> dict[str, Any]:
    doc = configuration.render(company.id, company.name, company.chart(), company.choices,  # CONF-2
                               configured, flag=policy.flag_sent_as)
    if not policy.offers_tax_rates:
        for entry in doc["configuration"]["sales"]["taxRates"].values():
            entry["taxRateOptions"] = []
    return doc


def midnight(company: Company) -> datetime:
    """Where a schedule starts when the merchant names no day: the company's first day."""
    return company.created.replace(hour=0, minute=0, second=0, microsecond=0)


class Configuring(Records):
    def get_configuration(self, company_id: str) -> dict[str, Any]:
        with self._lock:
            if self.policy.finds_unknown_configurations and company_id not in self._companies:
                # The configurations read before the company is looked up: none stored reads as a blank one.
                return configuration_json(Company(company_id, "", None, self.clock.now()), self.policy, False)
            company = self._company(company_id)  # READY-2: 404 when unknown
            return configuration_json(company, self.policy, self._configured(company))

    def set_configuration(self, company_id: str, body: Any) -> dict[str, Any]:
        with self._lock:
            company = self._company(company_id)
            chart = company.chart() or self._chart_before_link(company)
            body = self._as_read(body)
            choices = configuration.apply(  # CONF-3, CONF-5, CONF-6
                body, chart, company.choices, start_date_default=midnight(company),
                time_zone_default=self.policy.default_time_zone, last_sync_hour=self.policy.last_sync_hour,
                keeps_absent_sync_hour=self.policy.keeps_absent_sync_hour,
                sync_hour_to_utc=self.policy.sync_hour_to_utc,
                invoice_statuses=self.policy.accepted_invoice_statuses,
                account_ids=self._every_account_id(chart) if self.policy.accepts_foreign_accounts else None,
                in_place=self.policy.stores_part_of_refused)
            self._keep_what_the_policy_keeps(company, choices)
            company.choices = choices  # CONF-3, REV-3: stored as posted, also on review
            self._remember_claim(company, body)
            company.next_scheduled = next_run(choices, self.clock.now())
            return configuration_json(company, self.policy, self._configured(company))

    def _every_account_id(self, chart: configuration.Chart) -> set[str]:
        """The `accepts_foreign_accounts` fault: the account ids of every company's chart, not this one's only."""
        charts = [chart, *(c for company in self._companies.values() if (c := company.chart()) is not None)]
        return {option["id"] for each in charts for option in each.account_options()}

    def _chart_before_link(self, company: Company) -> configuration.Chart:
        """CONF-7: before the accounting connection is Linked there is nothing to configure against."""
        pending = company.connection_of("Accounting")
        if self.policy.before_link == "not-found":
            raise not_found(f"No company was found with ID {company.id[:64]}")
        if self.policy.before_link != "accepted" or pending is None:
            raise ApiError(409, "Link the accounting connection before configuring the sync.")  # CONF-7
        return configuration.Chart(company.id, pending.platform.key)

    def _as_read(self, body: Any) -> Any:
        """The posted body as the faults that misread it see it (the healthy sandbox reads it as sent)."""
        schedule = body.get("schedule") if isinstance(body, dict) else None
        schedule = schedule if isinstance(schedule, dict) else {}
        if self.policy.wraps_sync_hour and type(schedule.get("syncHour")) is int:
            schedule["syncHour"] %= 24
        if self.policy.refuses_monthly and schedule.get("selectedFrequency") == "Monthly":
            raise bad_request("The configuration is not valid.", [ValidationIssue(
                "schedule.selectedFrequency", "schedule.selectedFrequency 'Monthly' is not supported")])
        if not self.policy.reads_enable and isinstance(body, dict):
            body = {key: value for key, value in body.items() if key != "enable"}
        return body

    def _remember_claim(self, company: Company, body: Any) -> None:
        """The `trusts_configured_flag` fault: a `configured` the body claims is remembered, and believed."""
        claimed = body.get("configured") if isinstance(body, dict) else None
        if self.policy.trusts_configured_flag and isinstance(claimed, bool):
            self._fault_memory.claimed_configured[company.id] = claimed

    def _keep_what_the_policy_keeps(self, company: Company, choices: configuration.Choices) -> None:
        """The faults that store less than was posted (CONF-3, REV-2, REV-3)."""
        configured_before = self._configured(company)
        before = company.choices
        if not self.policy.stores_start_date:
            choices.start_date = before.start_date or midnight(company)
        if self.policy.disable_unconfigures and not choices.enable:
            choices.accounts.clear()
        if not self.policy.stores_grouping_period:
            choices.grouping_period = before.grouping_period
        if configured_before:
            for kept in self.policy.kept_on_review:
                setattr(choices, kept, getattr(before, kept))
