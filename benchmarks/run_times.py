"""How long a run takes, and how much memory it needs.

    python benchmarks/run_times.py [--skip-live] [--merchants 400] [--dead-subscriptions 10]

Prints the wall time and the peak resident memory of
* an embedded run (``sfc-conformance run``),
* a live run against a fresh sandbox served on 127.0.0.1 (``scripts/live_against_sandbox.py``), and
* a live run against a long-lived one: ``--merchants`` merchants in every state and
  ``--dead-subscriptions`` subscriptions nobody answers (RUN-1: what the run did not create
  changes no timing),
next to the targets: a few seconds embedded, about one 30 s OTP window live, fresh or long-lived
(each live time is shown as a ratio to 30 s; the live times include deleting what the run created).
Figures, not assertions: a slow machine is not a failed test.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OTP_WINDOW = 30.0


# The live script's own line for the run: its time without serving and populating the sandbox.
RUN_LINE = re.compile(r"^run 1 of 1: exit \d+ in ([\d.]+) s; (.*)$", re.M)


def measure(label: str, command: list[str]) -> tuple[float, int]:
    """The run's wall time (for a live run: the run alone, as the live script times it) and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    run = RUN_LINE.search(result.stdout)
    if run:
        elapsed = float(run.group(1))
        last = run.group(2)
    else:
        last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"{label:<11} exit {result.returncode}  {elapsed:6.1f} s  peak RSS {max(peak_kib, before) / 1024:6.0f} MiB"
          f"  | {last}")
    return elapsed, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-live", action="store_true", help="measure the embedded run only")
    parser.add_argument("--merchants", type=int, default=400, help="the long-lived account's merchants")
    parser.add_argument("--dead-subscriptions", type=int, default=10, help="its subscriptions nobody answers")
    args = parser.parse_args()
    embedded, code = measure("embedded", [sys.executable, "-m", "sfc_conformance.cli", "run"])
    print(f"{'':<11} target: a few seconds; measured {embedded:.1f} s")
    if args.skip_live:
        return code
    script = [sys.executable, str(ROOT / "scripts" / "live_against_sandbox.py")]
    fresh, fresh_code = measure("live fresh", script)
    print(f"{'':<11} target: about one OTP window; measured {fresh:.1f} s = {fresh / OTP_WINDOW:.2f} x 30 s")
    account = ["--merchants", str(args.merchants), "--dead-subscriptions", str(args.dead_subscriptions)]
    aged, aged_code = measure("long-lived", script + account)
    print(f"{'':<11} {args.merchants} merchants, {args.dead_subscriptions} dead subscriptions; measured {aged:.1f} s "
          f"= {aged / OTP_WINDOW:.2f} x 30 s ({aged / fresh:.2f} x the fresh run)")
    return code or fresh_code or aged_code


if __name__ == "__main__":
    raise SystemExit(main())
