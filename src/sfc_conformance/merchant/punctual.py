"""Time-critical opens of a flow URL, made at their due time whatever else the run is doing.

OTP-1's late open must reach the target 20–28 s after the start call was sent
(profile, OTP-1 and "Verdicts that do not bend").  An open that waits behind
other work of the run lands outside that band, and proves nothing.  So a
:class:`PunctualOpener` has a looker of its own, made ready ahead of time and
doing nothing else:

* with a browser, a Chromium of its own in a thread of its own, its page open
  before the due time; every request carrying the OTP is held by the page and
  released at the due time (:meth:`~sfc_conformance.merchant.browser.BrowserSession.hold_otp`);
* without one, a thread that sleeps until the due time and then sends one plain GET.

Each open is reported with *when* the OTP reached the target: no earlier
than the first request carrying it left, no later than the last one's
answer began (:class:`Timed`).  The caller judges the band from those two
times, never from when it asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sfc_conformance.merchant.browser import BrowserSession, MerchantBrowser
from sfc_conformance.merchant.browser_thread import BrowserThread
from sfc_conformance.merchant.view import MerchantView, PlainView, otp_of, plain_open

if TYPE_CHECKING:
    import httpx


# A browser app's own requests with the OTP follow its document by a spell measured on a rehearsal (a flow
# URL with its OTP changed, which every target refuses); the document leaves that much earlier, with room.
LEAD_ROOM = 1.5
LEAD_MARGIN = 0.2  # seconds
# Seconds: the navigation starts this much before the document's release, then waits in the page.  On a busy
# machine the browser and Playwright take a second or more to hand the page's request to its hold: it must be
# held, waiting, before it is due, or it leaves late.
PREROLL = 3.0


@dataclass(frozen=True)
class Timed:
    """A time-critical open: what was seen, and when the OTP reached the target (seconds since the epoch)."""

    view: MerchantView | PlainView
    first_sent: float  # the first request carrying the OTP left no earlier than this
    last_sent: float  # the last one left no earlier than this: it decides a browser app's verdict
    last_answered: float  # the last one's answer began no later than this
    drawn: str = ""  # the page as the browser drew it ("" for a plain GET)
    title: str = ""

    @property
    def spread(self) -> float:
        """From the first request with the OTP leaving to the last one leaving: the lead a browser app needs
        (0 for a flow whose only request with the OTP is its document)."""
        return max(0.0, self.last_sent - self.first_sent)


def _lead_for(timed: Timed) -> float:
    """The lead a browser app's document needs, with room, from how far apart its requests with the OTP left;
    0 for a flow whose only request with the OTP is its document."""
    return timed.spread * LEAD_ROOM + LEAD_MARGIN if timed.spread > LEAD_MARGIN / 2 else 0.0


def _bracket(view: MerchantView, started: float, ended: float) -> tuple[float, float, float]:
    """(first sent, last sent, last answered) of the requests carrying the OTP; a time not known is the open's
    own start (for a sending) or end (for an answer): never a time the truth could be outside of."""
    carrying = [r for r in view.requests if r.carries_otp]
    sent = [r.sent_at if r.sent_at is not None else started for r in carrying] or [started]
    answered = [r.answered_at if r.answered_at is not None else ended for r in carrying] or [ended]
    return min(sent), max(sent), max(answered)


class PunctualOpener:
    """Opens flow URLs at given times with a looker of its own; :meth:`close` when done."""

    def __init__(self, http: httpx.Client, *, browser: str | None = None, timeout: float = 15.0,
                 quiet: float = 0.5, snapshot: Callable[[BrowserSession], tuple[str, str]] | None = None) -> None:
        self._http = http
        self._timeout = timeout
        self._browser = BrowserThread(browser, timeout=timeout, quiet=quiet) if browser else None
        self._drawn = snapshot or (lambda tab: ("", ""))

    def warm(self) -> None:
        """Start the browser now, long before anything is due (it takes a second or two, more when busy)."""
        if self._browser is not None:
            self._browser.start()

    def rehearse(self, url: str) -> float:
        """The lead a browser app needs (:func:`_lead_for`), measured on ``url`` as the browser opens it now
        (pass one every target refuses).  0 without a browser."""
        if self._browser is None:
            return 0.0
        return _lead_for(self._browser.call(lambda chromium: self._open(chromium, url, time.time(), time.time())))

    def lead_after(self, timed: Timed, lead: float) -> float:
        """The lead for the next try, once ``timed`` showed how far apart this flow's requests with the OTP left
        now (never less than before)."""
        return max(lead, _lead_for(timed)) if self._browser is not None else 0.0

    def open_at(self, url: str, due: float, *, lead: float = 0.0) -> Timed:
        """Open ``url`` so that the OTP reaches the target at ``due`` (seconds since the epoch); a browser app's
        document leaves ``lead`` s earlier.  Returns once the open is judged."""
        if self._browser is not None:
            return self._browser.call(lambda chromium: self._open(chromium, url, due - lead, due))

        # The caller is the scheduled open's own thread: it waits, then sends one plain GET.
        wait = due - time.time()
        if wait > 0:
            time.sleep(wait)
        started = time.time()
        view = plain_open(url, self._http, timeout=self._timeout)
        return Timed(view, started, started, time.time())

    def _open(self, chromium: MerchantBrowser, url: str, document_at: float, others_at: float) -> Timed:
        with chromium.session() as tab:  # the context and page are ready before the release
            tab.hold_otp(otp_of(url), document_at=document_at, others_at=others_at)
            wait = document_at - PREROLL - time.time()
            if wait > 0:
                time.sleep(wait)
            started = time.time()
            view = tab.open(url)
            ended = time.time()
            first, last, answered = _bracket(view, started, ended)
            drawn, title = self._drawn(tab)
            return Timed(view, first, last, answered, drawn, title)

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
