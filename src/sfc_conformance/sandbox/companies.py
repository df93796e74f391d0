"""Companies and their connections (READY-1, READY-2, LINK-3, REV-4, API-1, API-4).

A company is created by the partner or by the first start call naming it
(:mod:`.flow`); the start call gives it one connection per platform, each
``PendingAuth`` until the merchant authorizes it.
"""

from __future__ import annotations

import re
from typing import Any

from sfc_conformance.sandbox.errors import bad_request
from sfc_conformance.sandbox.model import CONNECTION_STATUSES, LINKED, Company
from sfc_conformance.sandbox.paging import links, page_slice, paging
from sfc_conformance.sandbox.records import MAX_TEXT, Records

COMPANY_NAME = re.compile(r"^[A-Za-z0-9\s\-',&@.,?!\s]+$")


def company_json(company: Company, base: str) -> dict[str, Any]:
    # READY-1 reads the connections here, as the seed page does; they must agree with the list.
    return company.to_json(base, [c.to_json(base) for c in company.connections.values()])


class Companies(Records):
    def create_company(self, body: Any, base: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object with a `name`.")
        name, description = body.get("name"), body.get("description")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("`name` is required.")
        if len(name) > 256 or not COMPANY_NAME.match(name):
            raise bad_request("`name` may hold letters, digits, spaces and - ' , & @ . ? ! only, up to 256 characters.")
        if description is not None and (not isinstance(description, str) or len(description) > MAX_TEXT):
            raise bad_request("`description` must be a string of at most 2048 characters.")
        with self._lock:
            company = self._new_company(name, description)
            return company_json(company, base)

    def get_company(self, company_id: str, base: str) -> dict[str, Any]:
        with self._lock:
            if self.policy.finds_unknown_companies and company_id not in self._companies:
                return company_json(Company(company_id, "Unknown", None, self.clock.now()), base)
            if self.policy.reads_deleted_companies and company_id not in self._companies:  # a soft delete's row
                kept = [c for c in self._fault_memory.deleted_companies if c.id == company_id]
                if kept:
                    return company_json(kept[-1], base)
            return company_json(self._company(company_id), base)  # READY-2: 404 when unknown

    def list_connections(self, company_id: str, page_text: str | None, size_text: str | None,
                         base: str) -> dict[str, Any]:
        page, size = paging(page_text, size_text)
        with self._lock:
            company = self._company(company_id)
            every = [c.to_json(base) for c in company.connections.values()]
            total = len(every)  # API-4: the true count
            if self.policy.counts_deleted_connections:  # a cached count, raised as connections come, never lowered
                cached = self._fault_memory.connection_counts
                total = cached[company.id] = max(cached.get(company.id, 0), total)
            # API-4: page N is the N-th slice
            results = page_slice(every, 1 if self.policy.ignores_page else page, size, self.policy)
            if self.policy.stale_first_list_after_link:
                self._as_a_lagging_read_shows(results)
        return {
            "results": results,
            "pageNumber": page,
            "pageSize": size,
            "totalResults": total,
            "_links": links(f"/companies/{company_id}/connections", page, size, has_next=page * size < len(every)),
        }

    def authorize(self, company_id: str, connection_id: str, body: Any, base: str) -> dict[str, Any]:
        if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
            raise bad_request("The authorization must be a JSON object of strings.")
        with self._lock:
            connection = self._connection(self._company(company_id), connection_id)
            if self.policy.stale_first_list_after_link:  # the next list reads from a replica not caught up yet
                self._fault_memory.unreplicated_links.setdefault(connection.id, connection.status)
            connection.status = LINKED  # LINK-3: authorized, the connection is Linked
            return connection.to_json(base)

    def _as_a_lagging_read_shows(self, listed: list[dict[str, Any]]) -> None:
        """The `stale_first_list_after_link` fault: a connection authorized since the last list is shown once more
        as it was before; the replica has caught up by the next list."""
        for connection in listed:
            before = self._fault_memory.unreplicated_links.pop(connection["id"], None)
            if before is not None:
                connection["status"] = before

    def update_connection(self, company_id: str, connection_id: str, body: Any, base: str) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) - {"status"}:
            raise bad_request("The update must be a JSON object with only a `status`.")
        status = body.get("status")
        if status is not None and status not in CONNECTION_STATUSES:
            raise bad_request(f"`status` must be one of {', '.join(CONNECTION_STATUSES)}.")
        with self._lock:
            connection = self._connection(self._company(company_id), connection_id)
            if (status == "Unlinked" and self.policy.ignores_unlink) or (
                    connection.platform.source_type == "Commerce" and self.policy.ignores_commerce_patch):
                return connection.to_json(base)
            if status is not None and status != connection.status:
                if status in ("Linked", "PendingAuth"):
                    raise bad_request("A connection becomes Linked only through its authorization.")
                connection.status = status  # REV-4, READY-1: de-authorized (or unlinked) is no longer Linked
            return connection.to_json(base)
