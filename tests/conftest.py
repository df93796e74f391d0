"""Fixtures for the project's own tests: the sandbox in-process, every answer contract-checked."""

from __future__ import annotations

import copy
import html
import json
import os
import re
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from hypothesis import settings

from sfc_conformance.consumer.deliveries import Signer
from sfc_conformance.consumer.reference import PATH as CONSUMER_PATH
from sfc_conformance.consumer.reference import ReferenceConsumer
from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.core.clock import Clock, ManualClock
from sfc_conformance.core.http import ApiClient, BackgroundServer, PacedClient
from sfc_conformance.core.profile import error_message_problem, load_contract
from sfc_conformance.core.secrets import Secret
from sfc_conformance.merchant.view import shown_times
from sfc_conformance.sandbox.app import Sandbox
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.sandbox.population import Population, populate
from sfc_conformance.suite import configurations
from sfc_conformance.suite.drivers import form_action
from sfc_conformance.suite.merchants import FlowUrl, Merchant

pytest.register_assert_rewrite("tests.helpers")  # its asserts explain a failure as the tests' own do
from tests.helpers import ACCOUNT_KEY, CONSUMER_SECRET, answering_errors  # noqa: E402

if TYPE_CHECKING:
    from sfc_conformance.suite import flow_viewer
    from sfc_conformance.suite.settings import Settings

# Deterministic property tests everywhere; CI (tox sets HYPOTHESIS_PROFILE=ci) keeps no example database.
# Hypothesis also draws constants found in the project's modules loaded so far, so under pytest-xdist a test's
# data may change with the tests that ran before it in its worker: a failure prints the blob that replays it
# (@reproduce_failure) in any process.
settings.register_profile("dev", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("ci", derandomize=True, deadline=None, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# The modules whose tests take tens of seconds to minutes (whole runs in a browser, kill matrices, live runs),
# slowest first.  Run first, they overlap the many short tests under pytest-xdist; run last (their names
# sort last), they were a tail that one or two workers ran alone.
SLOW_FIRST = ("test_suite_in_browser.py", "test_suite_catches_faults.py", "test_live_housekeeping.py",
              "test_secrets_never_leak.py", "test_live_linking.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: place for place, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FIRST)))  # stable: the rest keep their order


def pytest_configure(config: pytest.Config) -> None:
    # Started in the background by a shell without job control (`tox ... &`), the tests inherit Ctrl-C's signal
    # ignored, and so would every run they start: the tests that stop a run with Ctrl-C need it delivered, as a
    # terminal delivers it.  A handler of our own is not inherited: the runs start with the default again.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
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
# They build on the suite's own pieces: its Merchant and FlowUrl, its walk over a
# configuration's choices, its ErrorMessage check and its reading of the flow pages.


COMMERCE_KEY = "lqai"
ACCOUNTING_KEY = "gbol"
# A Monday in January: no daylight-saving change anywhere near it.
FIXED_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class SandboxMerchant(Merchant):
    """The suite's merchant, with its two connections' ids kept from the start: the sandbox's tests call the
    connection endpoints by id at every turn, where the suite looks a connection up when it needs one (a live
    target's connections may change under it)."""

    commerce_id: str = field(kw_only=True)
    accounting_id: str = field(kw_only=True)


def choose(document: dict[str, Any], *, enable: bool = True, **schedule: Any) -> dict[str, Any]:
    """A copy of ``document`` with every choice made, its slots walked as the suite walks them (:mod:`.configurations`).

    Unlike :func:`configurations.complete` (one option number everywhere, a fixed schedule), each account and tax
    rate gets a different offered option, so a test sees a slot stored in another's place; and the schedule
    is the sandbox's own but for what the test names.
    """
    chosen = copy.deepcopy(document)
    chosen["enable"] = enable
    chosen["schedule"].update(schedule)
    for slot, (_, _, entry) in enumerate(configurations.account_slots(chosen)):
        entry["selectedAccountId"] = entry["accountOptions"][slot % len(entry["accountOptions"])]["id"]
    for slot, (_, entry) in enumerate(configurations.tax_components(chosen)):
        entry["selectedTaxRateId"] = entry["taxRateOptions"][slot % len(entry["taxRateOptions"])]["id"]
    status = configurations.invoice_status(chosen)
    status["selectedInvoiceStatus"] = status["invoiceStatusOptions"][-1]
    period = configurations.grouping_period(chosen)
    period["selectedGroupingPeriod"] = period["groupingPeriodOptions"][-1]
    return chosen


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    """``response`` is an ErrorMessage with this status (API-3, as the suite checks it); its body."""
    assert response.status_code == status, f"{response.status_code} {response.text[:300]}"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    problem = error_message_problem(status, body)
    assert problem is None, f"{problem}: {response.text[:300]}"
    assert body["error"], "the sandbox's errors say what went wrong"  # beyond API-3, which asks only for a string
    return dict(body)


class SandboxSteps:
    """The profile's API steps, each asserted to succeed."""

    choose = staticmethod(choose)
    error = staticmethod(error)

    def __init__(self, api: SyncFlowApi, clock: Clock) -> None:
        self.api = api
        self.clock = clock

    def company(self, name: str = "Acme Trading Ltd") -> str:
        response = self.api.create_company(name)
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def flow_url(self, company_id: str, redirect_url: str | None = None) -> str:
        response = self.api.start_flow(COMMERCE_KEY, ACCOUNTING_KEY, company_id, redirect_url)
        assert response.status_code == 200, response.text
        return str(response.json()["url"])

    def started(self, name: str = "Acme Trading Ltd", redirect_url: str | None = None) -> SandboxMerchant:
        company_id = self.company(name)
        sent = self.clock.now()
        flow = FlowUrl(self.flow_url(company_id, redirect_url), sent, self.clock.now())
        by_type = {c["sourceType"]: c["id"] for c in self.api.all_connections(company_id)}
        return SandboxMerchant(company_id, name, [flow], commerce_id=by_type["Commerce"],
                               accounting_id=by_type["Accounting"])

    def authorize(self, company_id: str, connection_id: str) -> dict[str, Any]:
        response = self.api.authorize(company_id, connection_id, {"username": "merchant", "password": "s3cret"})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def linked(self, name: str = "Acme Trading Ltd", redirect_url: str | None = None) -> SandboxMerchant:
        merchant = self.started(name, redirect_url)
        self.authorize(merchant.company_id, merchant.commerce_id)
        self.authorize(merchant.company_id, merchant.accounting_id)
        return merchant

    def configuration(self, company_id: str) -> dict[str, Any]:
        response = self.api.get_configuration(company_id)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def configure(self, company_id: str, document: dict[str, Any]) -> dict[str, Any]:
        response = self.api.set_configuration(company_id, document)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def configured(self, name: str = "Acme Trading Ltd", *, enable: bool = True, **schedule: Any) -> SandboxMerchant:
        merchant = self.linked(name)
        merchant.configuration = choose(self.configuration(merchant.company_id), enable=enable, **schedule)
        self.configure(merchant.company_id, merchant.configuration)
        return merchant


@pytest.fixture
def steps(api: SyncFlowApi, target: EmbeddedTarget) -> SandboxSteps:
    return SandboxSteps(api, target.clock)


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
        built = (EmbeddedTarget(faults=tuple(faults), flow_style=flow_style) if start is None else
                 EmbeddedTarget(faults=tuple(faults), flow_style=flow_style, clock=ManualClock(start)))
        built.start()
        client = built.client()
        if checked:
            client.http.event_hooks["response"].append(assert_conforms)
        flow_api = SyncFlowApi(client)
        made.append(Embedded(built, flow_api, SandboxSteps(flow_api, built.clock)))
        return made[-1]

    yield make
    for earlier in made:
        earlier.close()


class Browser:
    """The merchant's browser on the flow pages: no API key, redirects not followed."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def open(self, url: str) -> httpx.Response:
        return self.http.get(url)

    def submit(self, page: httpx.Response, form_id: str, fields: dict[str, str]) -> httpx.Response:
        return self.http.post(form_action(page, form_id), data=fields)

    def follow(self, response: httpx.Response) -> httpx.Response:
        """The page a 303 leads to; the test fails on any other answer (the suite's driver goes on instead)."""
        assert response.status_code == 303, f"{response.status_code} {response.text[:300]}"
        return self.http.get(urljoin(str(response.url), response.headers["location"]))

    @staticmethod
    def options(page: httpx.Response, name: str) -> list[str]:
        """The values a ``<select name=...>`` offers, the blank "(none)" left out.  The suite never reads them
        (it posts the ids the API offered); the sandbox's tests check the page offers the same."""
        found = re.search(rf'<select name="{re.escape(name)}">(.*?)</select>', page.text, re.S)
        assert found, f"no select {name!r} on the page"
        return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', found.group(1)) if v]

    @staticmethod
    def time(page: httpx.Response, element_id: str) -> datetime | None:
        """The ``datetime`` of ``<time id=...>``; None when the page shows no such time."""
        shown = shown_times(page.text).get(element_id)
        return datetime.fromisoformat(shown) if shown else None


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


@pytest.fixture
def consumer_secret() -> str:
    """The secret the served reference consumer verifies with."""
    return CONSUMER_SECRET


@pytest.fixture
def signer() -> Signer:
    """Deliveries signed with CONSUMER_SECRET."""
    return Signer(Secret(CONSUMER_SECRET))


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


@dataclass(frozen=True)
class ServedAccount:
    sandbox: Sandbox
    base_url: str
    api_key: str
    population: Population


@pytest.fixture
def served_account() -> Iterator[Callable[..., ServedAccount]]:
    """``served_account(merchants=N, dead_subscriptions=M, seed=S)``: the sandbox served on 127.0.0.1 with real
    time, holding a partner's account; API key ACCOUNT_KEY.  With ``errors=status_for`` (and ``held``) it
    answers ErrorMessages where ``status_for(method, path)`` says so (:func:`tests.helpers.answering_errors`).
    Stopped at teardown."""
    from sfc_conformance.sandbox import serve

    running: list[tuple[Sandbox, BackgroundServer]] = []

    def start(merchants: int = 0, *, dead_subscriptions: int = 0, seed: int = 0,
              errors: Callable[[str, str], int | None] | None = None,
              held: threading.Event | None = None) -> ServedAccount:
        sandbox = serve.build(ACCOUNT_KEY, None, ())
        population = populate(sandbox.state, merchants, dead_subscriptions=dead_subscriptions, seed=seed)
        app = sandbox.app if errors is None else answering_errors(sandbox.app, errors, held=held)
        server = BackgroundServer(app).start()
        running.append((sandbox, server))
        return ServedAccount(sandbox, server.url, ACCOUNT_KEY, population)

    yield start
    for sandbox, server in running:
        server.stop()
        sandbox.close()


# ---------------------------------------------------------------------------
# The readiness command's requests (tests/test_audit.py, tests/test_readiness.py).


@pytest.fixture
def readiness_requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every (method, path) the readiness command sends."""
    from sfc_conformance.commands import readiness as readiness_command

    sent: list[tuple[str, str]] = []

    class Recording(PacedClient):
        def request(self, method: str, path: str, **options: Any) -> httpx.Response:
            sent.append((method, path))
            return super().request(method, path, **options)

    monkeypatch.setattr(readiness_command, "PacedClient", Recording)
    return sent


# ---------------------------------------------------------------------------
# How a run sees the merchant's side (tests/test_merchant_eyes.py, tests/test_suite_in_browser.py).


@pytest.fixture
def eyes_on() -> Iterator[Callable[..., flow_viewer.FlowViewer]]:
    """``eyes_on(embedded, settings=Settings())``: an embedded run's eyes (asked for no browser unless the
    settings name one); closed at teardown."""
    from sfc_conformance.suite import flow_viewer
    from sfc_conformance.suite.settings import Settings

    made: list[flow_viewer.FlowViewer] = []

    def make(e: Embedded, settings: Settings | None = None) -> flow_viewer.FlowViewer:
        made.append(flow_viewer.FlowViewer(settings or Settings(), e.target, e.api.client.http, lambda response: None))
        return made[-1]

    yield make
    for eyes in made:
        eyes.close()
