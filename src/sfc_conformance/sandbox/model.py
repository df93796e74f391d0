"""The sandbox's records and how each renders as Codat JSON."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sfc_conformance.core.clock import isoformat
from sfc_conformance.sandbox.configuration import Chart, Choices
from sfc_conformance.sandbox.platforms import Platform

LINKED = "Linked"
PENDING = "PendingAuth"
CONNECTION_STATUSES = ["PendingAuth", "Linked", "Unlinked", "Deauthorized"]


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Connection:
    id: str
    company_id: str
    platform: Platform
    source_id: str
    created: datetime
    status: str = PENDING
    last_sync: datetime | None = None

    def to_json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "integrationId": self.platform.integration_id,
            "integrationKey": self.platform.key,
            "sourceId": self.source_id,
            "sourceType": self.platform.source_type,
            "platformName": self.platform.name,
            "linkUrl": f"{base}link/companies/{self.company_id}/connections/{self.id}/start",
            "status": self.status,
            "lastSync": isoformat(self.last_sync) if self.last_sync else None,
            "created": isoformat(self.created),
            "dataConnectionErrors": [],  # API-1: every required field, ISO 8601 dates
        }


@dataclass
class SyncRecord:
    id: str
    company_id: str
    at: datetime
    start: datetime
    finish: datetime
    code: int
    status: str
    error: str | None
    scheduled: bool

    @property
    def succeeded(self) -> bool:
        return self.code < 4000

    def status_json(self) -> dict[str, Any]:
        return {
            "companyId": self.company_id,
            "syncId": self.id,
            "syncStatusCode": self.code,
            "syncStatus": self.status,
            "errorMessage": self.error,
            "syncExceptionMessage": self.error,
            "syncUtc": isoformat(self.at),
            "dataPushed": self.succeeded,
        }

    def summary_json(self, connections: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "syncDateRangeUtc": {"start": isoformat(self.start), "finish": isoformat(self.finish)},
            "companyId": self.company_id,
            "commerceSyncId": self.id,
            "syncStatusCode": self.code,
            "syncStatus": self.status,
            "errorMessage": self.error,
            "syncExceptionMessage": self.error,
            "syncUtc": isoformat(self.at),
            "dataConnections": connections,
            "dataPushed": self.succeeded,
        }


@dataclass
class Company:
    id: str
    name: str
    description: str | None
    created: datetime
    connections: dict[str, Connection] = field(default_factory=dict)
    choices: Choices = field(default_factory=Choices)
    syncs: list[SyncRecord] = field(default_factory=list)
    next_scheduled: datetime | None = None
    severed: bool = False  # its accounting connection was deleted (DEL-2, DEL-3)
    fail_next_scheduled: bool = False  # DEL-3: the next scheduled sync runs, fails, and is the last

    def connection_of(self, source_type: str) -> Connection | None:
        """The newest connection of that type (there is one unless a fault duplicates them)."""
        found = [c for c in self.connections.values() if c.platform.source_type == source_type]
        return found[-1] if found else None

    def linked(self, source_type: str) -> bool:
        connection = self.connection_of(source_type)
        return connection is not None and connection.status == LINKED

    def chart(self) -> Chart | None:
        accounting = self.connection_of("Accounting")
        if accounting is None or accounting.status != LINKED:
            return None
        return Chart(self.id, accounting.platform.key)

    def to_json(self, base: str, connections: list[dict[str, Any]]) -> dict[str, Any]:
        last = self.syncs[-1].at if self.syncs else None
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "redirect": f"{base}link/company/{self.id}",
            "lastSync": isoformat(last) if last else None,
            "created": isoformat(self.created),
            "dataConnections": connections,
            "products": ["commerce"],
        }

    def reference_json(self, base: str) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "links": {"portal": f"{base}link/company/{self.id}"}}


@dataclass
class OtpGrant:
    otp: str
    company_id: str
    merchant_identifier: str
    commerce_key: str
    accounting_key: str
    redirect_url: str | None
    issued_at: datetime
    used: bool = False


@dataclass
class FlowSession:
    token: str
    company_id: str
    redirect_url: str | None
    expires_at: datetime


@dataclass
class Webhook:
    id: str
    url: str
    event_types: list[str]
    disabled: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "eventTypes": list(self.event_types), "disabled": self.disabled}
