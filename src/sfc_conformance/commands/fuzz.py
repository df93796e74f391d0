"""``sfc-conformance fuzz``: the contract fuzz against one target, from the command line.

Exit 0 when no MUST rule was found broken (a SHOULD rule's finding is a
warning, as in ``run``, unless ``--strict``), 1 when one was (each finding
printed with its rule and a ``curl`` that reproduces it, the key masked), 2
for a usage error or a target that cannot be fuzzed (unreachable, refusing the
key, not answering JSON, or failing mid-run), with one line saying why.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sfc_conformance.core.account import PLATFORM_KEY
from sfc_conformance.core.errors import UsageError
from sfc_conformance.core.http import ApiClient
from sfc_conformance.core.secrets import Secret, redact
from sfc_conformance.suite.options import add
from sfc_conformance.suite.settings import OPTIONS

if TYPE_CHECKING:  # schemathesis and hypothesis load when a fuzz starts, not whenever the command line is read
    from sfc_conformance.fuzzing import Budget, Finding, FuzzReport

EXIT_OK, EXIT_FOUND = 0, 1
SUBSCRIBE = "POST /webhooks"


def add_fuzz_arguments(parser: argparse.ArgumentParser) -> None:
    add(parser, OPTIONS["base_url"], help="target base URL; without it the embedded sandbox, in this process")
    add(parser, OPTIONS["api_key"], help="the target's API key")
    parser.add_argument("--max-examples", type=int, default=20, metavar="N",
                        help="generated requests per operation and mode (valid, invalid), "
                             "and stateful scenarios (default 20)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="what is generated: the same seed sends the same requests (default 0)")
    parser.add_argument("--max-time", type=float, default=600.0, metavar="SECONDS",
                        help="send nothing more after this many seconds and report (default 600)")
    for shared in ("commerce_key", "accounting_key", "sandbox_faults", "timeout", "strict"):
        add(parser, OPTIONS[shared])


def _checked(args: argparse.Namespace) -> tuple[Budget, Secret | None]:
    from sfc_conformance.fuzzing import Budget  # noqa: PLC0415

    if args.max_examples < 1:
        raise UsageError(f"--max-examples {args.max_examples} must be 1 or more")
    if not args.max_time > 0:
        raise UsageError(f"--max-time {args.max_time:g} must be more than 0 seconds")
    if not args.timeout > 0:
        raise UsageError(f"--timeout {args.timeout:g} must be more than 0 seconds")
    for name, key in (("--commerce-key", args.commerce_key), ("--accounting-key", args.accounting_key)):
        if not PLATFORM_KEY.match(key):
            raise UsageError(f"{name} {key!r} is not a platform key: four lower-case letters, like lqai or gbol")
    api_key: Secret | None = args.api_key or None
    if args.base_url:
        parts = urlsplit(args.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"--base-url {redact(args.base_url)!r} is not an absolute http(s) URL")
        if not api_key:
            raise UsageError("fuzzing a target needs its API key: --api-key or SFC_API_KEY")
        if args.sandbox_fault:
            raise UsageError("--sandbox-fault applies to the embedded sandbox only, not to --base-url targets")
    return Budget(args.max_examples, seed=args.seed, max_time=args.max_time), api_key


@contextmanager
def _client(args: argparse.Namespace, api_key: Secret | None) -> Iterator[tuple[ApiClient, bool]]:
    """The client to fuzz through, and whether its target is contained in this process."""
    if not args.base_url:
        from sfc_conformance.sandbox.embedded import EmbeddedTarget  # noqa: PLC0415 - the sandbox loads only when it is the target

        target = EmbeddedTarget(faults=tuple(args.sandbox_fault))
        target.start()
        client = target.client()
        try:
            yield client, True
        finally:
            client.close()
            target.stop()
        return
    from sfc_conformance.core.http import preflight  # noqa: PLC0415

    assert api_key is not None  # _checked demands one for a base URL
    client = ApiClient(args.base_url, api_key, timeout=args.timeout)
    try:
        preflight(client)  # unreachable, refusing the key, not JSON: exit 2 before anything is generated
        yield client, False
    finally:
        client.close()


def fuzz_command(args: argparse.Namespace) -> int:
    from sfc_conformance.fuzzing import fuzz  # noqa: PLC0415

    budget, api_key = _checked(args)
    with _client(args, api_key) as (client, contained):
        where = redact(client.base_url) if args.base_url else "the embedded sandbox"
        print(f"fuzzing {where} from our contract: {budget.max_examples} examples per operation and mode, "
              f"{budget.max_examples} stateful scenarios, seed {budget.seed}, at most {budget.max_time:g} s",
              flush=True)
        report = fuzz(client, budget, contained=contained, commerce_key=args.commerce_key,
                      accounting_key=args.accounting_key)
    print(render(report), flush=True)
    return EXIT_FOUND if report.failed(strict=args.strict) else EXIT_OK


def render(report: FuzzReport) -> str:
    lines = [finding.describe() + "\n" for finding in report.findings]
    if report.merchant is None:
        lines.append("note: the target created no company for the run, so path ids were generated, not real")
    if not report.subscriptions_fuzzed:
        lines.append(f"note: {SUBSCRIBE} got only bodies that are not JSON: a generated URL would have the "
                     "target post events to it")
    never = [label for label in report.operations
             if label not in report.succeeded and (report.subscriptions_fuzzed or label != SUBSCRIBE)]
    if never:
        lines.append(f"note: never answered a generated request with 2xx: {', '.join(never)}")
    if report.not_judged:
        lines.append(f"note: {len(report.not_judged)} request(s) got no answer in time (--timeout) and were not "
                     "judged: a slow answer may be this machine's, not the target's")
        lines += [f"  {line}" for line in report.not_judged[:5]]
    if report.out_of_time:
        lines.append("note: the time ran out (--max-time); some generated requests were not sent")
    failures, warnings = report.failures, report.warnings
    verdict = (f"{len(failures)} failure(s) breaking {', '.join(_rules(failures))}" if failures
               else "no failure found")
    if warnings:
        verdict += f"; {len(warnings)} warning(s) under SHOULD rules {', '.join(_rules(warnings))}"
    lines.append(f"{report.requests} requests to {len(report.operations)} operations in {report.elapsed:.1f} s: "
                 f"{verdict}")
    return redact("\n".join(lines))


def _rules(findings: list[Finding]) -> list[str]:
    return sorted({finding.rule for finding in findings})
