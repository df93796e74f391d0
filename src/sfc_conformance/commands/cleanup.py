"""``sfc-conformance cleanup``: remove what earlier live runs left on a target (RUN-3).

    cleanup --base-url URL --api-key KEY [--older-than 1h] [--dry-run] [--concurrency N]

It lists the account's companies and subscriptions, keeps only those a run
marked as its own (never anything else), deletes them a few at a time and
prints one line per leftover and a summary per kind: found / deleted / left.
First it puts back the client-wide settings (flow texts, visible accounts) a
run changed and could not put back itself – killed, or cut off from the
target – from the journal that run kept in the user's cache folder
(:mod:`sfc_conformance.suite.client_settings`).
Exit 0 when everything found is gone and every setting is back (or, with
``--dry-run``, listed), 1 when something could not be deleted or put back (a
target without the optional delete calls still conforms: the command says so
once and lists what it left), 2 for a usage error or a target that cannot be
reached or refuses the key.
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime, timedelta

from sfc_conformance.core.account import KINDS, PLURAL, Leftover, Outcome, Sweeper, SyncFlowApi, parse_age
from sfc_conformance.core.clock import Clock, SystemClock
from sfc_conformance.core.errors import UsageError
from sfc_conformance.core.http import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, Pace, PacedClient, in_order, preflight
from sfc_conformance.core.secrets import redact
from sfc_conformance.suite.client_settings import Journal, repair
from sfc_conformance.suite.options import add
from sfc_conformance.suite.settings import OPTIONS


def add_cleanup_arguments(parser: argparse.ArgumentParser) -> None:
    add(parser, OPTIONS["base_url"], help="target base URL")
    add(parser, OPTIONS["api_key"], help="API key")
    parser.add_argument("--older-than", metavar="AGE",
                        help="only runs started at least AGE ago: 30m, 1h, 2d (default: every run's leftovers)")
    parser.add_argument("--dry-run", action="store_true", help="list exactly what would be deleted; delete nothing")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N",
                        help=f"deletions at once, 1 to {MAX_CONCURRENCY} (default {DEFAULT_CONCURRENCY})")
    add(parser, OPTIONS["timeout"])
    add(parser, OPTIONS["connect_timeout"])


def cleanup(args: argparse.Namespace, clock: Clock | None = None) -> int:
    if not args.base_url or not args.api_key:
        raise UsageError("cleanup needs --base-url and --api-key (or SFC_BASE_URL and SFC_API_KEY)")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency {args.concurrency} is not from 1 to {MAX_CONCURRENCY}")
    try:
        older_than = parse_age(args.older_than) if args.older_than else None
    except ValueError as bad:
        raise UsageError(f"--older-than {bad}") from None
    clock = clock or SystemClock()
    pace = Pace(args.concurrency, clock)
    client = PacedClient(args.base_url, args.api_key, pace, timeout=args.timeout,
                         connect_timeout=args.connect_timeout)
    try:
        preflight(client)
        now = clock.now()

        def running(journal: Journal) -> str | None:
            run = journal.run
            if older_than is None or run is None or now - run.started >= older_than:
                return None
            return f"its run started {_age(now - run.started)} ago, less than --older-than: it may still be going"

        put_back, settings_back = repair(SyncFlowApi(client), Journal.of_account(args.base_url, args.api_key),
                                         dry_run=args.dry_run, keep=running)
        for line in put_back:
            print(line, flush=True)
        sweeper = Sweeper(client, older_than=older_than, now=now)
        found = list(sweeper.find())  # all of it first: deleting while listing would shift the pages
        for kind, why in sweeper.unlisted.items():
            print(f"{PLURAL[kind]}: {why}; the target still conforms, and none of ours could be found")
        if args.dry_run:
            return _dry_run(found, clock.now()) or (0 if settings_back else 1)
        outcomes = Counter[tuple[str, bool]]()
        for outcome in in_order(sweeper.remove, found, workers=args.concurrency):
            print(_line(outcome), flush=True)
            outcomes[outcome.leftover.kind, outcome.deleted] += 1
    finally:
        client.close()
    for kind, why in sweeper.undeletable.items():
        print(f"{PLURAL[kind]}: {why}, one of the profile's optional calls; the target still conforms, "
              f"and the {PLURAL[kind]} marked `left` above are still there")
    for kind in KINDS:
        deleted, left = outcomes[kind, True], outcomes[kind, False]
        print(f"{PLURAL[kind] + ':':<14} found {deleted + left}, deleted {deleted}, left {left}")
    return 1 if sum(outcomes[kind, False] for kind in KINDS) or not settings_back else 0


def _dry_run(found: list[Leftover], now: datetime) -> int:
    for leftover in found:
        assert leftover.run is not None  # found by its mark
        print(f"would delete {leftover.shown} (run {leftover.run}, started {_age(now - leftover.run.started)} ago)")
    counts = Counter(leftover.kind for leftover in found)
    for kind in KINDS:
        print(f"{PLURAL[kind] + ':':<14} found {counts[kind]}, would delete {counts[kind]} (dry run: nothing deleted)")
    return 0


def _line(outcome: Outcome) -> str:
    state = "deleted" if outcome.deleted else "left   "
    note = "" if outcome.note == "deleted" else f"  ({outcome.note})"
    return redact(f"{state}  {outcome.leftover.shown}{note}")


def _age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"
