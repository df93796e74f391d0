"""The merchant walking the sandbox's flow in a real browser, in either flow style.

    with FlowWalk(browser, route=target.answer) as walk:   # route: the embedded sandbox, no sockets
        walk.open(flow_url)                 # Screen "authorize" (with the OTP judgement in .view)
        walk.authorize()                    # Screen "configure"
        walk.configure(fields)              # Screen "success", "redirect", or "configure" with problems
        shown = walk.settings()             # last and next sync as the settings page shows them
        custom = walk.customization()       # the keyed texts and the entries offered on the screen (CUST-5)
        evidence = walk.screenshots()      # every screen, and each form as filled in

This driver knows OUR sandbox: both styles give their screens the same ids and
field names (``form#authorize``, ``form#configure`` with ``account.sales.sales``,
``taxRate.standard``..., ``#problems``, ``#success``, ``form#settings``,
``time#last-sync``, ``time#next-sync``, ``a#review-mapping``, ``a#review-settings``,
``form#deauthorize``, ``#refused``), so one walk serves the server-rendered pages
and the app.  Judging the OTP needs none of these ids
(:meth:`sfc_conformance.merchant.browser.BrowserSession.open`); walking the flow
(FLOW-1..3) does.

The walk never leaves the flow's origin: where the flow sends the merchant
elsewhere (the partner's ``redirectUrl``, FLOW-2) the browser is shown a page
of the suite's own saying so, and the screen is ``redirect`` with that URL.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

import httpx

from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.merchant.browser import BrowserSession, MerchantBrowser, Router, leaves_host, network_router
from sfc_conformance.merchant.customization import CustomizationShown, customization_shown
from sfc_conformance.merchant.view import MerchantView, PageRequest

# The screens of the sandbox's flow, by the element that marks each one; the first found wins.
SCREENS = (("refused", "#refused"), ("failed", "#failed"), ("authorize", "form#authorize"),
           ("configure", "form#configure"), ("success", "#success"), ("settings", "form#settings"))
CAPTIONS = {
    "refused": "refusal page", "failed": "error page", "authorize": "authorization screen",
    "configure": "configuration form", "success": "success page", "settings": "settings page",
    "redirect": "redirected to the partner", "blank": "blank page", "unknown": "unrecognised page",
}
_LEFT_MARK = "sfc-conformance-left-the-flow"


class FlowStepFailed(AssertionError):
    """A step of the walk could not be taken: the flow was not on the screen the step needs, or refused it."""


@dataclass(frozen=True)
class Screen:
    """Where the merchant is after a step, and what the browser showed."""

    name: str  # a key of CAPTIONS
    url: str  # the page's address; for "redirect", where the flow sent the merchant
    text: str
    problems: tuple[str, ...] = ()  # what a refused form said (#problems), or the browser's own form checks
    screenshot: Screenshot | None = None
    view: MerchantView | None = None  # for the screen a flow URL opened on: the OTP judgement
    requests: tuple[PageRequest, ...] = ()  # what the step sent, and the answers

    @property
    def redirect_status(self) -> int | None:
        """For a "redirect": the 3xx that sent the merchant away; None when the page's script did."""
        if self.name != "redirect":
            return None
        legs = [r for r in self.requests if r.navigation and r.status is not None and 300 <= r.status < 400]
        return legs[-1].status if legs else None


@dataclass(frozen=True)
class SettingsShown:
    """The settings page as the merchant reads it (FLOW-3)."""

    screen: Screen
    enabled: str  # "Enabled" or "Disabled"
    schedule: str  # "Daily at 07:00 Europe/Paris"
    last_sync: datetime | None
    next_sync: datetime | None
    accounting_status: str


def _left_page(url: str) -> str:
    shown = html.escape(url)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Redirected</title></head>"
            f"<body style='font-family:system-ui,sans-serif;margin:2rem' id={_LEFT_MARK}>"
            f"<h1>The flow sent the merchant to the partner</h1><p><code>{shown}</code></p>"
            "<p>The conformance suite stops here: it does not load the partner's page.</p></body></html>")


class FlowWalk:
    """One merchant's tab on the sandbox's flow; every step returns the :class:`Screen` it led to."""

    def __init__(self, browser: MerchantBrowser, *, route: Router | None = None) -> None:
        """``route``: the in-process target's answers (``EmbeddedTarget.answer``); without it, the network."""
        self._browser = browser
        self._route = route
        self._http: httpx.Client | None = None
        self._stack = ExitStack()
        self._home: str | None = None
        self.screens: list[Screen] = []
        self.session: BrowserSession | None = None
        self._shots: list[Screenshot] = []  # every screen, and every form as filled in before it was sent

    def __enter__(self) -> FlowWalk:
        route = self._route
        if route is None:
            # Served over HTTP, the flow's own requests still pass through here: only so can every
            # redirect stay on the flow's origin (see browser._fulfil_from).
            self._http = self._stack.enter_context(httpx.Client(timeout=self._browser.timeout))
            route = self._network
        self.session = self._stack.enter_context(
            self._browser.session(route, offsite=self._leaves, offsite_page=_left_page))
        return self

    def _network(self, request: httpx.Request) -> httpx.Response | None:
        if self._home is None or self._http is None:
            return None
        return network_router(self._home, self._http)(request)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stack.close()
        self.session = None

    def _leaves(self, url: str) -> bool:
        return self._home is not None and leaves_host(self._home)(url)

    @property
    def _tab(self) -> BrowserSession:
        if self.session is None:
            raise FlowStepFailed("the walk has not started (use it as a context manager)")
        return self.session

    @property
    def current(self) -> Screen:
        if not self.screens:
            raise FlowStepFailed("no flow URL was opened yet")
        return self.screens[-1]

    # -- seeing where the merchant is ------------------------------------------------------

    def _seen(self, navigations_before: int, since: int, view: MerchantView | None = None) -> Screen:
        tab = self._tab
        left = [u for u in tab.navigations[navigations_before:] if self._leaves(u)]
        page = tab.page
        if left:
            name, url = "redirect", left[-1]
        else:
            name = str(tab.evaluate(_WHICH_SCREEN_JS, [list(pair) for pair in SCREENS]))
            url = page.url
        problems = tuple(str(p) for p in tab.evaluate(_PROBLEMS_JS))
        text, _ = tab.visible()
        if view is not None and view.screenshot is not None:
            shot: Screenshot | None = dataclasses.replace(view.screenshot, caption=CAPTIONS[name])
        else:
            shot = tab.snapshot(CAPTIONS[name] + (f" ({url})" if name == "redirect" else ""))
        screen = Screen(name, url, text, problems, shot, view, tab.requests(since))
        self.screens.append(screen)
        if shot is not None:
            self._shots.append(shot)
        return screen

    def _expect(self, *names: str) -> Screen:
        screen = self.current
        if screen.name not in names:
            raise FlowStepFailed(f"the flow shows the {CAPTIONS[screen.name]} ({screen.url}), not the "
                                 f"{' or '.join(CAPTIONS[n] for n in names)}: {' '.join(screen.text.split())[:300]}")
        return screen

    def _click(self, selector: str) -> Screen:
        tab = self._tab
        before = len(tab.navigations)
        since = tab.mark()
        tab.evaluate(_WATCH_JS)
        # The keyboard, not the mouse: a full-page screenshot leaves the view scrolling back for a
        # moment, and a mouse press and release that land on different elements make no click.
        tab.page.locator(selector).press("Enter")
        # Every step of the flow changes the page: a new document, or an app drawing the answer.  A quiet
        # network alone is not enough: on a busy machine an app may draw its answer well after it came.
        try:
            tab.page.wait_for_function(_CHANGED_JS, timeout=tab.timeout * 1000)
        except Exception:  # noqa: BLE001 - a page that never changes is judged as it stands
            pass
        tab.settle()
        return self._seen(before, since)

    # -- the merchant's steps -----------------------------------------------------------------

    def open(self, url: str) -> Screen:
        """Open a flow URL: the first screen, judged for the OTP rules as well (``.view``)."""
        self._home = url
        tab = self._tab
        before, since = len(tab.navigations), tab.mark()
        view = tab.open(url)
        return self._seen(before, since, view)

    def authorize(self, username: str = "merchant", password: str = "s3cret") -> Screen:
        """On the authorization screen: sign in to the accounting platform, submit."""
        self._expect("authorize")
        page = self._tab.page
        page.fill('form#authorize [name="username"]', username)
        page.fill('form#authorize [name="password"]', password)
        return self._click("form#authorize [type=submit]")

    def options(self, name: str) -> list[str]:
        """The values a select of the screen offers, the blank "(none)" left out."""
        values = self._tab.page.eval_on_selector_all(f'select[name="{name}"] option', "os => os.map(o => o.value)")
        return [str(v) for v in values if v]

    def configure(self, fields: Mapping[str, str]) -> Screen:
        """Fill the configuration form with ``fields`` (form names as the sandbox uses them) and save.

        ``fields`` is the whole form as a browser would send it: a checkbox
        (``enable``) is ticked exactly when its value is ``"on"``; fields left
        out keep what the page shows.  From the settings page the walk first
        follows the link to the mapping; from the success page, to the settings.
        """
        if self.current.name == "success":
            self._click("a#review-settings")
        if self.current.name == "settings":
            self._click("a#review-mapping")
        self._expect("configure")
        return self._submit("configure", fields)

    def settings(self) -> SettingsShown:
        """The settings page: from the success page the walk follows its link there."""
        if self.current.name == "success":
            self._click("a#review-settings")
        screen = self._expect("settings")
        read = self._tab.evaluate(_SETTINGS_JS)
        return SettingsShown(screen, str(read["enabled"]), str(read["schedule"]), _moment(read["last"]),
                             _moment(read["next"]), str(read["accounting"]))

    def change_settings(self, fields: Mapping[str, str]) -> Screen:
        """Change the schedule on the settings page (``selectedFrequency``, ``syncHour``, ``timeZone``, ``enable``)."""
        self._expect("settings")
        return self._submit("settings", fields)

    def deauthorize(self) -> Screen:
        """On the settings page: de-authorize the accounting connection."""
        self._expect("settings")
        return self._click("form#deauthorize [type=submit]")

    def onboard(self, url: str, fields: Mapping[str, str], username: str = "merchant",
                password: str = "s3cret") -> Screen:
        """Open, authorize when asked, configure: the screen the flow ends on."""
        if self.open(url).name == "authorize":
            self.authorize(username, password)
        return self.configure(fields)

    def _submit(self, form_id: str, fields: Mapping[str, str]) -> Screen:
        page = self._tab.page
        form = f"form#{form_id}"
        kinds = page.eval_on_selector_all(f"{form} [name]", "es => es.map(e => [e.name, e.tagName, e.type])")
        for name, tag, kind in kinds:
            target = f'{form} [name="{name}"]'
            if kind == "checkbox":
                if page.is_checked(target) != (fields.get(name) == "on"):
                    page.locator(target).press("Space")  # the keyboard, as for buttons (see _click)
            elif name not in fields:
                continue
            elif tag == "SELECT":
                if fields[name] and fields[name] not in self.options(name):
                    raise FlowStepFailed(f"the {form_id} form offers no {fields[name]!r} for {name} "
                                         f"(offered: {self.options(name)[:10]})")
                page.select_option(target, fields[name])
            else:
                page.fill(target, fields[name])
        invalid = self._tab.evaluate(_INVALID_JS, form)
        if invalid:  # the browser's own checks stop the form: nothing is sent, as for a real merchant
            tab = self._tab
            screen = dataclasses.replace(self._seen(len(tab.navigations), tab.mark()),
                                         problems=tuple(f"{n}: {m}" for n, m in invalid))
            self.screens[-1] = screen
            return screen
        filled = self._tab.snapshot(f"{CAPTIONS[self.current.name]}, filled in")
        if filled is not None:
            self._shots.append(filled)
        return self._click(f"{form} [type=submit]")

    def customization(self, caption: str | None = None) -> CustomizationShown:
        """What the screen the walk is on shows of the partner's customization: the text of each text key, the
        account entries offered (on the configure screen), and a screenshot, kept with the walk's."""
        shown = customization_shown(self._tab, caption or f"{CAPTIONS[self.current.name]}, as customized")
        if shown.screenshot is not None:
            self._shots.append(shown.screenshot)
        return shown

    def screenshots(self) -> list[Screenshot]:
        """Every screenshot of the walk so far, in order: each screen, and each form as sent."""
        return list(self._shots)


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


_WHICH_SCREEN_JS = """(screens) => {
  for (const [name, selector] of screens) if (document.querySelector(selector)) return name;
  return document.body && document.body.innerText.trim() ? "unknown" : "blank";
}"""
# Before a click: watch the document for any change.  After it, a new document (no watch) or a change.
_WATCH_JS = """() => {
  window.__sfcUnchanged = true;
  new MutationObserver(() => { window.__sfcUnchanged = false; })
    .observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
}"""
_CHANGED_JS = "() => window.__sfcUnchanged !== true"
_PROBLEMS_JS = """() => [...document.querySelectorAll("#problems li")].map((li) => li.innerText.trim())"""
_SETTINGS_JS = """() => {
  const text = (id) => { const e = document.getElementById(id); return e ? e.innerText.trim() : ""; };
  const when = (id) => { const e = document.getElementById(id); return e && e.tagName === "TIME" ? e.dateTime : null; };
  return {enabled: text("sync-enabled"), schedule: text("schedule"), last: when("last-sync"),
          next: when("next-sync"), accounting: text("accounting-status")};
}"""
_INVALID_JS = """(form) => [...document.querySelectorAll(form + " [name]")]
  .filter((e) => e.willValidate && !e.checkValidity()).map((e) => [e.name, e.validationMessage])"""
