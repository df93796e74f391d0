"""The target's API as steps call it: the profile's calls, a merchant's state read through them, answers relied on.

    configuration = api.configuration(merchant)           # GET …/sync/commerce, a JSON object or a failure
    api.expect(api.get_company(merchant.company_id), 200, "reading the company")

A call whose answer a step only relies on (reading what it then judges,
starting a flow it then opens) fails with :class:`UnexpectedAnswer`, which
says what was asked and shows what came back.
"""

from __future__ import annotations

from typing import Any

import httpx

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.suite.merchants import Merchant


class UnexpectedAnswer(AssertionError):
    """The target did not answer a call as the suite relies on: what was asked, and what came back.

    It fails the step like any check that fails.  The suite catches it by name where an answer like that is
    an answer in itself: a merchant whose state cannot be read is not lent again, a configuration the
    target will not take is one of the frequencies it refuses.
    """


class TargetApi(SyncFlowApi):
    """:class:`SyncFlowApi`, the profile's calls, plus the reads of a merchant's state that steps rely on."""

    def json(self, response: httpx.Response) -> Any:
        return self.client.json(response)

    def expect(self, response: httpx.Response, status: int, what: str) -> Any:
        """The JSON of an answer a step relies on, or :class:`UnexpectedAnswer`, showing the answer."""
        if response.status_code != status:
            raise UnexpectedAnswer(f"{what}: expected {status}, the target answered {response.status_code}: "
                                   f"{response.text[:500]}")
        return self.json(response) if response.content else None

    def connections(self, merchant: Merchant) -> list[dict[str, Any]]:
        return self.all_connections(merchant.company_id)

    def connection(self, merchant: Merchant, source_type: str) -> dict[str, Any]:
        """The merchant's connection of ``source_type`` ("Commerce", "Accounting"), the last listed."""
        found = [c for c in self.connections(merchant) if c.get("sourceType") == source_type]
        if not found:
            raise UnexpectedAnswer(f"company {merchant.company_id} has no {source_type} connection")
        return found[-1]

    def configuration(self, merchant: Merchant) -> dict[str, Any]:
        document = self.expect(self.get_configuration(merchant.company_id), 200, "reading the configuration")
        if not isinstance(document, dict):
            raise UnexpectedAnswer(f"the configuration is not a JSON object: {document!r}")
        return document

    def latest_sync_id(self, merchant: Merchant) -> str:
        """The id of the merchant's latest sync; "" when it has none yet."""
        answer = self.latest_sync(merchant.company_id)
        if answer.status_code == 404:
            return ""
        return str(self.expect(answer, 200, "reading the latest sync status").get("syncId"))
