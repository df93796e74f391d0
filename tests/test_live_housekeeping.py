"""A live run on a partner's long-lived account (RUN-1..3): it leaves the account as it found it.

Every run here is ``sfc-conformance run`` in a child process (it runs pytest), against the sandbox served on
127.0.0.1 holding a partner's account: a few hundred merchants in every state, and subscriptions nobody
answers.  The counts of ``GET /companies`` and ``GET /webhooks`` must be the same before and after a run –
also a run stopped by Ctrl-C or SIGTERM, or by a target that fails once something was created.
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sfc_conformance.core.http import ApiClient, Listing
from sfc_conformance.core.secrets import Secret
from tests.helpers import (
    ACCOUNT_KEY,
    COMMAND,
    RUN_TIMEOUT,
    created_summary,
    in_child,
    live_environment,
    live_run,
)

pytestmark = pytest.mark.release  # live runs, whole runs or a browser: left to the release run (`tox -m release`)

if TYPE_CHECKING:
    from tests.conftest import ServedAccount

KEPT = re.compile(r"^kept +(company|subscription) (\S+) ", re.M)
WOULD_DELETE = re.compile(r"^would delete (company|subscription) (\S+) ", re.M)
# Few scenarios, none that waits out an OTP window: a company, shared merchants, subscriptions, a deletion.
QUICK_TAGS = "URL-1 or KEY-2 or DEL-2 or CONF-1"


@dataclass(frozen=True)
class Counts:
    companies: frozenset[str]
    subscriptions: frozenset[str]


def counts(base_url: str) -> Counts:
    client = ApiClient(base_url, Secret(ACCOUNT_KEY))
    try:
        return Counts(frozenset(c["id"] for c in Listing(client, "/companies", 500)),
                      frozenset(h["id"] for h in Listing(client, "/webhooks", 500)))
    finally:
        client.close()


@pytest.fixture
def account(served_account: Callable[..., ServedAccount]) -> ServedAccount:
    return served_account(300, dead_subscriptions=8, seed=11)


# A whole run on a long-lived account, left as it was found: tests/test_live_longlived.py (five runs in a row
# in tox -e live-longlived).


def test_keep_leaves_exactly_what_cleanup_dry_run_lists(account: ServedAccount) -> None:
    before = counts(account.base_url)
    done = live_run(account.base_url, "--keep", "--tags", QUICK_TAGS)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    kept = set(KEPT.findall(done.stdout))
    after = counts(account.base_url)
    assert {ident for kind, ident in kept if kind == "company"} == after.companies - before.companies
    assert {ident for kind, ident in kept if kind == "subscription"} == after.subscriptions - before.subscriptions
    assert len(kept) > 2
    listed = in_child("cleanup", "--base-url", account.base_url, "--dry-run", env=live_environment())
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert set(WOULD_DELETE.findall(listed.stdout)) == kept
    gone = in_child("cleanup", "--base-url", account.base_url, env=live_environment())
    assert gone.returncode == 0 and counts(account.base_url) == before


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_a_run_stopped_midway_deletes_what_it_created(account: ServedAccount, stop: signal.Signals) -> None:
    before = counts(account.base_url)
    run = subprocess.Popen([*COMMAND, "run", "--base-url", account.base_url], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, env=live_environment())
    try:
        _wait_until(lambda: len(counts(account.base_url).companies - before.companies) >= 8)
        run.send_signal(stop)
        output, _ = run.communicate(timeout=RUN_TIMEOUT)
    finally:
        run.kill()
    assert run.returncode == 2, output[-3000:]
    assert counts(account.base_url) == before
    created, deleted, left = created_summary(output)["companies"]
    assert created >= 8 and deleted == created and left == 0


def _wait_until(condition: Callable[[], bool], seconds: float = 60) -> None:
    """Poll until ``condition`` holds: the run's progress, seen from the target."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the run created nothing in time"
        time.sleep(0.02)


# -- targets that misbehave once the run has created something ------------------------------------


@pytest.fixture
def wrapped_account(served_account: Callable[..., ServedAccount]) -> Callable[..., str]:
    """``wrapped_account(errors, held=None)``: the base URL of a served account of 40 merchants that answers
    ErrorMessages where ``errors(method, path)`` gives a status (once ``held`` is set, when one is given)."""

    def start(errors: Callable[[str, str], int | None], held: threading.Event | None = None) -> str:
        return served_account(40, dead_subscriptions=3, seed=5, errors=errors, held=held).base_url

    return start


def test_a_target_failing_at_the_start_of_the_run_is_one_line_and_leaves_nothing(
        wrapped_account: Callable[..., str]) -> None:
    # The start call fails for every merchant: the run fails while it issues its first flow URLs.
    base_url = wrapped_account(lambda method, path: 503 if path.endswith("/start") else None)
    before = counts(base_url)
    done = live_run(base_url, "--tags", "OTP-2 or URL-1")
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["sfc-conformance: starting the sync flow: expected 200, the target answered "
                                        '503: {"statusCode":503,"service":"PublicApi","error":"Not this time.",'
                                        '"correlationId":"x","canBeRetried":"False","detailedErrorCode":0}']
    assert "Traceback" not in done.stdout + done.stderr
    assert counts(base_url) == before
    assert created_summary(done.stdout)["companies"] == (1, 1, 0)


def test_ctrl_c_while_the_run_starts_deletes_what_it_created(wrapped_account: Callable[..., str]) -> None:
    held = threading.Event()
    base_url = wrapped_account(lambda method, path: 503 if path.endswith("/start") else None, held)
    before = counts(base_url)
    run = subprocess.Popen([*COMMAND, "run", "--base-url", base_url, "--tags", "OTP-2"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, env=live_environment())
    try:
        _wait_until(lambda: counts(base_url).companies != before.companies)  # its first merchant, then the hang
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=RUN_TIMEOUT)
    finally:
        held.set()
        run.kill()
    assert run.returncode == 2, output[-3000:]
    assert counts(base_url) == before
    assert created_summary(output)["companies"] == (1, 1, 0)


def test_a_target_without_the_optional_delete_calls_still_conforms(wrapped_account: Callable[..., str],
                                                                  tmp_path: Path) -> None:
    def without(method: str, path: str) -> int | None:
        if method == "DELETE" and path.startswith("/companies/") and "/connections/" not in path:
            return 405
        return 404 if path.startswith("/webhooks/") and method == "DELETE" else None

    base_url = wrapped_account(without)
    before = counts(base_url)
    done = live_run(base_url, "--tags", QUICK_TAGS, "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout[-4000:]
    after = counts(base_url)
    left = {ident for ident in after.companies - before.companies}
    made = created_summary(done.stdout)
    assert made["companies"] == (len(left), 0, len(left)) and len(left) > 2
    said = [line for line in done.stdout.splitlines() if "one of the profile's optional calls" in line]
    assert said == [
        "subscriptions: DELETE /webhooks/{webhookId} answered 404: the target does not offer it, one of the profile's "
        "optional calls; the target still conforms, and the subscriptions listed `left` are still there",
        "companies: DELETE /companies/{companyId} answered 405: the target does not offer it, one of the profile's "
        "optional calls; the target still conforms, and the companies listed `left` are still there"]
    listed = {line.split()[2] for line in done.stdout.splitlines() if line.startswith("left     company ")}
    assert listed == left
    report = (tmp_path / "report.html").read_text()
    assert all(ident in report for ident in left) and "the target still conforms" in report
