"""Run one command many times and count how often it passes: a flake shows up as a failure among passes.

    python scripts/flake_loop.py --runs 20 -- pytest -q -p no:cacheprovider
    python scripts/flake_loop.py --runs 5 -- python scripts/live_against_sandbox.py

Runs the command one run after another (in parallel they would race for the
CPU and make flakes of their own), prints a line per run, then a summary:
passes, failures and which runs failed, and the min/median/max time.  The
output of every failed run is kept in a folder (``--keep``, default a new
temporary one) so a flake can be read after the fact.  Exit 0 when every run
passed, 1 when any failed, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    number: int
    exit_code: int
    seconds: float

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


def run_once(number: int, command: list[str], keep: Path, timeout: float | None) -> Run:
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        exit_code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as expired:
        exit_code = -1
        output = f"timed out after {timeout:g} s\n{expired.stdout or ''}{expired.stderr or ''}"
    except OSError as error:
        exit_code, output = 127, f"could not start {command[0]}: {error}\n"
    run = Run(number, exit_code, time.monotonic() - started)
    if not run.passed:
        keep.mkdir(parents=True, exist_ok=True)
        (keep / f"run-{number:03d}.log").write_text(output, encoding="utf-8")
    return run


def summary(runs: list[Run]) -> str:
    failed = [r.number for r in runs if not r.passed]
    times = [r.seconds for r in runs]
    line = (f"{len(runs)} runs: {len(runs) - len(failed)} passed, {len(failed)} failed"
            f"{' (runs ' + ', '.join(map(str, failed)) + ')' if failed else ''}; "
            f"time min {min(times):.1f} s, median {statistics.median(times):.1f} s, max {max(times):.1f} s")
    return line


def main(argv: list[str]) -> int:
    usage = "%(prog)s [--runs N] [--keep DIR] [--timeout S] [--stop-on-fail] -- COMMAND..."
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], usage=usage)
    parser.add_argument("--runs", type=int, default=20, help="how many times to run the command (default 20)")
    parser.add_argument("--keep", type=Path, help="folder for the output of failed runs (default: a new temporary one)")
    parser.add_argument("--timeout", type=float, help="seconds one run may take before it counts as failed")
    parser.add_argument("--stop-on-fail", action="store_true", help="stop at the first failed run")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("flake_loop: no command given: put it after --", file=sys.stderr)
        return 2
    if args.runs < 1:
        print(f"flake_loop: --runs {args.runs} must be 1 or more", file=sys.stderr)
        return 2
    keep = args.keep or Path(tempfile.mkdtemp(prefix="flake-loop-"))
    runs: list[Run] = []
    for number in range(1, args.runs + 1):
        run = run_once(number, command, keep, args.timeout)
        runs.append(run)
        verdict = "pass" if run.passed else f"FAIL (exit {run.exit_code}; output in {keep / f'run-{number:03d}.log'})"
        print(f"run {number}/{args.runs}: {verdict} in {run.seconds:.1f} s", flush=True)
        if args.stop_on_fail and not run.passed:
            break
    print(summary(runs), flush=True)
    return 0 if all(r.passed for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
