"""``sfc-conformance readiness --all`` / ``--company-id ...``: the portfolio audit over HTTP against the sandbox
served on 127.0.0.1, every verdict held to the sandbox's own truth."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from sfc_conformance.audit.engine import REASON_KEYS, UNREADABLE
from sfc_conformance.commands import readiness as readiness_command
from sfc_conformance.core.http import PacedClient
from sfc_conformance.core.profile import readiness
from sfc_conformance.sandbox.population import truth
from tests.helpers import call, refused

if TYPE_CHECKING:
    from tests.conftest import ServedAccount


def audit_args(account: ServedAccount, *more: str) -> list[str]:
    return ["readiness", "--base-url", account.base_url, "--api-key", account.api_key, *more]


@pytest.fixture
def account(served_account: Callable[..., ServedAccount]) -> ServedAccount:
    return served_account(240, dead_subscriptions=3, seed=31)


def test_json_has_every_merchant_as_the_sandbox_knows_it(capsys: pytest.CaptureFixture[str], account: ServedAccount,
                                                         readiness_requests: list[tuple[str, str]]) -> None:
    code, out, err = call(capsys, *audit_args(account, "--all", "--format", "json", "--page-size", "50"))
    assert code == 1 and err == ""
    document = json.loads(out)
    known = truth(account.sandbox.state)
    merchants = document["merchants"]
    assert [m["companyId"] for m in merchants] == list(known)
    for merchant in merchants:
        expected = known[merchant["companyId"]]
        assert set(merchant) == {"companyId", "name", "ready", "reasons", "conditions"}
        assert merchant["ready"] is expected.ready
        assert set(merchant["conditions"]) == expected.conditions
        assert len(merchant["reasons"]) >= len(merchant["conditions"])
        assert merchant["name"].split()[-1].isdigit()
    by_state = Counter(account.population.states.values())
    summary = document["summary"]
    assert summary["total"] == 240 and summary["ready"] == by_state["ready"]
    assert summary["notReady"] == 240 - by_state["ready"]
    assert list(summary["byReason"]) == list(REASON_KEYS)  # stable keys, always all of them
    assert summary["byReason"][readiness.AGREEMENT] == 0 and summary["byReason"][UNREADABLE] == 0
    assert summary["byReason"][readiness.ACCOUNTING] == sum(readiness.ACCOUNTING in e.conditions
                                                            for e in known.values())
    # The default for --all: the listing's dataConnections, and one configuration read per merchant.
    configuration_reads = [p for m, p in readiness_requests if p.startswith("/config/")]
    assert len(configuration_reads) == 240 and len(set(configuration_reads)) == 240
    assert not any(p.endswith("/connections") for _, p in readiness_requests)
    assert [p for _, p in readiness_requests if p == "/companies"] == ["/companies"] * 5  # 240 in pages of 50
    assert {m for m, _ in readiness_requests} == {"GET"}


def test_csv_is_one_row_per_merchant(capsys: pytest.CaptureFixture[str], account: ServedAccount) -> None:
    code, out, _ = call(capsys, *audit_args(account, "--all", "--format", "csv", "--concurrency", "8"))
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    known = truth(account.sandbox.state)
    assert [r["companyId"] for r in rows] == list(known)
    assert list(rows[0]) == ["companyId", "name", "ready", "conditions", "reasons"]
    for row in rows:
        expected = known[row["companyId"]]
        assert row["ready"] == ("true" if expected.ready else "false")
        assert set(filter(None, row["conditions"].split("; "))) == expected.conditions


def test_the_table_shows_the_merchants_not_ready_then_the_summary(capsys: pytest.CaptureFixture[str],
                                                                  account: ServedAccount) -> None:
    code, out, _ = call(capsys, *audit_args(account, "--all"))
    assert code == 1
    lines = out.splitlines()
    known = truth(account.sandbox.state)
    not_ready = [company_id for company_id, expected in known.items() if not expected.ready]
    headers = [line for line in lines if line.startswith("NOT READY: company ")]
    assert [h.split()[3] for h in headers] == not_ready
    assert all(h.endswith(")") for h in headers)  # each named as the account names it
    ready_count = len(known) - len(not_ready)
    summary_at = lines.index(f"240 merchants: {ready_count} ready, {len(not_ready)} not ready")
    assert all(not line.startswith("NOT READY") for line in lines[summary_at:])
    assert lines[summary_at + 1].split()[:2] == ["accounting", "connection"]
    assert not any(company_id in out for company_id, expected in known.items() if expected.ready)


def test_named_merchants_in_the_order_given(capsys: pytest.CaptureFixture[str], account: ServedAccount) -> None:
    ids = list(account.population.states)
    unknown = "00000000-0000-4000-8000-00000000dead"
    code, out, _ = call(capsys, *audit_args(account, "--company-id", ids[5], ids[0], "--company-id", unknown,
                                            "--format", "json"))
    assert code == 1
    merchants = json.loads(out)["merchants"]
    assert [m["companyId"] for m in merchants] == [ids[5], ids[0], unknown]
    assert merchants[2] == {"companyId": unknown, "name": None, "ready": False,
                            "reasons": ["the company was not found (404)"], "conditions": [UNREADABLE]}
    known = truth(account.sandbox.state)
    assert [m["ready"] for m in merchants[:2]] == [known[ids[5]].ready, known[ids[0]].ready]


def test_all_ready_is_exit_0(capsys: pytest.CaptureFixture[str], account: ServedAccount) -> None:
    ready = [company_id for company_id, state in account.population.states.items() if state == "ready"][:3]
    code, out, _ = call(capsys, *audit_args(account, "--company-id", *ready))
    assert code == 0
    assert out.splitlines() == ["3 merchants: 3 ready, 0 not ready"]


def test_an_empty_account_is_all_ready(capsys: pytest.CaptureFixture[str],
                                       served_account: Callable[..., ServedAccount]) -> None:
    code, out, _ = call(capsys, *audit_args(served_account(0), "--all", "--format", "json"))
    assert code == 0
    assert json.loads(out) == {"merchants": [], "summary": {"total": 0, "ready": 0, "notReady": 0,
                                                            "byReason": dict.fromkeys(REASON_KEYS, 0)}}


def test_the_connections_list_on_request(capsys: pytest.CaptureFixture[str], served_account: Callable[..., Any],
                                         readiness_requests: list[tuple[str, str]]) -> None:
    small = served_account(12, seed=32)
    code, out, _ = call(capsys, *audit_args(small, "--all", "--connections-list", "--format", "json"))
    assert code == 1
    assert sum(p.endswith("/connections") for _, p in readiness_requests) == 12
    assert json.loads(out)["summary"]["byReason"][readiness.AGREEMENT] == 0  # the sandbox's two views agree


def test_output_file_is_written_whole(capsys: pytest.CaptureFixture[str], account: ServedAccount,
                                      tmp_path: Path) -> None:
    target = tmp_path / "audit.json"
    code, out, err = call(capsys, *audit_args(account, "--all", "--format", "json", "--output", str(target)))
    assert code == 1 and out == "" and err == ""
    assert json.loads(target.read_text())["summary"]["total"] == 240
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.json"]  # no temporary file left behind


def test_an_audit_stopped_by_the_target_leaves_no_output_file(capsys: pytest.CaptureFixture[str],
                                                              account: ServedAccount, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "audit.csv"
    calls = {"n": 0}
    real = PacedClient.request

    def key_revoked_midway(self: PacedClient, method: str, path: str, **options: Any) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] > 40:
            options["headers"] = {"Authorization": "Basic cmV2b2tlZA=="}
        return real(self, method, path, **options)

    monkeypatch.setattr(PacedClient, "request", key_revoked_midway)
    line = refused(capsys, *audit_args(account, "--all", "--format", "csv", "--output", str(target)))
    assert line.startswith("sfc-conformance: the target refused the API key: GET ")
    assert list(tmp_path.iterdir()) == []


# -- one-line errors, exit 2 --------------------------------------------------------


@pytest.mark.parametrize(("argv", "says"), [
    (["--all", "--company-id", "c1"], "readiness needs --company-id ID or --all (one of them)"),
    ([], "readiness needs --company-id ID or --all (one of them)"),
    (["--all", "--concurrency", "0"], "--concurrency 0 is not from 1 to 20"),
    (["--all", "--concurrency", "21"], "--concurrency 21 is not from 1 to 20"),
    (["--all", "--page-size", "5001"], "--page-size 5001 is not from 1 to 5000"),
    (["--all", "--format", "xml"], "invalid choice: 'xml'"),
    (["--all", "--output", "/no/such/folder/audit.json"], "cannot write --output /no/such/folder/audit.json"),
])
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str], says: str) -> None:
    line = refused(capsys, "readiness", "--base-url", "http://127.0.0.1:9", "--api-key", "k-use-4Jd", *argv)
    assert says in line and "k-use-4Jd" not in line


def test_an_unreachable_target(capsys: pytest.CaptureFixture[str], closed_port: int) -> None:
    line = refused(capsys, "readiness", "--base-url", f"http://127.0.0.1:{closed_port}", "--api-key", "k-gone-7Ty",
                   "--all")
    assert line.startswith(f"sfc-conformance: cannot reach http://127.0.0.1:{closed_port}/companies/")
    assert "k-gone-7Ty" not in line


def test_a_refused_key(capsys: pytest.CaptureFixture[str], account: ServedAccount) -> None:
    line = refused(capsys, "readiness", "--base-url", account.base_url, "--api-key", "wrong-key-Zx3", "--all",
                   "--format", "json")
    assert line.startswith("sfc-conformance: the target refused the API key: GET /companies/")
    assert "wrong-key-Zx3" not in line


# -- the progress bar ---------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setitem(os.environ, "TERM", "xterm")
    with readiness_command._progress(True) as advance:
        for _ in range(3):
            advance(3)
    assert "auditing" in terminal.getvalue() and "3/3" in terminal.getvalue()
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    with readiness_command._progress(True) as advance:
        advance(1)
    assert quiet.getvalue() == ""
