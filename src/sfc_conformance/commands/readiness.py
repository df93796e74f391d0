"""``sfc-conformance readiness``: READY-1 for one merchant, several, or every one of the account; read-only.

    readiness --company-id ID [ID ...]      the merchants named
    readiness --all                         every company ``GET /companies`` lists

It never writes to the target.  Exit 0 when every merchant judged is ready,
1 when one is not (or cannot be read), 2 for a usage error or a target that
cannot be reached, refuses the key or does nothing but rate-limit, with the
same one-line messages as ``run``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from sfc_conformance.audit import output
from sfc_conformance.audit.engine import DEFAULT_PAGE_SIZE, Auditor, Verdict, audit
from sfc_conformance.core.clock import SystemClock
from sfc_conformance.core.errors import UsageError
from sfc_conformance.core.http import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, Pace, PacedClient, preflight
from sfc_conformance.report.files import check_writable
from sfc_conformance.suite.options import add
from sfc_conformance.suite.settings import OPTIONS


def add_readiness_arguments(parser: argparse.ArgumentParser) -> None:
    add(parser, OPTIONS["base_url"], help="target base URL")
    add(parser, OPTIONS["api_key"], help="API key")
    parser.add_argument("--company-id", action="extend", nargs="+", default=[], metavar="ID",
                        help="a merchant's company id (several, or the option again, for more)")
    parser.add_argument("--all", action="store_true", help="every company of the account (GET /companies)")
    parser.add_argument("--format", choices=output.FORMATS, default="table",
                        help="table (the merchants not ready, then a summary), json or csv (one row per merchant)")
    parser.add_argument("--output", metavar="FILE", help="write to FILE (whole, once the audit ends) not stdout")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N",
                        help=f"merchants read at once, 1 to {MAX_CONCURRENCY} (default {DEFAULT_CONCURRENCY}); "
                             "fewer while the target rate-limits")
    parser.add_argument("--connections-list", action=argparse.BooleanOptionalAction, default=None,
                        help="also read each merchant's connections list, which must agree with the company's "
                             "dataConnections (READY-1); one more call per merchant. Default: on with "
                             "--company-id, off with --all")
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE, metavar="N",
                        help=f"companies per page of GET /companies, 1 to 5000 (default {DEFAULT_PAGE_SIZE})")
    add(parser, OPTIONS["timeout"])
    add(parser, OPTIONS["connect_timeout"])


def _checked(args: argparse.Namespace) -> None:
    if bool(args.company_id) == args.all:
        raise UsageError("readiness needs --company-id ID or --all (one of them)")
    if not args.base_url or not args.api_key:
        raise UsageError("readiness needs --base-url and --api-key (or SFC_BASE_URL and SFC_API_KEY)")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency {args.concurrency} is not from 1 to {MAX_CONCURRENCY}")
    if not 1 <= args.page_size <= 5000:
        raise UsageError(f"--page-size {args.page_size} is not from 1 to 5000")
    if args.output:
        check_writable(Path(args.output), "--output", make_folders=False)


def readiness(args: argparse.Namespace) -> int:
    _checked(args)
    pace = Pace(args.concurrency, SystemClock())
    client = PacedClient(args.base_url, args.api_key, pace, timeout=args.timeout,
                         connect_timeout=args.connect_timeout)
    with_list = bool(args.company_id) if args.connections_list is None else args.connections_list
    single = len(args.company_id) == 1 and args.format == "table"
    try:
        preflight(client)
        auditor = Auditor(client, connections_list=with_list, page_size=args.page_size)
        with _progress(bool(args.all)) as advance, _destination(args.output) as out:
            write = output.writer(args.format, out, single=single)

            def each(verdict: Verdict, total: int | None) -> None:
                write.row(verdict)
                advance(total)

            summary = audit(auditor, None if args.all else args.company_id, workers=args.concurrency, each=each)
            write.finish(summary)
    except BrokenPipeError:
        # The reader went away (`readiness --all | head`): not an error worth a traceback, and the verdict
        # is unknown to whoever stopped reading.  Later writes (the interpreter's flush) go nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        client.close()
    return 0 if summary.not_ready == 0 else 1


@contextlib.contextmanager
def _destination(path: str | None) -> Iterator[TextIO]:
    """stdout, or ``path`` written whole: a temporary file beside it, renamed over it once the audit ended."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)


@contextlib.contextmanager
def _progress(wanted: bool) -> Iterator[Callable[[int | None], None]]:
    """A progress bar on stderr when it is a terminal (and the audit is long enough to want one); else nothing."""
    if not (wanted and sys.stderr.isatty()):
        yield lambda total: None
        return
    from rich.console import Console  # noqa: PLC0415 - only a terminal pays for it
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(file=sys.stderr), transient=True,
                   # Rows bound for the same terminal go above the bar; rows bound elsewhere are left alone.
                   redirect_stdout=sys.stdout.isatty(), redirect_stderr=False)
    with bar:
        task = bar.add_task("merchants", total=None)

        def advance(total: int | None) -> None:
            bar.update(task, advance=1, total=total)

        yield advance
