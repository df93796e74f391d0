"""Run the suite in live mode: against SFC_BASE_URL if set, else against the sandbox served on 127.0.0.1.

    python scripts/live_against_sandbox.py [--flow-style app] [--browser PATH] [--merchants N]
                                           [--dead-subscriptions M] [--seed S] [--runs K]
                                           [sfc-conformance run options...]

Without SFC_BASE_URL it starts ``sfc-conformance sandbox --port 0`` with a fresh
API key and webhook secret – a partner's long-lived account with
``--merchants`` and ``--dead-subscriptions``, its merchant side in
``--flow-style`` (server-rendered pages by default, or a browser app) – runs
``sfc-conformance run --base-url ...`` against it over HTTP (the secrets travel
in the environment) ``--runs`` times in a row, stops the sandbox with Ctrl-C's
signal and exits with the worst run's exit code.

Around every run it counts the account's companies and subscriptions (``GET
/companies``, ``GET /webhooks``): a run deletes what it created (RUN-2), so
the counts after must equal the counts before, or the script exits 1.  One
line per run says so, with the run's time.

A live run judges the OTP rules in the first Chromium it finds on PATH, or the
one named with ``--browser PATH`` / ``SFC_BROWSER``; without one, an app-style
flow leaves them n/a.  With ``SFC_REQUIRE_BROWSER`` set (CI), a missing browser
is exit 2 instead.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sfc_conformance.core.account import generate_secret
from sfc_conformance.core.errors import SfcError
from sfc_conformance.core.http import ApiClient, Listing
from sfc_conformance.core.secrets import Secret
from sfc_conformance.merchant.browser import find_browser
from sfc_conformance.sandbox import FLOW_STYLES

CLI = [sys.executable, "-m", "sfc_conformance"]


@contextlib.contextmanager
def served(arguments: list[str], env: dict[str, str], marker: str) -> Iterator[str]:
    """``sfc-conformance ARGUMENTS`` in the background for the block; what it prints after ``marker`` (its URL).

    Stopped with Ctrl-C's signal at the end of the block, killed if that takes more than 15 s.
    """
    process, value = _start(arguments, env, marker)
    try:
        yield value
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def served_sandbox(api_key: str, webhook_secret: str, *account: str) -> Iterator[str]:
    """``sfc-conformance sandbox --port 0 [ACCOUNT...]`` with these secrets, for the block; its base URL."""
    env = {**os.environ, "SFC_API_KEY": api_key, "SFC_WEBHOOK_SECRET": webhook_secret}
    with served(["sandbox", "--port", "0", *account], env, "base URL:") as base_url:
        yield base_url


def _start(arguments: list[str], env: dict[str, str], marker: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([*CLI, *arguments], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    deadline = time.monotonic() + 60  # a populated account takes a few seconds to build
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if marker in line:
            return process, line.split(marker, 1)[1].strip()
    process.kill()
    raise SystemExit(f"sfc-conformance: `sfc-conformance {arguments[0]}` did not start within 60 s")


@dataclass(frozen=True)
class Counts:
    companies: int
    subscriptions: int

    def __str__(self) -> str:
        return f"{self.companies} companies, {self.subscriptions} subscriptions"


def count(base_url: str, api_key: str) -> Counts:
    """What the account holds, paged through as any client would."""
    client = ApiClient(base_url, Secret(api_key))
    try:
        return Counts(sum(1 for _ in Listing(client, "/companies", 500)),
                      sum(1 for _ in Listing(client, "/webhooks", 500)))
    finally:
        client.close()


def run_in_a_row(base_url: str, env: dict[str, str], runs: int, arguments: list[str]) -> int:
    """``runs`` live runs one after the other; the worst exit code, 1 if a run left the account changed."""
    worst = 0
    api_key = env["SFC_API_KEY"]
    for number in range(1, runs + 1):
        before = count(base_url, api_key)
        start = time.perf_counter()
        code = subprocess.call([*CLI, "run", "--base-url", base_url, *arguments], env=env)
        took = time.perf_counter() - start
        after = count(base_url, api_key)
        same = "the same" if after == before else "CHANGED"
        print(f"run {number} of {runs}: exit {code} in {took:.1f} s; the account held {before} before and "
              f"{after} after ({same})", flush=True)
        worst = max(worst, code, 0 if after == before or "--keep" in arguments else 1)
    return worst


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--merchants", type=int, default=0, help="the served account's merchants (a partner's)")
    parser.add_argument("--dead-subscriptions", type=int, default=0, help="subscriptions nobody answers any more")
    parser.add_argument("--seed", type=int, default=0, help="the account's mix of merchants")
    parser.add_argument("--runs", type=int, default=1, help="live runs in a row against the same account")
    parser.add_argument("--flow-style", choices=FLOW_STYLES, default="pages", help="the served sandbox's flow")
    parser.add_argument("--browser", default=None, help="the Chromium that shows the merchant's side")
    ours, arguments = parser.parse_known_args(argv)  # the rest is for `sfc-conformance run`
    try:
        if ours.browser or os.environ.get("SFC_REQUIRE_BROWSER"):  # CI: the browser must be there
            arguments = ["--browser", find_browser(ours.browser), *arguments]
    except SfcError as error:  # none found, or the one named is not there
        print(f"sfc-conformance: {error}", file=sys.stderr)
        return 2
    if os.environ.get("SFC_BASE_URL"):
        if ours.flow_style != "pages":
            print("sfc-conformance: --flow-style picks the served sandbox's flow; SFC_BASE_URL names another "
                  "target", file=sys.stderr)
            return 2
        return subprocess.call([*CLI, "run", *arguments])
    api_key = secrets.token_urlsafe(18)
    webhook_secret = generate_secret()
    account = ["--merchants", str(ours.merchants), "--dead-subscriptions", str(ours.dead_subscriptions),
               "--seed", str(ours.seed), "--flow-style", ours.flow_style]
    with served_sandbox(api_key, webhook_secret, *account) as base_url:
        print(f"live run against the sandbox at {base_url} ({ours.flow_style} style)", flush=True)
        env = {**os.environ, "SFC_API_KEY": api_key, "SFC_WEBHOOK_SECRET": webhook_secret}
        return run_in_a_row(base_url, env, ours.runs, arguments)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
