"""``sfc-conformance run``: the suite against one target, in one command.

Its options are the run's settings (:mod:`sfc_conformance.suite.settings`, the
table the pytest plugin's ``--sfc-*`` options come from too), plus four of its
own that become pytest's own (``--tags`` is ``-m``; ``--junitxml``,
``--report-dir``, ``-v``).  It checks the settings and reaches the target first
(exit 2 with one line if that fails), then runs the scenarios with pytest in
this process, the checked settings handed to the plugin object: nothing goes
through argv or the environment a second time, so secrets do not show up in
process listings or reports.

Reports (``--report-dir``, ``--junitxml``) are checked before the run, staged
while it runs and published, whole and with secrets masked, only when rules ran.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from sfc_conformance.core.errors import UsageError
from sfc_conformance.core.resources import resource_dir
from sfc_conformance.report.files import ReportFiles
from sfc_conformance.suite.options import add_arguments, given_by_args
from sfc_conformance.suite.settings import OPTIONS, Settings, checked
from sfc_conformance.verdicts import VerdictRecorder

EXIT_FOR_PYTEST: dict[int, int] = {
    pytest.ExitCode.OK: 0,
    pytest.ExitCode.TESTS_FAILED: 1,
    pytest.ExitCode.INTERRUPTED: 2,
    pytest.ExitCode.INTERNAL_ERROR: 2,
    pytest.ExitCode.USAGE_ERROR: 2,
    pytest.ExitCode.NO_TESTS_COLLECTED: 2,
}
# No MUST rule failed, but one was judged only in part, or not at all, though the target allows it (a
# time-critical check a busy machine spoiled twice): the run cannot stand behind a pass.
UNSURE_EXIT = 3


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    add_arguments(parser, OPTIONS.values())
    # run's own, which become pytest's own options: plain pytest has them already.
    parser.add_argument("--junitxml", metavar="PATH", help="write a JUnit XML report to PATH")
    parser.add_argument("--report-dir", metavar="DIR",
                        help="write DIR/report.html (the verdict as one HTML page) and DIR/junit.xml")
    parser.add_argument("--tags", metavar="EXPR", help='run only matching scenarios, e.g. "OTP-2 or must"')
    parser.add_argument("-v", "--verbose", action="store_true", help="list every scenario as it runs")


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    """pytest's own arguments for the run: where the scenarios are, how to show them, ``--tags``; no setting."""
    steps = resource_dir("steps")
    arguments = [str(steps), "-c", str(Path(__file__).resolve().parents[1] / "suite" / "pytest.ini"),
                 "--rootdir", str(steps.parent), "-p", "sfc_conformance.suite.plugin",
                 # The verdict shows each failure with its rule, step and exchanges: pytest's
                 # tracebacks would only bury it.  A count of scenarios shows progress.
                 "-v" if args.verbose else "-q", "-rN", "--tb=short" if args.verbose else "--tb=no",
                 "-o", "console_output_style=count"]
    if args.tags:
        arguments += ["-m", args.tags]
    return arguments


def _check(args: argparse.Namespace) -> Settings:
    """The settings, checked before pytest starts, so that a mistake is one line."""
    settings = checked(given_by_args(args, OPTIONS.values()))
    if args.tags:  # pytest's own "Unknown marker(s)" error is neither one line nor ours
        from sfc_conformance.core.profile import CONSUMER_RULES, RULES  # noqa: PLC0415
        from sfc_conformance.suite.plugin import TARGET_MARKERS  # noqa: PLC0415
        named = set(re.findall(r"[\w:+.\[\]\\/-]+", args.tags)) - {"and", "or", "not"}
        unknown = sorted(named - set(RULES) - set(TARGET_MARKERS))
        if unknown:
            raise UsageError(f"--tags {args.tags!r} names no rule or tag: {', '.join(unknown)}")
        theirs = sorted(named & set(CONSUMER_RULES))
        if theirs:
            raise UsageError(f"--tags {args.tags!r} names {', '.join(theirs)}, a rule of the partner's own webhook "
                             "endpoint: `sfc-conformance consumer --url URL` checks those")
    return settings


def _reach(settings: Settings) -> None:
    """Live targets: unreachable, slow, non-JSON or refusing the key is exit 2, before any rule runs."""
    from sfc_conformance.core.account import LiveTarget  # noqa: PLC0415
    from sfc_conformance.core.http import preflight  # noqa: PLC0415

    assert settings.base_url and settings.api_key  # checked() guarantees both for a live run
    # The client the run will use, built the same way: the same timeouts, retries and clock.
    client = LiveTarget(settings.base_url, settings.api_key, timeout=settings.timeout,
                        connect_timeout=settings.connect_timeout).client()
    try:
        preflight(client)
    finally:
        client.close()


def run(args: argparse.Namespace, plugins: Sequence[object] = ()) -> int:
    """Run the suite; ``plugins`` are extra pytest plugins (``selftest`` reads the verdict through one)."""
    settings = _check(args)
    reports = ReportFiles(args.report_dir, args.junitxml)
    if settings.live:
        _reach(settings)
    if settings.browser:  # asked for: one that will not start is a usage error, before any rule runs
        from sfc_conformance.suite.flow_viewer import try_browser  # noqa: PLC0415
        try_browser(settings.browser)
    # The whole suite holds API-5: its generated requests need nothing the run loads or does, so they start
    # now, in a process of their own, while the engines load and pytest starts.
    from sfc_conformance.suite.fuzz import Early  # noqa: PLC0415

    early = [] if args.tags else [Early(settings)]
    try:
        from sfc_conformance.suite.plugin import SuitePlugin  # noqa: PLC0415 - the engines load once the options are read

        return run_scenarios(pytest_arguments(args), reports, [SuitePlugin(settings), *plugins, *early],
                             none=f"no scenario matched --tags {args.tags!r}" if args.tags else "")
    finally:
        for started in early:
            started.close()


def run_scenarios(arguments: list[str], reports: ReportFiles, plugins: Sequence[object] = (), *,
                  none: str = "") -> int:
    """pytest with ``arguments`` and ``plugins``, its reports staged; the command's exit code.

    The reports are published only when rules ran (exit code 0, 1 or 3); ``none`` is the usage
    error for a run that collected no scenario.
    """
    try:
        code = pytest.main(arguments + reports.pytest_arguments(), plugins=list(plugins))
        if code == pytest.ExitCode.NO_TESTS_COLLECTED:
            raise UsageError(none or "no scenario was collected")
        exit_code = EXIT_FOR_PYTEST.get(int(code), 2)
        if exit_code == 0 and any(isinstance(plugin, VerdictRecorder) and plugin.verdict.unsure_musts()
                                  for plugin in plugins):
            exit_code = UNSURE_EXIT
        if exit_code in (0, 1, UNSURE_EXIT):  # rules ran: their verdict is worth a report
            reports.publish()
            for written in reports.html + reports.junit:
                print(f"report: {written}", flush=True)
        return exit_code
    finally:
        reports.discard()
