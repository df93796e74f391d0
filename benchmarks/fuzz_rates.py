"""How fast the contract fuzz sends generated requests: in-process, over HTTP, and schemathesis' own CLI.

    python benchmarks/fuzz_rates.py [--max-examples N] [--seed S]

Serves the sandbox once on 127.0.0.1 in its own process (as ``tox -e fuzz``
does, with a fresh key), then measures, with the same example budget:

* ``sfc-conformance fuzz``'s engine against the embedded sandbox in this process;
* the same over HTTP against the served sandbox;
* plain ``schemathesis run`` of our contract over HTTP against the same served
  sandbox: ``-n N``, its fuzzing and stateful phases (ours has those two), one
  worker (ours sends one request at a time), the key in an Authorization header.

It prints requests per second for each, and the ratio of ours to schemathesis'
over HTTP.  Our count is every request sent (generated cases, KEY-1 probes,
hand-made bodies); schemathesis' is its "N generated" test cases, timed by its
own summary line.  Figures, not assertions: a slow machine is not a failed test.
"""

from __future__ import annotations

import argparse
import base64
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))  # serve the sandbox the way the live and fuzz tox envs do

from live_against_sandbox import served_sandbox  # noqa: E402

from sfc_conformance.core.account import generate_secret  # noqa: E402
from sfc_conformance.core.http import ApiClient  # noqa: E402
from sfc_conformance.core.secrets import Secret  # noqa: E402
from sfc_conformance.fuzzing import Budget, FuzzReport, fuzz  # noqa: E402
from sfc_conformance.sandbox.embedded import EmbeddedTarget  # noqa: E402


def ours_in_process(budget: Budget) -> FuzzReport:
    target = EmbeddedTarget()
    target.start()
    client = target.client()
    try:
        return fuzz(client, budget, contained=True)
    finally:
        client.close()
        target.stop()


def ours_over_http(base_url: str, api_key: str, budget: Budget) -> FuzzReport:
    client = ApiClient(base_url, Secret(api_key))
    try:
        return fuzz(client, budget, contained=False)
    finally:
        client.close()


def schemathesis_cli(base_url: str, api_key: str, examples: int, seed: int) -> tuple[int, float, float]:
    """(test cases generated, seconds by its own summary, seconds of wall time with start-up)."""
    beside = Path(sys.executable).with_name("schemathesis")  # the CLI installed with the package, in this venv
    program = str(beside) if beside.exists() else shutil.which("schemathesis") or "schemathesis"
    authorization = "Basic " + base64.b64encode(api_key.encode()).decode()
    command = [program, "run", str(ROOT / "contracts" / "sync-flow.openapi.yaml"), "--url", base_url,
               "-H", f"Authorization: {authorization}", "-n", str(examples), "--seed", str(seed),
               "--phases", "fuzzing,stateful", "-w", "1"]
    with tempfile.TemporaryDirectory() as scratch:  # it keeps a cache of failures in its working folder
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=scratch)
        wall = time.perf_counter() - start
    cases = re.search(r"(\d+) generated", done.stdout)
    took = re.search(r" in ([\d.]+)s =+\s*$", done.stdout)
    if not cases or not took:
        tail = "\n".join(done.stdout.splitlines()[-5:])
        raise SystemExit(f"could not read schemathesis' summary (exit {done.returncode}):\n{tail}")
    return int(cases.group(1)), float(took.group(1)), wall


def show(label: str, requests: int, seconds: float, extra: str = "") -> float:
    rate = requests / seconds if seconds else 0.0
    print(f"{label:<34} {requests:6d} requests in {seconds:6.2f} s = {rate:7.1f} /s{extra}", flush=True)
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=20, help="examples per operation and mode (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n, seed = args.max_examples, args.seed

    ours_in_process(Budget(1, seed=seed))  # warm up: imports and first schema load are not the fuzz's pace
    report = ours_in_process(Budget(n, seed=seed))
    show("ours, in-process (embedded)", report.requests, report.elapsed, f"  ({len(report.findings)} findings)")

    api_key = secrets.token_urlsafe(18)
    with served_sandbox(api_key, generate_secret()) as base_url:
        report = ours_over_http(base_url, api_key, Budget(n, seed=seed))
        ours = show("ours, over HTTP", report.requests, report.elapsed, f"  ({len(report.findings)} findings)")
        cases, took, wall = schemathesis_cli(base_url, api_key, n, seed)
        theirs = show("schemathesis run, over HTTP", cases, took, f"  ({wall:.1f} s with start-up)")
    print(f"{'ratio ours / schemathesis run':<34} {ours / theirs:.2f} x (over HTTP, {n} examples per operation)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
