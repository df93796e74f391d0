"""Walking one of the account's lists (companies, subscriptions) page by page, never all at once.

A page is read, handed out item by item and dropped once the next has come,
so memory holds two pages at most however long the list.  The walk follows
``_links.next`` (API-4: present exactly when a later page exists) and stops
at the first page without one, which is also how a target that answers a
list unpaged (``{"results": [...]}`` alone) is read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sfc_conformance.core.errors import TargetError
from sfc_conformance.core.http._client import ApiClient, refuse_key

MAX_PAGES = 100_000  # a target that never stops offering a next page is a fault, not a long list


class NotOffered(TargetError):
    """An optional call the target does not offer (it answered 404 or 405)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Listing:
    def __init__(self, client: ApiClient, path: str, page_size: int, *, read_ahead: bool = False) -> None:
        self.client = client
        self.path = path
        self.page_size = page_size
        # Ask for the next page as soon as this one says there is one, and read it while this one's
        # items are handed out, so that the work on them never waits for a page (two pages held at most).
        self.read_ahead = read_ahead
        self.total: int | None = None  # the first page's totalResults, once read

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with ThreadPoolExecutor(1, "sfc-listing") if self.read_ahead else contextlib.nullcontext() as ahead:

            def ask(page: int) -> Callable[[], dict[str, Any]]:
                return ahead.submit(self._page, page).result if ahead else lambda: self._page(page)

            upcoming = ask(1)
            for page in range(1, MAX_PAGES + 1):
                body = upcoming()
                results = [item for item in body["results"] if isinstance(item, dict)]
                if page == 1 and isinstance(body.get("totalResults"), int):
                    self.total = body["totalResults"]
                links = body.get("_links")
                more = bool(results) and isinstance(links, dict) and bool(links.get("next"))
                del body
                if more:
                    upcoming = ask(page + 1)
                yield from results
                if not more:
                    return
                del results
        raise TargetError(f"GET {self.path} offered a next page after {MAX_PAGES} pages")

    def _page(self, page: int) -> dict[str, Any]:
        response = self.client.request("GET", self.path, params={"page": page, "pageSize": self.page_size})
        status = response.status_code
        refuse_key(response)
        if status in (404, 405):
            raise NotOffered(f"GET {self.path} answered {status}: the target does not offer it", status)
        if status != 200:
            raise TargetError(f"GET {self.path} (page {page}) answered {status}")
        body = self.client.json(response)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise TargetError(f"GET {self.path} (page {page}) answered 200 without a `results` list")
        return body
