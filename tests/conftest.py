"""Fixtures for the project's own tests: the sandbox in-process, every answer contract-checked."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import settings

from sfc_conformance.core.background_server import BackgroundServer
from sfc_conformance.core.contract import load_contract
from sfc_conformance.core.sync_flow_api import SyncFlowApi
from sfc_conformance.sandbox.embedded import EmbeddedTarget

# Deterministic property tests everywhere; CI (tox sets HYPOTHESIS_PROFILE=ci) keeps no example database.
settings.register_profile("dev", derandomize=True, deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _readable_failing_examples() -> None:
    """Schemathesis, once imported, swaps hypothesis' printer for one that prints nothing (to save time on
    its own huge cases), so a failing property would read ``f(delay=, ...)``.  Put hypothesis' own back."""
    from hypothesis import core
    from hypothesis.vendor import pretty
    from schemathesis.generation.hypothesis import builder  # noqa: F401 - importing it makes the swap, once

    core.RepresentationPrinter = pretty.RepresentationPrinter  # type: ignore[misc]


_readable_failing_examples()


def _same_data_whatever_ran_before() -> None:
    """Hypothesis now and then draws a constant found in the project's own modules loaded *so far*
    (``providers._get_local_constants``).  Which are loaded depends on the tests that ran earlier in
    the process, so under pytest-xdist one seed drew different data from run to run.  A fixed, empty
    pool makes every seeded or derandomized test draw the same data in any order."""
    from hypothesis.internal.conjecture import providers

    empty = providers.Constants()
    providers._get_local_constants = lambda: empty  # type: ignore[attr-defined]  # noqa: SLF001


_same_data_whatever_ran_before()


# The modules whose tests take tens of seconds to minutes (whole runs in a browser, kill matrices, live runs),
# slowest first.  Run first, they overlap the many short tests under pytest-xdist; run last (their names
# sort last), they were a tail that one or two workers ran alone.
SLOW_FIRST = ("test_suite_in_browser.py", "test_suite_catches_faults.py", "test_live_housekeeping.py",
              "test_secrets_never_leak.py", "test_live_linking.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: place for place, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FIRST)))  # stable: the rest keep their order


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist hands each worker a quarter of its share at once by default, so the first worker would get
    # every slow test; one at a time spreads them.  An explicit --maxschedchunk wins.
    if hasattr(config.option, "maxschedchunk") and config.option.maxschedchunk is None:
        config.option.maxschedchunk = 1


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SFC_* setting of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("SFC_"):
            monkeypatch.delenv(name)


def assert_conforms(response: httpx.Response) -> None:
    """Every API answer of the sandbox must validate against our contract."""
    path = urlsplit(str(response.request.url)).path
    if path.startswith(("/sync-flow/", "/flow-api/")):
        return  # the merchant's pages, and the flow app's own API, are not calls of the profile's API
    response.read()
    body = json.loads(response.content) if response.content else None
    problems = load_contract().check_answer(response.request.method, path, response.status_code, body)
    assert not problems, f"{response.request.method} {path} -> {response.status_code}: {problems}"


@pytest.fixture
def target() -> Iterator[EmbeddedTarget]:
    embedded = EmbeddedTarget()
    embedded.start()
    yield embedded
    embedded.stop()


@pytest.fixture
def api(target: EmbeddedTarget) -> Iterator[SyncFlowApi]:
    client = target.client()
    client.http.event_hooks["response"].append(assert_conforms)
    yield SyncFlowApi(client)
    client.close()


@pytest.fixture
def served_sandbox() -> Iterator[tuple[str, str]]:
    """The sandbox served over HTTP on 127.0.0.1 with real time: (base URL, API key)."""
    from sfc_conformance.sandbox import serve

    sandbox = serve.build("served-test-key", None, ())
    with BackgroundServer(sandbox.app) as server:
        yield server.url, "served-test-key"
    sandbox.close()


# ---------------------------------------------------------------------------
# The sandbox's own tests (tests/test_sandbox_*.py): the profile's API steps,
# each asserted to succeed, and further embedded targets (faults, fixed clock).

import copy  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

from sfc_conformance.core.client import ApiClient  # noqa: E402
from sfc_conformance.core.clock import ManualClock  # noqa: E402

COMMERCE_KEY = "lqai"
ACCOUNTING_KEY = "gbol"
# A Monday in January: no daylight-saving change anywhere near it.
FIXED_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Merchant:
    company_id: str
    commerce_id: str
    accounting_id: str
    flow_url: str


class SandboxSteps:
    """The profile's API steps, each asserted to succeed, and the ErrorMessage check."""

    def __init__(self, api: SyncFlowApi) -> None:
        self.api = api

    def company(self, name: str = "Acme Trading Ltd") -> str:
        response = self.api.create_company(name)
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def flow_url(self, company_id: str, redirect_url: str | None = None) -> str:
        response = self.api.start_flow(COMMERCE_KEY, ACCOUNTING_KEY, company_id, redirect_url)
        assert response.status_code == 200, response.text
        return str(response.json()["url"])

    def started(self, name: str = "Acme Trading Ltd", redirect_url: str | None = None) -> Merchant:
        company_id = self.company(name)
        url = self.flow_url(company_id, redirect_url)
        by_type = {c["sourceType"]: c["id"] for c in self.api.all_connections(company_id)}
        return Merchant(company_id, by_type["Commerce"], by_type["Accounting"], url)

    def authorize(self, company_id: str, connection_id: str) -> dict[str, Any]:
        response = self.api.authorize(company_id, connection_id, {"username": "merchant", "password": "s3cret"})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def linked(self, name: str = "Acme Trading Ltd", redirect_url: str | None = None) -> Merchant:
        merchant = self.started(name, redirect_url)
        self.authorize(merchant.company_id, merchant.commerce_id)
        self.authorize(merchant.company_id, merchant.accounting_id)
        return merchant

    def configuration(self, company_id: str) -> dict[str, Any]:
        response = self.api.get_configuration(company_id)
        assert response.status_code == 200, response.text
        return dict(response.json())

    @staticmethod
    def choose(document: dict[str, Any], *, enable: bool = True, **schedule: Any) -> dict[str, Any]:
        """A copy of ``document`` with every choice made (a different offered option per slot)."""
        chosen = copy.deepcopy(document)
        chosen["enable"] = enable
        chosen["schedule"].update(schedule)
        conf = chosen["configuration"]
        slot = 0
        for section in ("sales", "payments", "fees"):
            for entry in conf[section]["accounts"].values():
                entry["selectedAccountId"] = entry["accountOptions"][slot % len(entry["accountOptions"])]["id"]
                slot += 1
        for index, entry in enumerate(conf["sales"]["taxRates"].values()):
            entry["selectedTaxRateId"] = entry["taxRateOptions"][index % len(entry["taxRateOptions"])]["id"]
        status = conf["sales"]["invoiceStatus"]
        status["selectedInvoiceStatus"] = status["invoiceStatusOptions"][-1]
        period = conf["sales"]["grouping"]["groupingPeriod"]
        period["selectedGroupingPeriod"] = period["groupingPeriodOptions"][-1]
        return chosen

    def configure(self, company_id: str, document: dict[str, Any]) -> dict[str, Any]:
        response = self.api.set_configuration(company_id, document)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def configured(self, name: str = "Acme Trading Ltd", *, enable: bool = True, **schedule: Any) -> Merchant:
        merchant = self.linked(name)
        document = self.choose(self.configuration(merchant.company_id), enable=enable, **schedule)
        self.configure(merchant.company_id, document)
        return merchant

    @staticmethod
    def error(response: httpx.Response, status: int) -> dict[str, Any]:
        """``response`` is an ErrorMessage with this status (API-3); its body."""
        assert response.status_code == status, f"{response.status_code} {response.text[:300]}"
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert body["statusCode"] == status
        assert isinstance(body["error"], str) and body["error"]
        return dict(body)


@pytest.fixture
def steps(api: SyncFlowApi) -> SandboxSteps:
    return SandboxSteps(api)


@pytest.fixture
def raw_client(target: EmbeddedTarget) -> Iterator[ApiClient]:
    """A client of ``target`` without the contract hook: for unknown routes and the webhook receiver."""
    client = target.client()
    yield client
    client.close()


@dataclass(frozen=True)
class Embedded:
    target: EmbeddedTarget
    api: SyncFlowApi
    steps: SandboxSteps

    @property
    def browser(self) -> Browser:
        return Browser(self.api.client.http)

    def close(self) -> None:
        self.api.client.close()
        self.target.stop()


@pytest.fixture
def embedded() -> Iterator[Callable[..., Embedded]]:
    """Build an embedded target with faults or a fixed clock start; closed at teardown.

    ``checked=False`` leaves out the contract hook (for faults that break the contract).
    Only one embedded target may run at a time (they share the respx host): close one
    before making the next, and use this instead of, not beside, the ``target`` fixture.
    """
    made: list[Embedded] = []

    def make(*, faults: Iterable[str] = (), start: datetime | None = None, checked: bool = True,
             flow_style: str = "pages") -> Embedded:
        for earlier in made:
            earlier.close()
        made.clear()
        extra: dict[str, Any] = {"clock": ManualClock(start)} if start else {}
        built = EmbeddedTarget(faults=tuple(faults), flow_style=flow_style, **extra)
        built.start()
        client = built.client()
        if checked:
            client.http.event_hooks["response"].append(assert_conforms)
        flow_api = SyncFlowApi(client)
        made.append(Embedded(built, flow_api, SandboxSteps(flow_api)))
        return made[-1]

    yield make
    for earlier in made:
        earlier.close()

import html as _html  # noqa: E402
import re  # noqa: E402
from urllib.parse import urljoin  # noqa: E402


class Browser:
    """The merchant's browser on the flow pages: no API key, redirects not followed."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def open(self, url: str) -> httpx.Response:
        return self.http.get(url)

    @staticmethod
    def action(page: httpx.Response, form_id: str) -> str:
        found = re.search(rf'<form method=post action="([^"]+)" id={re.escape(form_id)}>', page.text)
        assert found, f"no form {form_id!r} on the page: {page.text[:300]}"
        return urljoin(str(page.url), _html.unescape(found.group(1)))

    def submit(self, page: httpx.Response, form_id: str, fields: dict[str, str]) -> httpx.Response:
        return self.http.post(self.action(page, form_id), data=fields)

    def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code == 303, f"{response.status_code} {response.text[:300]}"
        return self.http.get(urljoin(str(response.url), response.headers["location"]))

    @staticmethod
    def options(page: httpx.Response, name: str) -> list[str]:
        """The values a ``<select name=...>`` offers, the blank "(none)" left out."""
        found = re.search(rf'<select name="{re.escape(name)}">(.*?)</select>', page.text, re.S)
        assert found, f"no select {name!r} on the page"
        return [_html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', found.group(1)) if v]

    @staticmethod
    def time(page: httpx.Response, element_id: str) -> datetime | None:
        """The ``datetime`` of ``<time id=...>``; None when the page shows no such time."""
        found = re.search(rf'<time id="{re.escape(element_id)}" datetime="([^"]+)">', page.text)
        return datetime.fromisoformat(found.group(1)) if found else None


@pytest.fixture
def browser(api: SyncFlowApi) -> Browser:
    return Browser(api.client.http)


# ---------------------------------------------------------------------------
# The command's own tests (tests/test_cli.py, tests/test_readiness.py): any small
# ASGI app served on 127.0.0.1, to play a target that is not the sandbox.


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A 127.0.0.1 port that refuses connections: bound, never listening."""
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


@pytest.fixture
def serve_asgi() -> Iterator[Callable[[Any], str]]:
    """``serve_asgi(app)`` serves ``app`` on a free 127.0.0.1 port; returns its base URL. Stopped at teardown."""
    running: list[BackgroundServer] = []

    def start(app: Any) -> str:
        running.append(BackgroundServer(app).start())
        return running[-1].url

    yield start
    for server in running:
        server.stop()


# ---------------------------------------------------------------------------
# The consumer checks' tests (tests/test_consumer_*.py): the reference consumer served on
# 127.0.0.1, healthy or with faults of its catalog.

from sfc_conformance.consumer.reference import PATH as CONSUMER_PATH  # noqa: E402
from sfc_conformance.consumer.reference import ReferenceConsumer  # noqa: E402
from sfc_conformance.core.secrets import Secret  # noqa: E402

CONSUMER_SECRET = "whsec_" + "c2ZjLWNvbnN1bWVyLXRlc3RzLXNpZ25pbmcta2V5LTMy"  # base64 of a fixed 32-byte key


@pytest.fixture
def consumer_secret() -> str:
    """The secret the served reference consumer verifies with."""
    return CONSUMER_SECRET


@dataclass(frozen=True)
class ServedConsumer:
    url: str  # the webhook URL, path included
    consumer: ReferenceConsumer


@pytest.fixture
def serve_consumer(serve_asgi: Callable[[Any], str]) -> Iterator[Callable[..., ServedConsumer]]:
    """``serve_consumer(*faults)``: the reference consumer on a free 127.0.0.1 port, verifying with
    CONSUMER_SECRET.  At teardown every stalled answer (answers-after-20s) is released before the
    servers stop, so no test waits out the 20 s."""
    made: list[ReferenceConsumer] = []

    def start(*faults: str) -> ServedConsumer:
        made.append(ReferenceConsumer(Secret(CONSUMER_SECRET), faults))
        return ServedConsumer(serve_asgi(made[-1].app) + CONSUMER_PATH, made[-1])

    yield start
    for consumer in made:
        consumer.release()


# ---------------------------------------------------------------------------
# A partner's long-lived account: the sandbox served on 127.0.0.1 holding many merchants
# (tests/test_audit*.py, tests/test_cleanup.py, tests/test_sandbox_population.py).

from sfc_conformance.sandbox.app import Sandbox  # noqa: E402
from sfc_conformance.sandbox.population import Population, populate  # noqa: E402


@dataclass(frozen=True)
class ServedAccount:
    sandbox: Sandbox
    base_url: str
    api_key: str
    population: Population


@pytest.fixture
def served_account() -> Iterator[Callable[..., ServedAccount]]:
    """``served_account(merchants=N, dead_subscriptions=M, seed=S)``: the sandbox served on 127.0.0.1 with real
    time, holding a partner's account.  Stopped at teardown."""
    from sfc_conformance.sandbox import serve

    running: list[tuple[Sandbox, BackgroundServer]] = []

    def start(merchants: int = 0, *, dead_subscriptions: int = 0, seed: int = 0) -> ServedAccount:
        sandbox = serve.build("served-account-key", None, ())
        population = populate(sandbox.state, merchants, dead_subscriptions=dead_subscriptions, seed=seed)
        server = BackgroundServer(sandbox.app).start()
        running.append((sandbox, server))
        return ServedAccount(sandbox, server.url, "served-account-key", population)

    yield start
    for sandbox, server in running:
        server.stop()
        sandbox.close()
