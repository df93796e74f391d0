"""The target's API as steps call it: the profile's calls, a merchant's state read through them, answers relied on.

    configuration = api.configuration(merchant)           # GET …/sync/commerce, a JSON object or a failure
    api.expect(api.get_company(merchant.company_id), 200, "reading the company")

A call whose answer a step only relies on (reading what it then judges,
starting a flow it then opens) fails with :class:`UnexpectedAnswer`, which
says what was asked and shows what came back.
"""

from __future__ import annotations

from typing import Any, Final

import httpx

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.core.profile import Listed, read_syncs, read_texts, read_visible
from sfc_conformance.suite.merchants import Merchant

# Well-formed platform keys, tried in turn where a scenario needs one that no integration has.
UNLIKELY_KEYS: Final = ("zzzz", "zzzy", "zzzx", "qzqz", "xqxq")


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

    # -- the calls profile version 3 added -------------------------------------------------------------

    def every_integration(self) -> list[dict[str, Any]]:
        """Every integration the target lists, on one page of the largest size the profile allows."""
        body = self.expect(self.list_integrations(page=1, page_size=5000), 200, "listing the integrations")
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise UnexpectedAnswer(f"the integrations are not a page of results: {str(body)[:300]}")
        return results

    def unknown_platform_key(self) -> str:
        """A well-formed platform key that no integration the target lists has."""
        answer = self.list_integrations(page=1, page_size=5000)
        body = self.json(answer) if answer.status_code == 200 else None
        results = body.get("results") if isinstance(body, dict) else None
        listed = {str(item.get("key")) for item in results if isinstance(item, dict)} if isinstance(results, list) \
            else set()
        return next((key for key in UNLIKELY_KEYS if key not in listed), UNLIKELY_KEYS[0])

    def texts(self, locale: str) -> dict[str, str]:
        """The flow's texts in ``locale`` by key (either reading of a key's value), which a step relies on."""
        texts, problems = read_texts(self.expect(self.flow_texts(locale), 200, f"reading the flow's text in {locale}"))
        if problems:
            raise UnexpectedAnswer(f"the flow's text in {locale} is no LocalizationInfo: {'; '.join(problems)}")
        return texts

    def visible(self, client_id: str, platform_key: str) -> frozenset[str] | None:
        """The entries the flow offers for ``platform_key``; None when the GET answers no ``VisibleAccounts``."""
        answer = self.visible_accounts(client_id, platform_key)
        return read_visible(self.json(answer)) if answer.status_code == 200 else None

    def syncs(self, merchant: Merchant) -> list[Listed]:
        """The merchant's sync history, which a step relies on."""
        listed, problems = read_syncs(self.expect(self.list_syncs(merchant.company_id), 200,
                                                  "listing the sync history"))
        if problems:
            raise UnexpectedAnswer(f"the sync history: {'; '.join(problems)}")
        return listed
