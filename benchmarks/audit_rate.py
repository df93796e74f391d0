"""How fast the portfolio audit goes, how much memory it needs, and whether every verdict is right.

    python benchmarks/audit_rate.py [--merchants 1000 10000] [--concurrency N] [--seed 0] [--rate-limit N]

For each size it serves the sandbox on 127.0.0.1 (in a process of its own)
holding that many merchants in the usual mix of states, runs
``sfc-conformance readiness --all --format json`` against it (a process of its
own too), and prints the merchants per second, the audit's peak resident
memory and how many verdicts disagree with the sandbox's own truth.  An empty
account is measured first: its time is the command's start-up (imports, the
probe), left out of the second rate shown.  With ``--rate-limit N`` the
sandbox answers 429 (with ``Retry-After``) past N calls a second: the audit
must slow down to that rate and still get every verdict right.

Figures, not assertions, except one: a wrong verdict exits 1.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from sfc_conformance.core.http import BackgroundServer

API_KEY = "audit-benchmark-key"
CLI = [sys.executable, "-m", "sfc_conformance"]


def _serve(merchants: int, seed: int, rate_limit: int | None, pipe: Connection) -> None:
    """In the child: the sandbox with its account; its URL and truth up the pipe; serve until told to stop."""
    from sfc_conformance.sandbox import serve
    from sfc_conformance.sandbox.population import populate, truth

    sandbox = serve.build(API_KEY, None, ())
    populate(sandbox.state, merchants, seed=seed)
    sandbox.rate_limit.per_second = rate_limit
    expected = {company_id: sorted(e.conditions) for company_id, e in truth(sandbox.state).items()}
    with BackgroundServer(sandbox.app) as server:
        pipe.send((server.url, expected))
        pipe.recv()  # anything: stop
    sandbox.close()


def _audit(base_url: str, concurrency: int | None, output: Path, page_size: int | None) -> tuple[float, float, int]:
    """(seconds, peak RSS in MiB, exit code) of one ``readiness --all`` run."""
    env = {**os.environ, "SFC_API_KEY": API_KEY}
    command = [*CLI, "readiness", "--base-url", base_url, "--all", "--format", "json", "--output", str(output)]
    command += ["--concurrency", str(concurrency)] if concurrency else []
    command += ["--page-size", str(page_size)] if page_size else []
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    assert process.stderr is not None
    error = process.stderr.read().decode().strip()
    process.stderr.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if error:
        print(f"  stderr: {error}")
    return elapsed, usage.ru_maxrss / 1024, process.returncode


def _wrong(output: Path, expected: dict[str, list[str]]) -> list[str]:
    document = json.loads(output.read_text(encoding="utf-8"))
    seen = {m["companyId"]: m for m in document["merchants"]}
    wrong = [f"missing from the audit: {company_id}" for company_id in expected.keys() - seen.keys()]
    wrong += [f"not in the account: {company_id}" for company_id in seen.keys() - expected.keys()]
    for company_id in expected.keys() & seen.keys():
        merchant, conditions = seen[company_id], expected[company_id]
        if merchant["ready"] != (not conditions) or set(merchant["conditions"]) != set(conditions):
            wrong.append(f"{company_id}: audit says {merchant['conditions']}, the sandbox {conditions}")
    summary = document["summary"]
    if summary["total"] != len(expected) or summary["ready"] != sum(not c for c in expected.values()):
        wrong.append(f"summary {summary} does not count {len(expected)} merchants right")
    return wrong


def measure(merchants: int, seed: int, concurrency: int | None, page_size: int | None,
            rate_limit: int | None = None) -> tuple[float, float, int]:
    """(seconds, peak MiB, wrong verdicts) for an account of ``merchants``."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_serve, args=(merchants, seed, rate_limit, theirs), daemon=True)
    child.start()
    try:
        base_url, expected = ours.recv()
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "audit.json"
            elapsed, peak, code = _audit(base_url, concurrency, output, page_size)
            wrong = _wrong(output, expected) if output.exists() else ["no output written"]
        if code != (1 if any(expected.values()) else 0):
            wrong.append(f"exit code {code}")
        for line in wrong[:10]:
            print(f"  WRONG {line}")
        return elapsed, peak, len(wrong)
    finally:
        ours.send("stop")
        child.join(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--merchants", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--concurrency", type=int, default=None, help="default: the command's own")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=None, help="default: the command's own")
    parser.add_argument("--rate-limit", type=int, default=None, metavar="N",
                        help="the sandbox answers 429 past N calls a second (the audit must slow down, not fail)")
    args = parser.parse_args()
    start_up, base_peak, wrong = measure(0, args.seed, args.concurrency, args.page_size)
    print(f"{'merchants':>9}  {'seconds':>7}  {'merchants/s':>11}  {'after start-up':>14}  {'peak RSS':>9}  wrong")
    print(f"{0:>9}  {start_up:7.2f}  {'-':>11}  {'-':>14}  {base_peak:5.0f} MiB  {wrong}")
    failed = wrong
    for merchants in args.merchants:
        elapsed, peak, wrong = measure(merchants, args.seed, args.concurrency, args.page_size, args.rate_limit)
        failed += wrong
        print(f"{merchants:>9}  {elapsed:7.2f}  {merchants / elapsed:11.0f}  "
              f"{merchants / max(elapsed - start_up, 1e-9):14.0f}  {peak:5.0f} MiB  {wrong}")
    limited = f", the sandbox rate-limited to {args.rate_limit} calls/s" if args.rate_limit else ""
    print(f"concurrency {args.concurrency or 'default'}, page size {args.page_size or 'default'}{limited}; "
          "target: at least 500 merchants/s, memory flat from 1,000 to 10,000")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
