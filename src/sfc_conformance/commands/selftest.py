"""``sfc-conformance selftest``: the kill matrix that proves the suite catches broken targets.

The suite runs once against the clean sandbox, once against each conforming
variant and once against each fault of the catalog
(:mod:`sfc_conformance.sandbox.faults`), in-process or, with ``--live``,
against the sandbox served that way on 127.0.0.1.  A MUST fault is *killed*
when the run exits 1 and reports the very rule the fault breaks (a failure of
some other rule does not count).  A SHOULD fault is killed when the run warns
about its rule and still exits 0: no SHOULD rule may fail a run without
``--strict``, so SHOULD faults run the whole suite.  The clean sandbox and
every variant must pass without a warning.

On the embedded sandbox every fault must show: a fault whose rule comes out
``n/a`` or ``not run`` there is a hole in the suite, and fails the matrix.
Over HTTP a fault whose rule the profile makes unobservable (``LIVE_BLIND``,
or the flow pages and the scheduler, ``n/a``) is neither killed nor survived.

A rule the run judged only in part (``in part``) or not at all (``not judged``:
a check whose timing a busy machine spoiled, profile "Verdicts that do not
bend") never kills its fault: the fault is ``UNJUDGED``, a hole, and fails the
matrix; the clean sandbox must come out with every rule judged.

With ``--busy`` (over HTTP) the matrix runs while every core is taken by a
CPU-bound process (:mod:`.busy`) and its cases run side by side, each with its
browser: the clean sandbox in both flow styles and the OTP timing faults
(:data:`BUSY_FAULTS`), each in one style, the styles taken in turn, each case
the whole suite (``--scope full``: a run of only the
fault's rule leaves its time-critical opens nothing to wait behind, and caught
every one of these faults even when a release gate's whole runs let them
through).  Each must be caught, and the clean sandbox pass, as on an idle
machine.

Every case runs in a process of its own, forked from a server that has already
imported pytest, schemathesis and the suite, so a case costs its scenarios and
not three seconds of imports; ``--jobs`` runs several at once.  A MUST fault's
run of its rule stops, as ``pytest -x`` would, once that rule has failed.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sfc_conformance.core.profile import RULES
from sfc_conformance.sandbox import FLOW_STYLES
from sfc_conformance.sandbox.faults import EXPOSED_BY, FAULTS, LIVE_BLIND, VARIANTS
from sfc_conformance.suite.options import add
from sfc_conformance.suite.settings import OPTIONS, asked_browser
from sfc_conformance.suite.timed_opens import EXPIRED, LATE

KILLED, SURVIVED, NOT_OBSERVABLE, CLEAN, BROKEN, ERROR = "killed", "SURVIVED", "n/a", "clean", "NOT CLEAN", "ERROR"
UNSEEN, MISJUDGED = "UNSEEN", "MISJUDGED"  # a fault the target should show but did not; a SHOULD that failed a run
UNJUDGED = "UNJUDGED"  # the fault's rule was judged only in part, or not at all: not a kill
# A rule's verdict when some of its scenarios (or all of them) could not be judged: never a pass, never a kill.
IN_PART, NOT_JUDGED = "in part", "not judged"
UNJUDGED_STATUSES = (IN_PART, NOT_JUDGED)
# The faults of the OTP window's timing, each caught only by an open that lands when it is due: what --busy runs.
BUSY_FAULTS = ("otp-dies-after-10s", "otp-dies-after-20s", "otp-dies-after-24s", "otp-dies-after-27s",
               "otp-lasts-33s", "otp-lasts-40s", "otp-lasts-too-long")
# How late the run's time-critical opens came, as the verdict's notes say it (OTP-1's late open, OTP-2's expired one).
TIMING = re.compile(r"the (late|expired) open came (\d+(?:\.\d+)?) s after the start call(?:'s answer)? "
                    r"\(due (\d+(?:\.\d+)?) s\)")
# What a forked case needs already imported: the costly part of starting a run.
PRELOAD = ["pytest", "pytest_bdd", "schemathesis", "hypothesis", "httpx", "respx", "starlette", "uvicorn",
           "sfc_conformance.commands.run", "sfc_conformance.suite.plugin", "sfc_conformance.sandbox.app",
           "sfc_conformance.core.account._targets", "sfc_conformance.commands.cli",
           "playwright.sync_api"]  # for cases run with --browser (a module that is not installed is skipped)
SCOPES = {"rule": "only the scenarios of the rule each fault breaks, a MUST fault's run stopped at the rule's first "
                  "failure (fast)",
          "full": "the whole suite for every fault (shows every rule a fault disturbs)"}


@dataclass(frozen=True)
class Case:
    fault: str | None  # None: the clean sandbox, or a conforming variant
    variant: str | None = None
    flow_style: str = "pages"  # the sandbox's merchant side (--flow-style)
    browser: str | None = None  # the browser the run drives (--browser); None: as `run` decides without one

    @property
    def rule(self) -> str | None:
        return FAULTS[self.fault][0] if self.fault else None

    @property
    def name(self) -> str:
        if self.variant:
            return f"variant {self.variant}"
        return self.fault or "(clean sandbox)"

    def label(self, styles: bool = False) -> str:
        """The case's name in the table; with ``styles``, its flow style and browser too (a mixed matrix)."""
        if not styles:
            return self.name
        return f"{self.name} ({self.flow_style}{', browser' if self.browser else ''})"

    @property
    def run_options(self) -> list[str]:
        """The options of `run` the case needs besides its sandbox: the browser it judges the merchant's side in."""
        return ["--browser", self.browser] if self.browser else []

    @property
    def sandbox(self) -> list[str]:
        """What the sandbox is built with: the fault or the variant."""
        return [name for name in (self.fault, self.variant) if name]

    def tags(self, scope: str) -> str | None:
        # A conforming target must pass everything; a SHOULD fault must fail nothing: both run it all.
        if self.fault is None or scope == "full" or not RULES[FAULTS[self.fault][0]].must:
            return None
        return EXPOSED_BY.get(self.fault, self.rule)

    def stops_at(self, scope: str) -> str | None:
        """The rule whose first failure ends the case's run: a MUST fault's, when only its scenarios run (a run of
        the whole suite shows every rule the fault disturbs; a SHOULD fault's must fail nothing to the end)."""
        return self.rule if self.tags(scope) else None

    def waits_for_the_otp_window(self, live: bool, scope: str) -> bool:
        """Live, a run of the whole suite or of a timed rule waits for an OTP window (about 31 s), mostly idle."""
        tags = self.tags(scope)
        return live and (tags is None or tags in (LATE.rule, EXPIRED.rule))


@dataclass
class Result:
    case: Case
    status: str
    exit_code: int
    reported: list[str] = field(default_factory=list)  # rules the run failed or warned about
    seconds: float = 0.0
    reason: str = ""  # why a case is n/a, or what went wrong
    output_tail: str = ""
    notes: dict[str, str] = field(default_factory=dict)  # the verdict's note of each rule that has one

    @property
    def bad(self) -> bool:
        return self.status in (SURVIVED, BROKEN, ERROR, UNSEEN, MISJUDGED, UNJUDGED)

    @property
    def timings(self) -> list[tuple[str, float, float]]:
        """How late the run's time-critical opens came: (``late`` or ``expired``, seconds, due), from the notes."""
        return [(kind, float(came), float(due))
                for note in self.notes.values() for kind, came, due in TIMING.findall(note)]


def cases(faults: Iterable[str] = (), variants: Iterable[str] = (), *, flow_style: str = "pages",
          browser: str | None = None) -> list[Case]:
    """The clean sandbox, then the variants and faults asked for (all of both when neither is)."""
    faults, variants = list(faults), list(variants)
    if not faults and not variants:
        faults, variants = sorted(FAULTS), sorted(VARIANTS)
    unknown = [f for f in faults if f not in FAULTS] + [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown fault or variant {unknown[0]!r}; `sfc-conformance sandbox --help` lists the faults")
    return [Case(None, None, flow_style, browser), *(Case(None, v, flow_style, browser) for v in variants),
            *(Case(f, None, flow_style, browser) for f in faults)]


# -- judging one run ------------------------------------------------------------

def judge(case: Case, exit_code: int, statuses: dict[str, str], live: bool,
          notes: dict[str, str] | None = None) -> tuple[str, str]:
    """(status, reason) of one finished run, from its exit code and per-rule verdicts (and their notes)."""
    notes = notes or {}
    reported = [r for r, s in statuses.items() if s in ("FAIL", "warn")]
    unjudged = [f"{r} {s}" for r, s in statuses.items() if s in UNJUDGED_STATUSES]
    if case.fault is None:
        if exit_code == 0 and not reported and not unjudged:
            return CLEAN, ""
        why = f"exit {exit_code}; reported {', '.join(reported) or 'nothing'}"
        return BROKEN, why + (f"; judged only in part or not judged: {', '.join(unjudged)}" if unjudged else "")
    rule = RULES[FAULTS[case.fault][0]]
    seen = statuses.get(rule.id, "not run")
    if live and case.fault in LIVE_BLIND:
        return NOT_OBSERVABLE, LIVE_BLIND[case.fault]
    if rule.must and exit_code == 1 and seen == "FAIL":
        return KILLED, ""
    if seen in UNJUDGED_STATUSES:
        # The check that would have caught the fault did not land where it means to judge: a hole, never a kill.
        note = notes.get(rule.id, "")
        return UNJUDGED, f"exit {exit_code}; {rule.id} {seen}" + (f": {note}" if note else "")
    if not rule.must:
        failed = [r for r, s in statuses.items() if s == "FAIL"]
        if failed or exit_code == 1:
            return MISJUDGED, (f"exit {exit_code}; a SHOULD fault failed the run through {', '.join(failed) or '?'}:"
                               " no SHOULD rule may fail a run without --strict")
        if seen == "warn":
            return KILLED, ""
    if seen in ("n/a", "not run") and exit_code in (0, 1):
        if not live:
            if case.flow_style == "app" and case.browser is None and seen == "n/a":
                return UNSEEN, (f"{rule.id} is n/a: the app-style flow shows this fault only in a browser, and the "
                                "run had none (--browser PATH)")
            return UNSEEN, (f"{rule.id} is {seen} on the embedded sandbox, which must show every fault: "
                            "the suite cannot see this fault anywhere")
        if seen == "n/a":
            if case.fault in BUSY_FAULTS and not (case.flow_style == "app" and case.browser is None):
                # The OTP window's timing shows over HTTP in both styles (the app style in a browser).
                note = notes.get(rule.id, "")
                return UNSEEN, f"{rule.id} is n/a, but a live run must show this fault" + (f": {note}" if note else "")
            return NOT_OBSERVABLE, f"{rule.id} is n/a on this target"
        return UNSEEN, f"{rule.id}'s scenarios did not run"
    return SURVIVED, f"exit {exit_code}; {rule.id} {seen}"


class _VerdictReader:
    """A pytest plugin that keeps the suite's per-rule verdict, and its notes, once the run ends.

    With ``stop_at``, a rule: the run stops, as ``pytest -x`` stops, once that rule has failed.  A MUST fault is
    killed by its rule's first failure, so its later scenarios (often the model's run) could only repeat the
    kill; mutation testers stop a mutant's tests at its first kill for the same reason.
    """

    def __init__(self, stop_at: str | None = None) -> None:
        self.statuses: dict[str, str] = {}
        self.notes: dict[str, str] = {}
        self._verdict: Any = None
        self._stop_at = stop_at
        self._session: Any = None

    def pytest_sessionstart(self, session: Any) -> None:
        self._session = session

    def pytest_runtest_logfinish(self) -> None:
        # Each scenario's outcome is on the verdict once its last report is logged.
        verdict = getattr(self._session.config.pluginmanager.get_plugin("sfc-suite"), "verdict", None)
        if self._stop_at and verdict is not None and verdict.status(self._stop_at) == "FAIL":
            self._session.shouldfail = f"{self._stop_at} failed: the fault is killed"  # as --maxfail stops a run

    def pytest_sessionfinish(self, session: Any) -> None:
        suite_plugin = session.config.pluginmanager.get_plugin("sfc-suite")
        self._verdict = getattr(suite_plugin, "verdict", None)
        self._read()

    def pytest_unconfigure(self, config: Any) -> None:
        # Again once the verdict is printed: the notes of the scenarios reach it only for the table.
        self._read()

    def _read(self) -> None:
        verdict = self._verdict
        if verdict is not None:
            self.statuses = {rule_id: str(verdict.status(rule_id)) for rule_id in RULES}
            self.notes = {rule_id: note for rule_id in RULES if (note := verdict.note(rule_id))}


# -- one case, in its own process -------------------------------------------------

def run_case(case: Case, live: bool, scope: str) -> Result:
    """Run the suite for one case; the run's own output goes to a file, kept for a failure."""
    from sfc_conformance.commands import run as runner  # noqa: PLC0415 - preloaded by the fork server

    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as log:
        os.dup2(log.fileno(), 1)  # this process runs only this case: its output is the case's
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log
        reader = _VerdictReader(stop_at=case.stops_at(scope))
        exit_code = 2
        reason = ""
        try:
            # A kill needs the model's failure, not its shortest sequence: the model does not shrink here.
            arguments = [*case.run_options, "--model-shrink", "0",
                         *(["--tags", tags] if (tags := case.tags(scope)) else [])]
            if live:
                exit_code = _run_live(case, arguments, reader)
            else:
                sandbox = ["--sandbox-fault", case.fault] if case.fault else []
                sandbox += ["--sandbox-variant", case.variant] if case.variant else []
                sandbox += ["--flow-style", case.flow_style] if case.flow_style != "pages" else []
                exit_code = runner.run(_run_arguments([*arguments, *sandbox]), plugins=[reader])
        except Exception as error:  # noqa: BLE001 - reported as the case's ERROR, with its reason
            reason = f"{type(error).__name__}: {error}".splitlines()[0]
        log.flush()
        log.seek(0)
        tail = "".join(log.readlines()[-40:])
    status, why = judge(case, exit_code, reader.statuses, live, reader.notes)
    if reason and status != KILLED:
        status, why = ERROR, reason
    reported = [r for r, s in reader.statuses.items() if s in ("FAIL", "warn")]
    result = Result(case, status, exit_code, reported, time.monotonic() - started, why, notes=reader.notes)
    result.output_tail = tail if result.bad else ""
    return result


def _run_arguments(arguments: list[str]) -> argparse.Namespace:
    """``sfc-conformance run``'s arguments, parsed as the command parses them."""
    from sfc_conformance.commands.run import add_run_arguments  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="sfc-conformance run")
    add_run_arguments(parser)
    return parser.parse_args(arguments)


def _run_live(case: Case, arguments: list[str], reader: _VerdictReader) -> int:
    """The sandbox with the case's fault, served on 127.0.0.1, and the suite run against it over HTTP."""
    from sfc_conformance.commands import run as runner  # noqa: PLC0415
    from sfc_conformance.core.account import generate_secret  # noqa: PLC0415
    from sfc_conformance.core.http import BackgroundServer  # noqa: PLC0415
    from sfc_conformance.sandbox import serve  # noqa: PLC0415

    api_key, webhook_secret = secrets.token_urlsafe(18), generate_secret()
    sandbox = serve.build(api_key, webhook_secret, case.sandbox, case.flow_style)
    os.environ.update(SFC_API_KEY=api_key, SFC_WEBHOOK_SECRET=webhook_secret)
    try:
        # As `sfc-conformance sandbox` serves it: its scheduler ticks, so what falls due later happens.
        with serve.Scheduler(sandbox), BackgroundServer(sandbox.app) as server:
            args = _run_arguments([*arguments, "--base-url", server.url])
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
    # The cases that wait for an OTP window start first, so that the quick ones fill their waits, not follow them.
    first = sorted(chosen, key=lambda case: not case.waits_for_the_otp_window(live, scope))
    with context.Pool(processes=max(1, jobs), maxtasksperchild=1) as pool:
        started = {id(case): pool.apply_async(run_case, (case, live, scope)) for case in first}
        for case in chosen:  # reported in the order chosen
            result = started[id(case)].get()
            results.append(result)
            on_result(result)
    return results


def row(result: Result, styles: bool = False) -> str:
    """The case's line of the table; with ``styles``, each case's name says its flow style (a mixed matrix)."""
    case = result.case
    rule = case.rule or "-"
    level = RULES[rule].level if case.rule else ""
    reported = ", ".join(result.reported) or "-"
    line = (f"{case.label(styles):<{_width(styles)}} {rule:<8} {level:<6} {result.status:<10} {reported:<22} "
            f"{result.seconds:6.1f} s")
    opens = "; ".join(f"{kind} open {came:g} s (due {due:g} s)" for kind, came, due in result.timings)
    return f"{line}  {'; '.join(part for part in (result.reason, opens) if part)}".rstrip()


def _width(styles: bool) -> int:
    return 46 if styles else 34


def header(styles: bool = False) -> str:
    return (f"{'fault':<{_width(styles)}} {'breaks':<8} {'level':<6} {'verdict':<10} {'suite reported':<22} "
            f"{'time':>8}")


HEADER = header()


def summary(results: list[Result]) -> list[str]:
    faults = [r for r in results if r.case.fault]
    musts = [r for r in faults if r.case.rule and RULES[r.case.rule].must]
    observable = [r for r in musts if r.status != NOT_OBSERVABLE]
    killed = [r for r in observable if r.status == KILLED]
    clean = [r for r in results if r.case.fault is None and r.case.variant is None]
    variants = [r for r in results if r.case.variant]
    unjudged = [r for r in faults if r.status == UNJUDGED]
    lines = [f"MUST faults killed: {len(killed)}/{len(observable)}"
             + (f" ({len(musts) - len(observable)} not observable on this target)" if len(observable) < len(musts)
                else "")
             + (f"; {len(unjudged)} not killed because their rule was judged only in part or not judged"
                if unjudged else ""),
             f"SHOULD faults warned, failing no run: {sum(r.status == KILLED for r in faults if r not in musts)}/"
             f"{sum(1 for r in faults if r not in musts and r.status != NOT_OBSERVABLE)}",
             f"clean sandbox: {'passes' if all(r.status == CLEAN for r in clean) else 'FAILS'}"]
    if variants:
        lines.append(f"conforming variants passed: {sum(r.status == CLEAN for r in variants)}/{len(variants)}")
    opens = lateness(results)
    if opens:
        lines.append("time-critical opens, seconds late against their due time (min / median / max): "
                     + "; ".join(f"{kind} open {low:+.2f} / {middle:+.2f} / {high:+.2f} ({count})"
                                 for kind, (low, middle, high, count) in opens.items()))
    mixed = len({(r.case.flow_style, r.case.browser) for r in results}) > 1
    for result in results:
        if result.bad and result.output_tail:
            lines += ["", f"--- {result.case.label(mixed)}: last lines of its run ---", result.output_tail.rstrip()]
    return lines


def lateness(results: Iterable[Result]) -> dict[str, tuple[float, float, float, int]]:
    """How late each kind of time-critical open came against its due time: (min, median, max, how many)."""
    late: dict[str, list[float]] = {}
    for result in results:
        for kind, came, due in result.timings:
            late.setdefault(kind, []).append(came - due)
    return {kind: (min(values), statistics.median(values), max(values), len(values))
            for kind, values in sorted(late.items())}


# -- command line ---------------------------------------------------------------------

def add_selftest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--live", action="store_true",
                        help="serve the sandbox with each fault on 127.0.0.1 and run the suite over HTTP")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="cases run at once (default: the number of CPUs; with --busy, every case at once)")
    parser.add_argument("--busy", action="store_true",
                        help="with --live: make the machine busy on purpose (a CPU-bound process on every core, "
                             "the cases side by side, each with its browser) and run the clean sandbox in both "
                             f"flow styles and the OTP timing faults ({', '.join(BUSY_FAULTS)}), each in one "
                             "style, the styles taken in turn; a --fault asked for runs in every style, and "
                             "--flow-style narrows it")
    parser.add_argument("--scope", choices=sorted(SCOPES), default=None,
                        help="; ".join(f"{k}: {v}" for k, v in SCOPES.items())
                             + " (default: rule; with --busy, full: a release gate runs the whole suite)")
    parser.add_argument("--fault", action="append", default=[], choices=sorted(FAULTS), metavar="NAME",
                        help="only this fault (repeatable; default: the whole catalog and every variant)")
    parser.add_argument("--level", choices=("MUST", "SHOULD"), type=str.upper, default=None,
                        help="only the faults that break a rule of this level, as if each were named with --fault "
                             "(no conforming variant unless one is named)")
    parser.add_argument("--variant", action="append", default=[], choices=sorted(VARIANTS), metavar="NAME",
                        help=f"only this conforming variant (repeatable): {', '.join(sorted(VARIANTS))}")
    parser.add_argument("--flow-style", choices=FLOW_STYLES, default=None,
                        help="the sandbox's merchant side: server-rendered pages (default; with --busy, both) "
                             "or a browser app")
    add(parser, OPTIONS["browser"], help="every run judges the merchant's side in this Chromium; "
                                         "an app-style flow needs one, or its OTP faults are n/a")


def busy_cases(faults: Iterable[str] = (), flow_styles: Iterable[str] = FLOW_STYLES, *, browser: str,
               variants: Iterable[str] = ()) -> list[Case]:
    """The busy matrix: the clean sandbox in each flow style, and the OTP timing faults asked for in each; by default
    every one of :data:`BUSY_FAULTS`, each in one style, the styles taken in turn (one round of cases side by side,
    each style meeting OTPs that die early and live long, near the window's end and far from it)."""
    styles, faults, variants = list(flow_styles), list(faults), list(variants)
    if faults or variants:
        cases(faults, variants)  # unknown names refused as everywhere
    conforming = [Case(None, variant, style, browser) for style in styles for variant in [None, *variants]]
    if faults:
        return conforming + [Case(fault, None, style, browser) for style in styles for fault in faults]
    return conforming + [Case(fault, None, styles[number % len(styles)], browser)
                         for number, fault in enumerate(BUSY_FAULTS)]


# A case of the busy matrix, the whole suite, takes about one OTP window on an idle machine, two to three minutes on
# two busy cores with every case beside it.  The spinners stop by themselves after this long a round of cases,
# should the matrix outlast them.
BUSY_SECONDS_A_ROUND = 420.0


def _styles_said(chosen: list[Case]) -> str:
    """How a matrix of more than one flow style spreads its cases over them."""
    styles = {case.flow_style for case in chosen}
    spread = {case.name: {c.flow_style for c in chosen if c.name == case.name} for case in chosen}
    if all(mine == styles for mine in spread.values()):
        return " (each in every style)"
    return " (the clean sandbox in every style, each fault in one, the styles taken in turn)"


def selftest(args: argparse.Namespace) -> int:
    """Exit 0 when every observable MUST fault is killed and the clean sandbox passes, else 1."""
    from sfc_conformance.core.errors import UsageError  # noqa: PLC0415

    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs} must be 1 or more")
    if args.busy and not args.live:
        raise UsageError("--busy is for --live: the embedded sandbox's clock is the suite's, so a busy machine "
                         "cannot make an open late there")
    if args.level and args.busy:
        raise UsageError("--level is not for --busy: the busy matrix is the OTP timing faults, every one a MUST fault")
    faults = args.fault + [name for name, (rule, _) in sorted(FAULTS.items())
                           if args.level and RULES[rule].level == args.level and name not in args.fault]
    if args.busy:
        browser: str | None = asked_browser(args.browser)  # each run with its browser, as a release gate runs
        styles = [args.flow_style] if args.flow_style else list(FLOW_STYLES)
        chosen = busy_cases(faults, styles, browser=browser or "", variants=args.variant)
        jobs = args.jobs or len(chosen)
    else:
        browser = asked_browser(args.browser) if args.browser else None
        styles = [args.flow_style or "pages"]
        chosen = cases(faults, args.variant, flow_style=styles[0], browser=browser)
        jobs = args.jobs or os.cpu_count() or 1
    # On a busy machine the time-critical opens compete with everything else a release gate's run does: the
    # whole suite, not only the scenarios of the fault's rule (which leave them nothing to wait behind).
    scope = args.scope or ("full" if args.busy else "rule")
    target = "the sandbox served on 127.0.0.1" if args.live else "the embedded sandbox"
    if styles != ["pages"] or browser:
        target += f" ({' and '.join(styles)} style, {'in ' + browser if browser else 'no browser'})"
    broken = sum(1 for c in chosen if c.fault)
    variants = sum(1 for c in chosen if c.variant)
    mixed = len(styles) > 1
    print(f"kill matrix: {broken} faults, {variants} conforming variants and the clean sandbox"
          f"{_styles_said(chosen) if mixed else ''}, against {target}, scope {scope}, "
          f"{jobs} at a time", flush=True)
    started = time.monotonic()
    load: float | None = None
    with contextlib.ExitStack() as stack:
        if args.busy:
            from sfc_conformance.commands.busy import BusyMachine  # noqa: PLC0415

            rounds = math.ceil(len(chosen) / jobs)
            busy = stack.enter_context(BusyMachine(seconds=rounds * BUSY_SECONDS_A_ROUND))
            print(f"busy machine: {busy.describe()}; {min(jobs, len(chosen))} runs side by side", flush=True)
        print(header(mixed), flush=True)
        results = run_matrix(chosen, live=args.live, scope=scope, jobs=jobs,
                             on_result=lambda result: print(row(result, mixed), flush=True))
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print("", flush=True)
    for line in summary(results):
        print(line)
    if args.busy and load is not None:
        print(f"load average over the last minute, as the last case ended: {load:.1f} on {os.cpu_count()} cores")
    print(f"took {time.monotonic() - started:.1f} s")
    return 1 if any(r.bad for r in results) else 0
