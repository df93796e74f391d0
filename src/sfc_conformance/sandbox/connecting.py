"""A connection the partner creates for a company, outside the flow (LINK-4).

``POST /companies/{companyId}/connections`` with ``{"platformKey": K}`` adds one
``PendingAuth`` connection to platform K, listed with the company's others
from then on; each call adds another, as Codat's does.  An unknown company is
404; a body without a ``platformKey`` 400; a key no integration has 404, as the
OAS documents (the integrations list names the keys: :mod:`.integrations`).
"""

from __future__ import annotations

from typing import Any

from sfc_conformance.core.account import PLATFORM_KEY
from sfc_conformance.sandbox.errors import bad_request, not_found
from sfc_conformance.sandbox.model import Connection, new_id
from sfc_conformance.sandbox.platforms import PLATFORMS
from sfc_conformance.sandbox.records import Records


class Connecting(Records):
    def create_connection(self, company_id: str, body: Any, base: str) -> dict[str, Any]:
        with self._lock:
            company = self._company(company_id)  # LINK-4: 404 for an unknown company, whatever the body
            key = body.get("platformKey") if isinstance(body, dict) else None
            if not isinstance(key, str):
                raise bad_request("The request body must be a JSON object with a `platformKey`: an integration's "
                                  "key.")
            platform = PLATFORMS.get(key)
            if platform is None:  # LINK-4: a key no integration has, malformed or not
                shown = key[:16] if PLATFORM_KEY.fullmatch(key) else f"{key[:16]!r} (keys are four lower-case letters)"
                raise not_found(f"No integration has the platform key {shown}.")
            connection = Connection(new_id(), company.id, platform, new_id(), self.clock.now())
            if self.policy.lists_created_connections:  # LINK-4: one PendingAuth connection, listed from now on
                company.connections[connection.id] = connection
            return connection.to_json(base)
