"""``sfc-conformance selftest``: the kill matrix that proves the suite catches broken targets.

The suite runs once against the clean sandbox and once against each fault of
the catalog (:mod:`sfc_conformance.sandbox.faults`), in-process or, with
``--live``, against the sandbox served with that fault on 127.0.0.1.  A fault
is *killed* when the run exits 1 and reports the very rule the fault breaks (a
failure of some other rule does not count); a SHOULD-level fault is killed when
the run warns about its rule.  A fault whose rule cannot be seen on the target
(``n/a``, e.g. the flow pages over HTTP) is neither killed nor survived.

Every case runs in a process of its own, forked from a server that has already
imported pytest, schemathesis and the suite, so a case costs its scenarios and
not three seconds of imports; ``--jobs`` runs several at once.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .rules import RULES
from .sandbox.faults import EXPOSED_BY, FAULTS, LIVE_BLIND

KILLED, SURVIVED, NOT_OBSERVABLE, CLEAN, BROKEN, ERROR = "killed", "SURVIVED", "n/a", "clean", "NOT CLEAN", "ERROR"
# What a forked case needs already imported: the costly part of starting a run.
PRELOAD = ["pytest", "pytest_bdd", "schemathesis", "hypothesis", "httpx", "respx", "starlette", "uvicorn",
           "sfc_conformance.runner", "sfc_conformance.suite.plugin", "sfc_conformance.sandbox.app",
           "sfc_conformance.targets", "sfc_conformance.cli"]
SCOPES = {"rule": "only the scenarios of the rule each fault breaks (fast)",
          "full": "the whole suite for every fault (shows every rule a fault disturbs)"}


@dataclass(frozen=True)
class Case:
    fault: str | None  # None: the clean sandbox

    @property
    def rule(self) -> str | None:
        return FAULTS[self.fault][0] if self.fault else None

    @property
    def name(self) -> str:
        return self.fault or "(clean sandbox)"

    def tags(self, scope: str) -> str | None:
        if self.fault is None or scope == "full":
            return None
        return EXPOSED_BY.get(self.fault, self.rule)


@dataclass
class Result:
    case: Case
    status: str
    exit_code: int
    reported: list[str] = field(default_factory=list)  # rules the run failed or warned about
    seconds: float = 0.0
    reason: str = ""  # why a case is n/a, or what went wrong
    output_tail: str = ""

    @property
    def bad(self) -> bool:
        return self.status in (SURVIVED, BROKEN, ERROR)


def cases(faults: Iterable[str] = ()) -> list[Case]:
    chosen = list(faults) or sorted(FAULTS)
    unknown = [f for f in chosen if f not in FAULTS]
    if unknown:
        raise ValueError(f"unknown fault {unknown[0]!r}; `sfc-conformance sandbox --help` lists them")
    return [Case(None), *(Case(f) for f in chosen)]


# -- judging one run ------------------------------------------------------------

def judge(case: Case, exit_code: int, statuses: dict[str, str], live: bool) -> tuple[str, str]:
    """(status, reason) of one finished run, from its exit code and per-rule verdicts."""
    reported = [r for r, s in statuses.items() if s in ("FAIL", "warn")]
    if case.fault is None:
        if exit_code == 0 and not reported:
            return CLEAN, ""
        return BROKEN, f"exit {exit_code}; reported {', '.join(reported) or 'nothing'}"
    rule = RULES[FAULTS[case.fault][0]]
    seen = statuses.get(rule.id, "not run")
    if live and case.fault in LIVE_BLIND:
        return NOT_OBSERVABLE, LIVE_BLIND[case.fault]
    if rule.must and exit_code == 1 and seen == "FAIL":
        return KILLED, ""
    if not rule.must and seen == "warn":
        return KILLED, ""
    if seen in ("n/a", "not run") and exit_code in (0, 1):
        return NOT_OBSERVABLE, f"{rule.id} is {seen} on this target"
    return SURVIVED, f"exit {exit_code}; {rule.id} {seen}"


class _VerdictReader:
    """A pytest plugin that keeps the suite's per-rule verdict once the run ends."""

    def __init__(self) -> None:
        self.statuses: dict[str, str] = {}

    def pytest_sessionfinish(self, session: Any) -> None:
        suite_plugin = session.config.pluginmanager.get_plugin("sfc-suite")
        verdict = getattr(suite_plugin, "verdict", None)
        if verdict is not None:
            self.statuses = {rule_id: verdict.status(rule_id) for rule_id in RULES}


# -- one case, in its own process -------------------------------------------------

def run_case(case: Case, live: bool, scope: str) -> Result:
    """Run the suite for one case; the run's own output goes to a file, kept for a failure."""
    from . import cli, runner  # noqa: PLC0415 - preloaded by the fork server

    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as log:
        os.dup2(log.fileno(), 1)  # this process runs only this case: its output is the case's
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log
        reader = _VerdictReader()
        exit_code = 2
        reason = ""
        try:
            arguments = ["run", *(["--tags", tags] if (tags := case.tags(scope)) else [])]
            if live:
                exit_code = _run_live(case, arguments, reader)
            else:
                faults = ["--sandbox-fault", case.fault] if case.fault else []
                exit_code = runner.run(cli.build_parser().parse_args([*arguments, *faults]), plugins=[reader])
        except Exception as error:  # noqa: BLE001 - reported as the case's ERROR, with its reason
            reason = f"{type(error).__name__}: {error}".splitlines()[0]
        log.flush()
        log.seek(0)
        tail = "".join(log.readlines()[-40:])
    status, why = judge(case, exit_code, reader.statuses, live)
    if reason and status != KILLED:
        status, why = ERROR, reason
    reported = [r for r, s in reader.statuses.items() if s in ("FAIL", "warn")]
    return Result(case, status, exit_code, reported, time.monotonic() - started, why,
                  tail if status in (SURVIVED, BROKEN, ERROR) else "")


def _run_live(case: Case, arguments: list[str], reader: _VerdictReader) -> int:
    """The sandbox with the case's fault, served on 127.0.0.1, and the suite run against it over HTTP."""
    from . import cli, runner  # noqa: PLC0415
    from .background_server import BackgroundServer  # noqa: PLC0415
    from .sandbox import serve  # noqa: PLC0415
    from .webhook_signing import generate_secret  # noqa: PLC0415

    api_key, webhook_secret = secrets.token_urlsafe(18), generate_secret()
    sandbox = serve.build(api_key, webhook_secret, [case.fault] if case.fault else [])
    os.environ.update(SFC_API_KEY=api_key, SFC_WEBHOOK_SECRET=webhook_secret)
    try:
        with BackgroundServer(sandbox.app) as server:
            args = cli.build_parser().parse_args([*arguments, "--base-url", server.url])
            return runner.run(args, plugins=[reader])
    finally:
        sandbox.close()


# -- the matrix -----------------------------------------------------------------------

def run_matrix(chosen: list[Case], *, live: bool = False, scope: str = "rule", jobs: int = 1,
               on_result: Callable[[Result], None] = lambda result: None) -> list[Result]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    results: list[Result] = []
    # One fresh process per case: pytest and the suite keep state between runs in one process.
    with context.Pool(processes=max(1, jobs), maxtasksperchild=1) as pool:
        pending = [pool.apply_async(run_case, (case, live, scope)) for case in chosen]
        for waiting in pending:
            result = waiting.get()
            results.append(result)
            on_result(result)
    return results


def row(result: Result) -> str:
    case = result.case
    rule = case.rule or "-"
    level = RULES[rule].level if case.rule else ""
    reported = ", ".join(result.reported) or "-"
    line = (f"{case.name:<30} {rule:<8} {level:<6} {result.status:<10} {reported:<22} "
            f"{result.seconds:6.1f} s")
    return f"{line}  {result.reason}".rstrip()


HEADER = f"{'fault':<30} {'breaks':<8} {'level':<6} {'verdict':<10} {'suite reported':<22} {'time':>8}"


def summary(results: list[Result]) -> list[str]:
    faults = [r for r in results if r.case.fault]
    musts = [r for r in faults if r.case.rule and RULES[r.case.rule].must]
    observable = [r for r in musts if r.status != NOT_OBSERVABLE]
    killed = [r for r in observable if r.status == KILLED]
    clean = [r for r in results if r.case.fault is None]
    lines = [f"MUST faults killed: {len(killed)}/{len(observable)}"
             + (f" ({len(musts) - len(observable)} not observable on this target)" if len(observable) < len(musts)
                else ""),
             f"SHOULD faults warned: {sum(r.status == KILLED for r in faults if r not in musts)}/"
             f"{sum(1 for r in faults if r not in musts and r.status != NOT_OBSERVABLE)}",
             f"clean sandbox: {'passes' if all(r.status == CLEAN for r in clean) else 'FAILS'}"]
    for result in results:
        if result.bad and result.output_tail:
            lines += ["", f"--- {result.case.name}: last lines of its run ---", result.output_tail.rstrip()]
    return lines


# -- command line ---------------------------------------------------------------------

def add_selftest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--live", action="store_true",
                        help="serve the sandbox with each fault on 127.0.0.1 and run the suite over HTTP")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="cases run at once (default: the number of CPUs)")
    parser.add_argument("--scope", choices=sorted(SCOPES), default="rule",
                        help="; ".join(f"{k}: {v}" for k, v in SCOPES.items()))
    parser.add_argument("--fault", action="append", default=[], choices=sorted(FAULTS), metavar="NAME",
                        help="only this fault (repeatable; default: the whole catalog)")


def selftest(args: argparse.Namespace) -> int:
    """Exit 0 when every observable MUST fault is killed and the clean sandbox passes, else 1."""
    from .errors import UsageError  # noqa: PLC0415

    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs} must be 1 or more")
    chosen = cases(args.fault)
    target = "the sandbox served on 127.0.0.1" if args.live else "the embedded sandbox"
    print(f"kill matrix: {len(chosen) - 1} faults and the clean sandbox, against {target}, "
          f"scope {args.scope}, {args.jobs} at a time", flush=True)
    print(HEADER, flush=True)
    started = time.monotonic()
    results = run_matrix(chosen, live=args.live, scope=args.scope, jobs=args.jobs,
                         on_result=lambda result: print(row(result), flush=True))
    print("", flush=True)
    for line in summary(results):
        print(line)
    print(f"took {time.monotonic() - started:.1f} s")
    return 1 if any(r.bad for r in results) else 0
