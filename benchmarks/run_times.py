"""How long a run takes, and how much memory it needs, with the merchant's side seen in a browser and without.

    python benchmarks/run_times.py [--embedded-only] [--repeat 5] [--skip-live] [--skip-browser] [--walks]
                                   [--merchants 400] [--dead-subscriptions 10]

Prints the wall time and the peak resident memory of
* embedded runs (``sfc-conformance run``, the whole command: interpreter, imports, every scenario, the
  verdict): the server-rendered pages without a browser (the default) as the median of ``--repeat`` runs,
  wall time and CPU time (user + system, of the command and the process it forks for API-5's requests:
  the figure to compare on a machine other work shares); then the app-style flow without a browser (its
  OTP rules n/a) and with one (``--browser``);
* live runs against a fresh sandbox served on 127.0.0.1 (``scripts/live_against_sandbox.py``), in both flow
  styles, with the browser a live run finds on PATH and without one (PATH without a Chromium);
* a live run against a long-lived sandbox: ``--merchants`` merchants in every state and
  ``--dead-subscriptions`` subscriptions nobody answers (RUN-1: what the run did not create changes no
  timing);
* with ``--walks``, the whole suite with the merchant walking the flow in the browser
  (``--merchant-driver browser``), in both styles,
next to the targets: at most 2.5 s wall for the default embedded run on an idle machine of two cores,
about one 30 s OTP window live (each live time is the run alone, as the live script times it — deleting
what the run created included — and is shown as a ratio to 30 s).  ``--embedded-only`` measures the
default embedded run alone: the figure one command away.
Figures, not assertions: a slow machine is not a failed test.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sfc_conformance.merchant.browser import BrowserUnavailable, find_browser

ROOT = Path(__file__).resolve().parents[1]
OTP_WINDOW = 30.0
EMBEDDED_TARGET = 2.5  # seconds of wall time, the whole command, on an idle machine of two cores
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


def measure_embedded(runs: int) -> int:
    """The default embedded run ``runs`` times: the median wall and CPU time, and the worst exit code."""
    walls, cpus, codes, peak_kib, rules = [], [], [], 0, ""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run([*CLI, "run"], cwd=ROOT, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        peak_kib = max(peak_kib, after.ru_maxrss)
        codes.append(result.returncode)
        lines = result.stdout.strip().splitlines() or ["(no output)"]
        rules = next((line for line in reversed(lines) if line.startswith("rules: ")), lines[-1])
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"{'embedded, pages':<34} exit {max(codes)}  {wall:6.2f} s  {cpu:5.2f} s CPU  peak RSS "
          f"{peak_kib / 1024:6.0f} MiB  | {rules}", flush=True)
    print(f"{'':<34} median of {runs}: wall {', '.join(f'{w:.2f}' for w in walls)} s; "
          f"CPU {', '.join(f'{c:.2f}' for c in cpus)} s", flush=True)
    print(f"{'':<34} target: at most {EMBEDDED_TARGET:g} s wall on an idle machine of two cores (on a busy one, "
          f"compare CPU time); measured {wall:.2f} s", flush=True)
    return max(codes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedded-only", action="store_true",
                        help="measure the default embedded run alone (sfc-conformance run, no browser)")
    parser.add_argument("--repeat", type=int, default=5, metavar="N",
                        help="take the default embedded run's median of N runs (default 5)")
    parser.add_argument("--skip-live", action="store_true", help="measure the embedded runs only")
    parser.add_argument("--skip-browser", action="store_true", help="measure the runs without a browser only")
    parser.add_argument("--walks", action="store_true",
                        help="also the whole suite with --merchant-driver browser, in both styles (minutes)")
    parser.add_argument("--merchants", type=int, default=400, help="the long-lived account's merchants")
    parser.add_argument("--dead-subscriptions", type=int, default=10, help="its subscriptions nobody answers")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    if args.embedded_only:
        return measure_embedded(args.repeat)
    browser = None
    if not args.skip_browser:
        try:
            browser = find_browser()
        except BrowserUnavailable as reason:
            print(f"no browser: {reason}; measuring the runs without one", flush=True)
    codes = []

    codes.append(measure_embedded(args.repeat))
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
