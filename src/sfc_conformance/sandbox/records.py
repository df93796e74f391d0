"""What the sandbox remembers, behind one lock, and the lookups every rule starts from.

:class:`Records` is the base of each part of :class:`~.state.SandboxState`
(companies, flow, configuring, syncs, housekeeping): they share one store and
one lock, so an API call and a flow page that do the same thing change the
same records the same way (FLOW-1).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime

from sfc_conformance.core.clock import Clock
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox.configuration import Choices
from sfc_conformance.sandbox.errors import not_found
from sfc_conformance.sandbox.model import Company, Connection, FlowSession, OtpGrant, Webhook, new_id
from sfc_conformance.sandbox.policy import FaultMemory, Policy
from sfc_conformance.sandbox.webhooks import Delivery

UUID_FORM = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_TEXT = 2048


class Records:
    def __init__(self, clock: Clock, policy: Policy, dispatch: Callable[[Delivery], None],
                 webhook_secret: Secret | None = None) -> None:
        self.clock = clock
        self.policy = policy
        self.webhook_secret = webhook_secret
        self.client_id = new_id()
        self._dispatch = dispatch
        self._lock = threading.RLock()
        self._companies: dict[str, Company] = {}
        self._grants: dict[str, OtpGrant] = {}
        self._sessions: dict[str, FlowSession] = {}
        self._webhooks: dict[str, Webhook] = {}
        self._outbox: list[tuple[datetime, Delivery]] = []  # deliveries and when each is due
        self._fault_memory = FaultMemory()

    def _new_company(self, name: str, description: str | None) -> Company:
        company = Company(new_id(), name, description, self.clock.now())
        self._companies[company.id] = company
        return company

    def _company(self, company_id: str) -> Company:
        company = self._companies.get(company_id)
        if company is None:
            raise not_found(f"No company was found with ID {company_id[:64]}")  # READY-2: 404 ErrorMessage
        return company

    def _connection(self, company: Company, connection_id: str) -> Connection:
        connection = company.connections.get(connection_id)
        if connection is None:
            if self.policy.crashes_on_unknown_connection and UUID_FORM.match(connection_id):
                raise RuntimeError("fault: crash-on-unknown-connection")
            raise not_found(f"Data connection {connection_id[:64]} not found")  # API-5: a 404, never a 5xx
        return connection

    def _configured(self, company: Company) -> bool:
        """Whether the merchant's choices make a complete configuration, as the target derives it."""
        claimed = self._fault_memory.claimed_configured.get(company.id)
        if self.policy.trusts_configured_flag and claimed is not None:
            return claimed
        if self.policy.configured_from_start and company.choices == Choices():
            return True
        return company.choices.is_complete()  # CONF-1, CONF-4: derived from the choices, never taken from a request

    def _send_due(self, now: datetime) -> None:
        """Send every delivery due by ``now``, outside the lock: a slow receiver must not stall the API."""
        with self._lock:
            due = [delivery for at, delivery in self._outbox if at <= now]
            self._outbox = [(at, delivery) for at, delivery in self._outbox if at > now]
        for delivery in due:
            self._dispatch(delivery)
