"""How long a run takes, and how much memory it needs, with the merchant's side seen in a browser and without.

    python benchmarks/run_times.py [--skip-live] [--skip-browser] [--walks] [--merchants 400]
                                   [--dead-subscriptions 10]

Prints the wall time and the peak resident memory of
* embedded runs (``sfc-conformance run``): the server-rendered pages without a browser (the default), and
  the app-style flow without a browser (its OTP rules n/a) and with one (``--browser``);
* live runs against a fresh sandbox served on 127.0.0.1 (``scripts/live_against_sandbox.py``), in both flow
  styles, with the browser a live run finds on PATH and without one (PATH without a Chromium);
* a live run against a long-lived sandbox: ``--merchants`` merchants in every state and
  ``--dead-subscriptions`` subscriptions nobody answers (RUN-1: what the run did not create changes no
  timing);
* with ``--walks``, the whole suite with the merchant walking the flow in the browser
  (``--merchant-driver browser``), in both styles,
next to the targets: a few seconds embedded without a browser, about one 30 s OTP window live (each live
time is the run alone, as the live script times it — deleting what the run created included — and is
shown as a ratio to 30 s).
Figures, not assertions: a slow machine is not a failed test.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from sfc_conformance.merchant.browser import BrowserUnavailable, find_browser

ROOT = Path(__file__).resolve().parents[1]
OTP_WINDOW = 30.0
CLI = [sys.executable, "-m", "sfc_conformance"]
LIVE = [sys.executable, str(ROOT / "scripts" / "live_against_sandbox.py")]
# A PATH with this Python's folder and no Chromium: how a run goes on a machine without a browser.
NO_BROWSER = {**os.environ, "PATH": str(Path(sys.executable).parent)}


# The live script's own line for a run: its time without serving and populating the sandbox.
RUN_LINE = re.compile(r"^run 1 of 1: exit \d+ in ([\d.]+) s; ", re.M)


def measure(label: str, command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """The run's wall time (for a live run: the run alone, as the live script times it) and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    run = RUN_LINE.search(result.stdout)
    elapsed = float(run.group(1)) if run else elapsed
    lines = result.stdout.strip().splitlines() or ["(no output)"]
    rules = next((line for line in reversed(lines) if line.startswith("rules: ")), lines[-1])
    print(f"{label:<34} exit {result.returncode}  {elapsed:6.1f} s  peak RSS {max(peak_kib, before) / 1024:6.0f} MiB"
          f"  | {rules}", flush=True)
    return elapsed, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-live", action="store_true", help="measure the embedded runs only")
    parser.add_argument("--skip-browser", action="store_true", help="measure the runs without a browser only")
    parser.add_argument("--walks", action="store_true",
                        help="also the whole suite with --merchant-driver browser, in both styles (minutes)")
    parser.add_argument("--merchants", type=int, default=400, help="the long-lived account's merchants")
    parser.add_argument("--dead-subscriptions", type=int, default=10, help="its subscriptions nobody answers")
    args = parser.parse_args()
    browser = None
    if not args.skip_browser:
        try:
            browser = find_browser()
        except BrowserUnavailable as reason:
            print(f"no browser: {reason}; measuring the runs without one", flush=True)
    codes = []

    embedded, code = measure("embedded, pages", [*CLI, "run"])
    codes.append(code)
    print(f"{'':<34} target: a few seconds; measured {embedded:.1f} s")
    codes.append(measure("embedded, app, no browser", [*CLI, "run", "--flow-style", "app"])[1])
    if browser:
        codes.append(measure("embedded, app, --browser", [*CLI, "run", "--flow-style", "app", "--browser", browser])[1])
        if args.walks:
            for style in ("pages", "app"):
                codes.append(measure(f"embedded, {style}, --merchant-driver browser",
                                     [*CLI, "run", "--merchant-driver", "browser", "--flow-style", style])[1])
    if not args.skip_live:
        for style in ("pages", "app"):
            runs = [("no browser", NO_BROWSER)] + ([("browser", None)] if browser else [])
            for seen, env in runs:
                live, code = measure(f"live, {style}, {seen}", [*LIVE, "--flow-style", style], env)
                codes.append(code)
                print(f"{'':<34} target: about one OTP window; measured {live:.1f} s = {live / OTP_WINDOW:.2f} x")
        account = ["--merchants", str(args.merchants), "--dead-subscriptions", str(args.dead_subscriptions)]
        aged, code = measure("live, pages, long-lived account", [*LIVE, *account], None if browser else NO_BROWSER)
        codes.append(code)
        print(f"{'':<34} {args.merchants} merchants, {args.dead_subscriptions} dead subscriptions; measured "
              f"{aged:.1f} s = {aged / OTP_WINDOW:.2f} x")
    return max(codes)


if __name__ == "__main__":
    raise SystemExit(main())
