"""The merchant's browser: a real headless Chromium, driven through Playwright.

    path = find_browser(args.browser)          # --browser, SFC_BROWSER, or PATH
    with MerchantBrowser(path) as browser:
        view = browser.open(flow_url)          # a MerchantView: statuses, text, PNG, judgement
        view = browser.open(flow_url, route=target.answer)   # the embedded sandbox, no sockets

Each :meth:`MerchantBrowser.open` (and each :meth:`MerchantBrowser.session`)
gets a fresh browser context: no cookies, cache or storage from an earlier
merchant.  Every request of the page is watched — method, URL, status, and
whether it carries the OTP — and the page is judged once its network has
been quiet for a moment (:mod:`sfc_conformance.merchant.view` holds the rules
of that judgement).  With ``route``, every request of the page goes to a
Python callable ``httpx.Request -> httpx.Response | None`` instead of the
network (``None``: blocked), which is how the embedded sandbox, living
in-process behind respx, is walked in a real browser.

Playwright is imported only when a browser starts: importing this module (or
the package) costs nothing, and a machine without Playwright or Chromium can
still run every rule that needs no browser.  Playwright's own browser download
is never used: the suite drives the system's Chromium (``apt-get install
chromium``), found by :func:`find_browser`.
"""

from __future__ import annotations

import dataclasses
import html
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from sfc_conformance.core.errors import SfcError, UsageError
from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.core.secrets import redact
from sfc_conformance.merchant.view import UNDECIDED, MerchantView, PageRequest, carries_otp, judge, otp_of

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        Page,
        Playwright,
        Request,
        Response,
        Route,
        ViewportSize,
    )
    from playwright.sync_api._context_manager import PlaywrightContextManager

BROWSER_ENV = "SFC_BROWSER"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# Headless on a closed machine, often as root: no sandbox (root cannot have it), no GPU,
# and nothing of its own on the network (updates, sync, QUIC probes, first-run pages).
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync")
DEFAULT_TIMEOUT = 15.0  # seconds for the document to load, and again for the page to settle
DEFAULT_QUIET = 0.5  # seconds without network activity that count as settled: Playwright's "networkidle"
VIEWPORT: ViewportSize = {"width": 800, "height": 600}  # readable when the report shows it at half size
_POLL_MS = 50
_EVALUATE_ATTEMPTS = 3  # a navigation under way is over long before the third try
_TEXT_LIMIT = 20_000

Router = Callable[[httpx.Request], "httpx.Response | None"]

INSTALL_HINT = "install Chromium (apt-get install chromium) or name one with --browser PATH / SFC_BROWSER"


class BrowserUnavailable(SfcError):
    """No browser can be driven here: none found, Playwright missing, or it would not start."""


def find_browser(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The Chromium to drive: ``explicit`` (``--browser``), else ``SFC_BROWSER``, else the first on PATH.

    A browser named by the user that is not an executable is a :class:`UsageError`
    (they asked for that one); none at all is :class:`BrowserUnavailable`, whose
    message is the reason a run gives for the rules only a browser can judge.
    """
    environ = os.environ if environ is None else environ
    for given, origin in ((explicit, "--browser"), (environ.get(BROWSER_ENV) or None, BROWSER_ENV)):
        if given:
            found = shutil.which(given)
            if found is None:
                raise UsageError(f"{origin} {given}: no such executable (give the path to a Chromium, "
                                 "e.g. /usr/bin/chromium)")
            return found
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailable(f"no browser found (looked for {', '.join(BROWSER_NAMES)} on PATH); {INSTALL_HINT}")


@dataclass
class _Seen:
    """Every request of one page, with its answer or failure, and the main frame's navigations."""

    requests: list[Request]
    answers: dict[Request, Response]
    failures: dict[Request, str]
    in_flight: set[Request]
    navigations: list[Request]  # the main frame's document requests, in order
    last_activity: float
    sent_at: dict[Request, float] = field(default_factory=dict)  # seconds since the epoch
    answered_at: dict[Request, float] = field(default_factory=dict)


class BrowserSession:
    """One merchant's tab: a fresh context and page whose requests are all watched.

    :meth:`open` judges a flow URL; the flow driver (:mod:`sfc_conformance.merchant.browser_flow`)
    acts on :attr:`page` and calls :meth:`settle` and :meth:`snapshot` between actions.
    """

    def __init__(self, context: BrowserContext, *, timeout: float, quiet: float,
                 redirected: dict[tuple[str, str], int] | None = None) -> None:
        self.context = context
        self._redirected = redirected if redirected is not None else {}
        self.timeout = timeout
        self.quiet = quiet
        self.page: Page = context.new_page()
        self.page.set_default_timeout(timeout * 1000)
        self._seen = _Seen([], {}, {}, set(), [], time.monotonic())
        self._otp = ""  # the OTP of the flow URL last opened: what "carrying the OTP" looks for
        self.page.on("request", self._on_request)
        self.page.on("response", self._on_response)
        self.page.on("requestfinished", self._on_finished)
        self.page.on("requestfailed", self._on_failed)

    # -- watching -----------------------------------------------------------------

    def _on_request(self, request: Request) -> None:
        seen = self._seen
        seen.requests.append(request)
        seen.sent_at.setdefault(request, time.time())
        seen.in_flight.add(request)
        if request.redirected_from is not None:  # one hop of a redirect ends where the next begins
            seen.in_flight.discard(request.redirected_from)
        if request.is_navigation_request() and _frame_of(request) == self.page.main_frame:
            seen.navigations.append(request)
        seen.last_activity = time.monotonic()

    def _on_response(self, response: Response) -> None:
        self._seen.answers[response.request] = response
        self._seen.answered_at[response.request] = time.time()  # refined by the browser's own timing, later
        self._seen.last_activity = time.monotonic()

    def hold_otp(self, otp: str, *, document_at: float, others_at: float) -> None:
        """Hold every request carrying ``otp`` until its release time (seconds since the epoch): the main frame's
        document until ``document_at``, any other until ``others_at``.

        A time-critical open (OTP-1's late open) makes the OTP reach the target at its due time, not when a
        busy machine got round to it: the page is ready before, and only the release waits.  A browser app's
        own requests with the OTP come after its document; releasing the document ``others_at - document_at``
        earlier lets them leave on time.
        """
        def hold(route: Route, request: Request) -> None:
            if carries_otp(otp, request.url, request.headers, request.post_data_buffer):
                release = document_at if request.is_navigation_request() else others_at
                wait = release - time.time()
                if wait > 0:
                    time.sleep(wait)  # this page's own thread waits; nothing else of the run is behind it
                self._seen.sent_at[request] = time.time()
            route.fallback()

        self.page.route("**/*", hold)

    def _on_finished(self, request: Request) -> None:
        self._seen.in_flight.discard(request)
        self._seen.last_activity = time.monotonic()

    def _on_failed(self, request: Request) -> None:
        self._seen.failures[request] = request.failure or "failed"
        self._seen.in_flight.discard(request)
        self._seen.last_activity = time.monotonic()

    def mark(self) -> int:
        """Where the requests of the next action begin (an index for :meth:`requests`)."""
        self._seen.last_activity = time.monotonic()
        return len(self._seen.requests)

    def settle(self) -> bool:
        """Wait until the page loaded and its network was quiet for ``quiet`` s; False if not within ``timeout``."""
        deadline = time.monotonic() + self.timeout
        try:
            self.page.wait_for_load_state("load", timeout=self.timeout * 1000)
        except Exception:  # noqa: BLE001 - a page that never loads is judged as it stands
            return False
        while time.monotonic() < deadline:
            seen = self._seen
            if not seen.in_flight and time.monotonic() - seen.last_activity >= self.quiet:
                return True
            try:  # the browser's events arrive only while Playwright has the loop: wait through it, not time.sleep
                self.page.wait_for_timeout(_POLL_MS)
            except Exception:  # noqa: BLE001 - the page crashed or closed: judged as it stands
                return False
        return False

    def evaluate(self, script: str, argument: object = None) -> Any:
        """``page.evaluate``; tried again once the page has loaded when a navigation still under way (a form
        sent a moment ago, on a busy machine) destroyed the document it ran in."""
        from playwright.sync_api import Error as PlaywrightError  # noqa: PLC0415 - Playwright loads with a browser

        for _ in range(_EVALUATE_ATTEMPTS - 1):
            try:
                return self.page.evaluate(script, argument)
            except PlaywrightError as error:
                if "context was destroyed" not in str(error):
                    raise
                self.settle()
        return self.page.evaluate(script, argument)

    def requests(self, since: int = 0) -> tuple[PageRequest, ...]:
        """The page's requests from ``since`` on, each with its answer and whether it carried the OTP."""
        otp = self._otp
        seen = self._seen
        found = []
        for request in seen.requests[since:]:
            answer = seen.answers.get(request)
            status = answer.status if answer is not None else None
            status = self._redirected.get((request.method, request.url), status)  # a routed redirect's real status
            failure = seen.failures.get(request, "" if status is not None else "no answer yet")
            headers = request.headers
            carried = carries_otp(otp, request.url, headers, request.post_data_buffer)
            if not carried and status is not None and status >= 400:
                # all_headers() asks the browser for what it really sent (cookies too): only worth it here.
                carried = carries_otp(otp, request.url, _all_headers(request), None)
            sent_at = seen.sent_at.get(request)
            answered_at = seen.answered_at.get(request)
            if answered_at is not None:
                answered_at = _answer_began(request, sent_at, answered_at)
            found.append(PageRequest(request.method, request.url, request.resource_type, status, carried, failure,
                                     navigation=request in seen.navigations, sent_at=sent_at,
                                     answered_at=answered_at))
        return tuple(found)

    @property
    def navigations(self) -> tuple[str, ...]:
        """Every address the main frame set out for, in order (redirect legs included)."""
        return tuple(r.url for r in self._seen.navigations)

    # -- looking --------------------------------------------------------------------

    def visible(self) -> tuple[str, bool]:
        """The page's visible text, and whether it shows anything at all (text or a visible control or image)."""
        return _visible(self.page)

    def snapshot(self, caption: str) -> Screenshot | None:
        """A PNG of the whole page; None when it would show a secret (the report must never carry one)."""
        return snapshot_of(self.page, caption)

    # -- judging a flow URL -----------------------------------------------------------

    def open(self, url: str, *, otp: str | None = None, caption: str = "") -> MerchantView:
        """Open ``url`` as the merchant does, wait for the page to settle, and judge it (OTP rules)."""
        self._otp = otp if otp is not None else otp_of(url)
        started = time.monotonic()
        since = self.mark()
        not_loaded = ""
        try:
            self.page.goto(url, wait_until="load", timeout=self.timeout * 1000)
        except Exception as error:  # noqa: BLE001 - judged below from what the page did reach, with why
            not_loaded = _first_line(error)
        settled = self.settle()
        requests = self.requests(since)
        if not settled:
            requests = tuple(r if r.status is not None else
                             dataclasses.replace(r, failure=f"no answer within {self.timeout:g} s") for r in requests)
        # The document is the one the main frame went to last: after redirects, and after a script moved it on.
        documents = [r for r in requests if r.navigation]
        status = documents[-1].status if documents else None
        failure = ""
        if status is None:
            failure = (documents[-1].failure if documents else "") or not_loaded or "no document"
        elif not settled:
            pending = sum(r.status is None for r in requests)
            failure = f"the page was still busy after {self.timeout:g} s ({pending} requests pending)"
        text, shown = self.visible()
        judgement, reason = judge(status, requests, shown=shown, failure=failure)
        if judgement == UNDECIDED and failure and status is not None:
            reason += f"; {failure}"
        name = caption or {"refused": "refusal page", "opens": "first screen"}.get(judgement, "flow URL opened")
        return MerchantView(url=url, final_url=self.page.url, document_status=status, requests=requests,
                            text=text, screenshot=self.snapshot(name), judgement=judgement, reason=redact(reason),
                            seconds=time.monotonic() - started, navigations=self.navigations)

    def close(self) -> None:
        try:
            self.context.close()
        except Exception:  # noqa: BLE001, S110 - closing after the browser died: nothing left to free
            pass


def _visible(page: Page) -> tuple[str, bool]:
    try:
        seen = page.evaluate(_VISIBLE_JS)
    except Exception:  # noqa: BLE001 - a page that is gone or mid-navigation shows nothing we can read
        return "", False
    text = str(seen.get("text", ""))[:_TEXT_LIMIT]
    return text, bool(text.strip() or seen.get("shown"))


def snapshot_of(page: Page, caption: str) -> Screenshot | None:
    """A PNG of the whole of a Playwright page, captioned; None when it would show a secret (the report must
    never carry one) or cannot be taken."""
    try:
        values = page.evaluate(_VALUES_JS)
        png = page.screenshot(full_page=True, type="png", animations="disabled")
    except Exception:  # noqa: BLE001 - no screenshot is evidence lost, not a verdict
        return None
    shown = f"{page.url}\n{_visible(page)[0]}\n{values}"
    if redact(shown) != shown:
        return None
    return Screenshot(caption, png, redact(page.url))


_VISIBLE_JS = """() => {
  const body = document.body;
  const text = body ? body.innerText : "";
  const shown = [...document.querySelectorAll("img,svg,canvas,video,input,button,select,textarea,iframe")]
    .some((e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                   return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none"; });
  return {text, shown};
}"""
_VALUES_JS = """() => [...document.querySelectorAll("input,textarea")].map((e) => e.value).join("\\n")"""


def _answer_began(request: Request, sent_at: float | None, seen_at: float) -> float:
    """When the answer to ``request`` began, in seconds since the epoch: the browser's own timing where it is
    plausible (after the request left, before this thread saw the answer), else when this thread saw it (later,
    on a busy machine: never earlier than the truth)."""
    try:
        timing = request.timing
        began = (timing["startTime"] + timing["responseStart"]) / 1000
        plausible = timing["responseStart"] >= 0
    except Exception:  # noqa: BLE001 - no timing: what this thread saw
        return seen_at
    left = sent_at if sent_at is not None else timing["startTime"] / 1000
    return began if plausible and left <= began <= seen_at else seen_at


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


def _frame_of(request: Request) -> object:
    try:
        return request.frame
    except Exception:  # noqa: BLE001 - a worker's request has no frame
        return None


def _launch_problem(error: BaseException) -> str:
    """Playwright's first line, and the browser's own last complaint from the log it attaches."""
    said = [line.strip() for line in str(error).splitlines() if "[err]" in line and line.strip()]
    first = _first_line(error).removeprefix("BrowserType.launch: ")
    return f"{first} ({said[-1][:200]})" if said else first


def _all_headers(request: Request) -> dict[str, str]:
    try:
        return request.all_headers()
    except Exception:  # noqa: BLE001 - the page moved on: the headers Playwright already had will do
        return dict(request.headers)


_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_HOPS = 10


def _refresh_page(location: str) -> str:
    shown = html.escape(location, quote=True)
    return (f'<!doctype html><meta charset=utf-8><meta http-equiv=refresh content="0; url={shown}">'
            f"<title>Redirecting</title><p>Redirecting to <a href=\"{shown}\">{shown}</a></p>")


def _fulfil_from(router: Router, redirected: dict[tuple[str, str], int]) -> Callable[[Route], None]:
    """A Playwright route handler that answers every request with ``router``'s httpx answer.

    Playwright never routes the second leg of a redirect it was handed (the
    browser would fetch the ``Location`` itself, from the network).  So a
    redirect of a page load becomes a page that moves on at once (a meta
    refresh: a new navigation, routed again, and the address bar right), its
    real status noted in ``redirected``; a redirect of a script's request is
    followed here, as ``fetch`` would follow it.
    """

    def handle(route: Route) -> None:
        request = route.request
        outgoing = httpx.Request(request.method, request.url, headers=_sendable(request.headers),
                                 content=request.post_data_buffer or b"")
        try:
            answer = router(outgoing)
            hops = 0
            while (answer is not None and answer.status_code in _REDIRECTS and "location" in answer.headers
                   and not request.is_navigation_request() and hops < _MAX_HOPS):
                hops += 1
                method = outgoing.method if answer.status_code in (307, 308) or outgoing.method == "HEAD" else "GET"
                content = outgoing.content if method == outgoing.method else b""
                headers = {k: v for k, v in outgoing.headers.items() if method == outgoing.method
                           or k.lower() not in ("content-type", "content-length")}
                outgoing = httpx.Request(method, outgoing.url.join(answer.headers["location"]), headers=headers,
                                         content=content)
                answer = router(outgoing)
        except Exception as error:  # noqa: BLE001 - the in-process target failing shows as a 502, as a proxy would
            route.fulfill(status=502, content_type="text/plain", body=f"the in-process target failed: {error}")
            return
        if answer is None:
            route.abort("blockedbyclient")
            return
        if answer.status_code in _REDIRECTS and "location" in answer.headers and request.is_navigation_request():
            redirected[(request.method, request.url)] = answer.status_code
            location = str(httpx.URL(request.url).join(answer.headers["location"]))
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=_refresh_page(location))
            return
        redirected.pop((request.method, request.url), None)
        kept: dict[str, str] = {}
        for name, value in answer.headers.multi_items():
            if name.lower() in ("content-length", "content-encoding", "transfer-encoding"):
                continue  # the body handed over is whole and decoded
            joiner = "\n" if name.lower() == "set-cookie" else ", "  # Playwright splits set-cookie on newlines
            kept[name] = f"{kept[name]}{joiner}{value}" if name in kept else value
        route.fulfill(status=answer.status_code, headers=kept, body=answer.content)

    return handle


def network_router(origin: str, http: httpx.Client) -> Router:
    """A router that fetches ``origin``'s requests with ``http`` (no redirects followed) and blocks the rest.

    For a walk that must handle every redirect itself (see :func:`_fulfil_from`)
    against a target served over HTTP.
    """
    home = urlsplit(origin)

    def route(request: httpx.Request) -> httpx.Response | None:
        if (request.url.scheme, request.url.netloc.decode("ascii")) != (home.scheme, home.netloc):
            return None
        http.cookies.clear()  # the browser sends its own cookies; the client must not add its jar's
        answer = http.send(request, follow_redirects=False)
        answer.read()
        return answer

    return route


def _sendable(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if not k.startswith(":")}


class MerchantBrowser:
    """A headless Chromium for the merchant's side; one per run (or test module), many sessions."""

    def __init__(self, executable: str, *, timeout: float = DEFAULT_TIMEOUT, quiet: float = DEFAULT_QUIET) -> None:
        self.executable = executable
        self.timeout = timeout
        self.quiet = quiet
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._manager: PlaywrightContextManager | None = None

    def start(self) -> MerchantBrowser:
        try:
            from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only a run that drives a browser pays
        except ImportError:
            raise BrowserUnavailable("the Python package playwright is not installed (pip install playwright)") \
                from None
        self._manager = sync_playwright()
        try:
            self._playwright = self._manager.start()
        except Exception as error:  # e.g. inside a running asyncio loop, or a second one in this thread
            self._manager = None
            raise BrowserUnavailable(f"could not start Playwright: {_first_line(error)}") from None
        try:
            # Playwright launches with a fresh temporary profile (its own --user-data-dir), removed on close.
            self._browser = self._playwright.chromium.launch(
                executable_path=self.executable, headless=True, args=list(CHROMIUM_ARGS),
                timeout=max(self.timeout, 30.0) * 1000)
        except Exception as error:
            self.close()
            raise BrowserUnavailable(f"could not start the browser {self.executable}: {_launch_problem(error)}") \
                from None
        return self

    def __enter__(self) -> MerchantBrowser:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> str:
        return self._browser.version if self._browser else ""

    @contextmanager
    def session(self, route: Router | None = None, *, offsite: Callable[[str], bool] | None = None,
                offsite_page: Callable[[str], str] | None = None) -> Iterator[BrowserSession]:
        """A fresh context and page; with ``route`` every request goes to that callable, not the network.

        ``offsite(url)`` marks main-frame navigations the merchant must not really
        make (the partner's redirect page): they are answered with ``offsite_page(url)``
        (HTML the caller writes), and any other request there is blocked.
        """
        if self._browser is None:
            raise BrowserUnavailable("the browser is not running (call start() first)")
        context = self._browser.new_context(viewport=VIEWPORT, service_workers="block", java_script_enabled=True,
                                            ignore_https_errors=False)
        redirected: dict[tuple[str, str], int] = {}
        if route is not None:
            context.route("**/*", _fulfil_from(route, redirected))
        if offsite is not None:  # routes registered later are asked first
            context.route(offsite, _offsite_handler(offsite_page))
        session = BrowserSession(context, timeout=self.timeout, quiet=self.quiet, redirected=redirected)
        try:
            yield session
        finally:
            session.close()

    def open(self, url: str, *, route: Router | None = None, otp: str | None = None) -> MerchantView:
        """Open one flow URL in a fresh context and judge it (see :class:`BrowserSession.open`)."""
        with self.session(route) as session:
            return session.open(url, otp=otp)

    def close(self) -> None:
        if self._browser is not None:
            try:
                self._browser.close()
            except Exception:  # noqa: BLE001, S110 - a browser that already died has nothing to close
                pass
            self._browser = None
        if self._manager is not None:
            self._manager.__exit__(None, None, None)
            self._manager = None
            self._playwright = None


def _offsite_handler(page: Callable[[str], str] | None) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        request = route.request
        if page is not None and request.is_navigation_request():
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page(request.url))
        else:
            route.abort("blockedbyclient")

    return handle


def host_router(answers: Mapping[str, Router]) -> Router:
    """A router for the hosts given (``{"sandbox.embedded": target.answer}``); every other host is blocked."""

    def route(request: httpx.Request) -> httpx.Response | None:
        handler = answers.get(request.url.host)
        return handler(request) if handler is not None else None

    return route


def leaves_host(url: str) -> Callable[[str], bool]:
    """A predicate for :meth:`MerchantBrowser.session`'s ``offsite``: does a web address leave ``url``'s origin?"""
    home = urlsplit(url)

    def leaves(other: str) -> bool:
        there = urlsplit(other)
        return (there.scheme, there.netloc) != (home.scheme, home.netloc) and there.scheme in ("http", "https")

    return leaves


__all__ = ["BROWSER_ENV", "BROWSER_NAMES", "CHROMIUM_ARGS", "BrowserSession", "BrowserUnavailable", "MerchantBrowser",
           "Router", "find_browser", "host_router", "leaves_host", "snapshot_of"]
