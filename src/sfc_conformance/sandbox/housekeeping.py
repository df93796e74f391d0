"""The partner's account as a whole: every company, every subscription, and the optional deletes.

Also READY-1 as the sandbox's own records have it (not as its answers say),
which the project's tests and ``population`` compare an audit against.
"""

from __future__ import annotations

import itertools
from typing import Any

from sfc_conformance.core.profile import readiness
from sfc_conformance.sandbox.companies import company_json
from sfc_conformance.sandbox.errors import not_found
from sfc_conformance.sandbox.model import Company
from sfc_conformance.sandbox.paging import page_of, page_slice, paging
from sfc_conformance.sandbox.records import Records


class Housekeeping(Records):
    def list_companies(self, page_text: str | None, size_text: str | None, base: str) -> dict[str, Any]:
        """Every company, one page at a time, oldest first (API-4's paging, as for connections)."""
        page, size = paging(page_text, size_text)
        with self._lock:
            total = len(self._companies)  # API-4: the true count
            if self.policy.counts_deleted_companies:
                total += len(self._fault_memory.deleted_companies)  # the count does not leave the deleted rows out
            chosen = page_slice(list(self._companies.values()), page, size, self.policy)
            results = [company_json(company, base) for company in chosen]
        return page_of("/companies", results, page, size, total)

    def delete_company(self, company_id: str) -> None:
        """Optional housekeeping: the company goes, and with it its connections, configuration,
        syncs, OTPs and flow sessions; later reads answer 404."""
        with self._lock:
            company = self._company(company_id)
            del self._companies[company.id]
            if self.policy.counts_deleted_companies or self.policy.reads_deleted_companies:
                self._fault_memory.deleted_companies.append(company)  # its row kept, marked deleted
            self._grants = {otp: g for otp, g in self._grants.items() if g.company_id != company.id}
            self._sessions = {t: s for t, s in self._sessions.items() if s.company_id != company.id}

    def list_webhooks(self, page_text: str | None, size_text: str | None) -> dict[str, Any]:
        """Optional housekeeping: the subscriptions, paged as the other lists are."""
        page, size = paging(page_text, size_text)
        with self._lock:
            rows = list(self._webhooks.values())
            if self.policy.lists_deleted_subscriptions:
                rows += self._fault_memory.deleted_webhooks  # the deleted rows not filtered out
            total = len(rows)
            # API-4: the page's slice (a target that pages its other lists may forget this one: every row)
            chosen = rows if self.policy.ignores_webhook_page_size else itertools.islice(rows, (page - 1) * size,
                                                                                         page * size)
            results = [hook.to_json() for hook in chosen]
        return page_of("/webhooks", results, page, size, total)

    def delete_webhook(self, webhook_id: str) -> None:
        """Optional housekeeping: the subscription goes; no later event is sent to it."""
        with self._lock:
            hook = self._webhooks.pop(webhook_id, None)
            if hook is None:
                raise not_found(f"No webhook subscription was found with ID {webhook_id[:64]}")
            if self.policy.lists_deleted_subscriptions:
                self._fault_memory.deleted_webhooks.append(hook)  # its row kept, marked deleted

    def readiness_truth(self) -> dict[str, frozenset[str]]:
        """READY-1 as the sandbox's own records have it (not as its answers say):
        company id -> the conditions it does not meet (empty when ready)."""
        with self._lock:
            return {company.id: frozenset(self._unmet(company)) for company in self._companies.values()}

    def _unmet(self, company: Company) -> list[str]:
        # READY-1: ready is both connections Linked, the sync enabled and configured.
        unmet = [condition for source_type, condition in (("Accounting", readiness.ACCOUNTING),
                                                          ("Commerce", readiness.COMMERCE))
                 if not company.linked(source_type)]
        if not company.choices.enable:
            unmet.append(readiness.ENABLED)
        if not self._configured(company):
            unmet.append(readiness.CONFIGURED)
        return unmet
