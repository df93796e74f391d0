"""The flow viewer: a flow URL opened as the merchant opens it, and judged (profile, "What the merchant sees").

    opened = flow_viewer.look(url)   # opens, refused or undecided, with the reason; or None: not judged here
    shown = flow_viewer.look_at_customization(url, locale="fr-fr")   # the configure screen as customized (CUST-5)

A flow URL is *refused* when the merchant, opening it in a browser, meets a
401: the document's own, or the answer to a request of the page carrying the
OTP (a browser app).  There are two ways to look:

* **in the run's browser** (headless Chromium, :mod:`sfc_conformance.merchant.browser`):
  the document's status, the statuses of the page's own requests, what the
  page shows, and a screenshot.  It judges either kind of flow.
* **with a plain HTTP GET** (:func:`~sfc_conformance.merchant.view.plain_open`):
  the document alone.  Before its first judgement the run checks, once, that
  a plain GET can judge this flow at all: it GETs a flow URL with one digit of
  its OTP changed, which every target must refuse.  When that document loads
  and runs script, the flow is a browser app, and without a browser the OTP
  rules are ``n/a`` with the reason and the option that fixes it: never pass,
  never FAIL.

When a run uses a browser (:func:`~sfc_conformance.suite.settings.check_merchant_side` decides,
with the other options):

* **asked for** — ``--browser PATH`` or ``SFC_BROWSER``, or ``--merchant-driver
  browser`` (which finds one by itself): on any target.  The browser starts
  before the first scenario; one that will not start is exit 2, as for an
  unreachable target, never a rule's failure.
* **a live target, not asked** — the first Chromium on PATH, if there is one:
  a partner's flow may well be a browser app, and only a browser gives it a
  verdict.  It starts with the first flow URL; one that will not start leaves
  the run to the plain view, which says why.
* **the embedded sandbox, not asked** — never: its runs stay quick and give
  the same verdict on every machine.  ``--flow-style app`` without a browser
  shows the ``n/a``.

One browser per run, in a thread of its own (:class:`~sfc_conformance.merchant.browser_thread.BrowserThread`),
so that the timer of OTP-1's late open uses it too; stopped with the run.  On
the embedded sandbox it is routed in-process (``EmbeddedTarget.answer``: no
sockets), and every answer it gets goes to the answer log like the client's (KEY-2 sees
the flow's own requests too).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urljoin

import httpx

from sfc_conformance.core.errors import UsageError
from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.core.profile import locale_of_tag
from sfc_conformance.core.secrets import redact
from sfc_conformance.merchant.browser import (
    BROWSER_ENV,
    DEFAULT_QUIET,
    INSTALL_HINT,
    BrowserSession,
    BrowserUnavailable,
    MerchantBrowser,
    find_browser,
)
from sfc_conformance.merchant.browser_thread import BrowserThread
from sfc_conformance.merchant.customization import (
    CAPTION,
    CustomizationShown,
    customization_in_html,
    customization_shown,
)
from sfc_conformance.merchant.punctual import PunctualOpener, Timed
from sfc_conformance.merchant.view import (
    Judged,
    MerchantView,
    PlainVerdict,
    PlainView,
    plain_http_can_judge,
    plain_open,
)

if TYPE_CHECKING:
    from sfc_conformance.core.account import Target
    from sfc_conformance.merchant.browser import Router
    from sfc_conformance.suite.settings import Settings

T = TypeVar("T")

# The routed sandbox answers in-process at once: a shorter quiet spell still sees every request of the page.
ROUTED_QUIET = 0.25
_DOCUMENT_KEPT = 200_000
PROBED_AS = "a flow URL with one digit of its OTP changed"


def try_browser(path: str) -> str:
    """Start the browser once and stop it: its version, or :class:`BrowserUnavailable` saying why it would not start.

    ``sfc-conformance run`` calls it before the scenarios when a browser was asked for, so
    that one that will not start is one line and exit 2, like an unreachable target.
    """
    with MerchantBrowser(path) as browser:
        return browser.version


def changed_otp(url: str) -> str:
    """``url`` with the last digit of its OTP changed (OTP-4); with an ``otp`` that no start call gives, if none."""
    parsed = httpx.URL(url)
    otp = parsed.params.get("otp", "")
    changed = otp[:-1] + str((int(otp[-1]) + 1) % 10) if otp[-1:].isdigit() else "000000"
    return str(parsed.copy_set_param("otp", changed))


@dataclass(frozen=True)
class OpenedFlow(Judged):
    """A flow URL opened as the merchant: the judgement, how it was seen, and what there was to see."""

    url: str
    judgement: str | None  # OPENS, REFUSED or UNDECIDED; None: this run cannot judge the flow (reason says why)
    reason: str
    seen_with: str  # "a browser (chromium 156.0...)" or "plain HTTP GETs"
    detail: str = ""  # lines for a failure: statuses, the requests with the OTP, what the page shows
    screenshots: tuple[Screenshot, ...] = ()
    document: str = ""  # the page's HTML: as received (plain GET) or as the browser drew it
    opened_at: datetime | None = None  # when it was opened, on the run's clock (None: it was not)
    # When the answer that judged it had come (None: not known): the OTP reached the target between the two.
    answered_at: datetime | None = None


def _plain_detail(view: PlainView) -> str:
    status = view.status if view.status is not None else "no answer"
    lines = [f"with a plain HTTP GET: {view.judgement} — {view.reason}", f"document: {status}"]
    lines.extend(f"  redirect {hop}" for hop in view.redirects)
    text = " ".join(view.text.split())
    lines.append(f"shows: {text[:300] or '(nothing)'}")
    return redact("\n".join(lines))


def _title(tab: BrowserSession) -> str:
    try:
        return " ".join(tab.page.title().split())[:120]
    except Exception:  # noqa: BLE001 - a page that is gone has no title
        return ""


def _drawn(tab: BrowserSession) -> str:
    try:
        return tab.page.content()[:_DOCUMENT_KEPT]
    except Exception:  # noqa: BLE001 - a page that is gone has nothing left to read
        return ""


@dataclass(frozen=True)
class _Link:
    """A link of a flow screen to follow: its selector and position among the matches, and its address."""

    selector: str
    index: int
    href: str


_WATCH_JS = """() => {
  window.__sfcUnchanged = true;
  new MutationObserver(() => { window.__sfcUnchanged = false; })
    .observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
}"""
_CHANGED_JS = "() => window.__sfcUnchanged !== true"


def _follow_in(tab: BrowserSession, link: _Link) -> None:
    """Follow ``link`` in the browser as the merchant does, and wait until the page changed and settled."""
    tab.evaluate(_WATCH_JS)
    tab.page.locator(link.selector).nth(link.index).press("Enter")  # the keyboard, as the flow walk clicks
    try:
        tab.page.wait_for_function(_CHANGED_JS, timeout=tab.timeout * 1000)
    except Exception:  # noqa: BLE001 - a page that never changes is read as it stands
        pass
    tab.settle()


def _walk_to_customization(read: Callable[[], CustomizationShown], follow: Callable[[_Link], None],
                           locale: str | None) -> tuple[CustomizationShown, list[tuple[CustomizationShown, str]]]:
    """The configure screen, in ``locale`` if its language choice offers it (see
    :meth:`FlowViewer.look_at_customization`), and each screen read before it with what it was;
    ``read()`` reads the screen the walk is on, ``follow(link)`` takes a link of it."""
    earlier: list[tuple[CustomizationShown, str]] = []
    shown = read()
    if not shown.entries and shown.onward:
        earlier.append((shown, "the first screen, which links on to the configure screen"))
        follow(_Link("a#review-mapping", 0, shown.onward))
        shown = read()
    if locale is None or locale_of_tag(shown.lang) == locale:
        return shown, earlier
    offered = [(at, tag, href) for at, (tag, href) in enumerate(shown.languages) if locale_of_tag(tag) == locale]
    if not offered:
        return shown, earlier
    at, tag, href = offered[0]
    earlier.append((shown, f"in {shown.lang or 'its own language'}, before choosing {tag} in its language choice"))
    follow(_Link("[hreflang]", at, href))
    return dataclasses.replace(read(), chose_language=tag), earlier


class FlowViewer:
    """Opens flow URLs as the merchant, in the run's browser or with plain GETs, and keeps what the merchant was
    shown (screenshots, in order: the report gives each scenario those taken while it ran)."""

    def __init__(self, settings: Settings, target: Target, http: httpx.Client,
                 log_answer: Callable[[httpx.Response], None]) -> None:
        self._http = http
        self._log_answer = log_answer
        self._clock = target.clock
        pages = target.capabilities.pages  # a target that serves its pages in-process: no socket, no browser unasked
        self.embedded = pages is not None
        self.route: Router | None = self._logged(pages) if pages is not None else None
        self.asked = settings.browser is not None
        path = settings.browser
        self._why_none = ""  # why the run has no browser, for the n/a reason
        if path is None and not self.embedded:
            try:
                path = find_browser(None, {})  # the first on PATH: SFC_BROWSER was read with the options
            except BrowserUnavailable as error:
                self._why_none = str(error)
        self._timeout = settings.timeout
        self._browser = BrowserThread(path, timeout=settings.timeout,
                                      quiet=ROUTED_QUIET if self.route else DEFAULT_QUIET) if path else None
        self._plain: PlainVerdict | None = None
        self._lock = threading.Lock()
        self.screenshots: list[Screenshot] = []

    # -- the browser --------------------------------------------------------------------

    def _logged(self, answer: Router) -> Router:
        """The in-process target's answers to the browser, each logged as the client's are."""

        def route(request: httpx.Request) -> httpx.Response | None:
            response = answer(request)
            if response is not None:
                response.request = request
                self._log_answer(response)
            return response

        return route

    @property
    def has_browser(self) -> bool:
        return self._browser is not None

    def start_if_asked(self) -> None:
        """A browser the run was asked for starts now: one that will not start is exit 2, not a rule's failure."""
        if self.asked and self._browser is not None:
            self._browser.start()

    def in_browser(self, job: Callable[[MerchantBrowser], T]) -> T:
        """Run ``job`` with the run's browser, in its thread (:class:`BrowserUnavailable` without one)."""
        if self._browser is None:
            raise BrowserUnavailable(f"this run has no browser: {self._why_none or INSTALL_HINT}")
        return self._browser.call(job)

    @property
    def seen_with(self) -> str:
        if self._browser is None:
            return "plain HTTP GETs"
        version = f" {self._browser.version}" if self._browser.version else ""
        return f"a browser ({Path(self._browser.executable).name}{version})"

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()

    def keep(self, shots: tuple[Screenshot, ...] | list[Screenshot]) -> None:
        """Screenshots of the scenario under way, for the report (the recorder gives each scenario its own)."""
        self.screenshots.extend(shots)

    # -- looking ------------------------------------------------------------------------

    def look(self, url: str) -> OpenedFlow:
        """Open ``url`` as the merchant and judge it: in the browser if the run has one, else with a plain GET;
        what the browser showed is kept."""
        opened = self._look(url)
        self.keep(opened.screenshots)
        return opened

    def _look(self, url: str) -> OpenedFlow:
        browser = self._browser
        if browser is not None:
            try:
                return self._in_browser(browser, url)
            except BrowserUnavailable as error:
                if self.asked:
                    raise
                with self._lock:  # found by itself and would not start: the plain view, saying why
                    self._why_none, self._browser = f"{error}; name another with --browser PATH", None
                browser.close()
        return self._plainly(url)

    def _in_browser(self, browser: BrowserThread, url: str) -> OpenedFlow:
        def job(chromium: MerchantBrowser) -> tuple[datetime, MerchantView, str, str]:
            with chromium.session(self.route) as tab:
                opened_at = self._clock.now()  # here, not when asked: the browser may have been busy
                view = tab.open(url)
                return opened_at, view, _drawn(tab), _title(tab)

        opened_at, view, document, title = browser.call(job)
        return self._seen_in_browser(url, view, document, title, opened_at, self._clock.now())

    def _seen_in_browser(self, url: str, view: MerchantView, document: str, title: str, opened_at: datetime,
                       answered_at: datetime) -> OpenedFlow:
        shots: tuple[Screenshot, ...] = ()
        if view.screenshot is not None:  # "refusal page: Link expired": the judgement, and the page's own title
            caption = f"{view.screenshot.caption}: {title}" if title else view.screenshot.caption
            shots = (dataclasses.replace(view.screenshot, caption=caption),)
        return OpenedFlow(url, view.judgement, view.reason, self.seen_with, view.describe(), shots, document, opened_at,
                     answered_at)

    def _seen_plainly(self, view: PlainView, opened_at: datetime, answered_at: datetime) -> OpenedFlow:
        return OpenedFlow(view.url, view.judgement, redact(view.reason), self.seen_with, _plain_detail(view),
                     document=view.document, opened_at=opened_at, answered_at=answered_at)

    def _plainly(self, url: str) -> OpenedFlow:
        verdict = self.probe(url)
        if not verdict.can_judge:
            return OpenedFlow(url, None, self.not_judged(verdict), self.seen_with)
        opened_at = self._clock.now()
        view = plain_open(url, self._http)
        return self._seen_plainly(view, opened_at, self._clock.now())

    def look_at_customization(self, url: str, caption: str = CAPTION, *,
                              locale: str | None = None) -> CustomizationShown:
        """Open ``url`` as the merchant and read what its configure screen shows of the partner's customization
        (CUST-5): the text of each text key, the account entries offered, a screenshot (kept for the report).

        In the run's browser when it has one (either flow style); else the HTML of plain GETs, which reads
        server-rendered pages and nothing of a browser app (``scripted``, no text keys: it needs a browser).
        A merchant whose accounting connection is linked and who is not configured yet opens on the
        configure screen, where the entries are; a screen that offers no entry but links on to it (the
        settings page of a configured merchant) is left by that link.  With ``locale`` (``"fr-fr"``), a screen
        whose language (``<html lang>``) is another one while its language choice offers that one is shown in
        it the way a merchant would: by choosing it there (``chose_language`` then says so).
        """
        browser = self._browser
        if browser is not None:
            def job(chromium: MerchantBrowser) -> tuple[CustomizationShown, list[tuple[CustomizationShown, str]]]:
                with chromium.session(self.route) as tab:
                    tab.open(url)
                    return _walk_to_customization(lambda: customization_shown(tab, caption),
                                                  lambda link: _follow_in(tab, link), locale)

            try:
                shown, earlier = browser.call(job)
            except BrowserUnavailable as error:
                if self.asked:
                    raise
                with self._lock:  # found by itself and would not start: the plain view, saying why
                    self._why_none, self._browser = f"{error}; name another with --browser PATH", None
                browser.close()
            else:
                self.keep([dataclasses.replace(seen.screenshot, caption=f"{caption}: {what}")
                           for seen, what in earlier if seen.screenshot is not None])
                if shown.screenshot is not None:
                    self.keep([shown.screenshot])
                return shown
        at = [url]

        def read() -> CustomizationShown:
            view = plain_open(at[-1], self._http)
            if view.redirects:  # relative links are read from where the redirects ended
                at[-1] = view.redirects[-1].split(" -> ", 1)[-1]
            return customization_in_html(view.document, url=at[-1])

        def follow(link: _Link) -> None:
            at.append(urljoin(at[-1], link.href))

        return _walk_to_customization(read, follow, locale)[0]

    # -- time-critical opens ----------------------------------------------------------

    def punctual(self) -> PunctualOpener:
        """A looker of its own for opens that must happen at their due time (OTP-1's late open): a browser of its
        own if the run has one, else plain GETs from a thread of its own.  The caller closes it."""
        browser = self._browser
        return PunctualOpener(self._http, browser=browser.executable if browser is not None else None,
                              timeout=self._timeout, snapshot=lambda tab: (_drawn(tab), _title(tab)))

    def timed_open(self, timed: Timed) -> OpenedFlow:
        """A time-critical open as the run judges it, timed by when the OTP reached the target."""
        opened_at = datetime.fromtimestamp(timed.first_sent, UTC)
        answered_at = datetime.fromtimestamp(timed.last_answered, UTC)
        if isinstance(timed.view, MerchantView):
            return self._seen_in_browser(timed.view.url, timed.view, timed.drawn, timed.title, opened_at, answered_at)
        return self._seen_plainly(timed.view, opened_at, answered_at)

    def probe(self, url: str) -> PlainVerdict:
        """Whether a plain GET can judge this target's flow URLs, found once with ``url`` with its OTP changed.

        The run calls it early on a live target (with a URL it issued for later), so that
        checks it cannot judge skip their wait; otherwise the first look calls it.
        """
        with self._lock:
            if self._plain is None:
                self._plain = plain_http_can_judge(None, plain_open(changed_otp(url), self._http),
                                                   refused_as=PROBED_AS)
            return self._plain

    def unjudged(self) -> str | None:
        """The reason this run cannot judge the OTP rules, once known; None while it can (or does not know yet)."""
        with self._lock:
            plain = self._plain
            if self._browser is not None or plain is None or plain.can_judge:
                return None
        return self.not_judged(plain)

    def not_judged(self, plain: PlainVerdict) -> str:
        """The n/a reason: why a plain GET cannot judge, and the option that fixes it."""
        if self._why_none:  # looked for a browser and found none, or it would not start
            fix = self._why_none
        else:
            try:
                found = find_browser(None, {})
            except (BrowserUnavailable, UsageError):
                fix = f"no browser was asked for; {INSTALL_HINT}"
            else:
                fix = f"no browser was asked for: pass --browser PATH (e.g. --browser {found}) or set {BROWSER_ENV}"
        return redact(f"{plain.reason}; {fix}")
