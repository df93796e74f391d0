"""``sfc-conformance run``: the suite against one target, in one command.

It checks the options and reaches the target first (exit 2 with one line if
that fails), then runs the scenarios with pytest in this process.  Secrets go
to the plugin through the environment, never through argv, so they do not
show up in process listings or reports.

Reports (``--report-dir``, ``--junitxml``) are checked before the run, staged
while it runs and published, whole and with secrets masked, only when rules ran.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from sfc_conformance.core._resources import resource_dir
from sfc_conformance.core.errors import UsageError
from sfc_conformance.report.files import ReportFiles
from sfc_conformance.sandbox import FLOW_STYLES
from sfc_conformance.sandbox.faults import FAULTS, VARIANTS
from sfc_conformance.suite import settings
from sfc_conformance.suite.settings import Settings

EXIT_FOR_PYTEST: dict[int, int] = {
    pytest.ExitCode.OK: 0,
    pytest.ExitCode.TESTS_FAILED: 1,
    pytest.ExitCode.INTERRUPTED: 2,
    pytest.ExitCode.INTERNAL_ERROR: 2,
    pytest.ExitCode.USAGE_ERROR: 2,
    pytest.ExitCode.NO_TESTS_COLLECTED: 2,
}


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument("--base-url", default=env("SFC_BASE_URL"),
                        help="live target base URL (env SFC_BASE_URL); without it the embedded sandbox is the target")
    parser.add_argument("--api-key", default=None, help="live target API key (env SFC_API_KEY)")
    parser.add_argument("--commerce-key", default=env("SFC_COMMERCE_KEY") or "lqai",
                        help="commerce platform key (env SFC_COMMERCE_KEY, default lqai)")
    parser.add_argument("--accounting-key", default=env("SFC_ACCOUNTING_KEY") or "gbol",
                        help="accounting platform key (env SFC_ACCOUNTING_KEY, default gbol)")
    parser.add_argument("--webhook-secret", default=None,
                        help="webhook signing secret, to verify deliveries (env SFC_WEBHOOK_SECRET)")
    parser.add_argument("--strict", action="store_true", help="SHOULD rules fail the run too")
    parser.add_argument("--junitxml", metavar="PATH", help="write a JUnit XML report to PATH")
    parser.add_argument("--report-dir", metavar="DIR",
                        help="write DIR/report.html (the verdict as one HTML page) and DIR/junit.xml")
    parser.add_argument("--tags", metavar="EXPR", help='run only matching scenarios, e.g. "OTP-2 or must"')
    parser.add_argument("--receiver-port", type=int, default=0,
                        help="port on 127.0.0.1 for the webhook receiver (live; 0 picks one)")
    parser.add_argument("--receiver-url", default=None,
                        help="public URL that reaches the receiver, if the target cannot reach 127.0.0.1")
    parser.add_argument("--sandbox-fault", action="append", default=[], choices=sorted(FAULTS), metavar="NAME",
                        help="embedded only: break one rule of the sandbox on purpose (repeatable)")
    parser.add_argument("--sandbox-variant", action="append", default=[], choices=sorted(VARIANTS), metavar="NAME",
                        help="embedded only: a difference the profile allows, which the suite must pass (repeatable)")
    parser.add_argument("--fuzz-examples", type=int, default=settings.DEFAULT_FUZZ_EXAMPLES,
                        help="generated requests per operation (API-5)")
    # The merchant's side in a real browser (profile, "What the merchant sees"): see suite/merchant_eyes.py.
    parser.add_argument("--browser", metavar="PATH", default=None,
                        help="the Chromium that shows the merchant's side (env SFC_BROWSER); live runs find one on "
                             "PATH by themselves, embedded runs use one only when asked")
    parser.add_argument("--flow-style", choices=FLOW_STYLES, default=None,
                        help="embedded only: the sandbox's flow as server-rendered pages (default) or a browser app")
    parser.add_argument("--merchant-driver", choices=["api", "pages", "browser", "manual"], default="api",
                        help="how the merchant acts: the public API; (embedded only) the sandbox's flow pages over "
                             "plain HTTP, or its flow in a browser; or (live) a person who links the merchants the "
                             "run prints, 3 at most")
    parser.add_argument("--linked-company", action="append", default=[], metavar="ID",
                        help="live: a merchant a person linked and configured beforehand; scenarios that need a "
                             "linked merchant use it and put its configuration back (repeatable)")
    parser.add_argument("--link-timeout", type=float, default=settings.DEFAULT_LINK_TIMEOUT, metavar="SECONDS",
                        help="--merchant-driver manual: how long a person has to link the merchants")
    parser.add_argument("--manual-links", type=int, default=settings.DEFAULT_MANUAL_LINKS, metavar="N",
                        help="--merchant-driver manual: merchants to ask a person to link (default 3); rules that "
                             "would need more are n/a")
    parser.add_argument("--keep", action="store_true",
                        help="live: keep the companies and subscriptions the run created, for debugging "
                             "(`sfc-conformance cleanup` removes them later)")
    parser.add_argument("--timeout", type=float, default=settings.DEFAULT_TIMEOUT,
                        help="seconds to wait for each answer")
    parser.add_argument("--connect-timeout", type=float, default=settings.DEFAULT_CONNECT_TIMEOUT,
                        help="seconds to wait for a connection to the target")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every scenario as it runs")


@contextlib.contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    steps = resource_dir("steps")
    arguments = [str(steps), "-c", str(Path(__file__).resolve().parents[1] / "suite" / "pytest.ini"),
                 "--rootdir", str(steps.parent), "-p", "sfc_conformance.suite.plugin",
                 # The verdict shows each failure with its rule, step and exchanges: pytest's
                 # tracebacks would only bury it.  A count of scenarios shows progress.
                 "-v" if args.verbose else "-q", "-rN", "--tb=short" if args.verbose else "--tb=no",
                 "-o", "console_output_style=count",
                 "--sfc-target", "live" if args.base_url else "embedded",
                 "--sfc-commerce-key", args.commerce_key, "--sfc-accounting-key", args.accounting_key,
                 "--sfc-receiver-port", str(args.receiver_port), "--sfc-fuzz-examples", str(args.fuzz_examples),
                 "--sfc-timeout", str(args.timeout), "--sfc-connect-timeout", str(args.connect_timeout),
                 "--sfc-merchant-driver", args.merchant_driver]
    if args.base_url:
        arguments += ["--sfc-base-url", args.base_url]
    if args.browser:
        arguments += ["--sfc-browser", args.browser]
    if args.flow_style:
        arguments += ["--sfc-flow-style", args.flow_style]
    if args.receiver_url:
        arguments += ["--sfc-receiver-url", args.receiver_url]
    if args.strict:
        arguments.append("--sfc-strict")
    if args.keep:
        arguments.append("--sfc-keep")
    for company in args.linked_company:
        arguments += ["--sfc-linked-company", company]
    arguments += ["--sfc-link-timeout", str(args.link_timeout), "--sfc-manual-links", str(args.manual_links)]
    for fault in args.sandbox_fault:
        arguments += ["--sfc-sandbox-fault", fault]
    for variant in args.sandbox_variant:
        arguments += ["--sfc-sandbox-variant", variant]
    if args.tags:
        arguments += ["-m", args.tags]
    return arguments


def _check(args: argparse.Namespace) -> Settings:
    """The same checks the plugin makes, before pytest starts, so that a mistake is one line."""
    checked = settings.build(
        live=bool(args.base_url), base_url=args.base_url, api_key=args.api_key or os.environ.get("SFC_API_KEY"),
        commerce_key=args.commerce_key, accounting_key=args.accounting_key,
        webhook_secret=args.webhook_secret or os.environ.get("SFC_WEBHOOK_SECRET"), strict=args.strict,
        receiver_port=args.receiver_port, receiver_url=args.receiver_url,
        sandbox_faults=tuple(args.sandbox_fault), fuzz_examples=args.fuzz_examples,
        merchant_driver=args.merchant_driver, timeout=args.timeout, connect_timeout=args.connect_timeout,
        sandbox_variants=tuple(args.sandbox_variant), browser=args.browser, flow_style=args.flow_style,
        keep=args.keep, linked_companies=tuple(args.linked_company), link_timeout=args.link_timeout,
        manual_links=args.manual_links)
    if args.tags:  # pytest's own "Unknown marker(s)" error is neither one line nor ours
        from sfc_conformance.core.rules import CONSUMER_RULES, RULES  # noqa: PLC0415
        from sfc_conformance.suite.plugin import TARGET_MARKERS  # noqa: PLC0415
        named = set(re.findall(r"[\w:+.\[\]\\/-]+", args.tags)) - {"and", "or", "not"}
        unknown = sorted(named - set(RULES) - set(TARGET_MARKERS))
        if unknown:
            raise UsageError(f"--tags {args.tags!r} names no rule or tag: {', '.join(unknown)}")
        theirs = sorted(named & set(CONSUMER_RULES))
        if theirs:
            raise UsageError(f"--tags {args.tags!r} names {', '.join(theirs)}, a rule of the partner's own webhook "
                             "endpoint: `sfc-conformance consumer --url URL` checks those")
    return checked


def _reach(checked: Settings) -> None:
    """Live targets: unreachable, slow, non-JSON or refusing the key is exit 2, before any rule runs."""
    from sfc_conformance.core.targets import LiveTarget  # noqa: PLC0415
    from sfc_conformance.suite.preflight import preflight  # noqa: PLC0415

    assert checked.base_url and checked.api_key  # settings.build guarantees both for a live run
    # The client the run will use, built the same way: the same timeouts, retries and clock.
    client = LiveTarget(checked.base_url, checked.api_key, timeout=checked.timeout,
                        connect_timeout=checked.connect_timeout).client()
    try:
        preflight(client)
    finally:
        client.close()


def run(args: argparse.Namespace, plugins: Sequence[object] = ()) -> int:
    """Run the suite; ``plugins`` are extra pytest plugins (``selftest`` reads the verdict through one)."""
    checked = _check(args)
    reports = ReportFiles(args.report_dir, args.junitxml)
    if checked.live:
        _reach(checked)
    if checked.browser:  # asked for: one that will not start is a usage error, before any rule runs
        from sfc_conformance.suite.merchant_eyes import try_browser  # noqa: PLC0415
        try_browser(checked.browser)
    secrets = {"SFC_API_KEY": args.api_key, "SFC_WEBHOOK_SECRET": args.webhook_secret}
    # The whole suite holds API-5: its generated requests start now, in a process of their own, while pytest starts.
    from sfc_conformance.suite.fuzz import Early  # noqa: PLC0415

    early = [] if args.tags else [Early(checked)]
    try:
        with _environment(secrets):
            return run_scenarios(pytest_arguments(args), reports, [*plugins, *early],
                                 none=f"no scenario matched --tags {args.tags!r}" if args.tags else "")
    finally:
        for started in early:
            started.close()


def run_scenarios(arguments: list[str], reports: ReportFiles, plugins: Sequence[object] = (), *,
                  none: str = "") -> int:
    """pytest with ``arguments`` and ``plugins``, its reports staged; the command's exit code.

    The reports are published only when rules ran (exit code 0 or 1); ``none`` is the usage
    error for a run that collected no scenario.
    """
    try:
        code = pytest.main(arguments + reports.pytest_arguments(), plugins=list(plugins))
        if code == pytest.ExitCode.NO_TESTS_COLLECTED:
            raise UsageError(none or "no scenario was collected")
        exit_code = EXIT_FOR_PYTEST.get(int(code), 2)
        if exit_code in (0, 1):  # rules ran: their verdict is worth a report
            reports.publish()
            for written in reports.html + reports.junit:
                print(f"report: {written}", flush=True)
        return exit_code
    finally:
        reports.discard()
