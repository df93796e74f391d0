"""How long a run takes, and how much memory it needs.

    python benchmarks/run_times.py [--skip-live]

Prints the wall time and the peak resident memory of
* an embedded run (``sfc-conformance run``), and
* a live run against the sandbox served on 127.0.0.1 (``scripts/live_against_sandbox.py``),
next to the targets: a few seconds embedded, under 1.5 x the 30 s OTP window live.
Figures, not assertions: a slow machine is not a failed test.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OTP_WINDOW = 30.0


def measure(label: str, command: list[str]) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"{label:<10} exit {result.returncode}  {elapsed:6.1f} s  peak RSS {max(peak_kib, before) / 1024:6.0f} MiB"
          f"  | {last}")
    return elapsed, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-live", action="store_true", help="measure the embedded run only")
    args = parser.parse_args()
    embedded, code = measure("embedded", [sys.executable, "-m", "sfc_conformance.cli", "run"])
    print(f"           target: a few seconds; measured {embedded:.1f} s")
    if not args.skip_live:
        live, live_code = measure("live", [sys.executable, str(ROOT / "scripts" / "live_against_sandbox.py")])
        print(f"           target: under {1.5 * OTP_WINDOW:.0f} s (1.5 x the OTP window); measured {live:.1f} s "
              f"= {live / OTP_WINDOW:.2f} x")
        code = code or live_code
    return code


if __name__ == "__main__":
    raise SystemExit(main())
