"""A partner's long-lived account in the sandbox: merchants in a realistic mix of states, dead subscriptions,
and the sandbox's own truth about each merchant's readiness (READY-1)."""

from __future__ import annotations

import base64
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.core.profile import readiness
from sfc_conformance.sandbox.app import Sandbox
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.sandbox.population import DEAD_URL, MIX, STATES, Expected, populate, truth

if TYPE_CHECKING:
    from tests.conftest import ServedAccount

A, C, E, K = readiness.ACCOUNTING, readiness.COMMERCE, readiness.ENABLED, readiness.CONFIGURED
# What each state means for READY-1, as the profile words it.
UNMET_BY_STATE = {
    "new": {A, C, E, K},
    "started": {A, C, E, K},
    "linked": {E, K},
    "configured": {E},
    "disabled": {E},
    "deauthorized": {A},
    "severed": {A},
    "ready": set(),
}


def test_the_mix_is_every_state_the_issue_names() -> None:
    assert set(STATES) == set(UNMET_BY_STATE) and sum(MIX.values()) == 100


def test_every_state_is_populated_and_the_truth_says_what_it_means() -> None:
    sandbox = Sandbox()
    account = populate(sandbox.state, 300, seed=11)
    assert set(account.counts()) == set(STATES)
    assert sum(account.counts().values()) == 300
    known = truth(sandbox.state)
    assert known.keys() == account.states.keys()
    for company_id, state in account.states.items():
        assert known[company_id] == Expected(not UNMET_BY_STATE[state], frozenset(UNMET_BY_STATE[state])), state
    sandbox.close()


def _listed(sandbox: Sandbox) -> list[tuple[str, bool, list[str]]]:
    body = sandbox.state.list_companies("1", "5000", "http://x/")
    return [(c["name"], bool(c["dataConnections"]), sorted(d["status"] for d in c["dataConnections"]))
            for c in body["results"]]


def test_the_same_seed_gives_the_same_account() -> None:
    first, second, other = Sandbox(), Sandbox(), Sandbox()
    a = populate(first.state, 120, dead_subscriptions=2, seed=5)
    b = populate(second.state, 120, dead_subscriptions=2, seed=5)
    c = populate(other.state, 120, dead_subscriptions=2, seed=6)
    assert list(a.states.values()) == list(b.states.values())
    assert _listed(first) == _listed(second)
    assert list(a.states.values()) != list(c.states.values())
    assert a.states.keys() != b.states.keys()  # the ids are the sandbox's own, fresh each time
    for sandbox in (first, second, other):
        sandbox.close()


def test_the_truth_follows_later_changes(target: EmbeddedTarget, api: SyncFlowApi) -> None:
    account = populate(target.sandbox.state, 40, seed=2)
    ready = next(company_id for company_id, state in account.states.items() if state == "ready")
    accounting = next(c for c in api.get_company(ready).json()["dataConnections"] if c["sourceType"] == "Accounting")
    assert truth(target.sandbox.state)[ready].ready
    api.update_connection(ready, accounting["id"], "Unlinked")
    assert truth(target.sandbox.state)[ready] == Expected(False, frozenset({A}))
    assert api.delete_company(ready).status_code == 204
    assert ready not in truth(target.sandbox.state)


def test_the_populated_account_answers_as_the_contract_says(api: SyncFlowApi, target: EmbeddedTarget) -> None:
    """Every company of the account read through the API (the `api` fixture checks each answer)."""
    populate(target.sandbox.state, 24, dead_subscriptions=3, seed=4)
    companies = api.list_companies(page_size=5000).json()["results"]
    assert len(companies) == 24
    for company in companies:
        assert api.get_configuration(company["id"]).status_code == 200
        assert api.list_connections(company["id"]).status_code == 200
    hooks = api.list_webhooks().json()["results"]
    assert [h["url"] for h in hooks] == [DEAD_URL.format(index=n) for n in range(3)]
    assert all(h["eventTypes"] == ["connection.deleted"] and not h["disabled"] for h in hooks)


def test_population_refuses_negative_numbers() -> None:
    sandbox = Sandbox()
    with pytest.raises(ValueError, match="cannot be negative"):
        populate(sandbox.state, -1)
    sandbox.close()


def test_a_served_account(served_account: Callable[..., ServedAccount]) -> None:
    account = served_account(30, dead_subscriptions=2, seed=9)
    auth = {"Authorization": "Basic " + base64.b64encode(account.api_key.encode()).decode()}
    with httpx.Client(base_url=account.base_url, headers=auth, timeout=10) as http:
        listed = http.get("/companies", params={"pageSize": 7}).json()
        assert listed["totalResults"] == 30 and len(listed["results"]) == 7 and "next" in listed["_links"]
        assert len(http.get("/webhooks").json()["results"]) == 2
    assert truth(account.sandbox.state).keys() == account.population.states.keys()


# -- the command -------------------------------------------------------------------


def _read_lines(stream: Any, into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def test_the_sandbox_command_starts_with_an_account() -> None:
    key = "population-cli-key-Vb3"
    command = [sys.executable, "-m", "sfc_conformance", "sandbox", "--port", "0", "--api-key", key,
               "--merchants", "40", "--dead-subscriptions", "3", "--seed", "8"]
    lines: queue.Queue[str | None] = queue.Queue()
    seen: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
        try:
            deadline = time.monotonic() + 60
            while not any(line.startswith("Ctrl-C") for line in seen):
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                assert line is not None, "".join(seen)
                seen.append(line)
            base_url = next(line.split("base URL:")[1].strip() for line in seen if "base URL:" in line)
            auth = {"Authorization": "Basic " + base64.b64encode(key.encode()).decode()}
            with httpx.Client(base_url=base_url, headers=auth, timeout=10) as http:
                assert http.get("/companies").json()["totalResults"] == 40
                assert len(http.get("/webhooks").json()["results"]) == 3
        finally:
            process.terminate()
            process.wait(timeout=30)
    mix = next(line for line in seen if "merchants:" in line)
    assert mix.strip().startswith("merchants: 40 (") and "seed 8" in mix
    assert "dead subscriptions: 3" in "".join(seen)
    assert key not in "".join(seen)


def test_the_sandbox_command_refuses_negative_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    from sfc_conformance.commands import cli

    assert cli.main(["sandbox", "--port", "0", "--merchants", "-5"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "sfc-conformance: --merchants and --dead-subscriptions cannot be negative"
