"""How long a run takes, and how much memory it needs, with the merchant's side seen in a browser and without.

    python benchmarks/run_times.py [--skip-live] [--skip-browser] [--walks]

Prints the wall time and the peak resident memory of
* embedded runs (``sfc-conformance run``): the server-rendered pages without a browser (the default), and
  the app-style flow without a browser (its OTP rules n/a) and with one (``--browser``);
* live runs against the sandbox served on 127.0.0.1 (``scripts/live_against_sandbox.py``), in both flow
  styles, with the browser a live run finds on PATH and without one (PATH without a Chromium);
* with ``--walks``, the whole suite with the merchant walking the flow in the browser
  (``--merchant-driver browser``), in both styles,
next to the targets: a few seconds embedded without a browser, under 1.5 x the 30 s OTP window live.
Figures, not assertions: a slow machine is not a failed test.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from sfc_conformance.browser import BrowserUnavailable, find_browser

ROOT = Path(__file__).resolve().parents[1]
OTP_WINDOW = 30.0
CLI = [sys.executable, "-m", "sfc_conformance.cli"]
LIVE = [sys.executable, str(ROOT / "scripts" / "live_against_sandbox.py")]
# A PATH with this Python's folder and no Chromium: how a run goes on a machine without a browser.
NO_BROWSER = {**os.environ, "PATH": str(Path(sys.executable).parent)}


def measure(label: str, command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
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
                print(f"{'':<34} target: under {1.5 * OTP_WINDOW:.0f} s (1.5 x the OTP window); measured "
                      f"{live:.1f} s = {live / OTP_WINDOW:.2f} x")
    return max(codes)


if __name__ == "__main__":
    raise SystemExit(main())
