"""``sfc-conformance consumer``: check a partner's own webhook endpoint (PWH-1..5), or serve the reference one.

The check plays Codat: it posts ``connection.deleted`` deliveries to the
endpoint, signed as Standard Webhooks say (with ``--secret``, the endpoint's
own signing secret), and judges the answers.  The first delivery is also the
probe: an endpoint that cannot be reached, answers with a redirect or a web
page stops the command with one line and exit code 2, before any rule and
without a report.  The secret reaches the scenarios inside the plugin object,
never through argv or the environment.

``--serve`` serves the reference consumer (:mod:`sfc_conformance.consumer.reference`)
on 127.0.0.1 instead, optionally with a fault of the catalog switched on.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from urllib.parse import urlsplit

from sfc_conformance.commands.run import run_scenarios
from sfc_conformance.consumer.deliveries import OUTSIDE, Signer, span
from sfc_conformance.consumer.endpoint import ANSWER_WITHIN, MAX_DELIVERIES, SENT_FOR, Endpoint
from sfc_conformance.consumer.faults import FAULTS
from sfc_conformance.consumer.plugin import ConsumerCheck, ConsumerPlugin
from sfc_conformance.consumer.reference import PATH, ReferenceConsumer, serve
from sfc_conformance.core.account import generate_secret, webhook_for
from sfc_conformance.core.errors import UsageError
from sfc_conformance.core.http import HOST, bind
from sfc_conformance.core.profile import CONSUMER_RULES
from sfc_conformance.core.secrets import Secret
from sfc_conformance.report.files import ReportFiles
from sfc_conformance.suite.options import Option, add
from sfc_conformance.suite.settings import OPTIONS

EXIT_OK = 0
DEFAULT_PORT = 8090
SCENARIOS = Path(__file__).resolve().parents[1] / "consumer" / "scenarios.py"
PYTEST_INI = Path(__file__).resolve().parents[1] / "suite" / "pytest.ini"
URL = Option("--url", env="SFC_CONSUMER_URL", help="the endpoint to check, as Codat would post to it")

# What one check sends, rule by rule: what, and what the endpoint must do with it.
SENDS = {
    "PWH-1": ("correctly signed connection.deleted, 5 kinds", f"2xx within {ANSWER_WITHIN:g} s"),
    "PWH-2": (f"unsigned, wrongly signed, {span(OUTSIDE)} off", "refused with a 4xx"),
    "PWH-3": ("the first delivery again (same webhook-id)", "2xx"),
    "PWH-4": ("an unknown type; several signatures, one valid", "2xx"),
    "PWH-5": ("correctly signed connection.deleted, at once", f"each 2xx within {ANSWER_WITHIN:g} s"),
}
_SUM = " + ".join(str(SENT_FOR[rule]) for rule in SENDS)
_TABLE = "\n".join(f"  {SENT_FOR[rule]:<3} {what:<46} {rule}  {CONSUMER_RULES[rule].level:<6}  {must}"
                   for rule, (what, must) in SENDS.items())

DESCRIPTION = f"""\
Check a partner's own webhook endpoint for connection.deleted (profile rules PWH-1..5):
the suite plays Codat and posts events for a made-up company and connection, signed
as Standard Webhooks say, and judges the answers.

It sends at most {MAX_DELIVERIES} requests ({_SUM}), one after another except the burst:
{_TABLE}
Without --secret PWH-2 is n/a and not sent; an endpoint that refuses the suite's
signatures (400/401/403) makes PWH-1, 3, 4 and 5 n/a too, and the rest is not sent.

Exit 0: every MUST rule holds; 1: a MUST rule failed (or a SHOULD rule with --strict);
2: usage error, or the URL is no webhook endpoint (unreachable, a redirect, a web page).

--serve serves the reference consumer on 127.0.0.1 instead: a minimal correct endpoint
to read, and to try the check on (--fault NAME breaks one rule on purpose)."""


def add_consumer_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add(parser, URL)
    # The run's own webhook secret option (and variable), as the endpoint's secret here.
    add(parser, OPTIONS["webhook_secret"], flag="--secret",
        help="the endpoint's Standard Webhooks signing secret, whsec_...; with --serve, the one the reference "
             "consumer verifies with (default: a new one)")
    timeout = OPTIONS["timeout"]
    add(parser, timeout, help=f"seconds to wait for each answer (default {timeout.default:g}, Codat's limit)")
    add(parser, OPTIONS["connect_timeout"], help="seconds to wait for a connection to the endpoint")
    add(parser, OPTIONS["strict"], help="SHOULD rules fail the check too")
    parser.add_argument("--junitxml", metavar="PATH", help="write a JUnit XML report to PATH")
    parser.add_argument("--report-dir", metavar="DIR",
                        help="write DIR/report.html (the verdict as one HTML page) and DIR/junit.xml")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every scenario as it runs")
    parser.add_argument("--serve", action="store_true", help="serve the reference consumer on 127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"--serve: port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--fault", action="append", default=[], choices=sorted(FAULTS), metavar="NAME",
                        help="--serve: break one rule on purpose, to see the check catch it (repeatable): "
                             + ", ".join(f"{name} ({rule})" for name, (rule, _) in FAULTS.items()))


def consumer(args: argparse.Namespace) -> int:
    secret: Secret | None = args.secret or None
    if args.serve:
        if args.url:
            raise UsageError("--serve serves the reference consumer, --url checks an endpoint: give one of them")
        return _serve(args, secret)
    if args.fault:
        raise UsageError("--fault breaks the reference consumer: it goes with --serve")
    return _check(args, args.url, secret)


def _checked_secret(secret: Secret | None) -> Secret | None:
    if not secret:
        return None
    try:
        webhook_for(secret)
    except ValueError as error:
        raise UsageError(f"--secret / SFC_WEBHOOK_SECRET: {error}") from None
    return secret


def _check(args: argparse.Namespace, url: str | None, secret: Secret | None) -> int:
    if not url:
        raise UsageError("give --url URL (or SFC_CONSUMER_URL): the webhook endpoint to check; or --serve")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--url {url!r} is not an absolute http(s) URL")
    for option, seconds in (("--timeout", args.timeout), ("--connect-timeout", args.connect_timeout)):
        if not seconds > 0:  # also refuses nan
            raise UsageError(f"{option} {seconds:g} must be more than 0 seconds")
    signer = Signer(_checked_secret(secret))
    reports = ReportFiles(args.report_dir, args.junitxml)
    endpoint = Endpoint(url, timeout=args.timeout, connect_timeout=args.connect_timeout)
    check = ConsumerCheck(endpoint, signer, strict=args.strict)
    started = time.monotonic()
    try:
        check.reach()
        exit_code = run_scenarios(_pytest_arguments(args), reports, [ConsumerPlugin(check)])
    finally:
        endpoint.close()
    sent = f"{endpoint.sent} request{'s' if endpoint.sent != 1 else ''}"
    print(f"sent {sent} to the endpoint in {time.monotonic() - started:.1f} s", flush=True)
    return exit_code


def _pytest_arguments(args: argparse.Namespace) -> list[str]:
    # The suite's own pytest configuration; its folder bounds where pytest looks for conftest files,
    # so a checkout's conftest.py (which loads `run`'s plugin) stays out.
    return [str(SCENARIOS), "-c", str(PYTEST_INI), "--rootdir", str(SCENARIOS.parent),
            "-v" if args.verbose else "-q", "-rN", "--tb=short" if args.verbose else "--tb=no",
            "-o", "console_output_style=count"]


def _serve(args: argparse.Namespace, secret: Secret | None) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number")
    given = _checked_secret(secret)
    chosen = given or Secret(generate_secret())
    try:
        reference = ReferenceConsumer(chosen, args.fault)
        sock = bind(args.port)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot start the reference consumer: {error}") from None
    port = sock.getsockname()[1]
    shown = "(the secret given with --secret / SFC_WEBHOOK_SECRET)" if given else chosen.reveal()
    print(f"reference consumer listening on http://{HOST}:{port}", flush=True)
    print(f"  webhook URL: http://{HOST}:{port}{PATH}", flush=True)
    print(f"  secret:      {shown}", flush=True)
    if args.fault:
        print(f"  faults:      {', '.join(args.fault)}", flush=True)
    print("Ctrl-C stops it.", flush=True)
    try:
        serve(reference, sock)
    except KeyboardInterrupt:
        pass
    print("reference consumer stopped", flush=True)
    return EXIT_OK
