"""The ``sfc-conformance`` command.

Exit codes (all subcommands):

    0  every MUST rule holds (``run``), every merchant judged is ready (``readiness``),
       everything found was deleted (``cleanup``),
       the sandbox stopped cleanly (``sandbox``), or every fault was caught (``selftest``);
       the fuzz found nothing (``fuzz``); the endpoint meets every MUST rule (``consumer``)
    1  a MUST rule failed (or a SHOULD rule under ``--strict``); a merchant is not ready or cannot be read;
       something could not be deleted (``cleanup``);
       a fault survived or the clean sandbox failed (``selftest``); the fuzz found a failure (``fuzz``);
       the endpoint broke a PWH rule (``consumer``)
    2  usage error, or the target was unreachable / refused the key before any rule ran
    3  (``run``) no MUST rule failed, but one was judged only in part, or not at all, though the target
       allows it (a time-critical check a busy machine spoiled twice): the run cannot stand behind a pass
"""

from __future__ import annotations

import argparse
import atexit
import gc
import secrets
import sys
from collections.abc import Sequence
from typing import NoReturn

from sfc_conformance import __version__
from sfc_conformance.core.errors import SfcError
from sfc_conformance.core.secrets import redact
from sfc_conformance.sandbox import FAULTS, FLOW_STYLES
from sfc_conformance.suite.options import add
from sfc_conformance.suite.settings import OPTIONS

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# The process ends with the command: the interpreter's last full garbage collection would walk every
# object of a run (a tenth of a second after `run`) only to free what the exit frees anyway.
atexit.register(gc.freeze)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, no usage dump
        raise SystemExit(_fail(f"{message} (see {self.prog} --help)"))


def _fail(message: str) -> int:
    # The one way out for every error line: whatever a target echoed, no secret leaves in it.
    print(f"sfc-conformance: {redact(message)}", file=sys.stderr)
    return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sfc-conformance", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"sfc-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sandbox = sub.add_parser("sandbox", help="serve the embedded sandbox on 127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (0 picks a free one)")
    add(sandbox, OPTIONS["api_key"], help="API key the sandbox accepts (default: a new random key)")
    add(sandbox, OPTIONS["webhook_secret"], help="sign webhooks with this Standard Webhooks secret")
    sandbox.add_argument("--fault", action="append", default=[], choices=sorted(FAULTS), metavar="NAME",
                         help="break one rule on purpose, to see the suite catch it (repeatable)")
    sandbox.add_argument("--rate-limit", type=int, default=None, metavar="N",
                         help="answer 429 past N API calls a second")
    sandbox.add_argument("--flow-style", choices=FLOW_STYLES, default="pages",
                         help="the merchant's side: server-rendered pages (default), or a browser app whose "
                              "document always loads and whose own requests meet the OTP's 401")
    sandbox.add_argument("--merchants", type=int, default=0, metavar="N",
                         help="start with N merchants in a realistic mix of states (a partner's account)")
    sandbox.add_argument("--dead-subscriptions", type=int, default=0, metavar="M",
                         help="start with M connection.deleted subscriptions whose URLs nobody answers")
    sandbox.add_argument("--seed", type=int, default=0, help="the mix of --merchants, the same for the same seed")
    sandbox.add_argument("--branding", default=None, metavar="FILE",
                         help='the partner\'s logo and colours the flow shows: a JSON file such as {"name": "Acme", '
                              '"logo": "logo.svg" or an http(s) URL, "primaryColour": "#0a7", "accentColour": "#f60"}')

    from sfc_conformance.commands.run import add_run_arguments  # noqa: PLC0415 - keeps `sandbox` start-up light
    add_run_arguments(sub.add_parser("run", help="run the conformance suite against a target"))

    from sfc_conformance.commands.readiness import add_readiness_arguments  # noqa: PLC0415
    add_readiness_arguments(sub.add_parser("readiness", help="check merchants' readiness (READY-1): named, or --all"))

    from sfc_conformance.commands.selftest import add_selftest_arguments  # noqa: PLC0415
    add_selftest_arguments(sub.add_parser("selftest", help="prove the suite: run it against every sandbox fault"))

    from sfc_conformance.commands.fuzz import add_fuzz_arguments  # noqa: PLC0415
    add_fuzz_arguments(sub.add_parser("fuzz", help="fuzz a target from our contract with schemathesis"))

    from sfc_conformance.commands.consumer import add_consumer_arguments  # noqa: PLC0415
    add_consumer_arguments(sub.add_parser("consumer", help="check a partner's webhook endpoint (PWH-1..5), "
                                                           "or serve the reference one"))
    from sfc_conformance.commands.cleanup import add_cleanup_arguments  # noqa: PLC0415
    add_cleanup_arguments(sub.add_parser("cleanup", help="remove what earlier live runs left on a target (RUN-3)"))
    return parser


def _sandbox(args: argparse.Namespace) -> int:
    from sfc_conformance.sandbox import serve  # noqa: PLC0415

    if not 0 <= args.port <= 65535:
        return _fail(f"--port {args.port} is not a port number")
    api_key = args.api_key.reveal() if args.api_key else secrets.token_urlsafe(18)
    webhook_secret = args.webhook_secret.reveal() if args.webhook_secret else None
    if args.merchants < 0 or args.dead_subscriptions < 0:
        return _fail("--merchants and --dead-subscriptions cannot be negative")
    branding = None
    if args.branding is not None:
        from sfc_conformance.sandbox.rendering import PartnerBranding  # noqa: PLC0415

        try:
            branding = PartnerBranding.from_file(args.branding)
        except ValueError as exc:
            return _fail(f"--branding {args.branding}: {exc}")
    try:
        sandbox = serve.build(api_key, webhook_secret, args.fault, args.flow_style, branding)
        sock = serve.bind(args.port)
    except (OSError, ValueError) as exc:
        return _fail(f"cannot start the sandbox: {exc}")
    from sfc_conformance.sandbox.population import populate  # noqa: PLC0415
    account = populate(sandbox.state, args.merchants, dead_subscriptions=args.dead_subscriptions, seed=args.seed)
    sandbox.rate_limit.per_second = args.rate_limit
    host, port = sock.getsockname()[:2]
    shown_key = "(the key given with --api-key / SFC_API_KEY)" if args.api_key else api_key
    print(f"sandbox listening on http://{host}:{port}", flush=True)
    print(f"  base URL: http://{host}:{port}", flush=True)
    print(f"  API key:  {shown_key}", flush=True)
    if args.fault:
        print(f"  faults:   {', '.join(args.fault)}", flush=True)
    if args.flow_style != "pages":
        print(f"  flow:     {args.flow_style} style", flush=True)
    if branding is not None:
        print(f"  branding: {args.branding} (logo {branding.logo_src or 'none'}, colours {branding.primary_colour} "
              f"and {branding.accent_colour})", flush=True)
    if args.merchants:
        mix = ", ".join(f"{state} {count}" for state, count in sorted(account.counts().items()))
        print(f"  merchants: {args.merchants} ({mix}; seed {args.seed})", flush=True)
    if args.dead_subscriptions:
        print(f"  dead subscriptions: {args.dead_subscriptions}", flush=True)
    for line in sandbox.directory.lines(f"http://{host}:{port}"):  # what it serves: operations, keys, client id
        print(f"  {line}", flush=True)
    print("Ctrl-C stops it.", flush=True)
    try:
        serve.serve(sandbox, sock)
    except KeyboardInterrupt:
        pass
    print("sandbox stopped", flush=True)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    try:
        if args.command == "sandbox":
            return _sandbox(args)
        if args.command == "run":
            from sfc_conformance.commands.run import run  # noqa: PLC0415
            return run(args)
        if args.command == "selftest":
            from sfc_conformance.commands.selftest import selftest  # noqa: PLC0415
            return selftest(args)
        if args.command == "fuzz":
            from sfc_conformance.commands.fuzz import fuzz_command  # noqa: PLC0415
            return fuzz_command(args)
        if args.command == "consumer":
            from sfc_conformance.commands.consumer import consumer  # noqa: PLC0415
            return consumer(args)
        if args.command == "cleanup":
            from sfc_conformance.commands.cleanup import cleanup  # noqa: PLC0415
            return cleanup(args)
        from sfc_conformance.commands.readiness import readiness  # noqa: PLC0415
        return readiness(args)
    except SfcError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted")


if __name__ == "__main__":
    raise SystemExit(main())
