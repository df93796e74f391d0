"""A run leaves the partner's client-wide settings – flow texts, visible accounts – as it found them (RUN-2).

In-process against the embedded sandbox: the originals are kept (and journalled) before the first change goes
out, and put back exactly, customized or not.  Over HTTP against the served sandbox: a whole live run leaves
them as found, so does a run stopped by Ctrl-C or SIGTERM in the middle of a change, and what a killed run
left, ``sfc-conformance cleanup`` puts back from its journal.
"""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from sfc_conformance.core.account import RunId, SyncFlowApi
from sfc_conformance.core.clock import SystemClock
from sfc_conformance.core.http import ApiClient, BackgroundServer
from sfc_conformance.core.profile import client_id_of, read_texts
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox import serve
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.suite.client_settings import ClientSettings, Journal, journal_folder
from tests.helpers import ACCOUNT_KEY, COMMAND, RUN_TIMEOUT, call, error_message, live_environment, live_run

pytestmark = pytest.mark.release  # live runs, whole runs or a browser: left to the release run (`tox -m release`)

TEXTS = "/sync/commerce/config/ui/text"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Journals in a folder of the test's own (children inherit it)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


@dataclass(frozen=True)
class Found:
    """The client-wide settings as the partner's account holds them."""

    texts: dict[str, dict[str, str]]
    visible: dict[str, frozenset[str]]


def found(api: SyncFlowApi, client_id: str, platforms: tuple[str, ...] = ("lqai", "gbol")) -> Found:
    texts = {locale: read_texts(api.flow_texts(locale).json())[0] for locale in ("en-us", "fr-fr")}
    visible = {key: frozenset(api.visible_accounts(client_id, key).json()["visibleAccounts"]) for key in platforms}
    return Found(texts, visible)


def customize(api: SyncFlowApi, client_id: str) -> None:
    """What a partner set before any run: a text of its own, an emptied one, entries chosen and hidden."""
    en, fr = (list(api.flow_texts(locale).json()) for locale in ("en-us", "fr-fr"))
    assert api.change_flow_texts("en-us", {en[0]: "Our own words", en[3]: "Nos mots"}).status_code == 200
    assert api.change_flow_texts("fr-fr", {fr[1]: ""}).status_code == 200
    chosen = ["fees-accounts-loan", "payments-accounts-paypal"]  # two the sandbox lets a partner hide
    assert api.set_visible_accounts("lqai", {"visibleAccounts": chosen}).status_code == 200
    assert set(chosen) < set(api.visible_accounts(client_id, "lqai").json()["visibleAccounts"])
    assert api.set_visible_accounts("gbol", {"visibleAccounts": []}).status_code == 200


# -- in-process: kept before the change, put back exactly -----------------------------------------------------


@dataclass
class Watched:
    target: EmbeddedTarget
    api: SyncFlowApi  # the partner's own view, unwatched
    run: SyncFlowApi  # a run's calls, watched
    settings: ClientSettings
    client_id: str


@pytest.fixture
def watched() -> Iterator[Callable[..., Watched]]:
    made: list[tuple[EmbeddedTarget, list[ApiClient]]] = []

    def make(*, journal: bool = True, customized: bool = False) -> Watched:
        target = EmbeddedTarget()
        target.start()
        clients = [target.client() for _ in range(3)]
        made.append((target, clients))
        partner, run, own = (SyncFlowApi(client) for client in clients)
        company = partner.create_company("Acme").json()["id"]
        client_id = client_id_of(partner.start_flow("lqai", "gbol", company).json()["url"], "lqai", "gbol")
        assert client_id
        if customized:
            customize(partner, client_id)
        run_id = RunId.new(SystemClock().now())
        settings = ClientSettings(own, base_url=target.base_url, run=run_id, commerce_key="lqai",
                                  accounting_key="gbol",
                                  journal=Journal.for_run(target.base_url, target.api_key, run_id) if journal else None)
        run.client.http.event_hooks["request"].append(settings.before_request)
        run.client.http.event_hooks["response"].append(settings.after_response)
        run.start_flow("lqai", "gbol", company)  # the run learns the client id from a flow URL
        return Watched(target, partner, run, settings, client_id)

    yield make
    for target, clients in made:
        for client in clients:
            client.close()
        target.stop()


def _change_everything(run: SyncFlowApi) -> None:
    """What a run may do: several keys in both locales (a text, an empty one, null), visible accounts of two
    platforms, and changes the target refuses."""
    for locale in ("en-us", "fr-fr"):
        keys = list(run.flow_texts(locale).json())
        assert run.change_flow_texts(locale, {keys[0]: "SFC conformance text", keys[1]: "", keys[3]: None}
                                     ).status_code == 200
    assert run.set_visible_accounts("lqai", {"visibleAccounts": []}).status_code == 200
    assert run.set_visible_accounts("gbol", {}).status_code == 200
    assert run.change_flow_texts("de-de", {"x": "y"}).status_code == 400
    assert run.set_visible_accounts("LQAI", {"visibleAccounts": []}).status_code == 400


@pytest.mark.parametrize("customized", [False, True], ids=["defaults", "customized before the run"])
def test_every_setting_is_put_back_exactly(watched: Callable[..., Watched], customized: bool) -> None:
    w = watched(customized=customized)
    before = found(w.api, w.client_id)
    _change_everything(w.run)
    assert found(w.api, w.client_id) != before
    assert w.settings.restore() == []
    assert found(w.api, w.client_id) == before
    assert {line.split(" as found")[0] for line in w.settings.lines()} == {
        "put back flow texts en-us", "put back flow texts fr-fr", "put back visible accounts lqai",
        *(["put back visible accounts gbol"] if customized else [])}


def test_nothing_differs_nothing_is_written(watched: Callable[..., Watched]) -> None:
    w = watched(customized=True)
    writes: list[str] = []
    w.settings.api.client.http.event_hooks["request"].append(
        lambda request: writes.append(request.method) if request.method != "GET" else None)
    assert w.run.change_flow_texts("xx-yy", {"a": "b"}).status_code == 400  # refused: nothing changed
    assert w.run.set_visible_accounts("lqai", {"visibleAccounts": "no"}).status_code == 400
    assert w.settings.pending()
    assert w.settings.restore() == []
    assert writes == [] and not w.settings.pending()


def test_the_journal_is_written_before_the_first_change_and_never_holds_the_key(
        watched: Callable[..., Watched]) -> None:
    w = watched()
    journal = w.settings.journal
    assert journal is not None and not journal.path.exists()
    seen_before_sending: list[bool] = []
    w.run.client.http.event_hooks["request"].append(lambda request: seen_before_sending.append(
        journal.path.exists()) if request.method == "PATCH" else None)
    key = list(w.api.flow_texts("en-us").json())[0]
    original = read_texts(w.api.flow_texts("en-us").json())[0]
    w.run.change_flow_texts("en-us", {key: "SFC conformance text"})
    assert seen_before_sending == [True]
    written = journal.path.read_text(encoding="utf-8")
    body = json.loads(written)
    assert body["texts"] == [{"locale": "en-us", "texts": original}]
    assert body["clientId"] == w.client_id and body["target"] == w.target.base_url
    secret = w.target.api_key.reveal()
    assert secret not in written and base64.b64encode(secret.encode()).decode() not in written
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert journal.path.parent == journal_folder()
    assert w.settings.restore() == [] and not journal.path.exists()


def test_the_first_original_is_kept_whatever_follows(watched: Callable[..., Watched]) -> None:
    w = watched(customized=True)
    before = found(w.api, w.client_id)
    for turn in range(3):
        _change_everything(w.run)
        assert w.run.set_visible_accounts("lqai", {"visibleAccounts": [f"sales-taxRates-{turn}"]}).status_code in (
            200, 400)
    assert w.settings.restore() == [] and found(w.api, w.client_id) == before


# -- over HTTP: a live run, stopped or killed, and cleanup ---------------------------------------------------


@dataclass
class Account:
    base_url: str
    api: SyncFlowApi
    client_id: str
    reached: threading.Event  # the held request arrived
    release: threading.Event  # let it go on

    def found(self) -> Found:
        return found(self.api, self.client_id)


@pytest.fixture
def account() -> Iterator[Callable[..., Account]]:
    """``account(hold_patch=N)``: the sandbox served on 127.0.0.1 (key ACCOUNT_KEY), customized by its partner;
    with ``hold_patch`` the N-th PATCH of the flow's text waits until ``release`` is set, and then never reaches
    the sandbox (a 503): what it would have changed is not changed behind the test's back."""
    running: list[tuple[Any, BackgroundServer, ApiClient, threading.Event]] = []

    def start(hold_patch: int | None = None) -> Account:
        sandbox = serve.build(ACCOUNT_KEY, None, ())
        reached, release = threading.Event(), threading.Event()
        patches, held = 0, None  # the partner's own changes, made first, are not counted

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            nonlocal patches
            if scope["type"] == "http" and scope["method"] == "PATCH" and scope["path"] == TEXTS:
                patches += 1
                if patches == held:
                    reached.set()
                    while not release.is_set():
                        await asyncio.sleep(0.01)
                    await JSONResponse(error_message(503, "Not this time."), status_code=503)(scope, receive, send)
                    return
            await sandbox.app(scope, receive, send)

        server = BackgroundServer(app).start()
        client = ApiClient(server.url, Secret(ACCOUNT_KEY))
        running.append((sandbox, server, client, release))
        api = SyncFlowApi(client)
        company = api.create_company("Partner's own merchant").json()["id"]
        client_id = client_id_of(api.start_flow("lqai", "gbol", company).json()["url"], "lqai", "gbol")
        assert client_id
        customize(api, client_id)
        patches, held = 0, hold_patch
        return Account(server.url, api, client_id, reached, release)

    yield start
    for sandbox, server, client, release in running:
        release.set()
        client.close()
        server.stop()
        sandbox.close()


def _journals() -> list[Path]:
    return sorted(journal_folder().glob("*.json")) if journal_folder().is_dir() else []


def test_a_live_run_leaves_the_settings_as_it_found_them(account: Callable[..., Account]) -> None:
    served = account()
    before = served.found()
    done = live_run(served.base_url)  # every scenario: the customization's, the fuzz's, the model's
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert served.found() == before
    assert "put back flow texts en-us as found" in done.stdout and "put back visible accounts lqai" in done.stdout
    assert _journals() == []


def _run_until_held(served: Account) -> subprocess.Popen[str]:
    run = subprocess.Popen([*COMMAND, "run", "--base-url", served.base_url, "--tags", "CUST-2"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=live_environment())
    deadline = time.monotonic() + 60
    while not served.reached.wait(0.05):
        assert run.poll() is None and time.monotonic() < deadline, "the run never reached its second text change"
    return run


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_a_run_stopped_in_the_middle_of_a_change_puts_the_settings_back(account: Callable[..., Account],
                                                                        stop: signal.Signals) -> None:
    served = account(hold_patch=2)
    before = served.found()
    run = _run_until_held(served)
    try:
        assert served.found() != before and len(_journals()) == 1  # changed, and journalled first
        run.send_signal(stop)
        output, _ = run.communicate(timeout=RUN_TIMEOUT)
    finally:
        served.release.set()
        run.kill()
    assert run.returncode == 2, output[-3000:]
    assert served.found() == before, output[-3000:]
    assert "put back flow texts en-us as found" in output
    assert _journals() == []


def test_cleanup_puts_back_what_a_killed_run_left(account: Callable[..., Account],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    served = account(hold_patch=2)
    before = served.found()
    run = _run_until_held(served)
    run.kill()  # no chance to put anything back
    run.communicate(timeout=RUN_TIMEOUT)
    served.release.set()
    left = served.found()
    assert left != before and len(_journals()) == 1
    journal = Journal(_journals()[0])
    assert journal.read().run in journal.path.name

    code, out, _ = call(capsys, "cleanup", "--base-url", served.base_url, "--api-key", ACCOUNT_KEY, "--dry-run")
    assert code == 0 and "would put back flow texts en-us" in out, out
    assert served.found() == left and len(_journals()) == 1  # a dry run changes nothing

    code, out, _ = call(capsys, "cleanup", "--base-url", served.base_url, "--api-key", ACCOUNT_KEY,
                        "--older-than", "1h")
    assert code == 0 and "may still be going" in out, out
    assert served.found() == left and len(_journals()) == 1  # a run that may still be going is left alone

    code, out, _ = call(capsys, "cleanup", "--base-url", served.base_url, "--api-key", ACCOUNT_KEY)
    assert code == 0, out
    assert f"put back flow texts en-us (1 key(s) had changed) (run {journal.run})" in out
    assert served.found() == before
    assert _journals() == []


def test_cleanup_with_another_key_or_target_leaves_a_journal_alone(account: Callable[..., Account],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    served = account()
    run = RunId.new(SystemClock().now())
    journal = Journal.for_run(served.base_url, Secret(ACCOUNT_KEY), run)
    settings = ClientSettings(served.api, base_url=served.base_url, run=run, commerce_key="lqai",
                              accounting_key="gbol", journal=journal)
    settings.learn_client_id(f"{served.base_url}/sync-flow/{served.client_id}/lqai/gbol/start")
    watched = ApiClient(served.base_url, Secret(ACCOUNT_KEY))
    watched.http.event_hooks["request"].append(settings.before_request)
    try:
        key = list(served.api.flow_texts("en-us").json())[5]
        assert SyncFlowApi(watched).change_flow_texts("en-us", {key: "changed"}).status_code == 200
    finally:
        watched.close()
    assert journal.path.exists()
    assert [j.path for j in Journal.of_account(served.base_url + "/", Secret(ACCOUNT_KEY))] == [journal.path]
    assert Journal.of_account(served.base_url, Secret("another partner's key")) == []
    code, out, _ = call(capsys, "cleanup", "--base-url", served.base_url, "--api-key", ACCOUNT_KEY)
    assert code == 0 and not journal.path.exists(), out
    assert read_texts(served.api.flow_texts("en-us").json())[0][key] != "changed"
