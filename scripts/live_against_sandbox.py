"""Run the suite in live mode: against SFC_BASE_URL if set, else against the sandbox served on 127.0.0.1.

    python scripts/live_against_sandbox.py [--flow-style app] [sfc-conformance run options...]

Without SFC_BASE_URL it starts ``sfc-conformance sandbox --port 0`` with a fresh
API key and webhook secret (and ``--flow-style``, the sandbox's merchant side:
server-rendered pages by default, or a browser app), runs ``sfc-conformance run
--base-url ...`` against it over HTTP (the secrets travel in the environment),
stops the sandbox with Ctrl-C's signal and exits with the run's exit code.

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

from sfc_conformance.browser import find_browser
from sfc_conformance.errors import SfcError
from sfc_conformance.sandbox import FLOW_STYLES
from sfc_conformance.webhook_signing import generate_secret

CLI = [sys.executable, "-m", "sfc_conformance.cli"]


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
def served_sandbox(api_key: str, webhook_secret: str, flow_style: str = "pages") -> Iterator[str]:
    """``sfc-conformance sandbox --port 0`` with these secrets and flow style, for the block; its base URL."""
    env = {**os.environ, "SFC_API_KEY": api_key, "SFC_WEBHOOK_SECRET": webhook_secret}
    with served(["sandbox", "--port", "0", "--flow-style", flow_style], env, "base URL:") as base_url:
        yield base_url


def _start(arguments: list[str], env: dict[str, str], marker: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([*CLI, *arguments], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if marker in line:
            return process, line.split(marker, 1)[1].strip()
    process.kill()
    raise SystemExit(f"sfc-conformance: `sfc-conformance {arguments[0]}` did not start within 30 s")


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--flow-style", choices=FLOW_STYLES, default="pages")
    parser.add_argument("--browser", default=None)
    ours, arguments = parser.parse_known_args(arguments)  # the rest is for `sfc-conformance run`
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
    with served_sandbox(api_key, webhook_secret, ours.flow_style) as base_url:
        print(f"live run against the sandbox at {base_url} ({ours.flow_style} style)", flush=True)
        env = {**os.environ, "SFC_API_KEY": api_key, "SFC_WEBHOOK_SECRET": webhook_secret}
        return subprocess.call([*CLI, "run", "--base-url", base_url, *arguments], env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
