"""How late a live run's time-critical opens come against their due time, on an idle machine and on a busy one.

    python benchmarks/otp_lateness.py [--runs 3] [--flow-style pages|app|both] [--browser PATH | --no-browser]
                                      [--skip-idle] [--skip-busy] [sfc-conformance run options...]

A live run opens two flow URLs at a time the profile fixes: OTP-1's late open, due 20-28 s after the start call was
sent, and OTP-2's expired open, due 31 s after the start call's answer came back.  The verdict's notes say when
each came (``the late open came X s after the start call (due Y s)``, ``the expired open came X s after the start
call's answer (due Y s)``); this reads them from the verdict table of live runs against the sandbox served on
127.0.0.1 (``scripts/live_against_sandbox.py``, the clean sandbox, the whole suite unless run options say
otherwise) and prints, for each open, the min / median / max of X - Y:

* idle: ``--runs`` runs of each flow style, one after the other, nothing else on the machine;
* busy: the same runs all side by side, each with its browser, while a CPU-bound process spins on every core
  (``sfc_conformance.commands.busy``): a release gate's machine, several runs sharing two cores.

Besides: how many runs ended with OTP-1 or OTP-2 judged only in part or not judged (an open that missed its band
both times), and each condition's load average.  A figure, not a test: ``sfc-conformance selftest --live --busy``
is the check (every OTP timing fault killed, the clean sandbox passing, on a busy machine).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sfc_conformance.commands.busy import BusyMachine
from sfc_conformance.commands.selftest import TIMING, UNJUDGED_STATUSES
from sfc_conformance.merchant.browser import BrowserUnavailable, find_browser

ROOT = Path(__file__).resolve().parents[1]
LIVE = [sys.executable, str(ROOT / "scripts" / "live_against_sandbox.py")]
STYLES = ("pages", "app")
# A line of the verdict table for the OTP rules with their note: `OTP-1    MUST   pass     2/2        note`.
VERDICT_LINE = re.compile(r"^(OTP-[12]) +(?:MUST|SHOULD) +(\S+(?: \S+)??) +\d+/\d+ +(.*)$", re.M)
OBSERVATIONS = {"late": "OTP-1 late open", "expired": "OTP-2 expired open"}


@dataclass
class Run:
    style: str
    exit_code: int
    seconds: float
    statuses: dict[str, str] = field(default_factory=dict)  # OTP-1, OTP-2: their verdicts
    late: dict[str, list[float]] = field(default_factory=dict)  # "late" / "expired": X - Y of each open
    output_tail: str = ""


def read(style: str, exit_code: int, seconds: float, output: str) -> Run:
    run = Run(style, exit_code, seconds, output_tail=output[-3000:])
    for rule, status, note in VERDICT_LINE.findall(output):
        run.statuses[rule] = status
        for kind, came, due in TIMING.findall(note):
            run.late.setdefault(kind, []).append(float(came) - float(due))
    return run


def command(style: str, browser: str | None, options: list[str]) -> list[str]:
    return [*LIVE, "--flow-style", style, *(["--browser", browser] if browser else []), *options]


def run_one_after_another(styles: list[str], runs: int, browser: str | None, options: list[str]) -> list[Run]:
    done = []
    for style in styles:
        for _ in range(runs):
            started = time.monotonic()
            result = subprocess.run(command(style, browser, options), cwd=ROOT, capture_output=True, text=True,
                                    check=False, env=_environment())
            done.append(read(style, result.returncode, time.monotonic() - started, result.stdout + result.stderr))
            _progress("idle", done[-1])
    return done


def run_side_by_side(styles: list[str], runs: int, browser: str | None, options: list[str]) -> tuple[list[Run], str]:
    """Every run at once, on a machine whose every core a spinner takes; the runs and the load they made."""
    started = time.monotonic()
    done: list[Run] = []
    lock = threading.Lock()

    def one(style: str, process: subprocess.Popen[str]) -> None:
        output, _ = process.communicate(timeout=900)
        with lock:
            done.append(read(style, process.returncode, time.monotonic() - started, output))
            _progress("busy", done[-1])

    with BusyMachine(seconds=900) as busy:
        waiting = [(style, subprocess.Popen(command(style, browser, options), cwd=ROOT, stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, text=True, env=_environment()))
                   for style in styles for _ in range(runs)]
        readers = [threading.Thread(target=one, args=pair, daemon=True) for pair in waiting]
        try:
            for reader in readers:
                reader.start()
            for reader in readers:
                reader.join()
        finally:
            for _, process in waiting:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        load = f"load average over the last minute {_load()}; {busy.describe()}; {len(waiting)} runs side by side"
    return sorted(done, key=lambda run: STYLES.index(run.style)), load


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?"


def _environment() -> dict[str, str]:
    # The served sandbox, not a target named in the environment; the browser is named on the command line.
    return {k: v for k, v in os.environ.items() if k not in ("SFC_BASE_URL", "SFC_API_KEY", "SFC_REQUIRE_BROWSER")}


def _progress(condition: str, run: Run) -> None:
    shown = ", ".join(f"{OBSERVATIONS[kind]} {value:+.2f} s" for kind, values in run.late.items() for value in values)
    verdicts = ", ".join(f"{rule} {status}" for rule, status in sorted(run.statuses.items()))
    print(f"  {condition} {run.style:<5} exit {run.exit_code} in {run.seconds:5.1f} s: {verdicts or 'no OTP verdict'}"
          f"; {shown or 'no open named in the notes'}", flush=True)


def table(condition: str, runs: list[Run]) -> list[str]:
    lines = []
    for style in sorted({run.style for run in runs}, key=STYLES.index):
        mine = [run for run in runs if run.style == style]
        for kind, label in OBSERVATIONS.items():
            values = [value for run in mine for value in run.late.get(kind, [])]
            if values:
                figures = (f"{min(values):+7.2f} {statistics.median(values):+7.2f} {max(values):+7.2f} "
                           f"{len(values):>5}")
            else:
                figures = f"{'-':>7} {'-':>7} {'-':>7} {0:>5}"
            lines.append(f"{condition:<6} {style:<6} {label:<20} {figures}")
        unjudged = sum(any(s in UNJUDGED_STATUSES for s in run.statuses.values()) for run in mine)
        failed = sum(run.exit_code != 0 for run in mine)
        lines.append(f"{'':<6} {style:<6} runs: {len(mine)}, not exit 0: {failed}, with OTP-1 or OTP-2 judged only "
                     f"in part or not judged: {unjudged}")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, metavar="N", help="runs of each flow style in each condition")
    parser.add_argument("--flow-style", choices=[*STYLES, "both"], default="both", help="the served sandbox's flow")
    parser.add_argument("--browser", default=None, help="the Chromium the runs judge the merchant's side in "
                                                        "(default: the first on PATH)")
    parser.add_argument("--no-browser", action="store_true",
                        help="plain HTTP GETs (the pages style only: the app style's OTP rules are then n/a)")
    parser.add_argument("--skip-idle", action="store_true", help="the busy machine only")
    parser.add_argument("--skip-busy", action="store_true", help="the idle machine only")
    ours, options = parser.parse_known_args(argv)  # the rest is for `sfc-conformance run`
    if ours.runs < 1:
        parser.error("--runs must be 1 or more")
    styles = list(STYLES) if ours.flow_style == "both" else [ours.flow_style]
    browser = None
    if not ours.no_browser:
        try:
            browser = find_browser(ours.browser)
        except BrowserUnavailable as error:
            print(f"otp_lateness: {error} (or --no-browser)", file=sys.stderr)
            return 2
    print(f"OTP opens against their due time: {ours.runs} live run(s) of each style ({', '.join(styles)}), "
          f"{'in ' + browser if browser else 'plain HTTP GETs'}, on {os.cpu_count()} cores", flush=True)
    results: list[tuple[str, list[Run]]] = []
    loads = []
    if not ours.skip_idle:
        idle_from = _load()
        results.append(("idle", run_one_after_another(styles, ours.runs, browser, options)))
        # The machine may not be idle at all (other work shares it): its load says so.
        loads.append(f"idle: load average over the last minute {idle_from} before the runs, {_load()} after; "
                     "one run at a time")
    if not ours.skip_busy:
        busy, load = run_side_by_side(styles, ours.runs, browser, options)
        results.append(("busy", busy))
        loads.append(f"busy: {load}")
    print("")
    print("seconds late against the due time (negative: early), min / median / max over every open")
    print(f"{'':<6} {'style':<6} {'observation':<20} {'min':>7} {'median':>7} {'max':>7} {'opens':>5}")
    for condition, runs in results:
        for line in table(condition, runs):
            print(line)
    for line in loads:
        print(line)
    if not any(run.late for _, runs in results for run in runs):
        print("no run's notes named an open's time: the runs' last lines follow")
        for _, runs in results:
            for run in runs[:1]:
                print(run.output_tail)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
