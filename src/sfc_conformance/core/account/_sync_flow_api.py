"""The profile's wire protocol, one method per row of its table.

Methods return the raw :class:`httpx.Response`: the suite judges statuses and
bodies itself.  Nothing here is specific to the embedded sandbox.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from sfc_conformance.core.errors import TargetError
from sfc_conformance.core.http import ApiClient

# Codat's platform keys, as the start call's path carries them: four lower-case letters (lqai, gbol).
PLATFORM_KEY = re.compile(r"^[a-z]{4}$")
# The partner's client-wide settings: what a change goes to (CUST-2, CUST-3).
TEXTS_PATH = "/sync/commerce/config/ui/text"
VISIBLE_ACCOUNTS_PATH = "/sync/commerce/config/ui/accounts/platform/"


class SyncFlowApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def create_company(self, name: str) -> httpx.Response:
        return self.client.request("POST", "/companies", json_body={"name": name})

    def start_flow(self, commerce_key: str, accounting_key: str, merchant: str,
                   redirect_url: str | None = None, **request: Any) -> httpx.Response:
        params = {"merchantIdentifier": merchant}
        if redirect_url is not None:
            params["redirectUrl"] = redirect_url
        return self.client.request("GET", f"/config/sync/commerce/{commerce_key}/{accounting_key}/start",
                                   params=params, **request)

    def get_company(self, company_id: str, **request: Any) -> httpx.Response:
        return self.client.request("GET", f"/companies/{company_id}", **request)

    def list_connections(self, company_id: str, page: int | None = None, page_size: int | None = None,
                         **request: Any) -> httpx.Response:
        params = {k: v for k, v in (("page", page), ("pageSize", page_size)) if v is not None}
        return self.client.request("GET", f"/companies/{company_id}/connections", params=params, **request)

    def all_connections(self, company_id: str) -> list[dict[str, Any]]:
        """Every connection, following ``_links.next`` (bounded, so a looping target cannot hang us)."""
        found: list[dict[str, Any]] = []
        for page in range(1, 101):
            response = self.list_connections(company_id, page=page, page_size=100)
            body = self.client.json(response)
            if response.status_code != 200 or not isinstance(body, dict):
                raise TargetError(f"listing connections of {company_id} answered {response.status_code}")
            found.extend(body.get("results") or [])
            if not (body.get("_links") or {}).get("next"):
                return found
        raise TargetError(f"listing connections of {company_id} did not end after 100 pages")

    def authorize(self, company_id: str, connection_id: str, credentials: dict[str, str]) -> httpx.Response:
        return self.client.request("PUT", f"/companies/{company_id}/connections/{connection_id}/authorization",
                                   json_body=credentials)

    def update_connection(self, company_id: str, connection_id: str, status: str | None) -> httpx.Response:
        return self.client.request("PATCH", f"/companies/{company_id}/connections/{connection_id}",
                                   json_body={"status": status})

    def delete_connection(self, company_id: str, connection_id: str) -> httpx.Response:
        return self.client.request("DELETE", f"/companies/{company_id}/connections/{connection_id}")

    def get_configuration(self, company_id: str) -> httpx.Response:
        return self.client.request("GET", f"/config/companies/{company_id}/sync/commerce")

    def set_configuration(self, company_id: str, configuration: dict[str, Any]) -> httpx.Response:
        return self.client.request("POST", f"/config/companies/{company_id}/sync/commerce",
                                   json_body=configuration)

    def subscribe(self, url: str, event_types: list[str]) -> httpx.Response:
        return self.client.request("POST", "/webhooks", json_body={"url": url, "eventTypes": event_types})

    def request_sync(self, company_id: str) -> httpx.Response:
        return self.client.request("POST", f"/companies/{company_id}/sync/commerce/latest",
                                   json_body={"syncTo": None})

    def latest_sync(self, company_id: str) -> httpx.Response:
        return self.client.request("GET", f"/companies/{company_id}/sync/commerce/syncs/latest/status")

    def create_connection(self, company_id: str, platform_key: str) -> httpx.Response:
        return self.client.request("POST", f"/companies/{company_id}/connections",
                                   json_body={"platformKey": platform_key})

    # -- sync history (SYNC-1..3) ---------------------------------------------------

    def list_syncs(self, company_id: str) -> httpx.Response:
        return self.client.request("GET", f"/companies/{company_id}/sync/commerce/syncs/list/status")

    def sync_by_id(self, company_id: str, sync_id: str) -> httpx.Response:
        return self.client.request("GET", f"/companies/{company_id}/sync/commerce/syncs/{sync_id}/status")

    def last_successful_sync(self, company_id: str) -> httpx.Response:
        return self.client.request("GET", f"/companies/{company_id}/sync/commerce/syncs/lastSuccessful/status")

    def request_sync_for_range(self, company_id: str, body: dict[str, Any]) -> httpx.Response:
        """``body`` as given: ``{"dateRange": {"start": ..., "finish": ...}}``, or a broken one."""
        return self.client.request("POST", f"/meta/companies/{company_id}/sync/commerce/historic", json_body=body)

    def sync_status(self, company_id: str) -> httpx.Response:
        return self.client.request("GET", f"/meta/companies/{company_id}/sync/commerce/status")

    # -- integrations (INT-1, INT-2) ---------------------------------------------------

    def list_integrations(self, page: int | None = None, page_size: int | None = None,
                          **request: Any) -> httpx.Response:
        params = {k: v for k, v in (("page", page), ("pageSize", page_size)) if v is not None}
        return self.client.request("GET", "/config/integrations", params=params, **request)

    def integration_branding(self, platform_key: str) -> httpx.Response:
        return self.client.request("GET", f"/config/integrations/{platform_key}/branding")

    # -- the partner's flow, client-wide (CUST-1..4) ------------------------------------

    def flow_texts(self, locale: str | None, **request: Any) -> httpx.Response:
        """The flow's texts in ``locale``; None sends no ``locale`` at all."""
        params = {} if locale is None else {"locale": locale}
        return self.client.request("GET", TEXTS_PATH, params=params, **request)

    def change_flow_texts(self, locale: str | None, changes: dict[str, Any], **request: Any) -> httpx.Response:
        params = {} if locale is None else {"locale": locale}
        return self.client.request("PATCH", TEXTS_PATH, params=params, json_body=changes, **request)

    def set_visible_accounts(self, platform_key: str, body: dict[str, Any], **request: Any) -> httpx.Response:
        return self.client.request("POST", f"{VISIBLE_ACCOUNTS_PATH}{platform_key}", json_body=body, **request)

    def visible_accounts(self, client_id: str, platform_key: str, **request: Any) -> httpx.Response:
        return self.client.request("GET", f"/clients/{client_id}/config/ui/accounts/platform/{platform_key}",
                                   **request)

    # -- the partner's account and the optional housekeeping calls ---------------

    def list_companies(self, page: int | None = None, page_size: int | None = None, **request: Any) -> httpx.Response:
        params = {k: v for k, v in (("page", page), ("pageSize", page_size)) if v is not None}
        return self.client.request("GET", "/companies", params=params, **request)

    def delete_company(self, company_id: str) -> httpx.Response:
        return self.client.request("DELETE", f"/companies/{company_id}")

    def list_webhooks(self, page: int | None = None, page_size: int | None = None, **request: Any) -> httpx.Response:
        params = {k: v for k, v in (("page", page), ("pageSize", page_size)) if v is not None}
        return self.client.request("GET", "/webhooks", params=params, **request)

    def delete_webhook(self, webhook_id: str) -> httpx.Response:
        return self.client.request("DELETE", f"/webhooks/{webhook_id}")
