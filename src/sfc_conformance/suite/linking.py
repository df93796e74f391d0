"""Merchants a person links: ``--linked-company`` beforehand, ``--merchant-driver manual`` at the start of a run.

``--linked-company ID`` names merchants a person linked and configured
beforehand: each must be ready to sync, and is lent to the scenarios that
keep the link in place (:mod:`.shared_merchants`), its configuration put back.

On a real integration (Xero signs its merchants in on its own page) the
authorization call cannot link a connection; a person must.  So before any
scenario runs, the run creates the merchants that need a link – as few as
the rules allow: one shared by every scenario that leaves the link in place,
then one for each scenario that breaks it, in order of :data:`PRIORITY`, up
to ``--manual-links`` (3 by default) – prints one link per merchant, and polls
until each accounting connection is ``Linked``, counting down to
``--link-timeout``.  Scenarios left without a link are ``n/a`` with the
reason, never FAIL.

A flow URL works for 30 s after it is issued, less than a person may need to
get to it, so the printed links point at a small page on 127.0.0.1 that asks
the target for a fresh flow URL at every visit and redirects there.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import pytest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from sfc_conformance.core.clock import Clock
from sfc_conformance.core.errors import SfcError, UsageError
from sfc_conformance.core.http import BackgroundServer
from sfc_conformance.core.profile import assess
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.run_merchants import Merchants
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.shared_merchants import READY
from sfc_conformance.suite.target_api import TargetApi, UnexpectedAnswer
from sfc_conformance.verdicts import rule_ids, scenario_name

# Which scenarios that break a link (or need a pristine one) get a person's link first: the rules no
# scenario on the shared merchant can judge, the MUST rules first.
PRIORITY: Final = ("DEL-1", "REV-4", "DEL-2", "LINK-3", "CONF-3", "CONF-4", "CONF-6", "READY-1", "API-1", "API-5",
                   "DEL-4")
POLL_EVERY: Final = 2.0  # seconds between two reads of the connections
SAY_EVERY: Final = 15.0  # seconds between two lines of the countdown
SHARED: Final = "every scenario that leaves the link in place"


@dataclass
class Wanted:
    """A merchant a person is asked to link, and what it is for."""

    merchant: Merchant
    purpose: str  # SHARED, or the scenario it is for
    scenario: str | None  # the scenario's node id; None for the shared merchant
    linked: bool = False


def order_of(rules: list[str], seen_before: int, position: int) -> tuple[int, int, int]:
    """The priority of a link-breaking scenario: one per rule first, then by :data:`PRIORITY`, then as collected."""
    ranks = [PRIORITY.index(rule) for rule in rules if rule in PRIORITY]
    return seen_before, min(ranks, default=len(PRIORITY)), position


class LinkDesk:
    """``GET /link/N`` on 127.0.0.1: a fresh flow URL for merchant N, every time."""

    def __init__(self, merchants: Merchants, wanted: list[Wanted]) -> None:
        self.merchants = merchants
        self.wanted = wanted
        self._server = BackgroundServer(Starlette(routes=[Route("/link/{number:int}", self._open)]))

    def url(self, number: int) -> str:
        return f"{self._server.url}/link/{number}"

    async def _open(self, request: Request) -> Response:
        number = request.path_params["number"]
        if not 1 <= number <= len(self.wanted):
            return PlainTextResponse("There is no merchant with that number in this run.", status_code=404)
        merchant = self.wanted[number - 1].merchant
        try:
            answer = await run_in_threadpool(self.merchants.start_flow, merchant)
        except SfcError as error:
            return PlainTextResponse(f"The target could not be asked for a flow URL: {error}", status_code=502)
        if answer.status_code != 200 or not merchant.flows:
            return PlainTextResponse(f"The start call answered {answer.status_code}: {answer.text[:300]}",
                                     status_code=502)
        return RedirectResponse(merchant.flows[-1].url, status_code=303)

    def __enter__(self) -> LinkDesk:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()


def ask_a_person(api: TargetApi, merchants: Merchants, clock: Clock, wanted: list[Wanted], timeout: float,
                 say: Callable[[str], None]) -> None:
    """Print a link per merchant and wait until a person has linked them all, or ``timeout`` s have passed.

    Each :class:`Wanted` ends with ``linked`` set as its accounting connection was last read.
    """
    if not wanted:
        return
    with LinkDesk(merchants, wanted) as desk:
        say(f"--merchant-driver manual: {len(wanted)} merchant{'s' if len(wanted) != 1 else ''} to link. Open each "
            "link, sign in to the accounting software, and stop once it is linked (the run configures it):")
        for number, item in enumerate(wanted, 1):
            say(f"  {number}. {desk.url(number)}   {item.merchant.name} (company {item.merchant.company_id}), "
                f"for {item.purpose}")
        say("Each link asks the target for a fresh flow URL (a flow URL itself works for 30 s).")
        _wait_for_links(api, clock, wanted, timeout, say)


def _wait_for_links(api: TargetApi, clock: Clock, wanted: list[Wanted], timeout: float,
                    say: Callable[[str], None]) -> None:
    deadline = clock.now() + timedelta(seconds=timeout)
    next_line = clock.now()
    for _ in itertools.count():
        for item in wanted:
            if not item.linked:
                item.linked = _is_linked(api, item.merchant)
        waiting = [item for item in wanted if not item.linked]
        left = (deadline - clock.now()).total_seconds()
        if not waiting or left <= 0:
            break
        if clock.now() >= next_line:
            say(f"waiting {math.ceil(left)} s for {len(waiting)} of {len(wanted)} merchants to be linked…")
            next_line = clock.now() + timedelta(seconds=SAY_EVERY)
        clock.sleep(min(POLL_EVERY, left))
    linked = sum(item.linked for item in wanted)
    say(f"{linked} of {len(wanted)} merchants linked" + (
        "" if linked == len(wanted) else f"; the scenarios of the others are n/a (--link-timeout {timeout:g} s)"))


def _is_linked(api: TargetApi, merchant: Merchant) -> bool:
    try:
        return bool(api.connection(merchant, "Accounting").get("status") == "Linked")
    except (UnexpectedAnswer, SfcError):
        return False


def use_linked_companies(settings: Settings, api: TargetApi, merchants: Merchants) -> None:
    """--linked-company: each must be ready to sync now; the first is lent as the shared ready merchant."""
    for company_id in settings.linked_companies:
        answer = api.get_company(company_id)
        if answer.status_code != 200:
            raise UsageError(f"--linked-company {company_id}: GET /companies/{company_id} answered "
                             f"{answer.status_code}; give the id of a company on this account")
        company = api.json(answer)
        merchant = Merchant(company_id, str(company.get("name")))
        readiness = assess(company, api.configuration(merchant), api.connections(merchant))
        if not readiness.ready:
            raise UsageError(f"--linked-company {company_id} is not ready to sync: "
                             f"{'; '.join(readiness.reasons)}; link and configure it first")
        merchants.shared.adopt(READY, merchant)


def ask_for_links(settings: Settings, api: TargetApi, merchants: Merchants, clock: Clock, chosen: list[pytest.Item],
                  say: Callable[[str], None]) -> None:
    """--merchant-driver manual: as few links as the chosen scenarios need, asked of a person at once.

    Scenarios tagged ``@shared_link`` share one merchant (unless --linked-company gives it); each
    ``@link`` scenario needs its own, granted in :func:`order_of` up to ``--manual-links``.  A
    scenario left without a linked merchant is skipped with the reason: ``n/a``, never FAIL.
    """
    shared = not settings.linked_companies and any(i.get_closest_marker("shared_link") for i in chosen)
    own = [i for i in chosen if i.get_closest_marker("link")]
    seen: Counter[str] = Counter()
    ranked = []
    for position, item in enumerate(own):
        first = (rule_ids(item) or [""])[0]
        ranked.append((order_of(rule_ids(item), seen[first], position), item))
        seen[first] += 1
    ranked.sort(key=lambda pair: pair[0])
    budget = max(0, settings.manual_links - shared)
    for _, item in ranked[budget:]:
        item.add_marker(pytest.mark.skip(reason=(
            f"nothing could be linked for it: it needs a merchant linked for it alone, and the "
            f"{settings.manual_links} links --merchant-driver manual asks a person for went to other rules "
            f"(--manual-links {len(own) + shared} would link them all)")))
    wanted = [Wanted(_merchant_to_link(merchants), SHARED, None)] if shared else []
    wanted += [Wanted(_merchant_to_link(merchants), f"{' '.join(rule_ids(item))}: "
                      f"{scenario_name(item).rsplit('.feature: ', 1)[-1]}", item.nodeid)
               for _, item in ranked[:budget]]
    ask_a_person(api, merchants, clock, wanted, settings.link_timeout, say)
    by_id = {item.nodeid: item for item in own}
    for asked in wanted:
        if asked.scenario is None and asked.linked:
            merchants.linked_for_sharing.append(asked.merchant)
        elif asked.scenario is not None and asked.linked:
            merchants.reserved[asked.scenario] = asked.merchant
        elif asked.scenario is not None:
            by_id[asked.scenario].add_marker(pytest.mark.skip(reason=(
                f"nothing could be linked: no one linked {asked.merchant.name} within --link-timeout "
                f"{settings.link_timeout:g} s (--merchant-driver manual)")))


def _merchant_to_link(merchants: Merchants) -> Merchant:
    merchant = merchants.create()
    merchants.issue_flow_url(merchant, "starting the sync flow of a merchant to link")
    return merchant
