"""Codat's own Python SDK, pointed at the served sandbox, completes the sync flow.

This is the proof that the sandbox looks like Codat to a real client: every
answer is parsed by the SDK's generated models (closed, case-sensitive enums,
required fields, a 200-only notion of success), and nothing the sandbox sends
is silently dropped by them, because the generated models ignore unknown keys.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import Enum
from typing import Any

import httpx
import pydantic
import pytest
from codat_sync_for_commerce import CodatSyncCommerce
from codat_sync_for_commerce._hooks import (
    AfterErrorContext,
    AfterErrorHook,
    AfterSuccessContext,
    AfterSuccessHook,
    BeforeRequestContext,
    BeforeRequestHook,
)
from codat_sync_for_commerce.basesdk import BaseSDK
from codat_sync_for_commerce.models import errors, operations, shared
from codat_sync_for_commerce.utils import BackoffStrategy, RetryConfig

from sfc_conformance.core.profile import load_contract
from tests.helpers import basic_auth

COMMERCE_KEY, ACCOUNTING_KEY = "lqai", "gbol"
ACCOUNT_SECTIONS = ("sales", "payments", "fees")


class Recorder(AfterSuccessHook, AfterErrorHook):
    """Keeps the raw JSON of every answer, so it can be set beside the parsed model.

    Each answer is also checked against our contract here: the SDK's lax
    parsing lets a null through where both documents promise a value.
    """

    def __init__(self) -> None:
        self.raw: dict[str, Any] = {}
        self.off_contract: dict[str, list[str]] = {}

    def _keep(self, operation_id: str, response: httpx.Response | None) -> None:
        if response is None:
            return
        response.read()
        body = json.loads(response.content) if response.content else None
        self.raw[operation_id] = body
        self.off_contract[operation_id] = load_contract().check_answer(
            response.request.method, response.request.url.path, response.status_code, body)

    def after_success(self, hook_ctx: AfterSuccessContext, response: httpx.Response) -> httpx.Response:
        self._keep(hook_ctx.operation_id, response)
        return response

    def after_error(self, hook_ctx: AfterErrorContext, response: httpx.Response | None,
                    error: Exception | None) -> tuple[httpx.Response | None, Exception | None]:
        self._keep(hook_ctx.operation_id, response)
        return response, error


class ConfigurationBody(BeforeRequestHook):
    """Sends the configuration with `set-configuration`.

    The published document declares no request body for that operation, so the
    generated method has no parameter for one and posts nothing; Codat's API
    does read one, so the hook puts it on the wire.
    """

    def __init__(self) -> None:
        self.body: dict[str, Any] | None = None

    def before_request(self, hook_ctx: BeforeRequestContext, request: httpx.Request) -> httpx.Request:
        if hook_ctx.operation_id != "set-configuration" or self.body is None:
            return request
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        headers["content-type"] = "application/json"
        return httpx.Request(request.method, request.url, headers=headers,
                             content=json.dumps(self.body).encode(), extensions=request.extensions)


class Client:
    """The SDK with the two hooks registered on its own hook registry."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.http = httpx.Client()
        # No retries: the SDK's default backs off for up to an hour on a 5xx,
        # and a sandbox 5xx must fail the test at once.
        no_retries = RetryConfig("none", BackoffStrategy(0, 0, 1.0, 0), False)
        self.sdk = CodatSyncCommerce(security=shared.Security(auth_header=basic_auth(api_key)), server_url=base_url,
                                     client=self.http, retry_config=no_retries, timeout_ms=10_000)
        self.recorder = Recorder()
        self.configuration_body = ConfigurationBody()
        hooks = self.sdk.sdk_configuration.get_hooks()
        hooks.register_after_success_hook(self.recorder)
        hooks.register_after_error_hook(self.recorder)
        hooks.register_before_request_hook(self.configuration_body)

    def raw(self, operation_id: str) -> Any:
        return self.recorder.raw[operation_id]


@pytest.fixture
def client(served_sandbox: tuple[str, str]) -> Iterator[Client]:
    c = Client(*served_sandbox)
    yield c
    c.http.close()


def dropped(raw: Any, parsed: Any, where: str = "$") -> list[str]:
    """Every place where the parsed model lost or changed what the sandbox sent."""
    if isinstance(parsed, pydantic.BaseModel):
        if not isinstance(raw, dict):
            return [f"{where}: sent {type(raw).__name__}, parsed as {type(parsed).__name__}"]
        names = {(f.alias or n): n for n, f in type(parsed).model_fields.items()}
        problems = []
        for key, value in raw.items():
            if key not in names:
                problems.append(f"{where}.{key}: no field of {type(parsed).__name__}")
            else:
                problems += dropped(value, getattr(parsed, names[key]), f"{where}.{key}")
        return problems
    if isinstance(parsed, dict) and isinstance(raw, dict):
        if set(raw) != set(parsed):
            return [f"{where}: keys {sorted(set(raw) ^ set(parsed))} lost"]
        return [p for k in raw for p in dropped(raw[k], parsed[k], f"{where}.{k}")]
    if isinstance(parsed, list) and isinstance(raw, list):
        if len(raw) != len(parsed):
            return [f"{where}: {len(raw)} items sent, {len(parsed)} parsed"]
        return [p for i, (r, m) in enumerate(zip(raw, parsed, strict=True)) for p in dropped(r, m, f"{where}[{i}]")]
    value = parsed.value if isinstance(parsed, Enum) else parsed
    # Lax parsing would turn "2000" into 2000 without a word; that is a change too.
    if value != raw or type(value) is not type(raw):
        return [f"{where}: sent {raw!r}, parsed {parsed!r}"]
    return []


def assert_nothing_dropped(client: Client, operation_id: str, parsed: Any) -> None:
    problems = dropped(client.raw(operation_id), parsed)
    assert not problems, f"{operation_id}: {problems}"
    assert not client.recorder.off_contract[operation_id], \
        f"{operation_id} breaks our contract: {client.recorder.off_contract[operation_id]}"


def complete_configuration(got: shared.Configuration) -> dict[str, Any]:
    """A complete configuration built only from the options the SDK parsed."""
    assert got.configuration is not None
    commerce: dict[str, Any] = {}
    for section in ACCOUNT_SECTIONS:
        part = getattr(got.configuration, section)
        assert part is not None and part.accounts, f"{section} offers no accounts"
        chosen = {}
        for slot, account in part.accounts.items():
            if account.required:
                assert account.account_options, f"{section}.{slot} is required but has no options"
                chosen[slot] = {"selectedAccountId": account.account_options[0].id}
        assert chosen, f"{section} has no required account"
        commerce[section] = {"accounts": chosen}
    sales = got.configuration.sales
    assert sales is not None and sales.invoice_status is not None and sales.grouping is not None
    assert sales.invoice_status.invoice_status_options
    assert sales.grouping.grouping_period is not None and sales.grouping.grouping_period.grouping_period_options
    commerce["sales"]["invoiceStatus"] = {
        "selectedInvoiceStatus": sales.invoice_status.invoice_status_options[0]}
    commerce["sales"]["grouping"] = {"groupingPeriod": {
        "selectedGroupingPeriod": sales.grouping.grouping_period.grouping_period_options[0]}}
    return {
        "enable": True,
        "schedule": {"syncHour": 6, "timeZone": "Europe/London"},
        "configuration": commerce,
    }


def test_the_sdk_completes_the_sync_flow_against_the_sandbox(client: Client) -> None:
    sdk = client.sdk

    company = sdk.advanced_controls.create_company(request=shared.CreateCompany(name="SDK Bakery"))
    assert company is not None and company.name == "SDK Bakery"
    uuid.UUID(company.id)
    assert_nothing_dropped(client, "create-company", company)

    flow = sdk.connections.get_sync_flow_url(request=operations.GetSyncFlowURLRequest(
        commerce_key=COMMERCE_KEY, accounting_key=ACCOUNTING_KEY, merchant_identifier=company.id))
    assert flow is not None and flow.url is not None
    assert f"/{COMMERCE_KEY}/{ACCOUNTING_KEY}/start" in flow.url and company.id in flow.url
    assert_nothing_dropped(client, "get-sync-flow-url", flow)

    listed = sdk.connections.list(request=operations.ListConnectionsRequest(company_id=company.id))
    assert listed is not None and listed.results is not None
    assert listed.total_results == len(listed.results) == 2
    assert listed.page_number == 1
    assert_nothing_dropped(client, "list-connections", listed)
    by_key = {c.integration_key: c for c in listed.results}
    assert set(by_key) == {COMMERCE_KEY, ACCOUNTING_KEY}
    assert by_key[COMMERCE_KEY].source_type is shared.SourceType.COMMERCE
    assert by_key[ACCOUNTING_KEY].source_type is shared.SourceType.ACCOUNTING
    assert all(c.status is shared.DataConnectionStatus.PENDING_AUTH for c in listed.results)

    # Accounting first: the configuration's options come from the ledger.
    for key in (ACCOUNTING_KEY, COMMERCE_KEY):
        linked = sdk.connections.update_authorization(request=operations.UpdateConnectionAuthorizationRequest(
            company_id=company.id, connection_id=by_key[key].id, request_body={"token": f"{key}-token"}))
        assert linked is not None and linked.id == by_key[key].id
        assert linked.integration_key == key
        assert linked.status is shared.DataConnectionStatus.LINKED
        assert_nothing_dropped(client, "update-connection-authorization", linked)

    got = sdk.advanced_controls.get_configuration(
        request=operations.GetConfigurationRequest(company_id=company.id))
    assert got is not None and got.company_id == company.id
    assert got.configured is False
    assert_nothing_dropped(client, "get-configuration", got)

    client.configuration_body.body = complete_configuration(got)
    configured = sdk.advanced_controls.set_configuration(
        request=operations.SetConfigurationRequest(company_id=company.id))
    assert configured is not None and configured.company_id == company.id
    assert configured.configured is True and configured.enable is True
    assert configured.schedule is not None
    assert (configured.schedule.sync_hour, configured.schedule.time_zone) == (6, "Europe/London")
    assert configured.configuration is not None and configured.configuration.sales is not None
    sales = configured.configuration.sales
    assert isinstance(sales.accounts, dict) and sales.invoice_status is not None  # neither None nor UNSET
    assert sales.invoice_status.selected_invoice_status is not None
    assert sales.accounts["sales"].selected_account_id == client.configuration_body.body[
        "configuration"]["sales"]["accounts"]["sales"]["selectedAccountId"]
    assert_nothing_dropped(client, "set-configuration", configured)

    summary = sdk.sync.request(request=operations.RequestSyncRequest(company_id=company.id))
    assert summary is not None and summary.company_id == company.id
    assert (summary.sync_status_code, summary.sync_status) == (2000, "Complete")
    assert summary.data_pushed is True and summary.commerce_sync_id is not None
    assert isinstance(summary.data_connections, list)  # neither None nor UNSET
    assert {c.integration_key for c in summary.data_connections} == {COMMERCE_KEY, ACCOUNTING_KEY}
    assert_nothing_dropped(client, "request-sync", summary)

    latest = sdk.sync.get_latest_sync(request=operations.GetLatestSyncRequest(company_id=company.id))
    assert latest is not None and latest.company_id == company.id
    assert latest.sync_id == summary.commerce_sync_id
    assert (latest.sync_status_code, latest.sync_status) == (2000, "Complete")
    assert latest.data_pushed is True
    assert_nothing_dropped(client, "get-latest-sync", latest)

    severed = sdk.connections.update_connection(request=operations.UpdateConnectionRequest(
        company_id=company.id, connection_id=by_key[ACCOUNTING_KEY].id,
        update_connection=shared.UpdateConnection(status=shared.DataConnectionStatus.DEAUTHORIZED)))
    assert severed is not None and severed.id == by_key[ACCOUNTING_KEY].id
    assert severed.integration_key == ACCOUNTING_KEY
    assert severed.status is shared.DataConnectionStatus.DEAUTHORIZED
    assert_nothing_dropped(client, "update-connection", severed)


@pytest.mark.parametrize("operation_id", ["list-connections", "get-configuration"])
def test_an_unknown_company_is_the_sdks_error_message_model(client: Client, operation_id: str) -> None:
    # The SDK has no get-company operation; these are the company-scoped reads
    # whose 404 it documents, so it parses that answer into ErrorMessage.
    missing = str(uuid.uuid4())
    calls: dict[str, Callable[[], object]] = {
        "list-connections": lambda: client.sdk.connections.list(
            request=operations.ListConnectionsRequest(company_id=missing)),
        "get-configuration": lambda: client.sdk.advanced_controls.get_configuration(
            request=operations.GetConfigurationRequest(company_id=missing)),
    }
    with pytest.raises(errors.ErrorMessage) as raised:
        calls[operation_id]()
    data = raised.value.data
    assert data.status_code == 404
    assert data.error and missing in data.error
    assert data.service and data.correlation_id
    assert data.can_be_retried == "False"
    assert isinstance(data.detailed_error_code, int)
    assert_nothing_dropped(client, operation_id, data)


# -- every method of the SDK ----------------------------------------------------------------------------------

NEXT_BUTTON = "configure-misc-nextButton"


class Driven:
    """Each public method of each of the SDK's resources, wrapped to note that it was called."""

    def __init__(self, sdk: CodatSyncCommerce) -> None:
        self.every: set[str] = set()
        self.called: set[str] = set()
        for resource_name, resource in vars(sdk).items():
            if not isinstance(resource, BaseSDK):
                continue
            for name in vars(type(resource)):
                if name.startswith("_") or name.endswith("_async") or not callable(getattr(resource, name)):
                    continue  # an `_async` twin sends the same request as its method
                self.every.add(f"{resource_name}.{name}")
                setattr(resource, name, self._noting(f"{resource_name}.{name}", getattr(resource, name)))

    def _noting(self, label: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.called.add(label)
            return method(*args, **kwargs)

        return call


# The SDK's own serializer of its nullable fields (a text change, visible accounts) reads `model_fields` from an
# instance, which pydantic 2.11 deprecates: a warning of the SDK's, about the SDK, on the way out.
@pytest.mark.filterwarnings("ignore:Accessing the 'model_fields' attribute on the instance is deprecated")
def test_the_sdk_drives_every_one_of_its_methods_against_the_served_sandbox(client: Client) -> None:
    """Every method of ``codat-sync-for-commerce`` 6.1.0 against ``sfc-conformance sandbox`` over HTTP, each answer
    parsed by the SDK's models, compared with what was sent, and checked against our contract.  The steps:

     1. advanced_controls.create_company              a company
     2. advanced_controls.list_companies              it is listed
     3. integrations.list                             the commerce and accounting keys are listed (INT-1)
     4. integrations.get_branding                     logo and button images at absolute URLs, served (INT-2)
     5. connections.get_sync_flow_url                 the flow URL; its client id
     6. connections.list                              the two connections the start made
     7. connections.create                            a third, PendingAuth, listed (LINK-4)
     8. connections.update_authorization              all three Linked
     9. advanced_controls.get_configuration           options to choose from
    10. advanced_controls.set_configuration           configured
    11. sync_flow_settings.get_config_text_sync_flow  the English texts (CUST-1)
    12. sync_flow_settings.update_config_text_sync_flow   a French text changed, the English one not (CUST-2)
    13. sync_flow_settings.update_visible_accounts_sync_flow  only the required entries (CUST-3)
    14. sync_flow_settings.get_visible_accounts       read back under the client id; the configuration unchanged
                                                      (CUST-4)
    15. sync.request                                  2000 Complete
    16. sync.request_for_date_range                   2000, over the range asked for (SYNC-3)
    17. sync.list                                     both syncs, oldest first (SYNC-1)
    18. sync.get                                      each by its id
    19. sync.get_latest_sync                          the newest
    20. sync.get_status                               the newest, with the connections
    21. connections.update_connection                 the accounting connection de-authorized
    22. sync.request, sync.get_last_successful_sync   4220; the last successful sync is still the range's (SYNC-2)

    The test fails if a method answers anything but its success (a 404 or 405 among them: the SDK raises), if the
    SDK cannot parse an answer, or if a method of the SDK was never called.
    """
    sdk = client.sdk
    driven = Driven(sdk)

    company = sdk.advanced_controls.create_company(request=shared.CreateCompany(name="Every Method Stores"))
    assert company is not None
    assert_nothing_dropped(client, "create-company", company)

    companies = sdk.advanced_controls.list_companies(request=operations.ListCompaniesRequest(page=1, page_size=100))
    assert companies is not None and companies.results is not None
    assert company.id in {c.id for c in companies.results}
    assert_nothing_dropped(client, "list-companies", companies)

    integrations = sdk.integrations.list(request=operations.ListIntegrationsRequest(page=1, page_size=10))
    assert integrations is not None and integrations.results is not None
    assert {COMMERCE_KEY, ACCOUNTING_KEY} <= {i.key for i in integrations.results}
    assert all(i.enabled for i in integrations.results)
    assert_nothing_dropped(client, "list-integrations", integrations)
    xero = sdk.integrations.list(request=operations.ListIntegrationsRequest(query=f"key={ACCOUNTING_KEY}"))
    assert xero is not None and [i.name for i in xero.results or []] == ["Xero"]

    branding = sdk.integrations.get_branding(request=operations.GetIntegrationBrandingRequest(
        platform_key=ACCOUNTING_KEY))
    assert branding is not None and branding.logo is not None and branding.button is not None
    images = [branding.logo.full, branding.logo.square, branding.button.default, branding.button.hover]
    sources = [image.image.src for image in images if image is not None and image.image is not None]
    assert len(sources) == 4 and all(src is not None and src.startswith("http") for src in sources)
    assert client.http.get(str(sources[0])).headers["content-type"].startswith("image/svg+xml")
    assert_nothing_dropped(client, "get-integration-branding", branding)

    flow = sdk.connections.get_sync_flow_url(request=operations.GetSyncFlowURLRequest(
        commerce_key=COMMERCE_KEY, accounting_key=ACCOUNTING_KEY, merchant_identifier=company.id))
    assert flow is not None and flow.url is not None
    segments = httpx.URL(flow.url).path.split("/")
    client_id = segments[segments.index(COMMERCE_KEY) - 1]
    uuid.UUID(client_id)

    listed = sdk.connections.list(request=operations.ListConnectionsRequest(company_id=company.id))
    assert listed is not None and listed.results is not None and len(listed.results) == 2
    by_key = {c.integration_key: c for c in listed.results}

    created = sdk.connections.create(request=operations.CreateConnectionRequest(
        company_id=company.id, request_body=operations.CreateConnectionRequestBody(platform_key="qhyg")))
    assert created is not None and created.integration_key == "qhyg"
    assert created.status is shared.DataConnectionStatus.PENDING_AUTH
    assert_nothing_dropped(client, "create-connection", created)
    again = sdk.connections.list(request=operations.ListConnectionsRequest(company_id=company.id))
    assert again is not None and created.id in {c.id for c in again.results or []}

    for key in (COMMERCE_KEY, ACCOUNTING_KEY):
        linked = sdk.connections.update_authorization(request=operations.UpdateConnectionAuthorizationRequest(
            company_id=company.id, connection_id=by_key[key].id, request_body={"token": f"{key}-token"}))
        assert linked is not None and linked.status is shared.DataConnectionStatus.LINKED
    # The company's newest accounting connection is the one its configuration and syncs read: the one just created.
    sdk.connections.update_authorization(request=operations.UpdateConnectionAuthorizationRequest(
        company_id=company.id, connection_id=created.id, request_body={"token": "qhyg-token"}))

    got = sdk.advanced_controls.get_configuration(request=operations.GetConfigurationRequest(company_id=company.id))
    assert got is not None and got.configured is False
    client.configuration_body.body = complete_configuration(got)
    configured = sdk.advanced_controls.set_configuration(
        request=operations.SetConfigurationRequest(company_id=company.id))
    assert configured is not None and configured.configured is True

    english = sdk.sync_flow_settings.get_config_text_sync_flow(
        request=operations.GetConfigTextSyncFlowRequest(locale=shared.Locale.EN_US))
    assert english is not None and english[NEXT_BUTTON].text == "Next"
    assert_nothing_dropped(client, "get-config-text-sync-flow", english)

    french = sdk.sync_flow_settings.update_config_text_sync_flow(request=operations.UpdateConfigTextSyncFlowRequest(
        locale=shared.Locale.FR_FR, request_body={NEXT_BUTTON: shared.Localization(text="Continuer")}))
    assert french is not None and french[NEXT_BUTTON].text == "Continuer"
    assert_nothing_dropped(client, "update-config-text-sync-flow", french)
    english_after = sdk.sync_flow_settings.get_config_text_sync_flow(
        request=operations.GetConfigTextSyncFlowRequest(locale=shared.Locale.EN_US))
    assert english_after is not None and english_after[NEXT_BUTTON].text == "Next"

    shown = sdk.sync_flow_settings.update_visible_accounts_sync_flow(
        request=operations.UpdateVisibleAccountsSyncFlowRequest(
            platform_key=COMMERCE_KEY, visible_accounts=shared.VisibleAccounts(visible_accounts=[])))
    assert shown is not None and isinstance(shown.visible_accounts, list)
    assert "sales-accounts-sales" in shown.visible_accounts and "sales-accounts-gratuity" not in shown.visible_accounts
    assert_nothing_dropped(client, "update-visible-accounts-sync-flow", shown)
    read = sdk.sync_flow_settings.get_visible_accounts(request=operations.GetVisibleAccountsRequest(
        client_id=client_id, platform_key=COMMERCE_KEY))
    assert read is not None and read.visible_accounts == shown.visible_accounts
    assert_nothing_dropped(client, "get-visible-accounts", read)
    unchanged = sdk.advanced_controls.get_configuration(
        request=operations.GetConfigurationRequest(company_id=company.id))
    assert unchanged == configured

    summary = sdk.sync.request(request=operations.RequestSyncRequest(company_id=company.id))
    assert summary is not None and (summary.sync_status_code, summary.sync_status) == (2000, "Complete")

    start, finish = "2025-01-01T00:00:00+00:00", "2025-01-31T00:00:00+00:00"
    ranged = sdk.sync.request_for_date_range(request=operations.RequestSyncForDateRangeRequest(
        company_id=company.id, sync_range=shared.SyncRange(date_range=shared.DateRange(start=start, finish=finish))))
    assert ranged is not None and ranged.sync_status_code == 2000
    assert ranged.sync_date_range_utc is not None
    assert [datetime.fromisoformat(str(moment)) for moment in (ranged.sync_date_range_utc.start,
                                                                ranged.sync_date_range_utc.finish)] == [
        datetime.fromisoformat(start), datetime.fromisoformat(finish)]
    assert_nothing_dropped(client, "request-sync-for-date-range", ranged)

    history = sdk.sync.list(request=operations.ListSyncsRequest(company_id=company.id))
    assert history is not None
    assert [s.sync_id for s in history] == [summary.commerce_sync_id, ranged.commerce_sync_id]
    assert_nothing_dropped(client, "list-syncs", history)
    for entry in history:
        one = sdk.sync.get(request=operations.GetSyncByIDRequest(company_id=company.id, sync_id=str(entry.sync_id)))
        assert one == entry
    assert_nothing_dropped(client, "get-sync-by-id", one)

    latest = sdk.sync.get_latest_sync(request=operations.GetLatestSyncRequest(company_id=company.id))
    assert latest == history[-1]

    status = sdk.sync.get_status(request=operations.GetSyncStatusRequest(company_id=company.id))
    assert status is not None and status.sync_id == ranged.commerce_sync_id and status.sync_status_code == 2000
    assert isinstance(status.data_connections, list) and len(status.data_connections) == 3
    assert_nothing_dropped(client, "get-sync-status", status)

    deauthorized = sdk.connections.update_connection(request=operations.UpdateConnectionRequest(
        company_id=company.id, connection_id=created.id,
        update_connection=shared.UpdateConnection(status=shared.DataConnectionStatus.DEAUTHORIZED)))
    assert deauthorized is not None and deauthorized.status is shared.DataConnectionStatus.DEAUTHORIZED
    failed = sdk.sync.request(request=operations.RequestSyncRequest(company_id=company.id))
    assert failed is not None and failed.sync_status_code == 4220 and failed.data_pushed is False

    last_good = sdk.sync.get_last_successful_sync(request=operations.GetLastSuccessfulSyncRequest(
        company_id=company.id))
    assert last_good is not None and last_good.sync_id == ranged.commerce_sync_id
    assert_nothing_dropped(client, "get-last-successful-sync", last_good)

    assert driven.called == driven.every, f"never called: {sorted(driven.every - driven.called)}"
    assert len(driven.every) == 22
