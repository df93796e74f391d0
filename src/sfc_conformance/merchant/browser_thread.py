"""The run's one browser, in a thread of its own.

    browser = BrowserThread(find_browser(explicit))
    view = browser.call(lambda chromium: chromium.open(url))   # from any thread; runs in the browser's
    browser.close()

Playwright's sync API belongs to the thread that started it, and a run needs
the browser from two: its scenarios, and the timer that opens OTP-1's late
flow URL on a live target while the scenarios go on.  So one worker thread
owns Playwright and the browser, and every use of it is a job that thread
runs in turn (a one-worker :class:`~concurrent.futures.ThreadPoolExecutor`);
the caller waits for the job's result, or its exception.

The browser starts with the first job, once: a browser that would not start
is :class:`~sfc_conformance.merchant.browser.BrowserUnavailable` for that job and every
later one, without a second try.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sfc_conformance.merchant.browser import DEFAULT_QUIET, DEFAULT_TIMEOUT, BrowserUnavailable, MerchantBrowser

T = TypeVar("T")


class BrowserThread:
    def __init__(self, executable: str, *, timeout: float = DEFAULT_TIMEOUT, quiet: float = DEFAULT_QUIET) -> None:
        self.executable = executable
        self._timeout = timeout
        self._quiet = quiet
        self._jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sfc-browser")
        self._browser: MerchantBrowser | None = None
        self._unavailable: BrowserUnavailable | None = None
        self._closed = False
        self.version = ""  # the browser's own version, once it runs

    def call(self, job: Callable[[MerchantBrowser], T]) -> T:
        """Run ``job`` with the browser, in the browser's thread; its result, or its exception raised here."""
        return self._jobs.submit(self._run, job).result()

    def start(self) -> str:
        """Start the browser now rather than with the first job; its version."""
        return self.call(lambda browser: browser.version)

    @property
    def started(self) -> bool:
        return self._browser is not None

    def _run(self, job: Callable[[MerchantBrowser], T]) -> T:
        if self._browser is None:
            if self._unavailable is not None:
                raise self._unavailable
            try:
                self._browser = MerchantBrowser(self.executable, timeout=self._timeout, quiet=self._quiet).start()
            except BrowserUnavailable as error:
                self._unavailable = error
                raise
            self.version = self._browser.version
        return job(self._browser)

    def _stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None

    def close(self) -> None:
        """Stop the browser (after the job under way, if any) and the thread; again, it does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            self._jobs.submit(self._stop).result()
        finally:
            self._jobs.shutdown(wait=True)
