"""Paged lists, as every list of the API pages them (API-4)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from sfc_conformance.sandbox.errors import bad_request
from sfc_conformance.sandbox.policy import Policy

T = TypeVar("T")

MAX_PAGE_SIZE = 5000


def _integer_param(name: str, text: str | None, default: int) -> int:
    if text is None or text == "":
        return default
    if not re.fullmatch(r"[+-]?\d{1,9}", text.strip()):
        raise bad_request(f"`{name}` must be a whole number.")
    return int(text)


def paging(page_text: str | None, size_text: str | None) -> tuple[int, int]:
    """``page`` and ``pageSize`` as asked for; 400 below page 1 or past 5000 a page (API-4)."""
    page = _integer_param("page", page_text, 1)
    size = _integer_param("pageSize", size_text, 100)
    if page < 1:
        raise bad_request("`page` must be 1 or more.")  # API-4
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise bad_request(f"`pageSize` must be from 1 to {MAX_PAGE_SIZE}.")  # API-4
    return page, size


def page_slice(items: Sequence[T], page: int, size: int, policy: Policy) -> list[T]:
    """Page ``page`` of ``items``: the ``page``-th slice of ``size`` (API-4), empty past the last item."""
    first = (page - 1) * size
    if policy.crashes_past_the_last_page and page > 1 and first >= len(items):
        raise RuntimeError("fault: page-past-the-end-500")  # the slice's start, never checked against the end
    return list(items[first:first + size])  # API-5: a page past the end is empty, never a 5xx


def links(path: str, page: int, size: int, *, has_next: bool) -> dict[str, Any]:
    found = {"self": {"href": path}, "current": {"href": f"{path}?page={page}&pageSize={size}"}}
    if has_next:  # API-4: `next` exactly when a later page exists
        found["next"] = {"href": f"{path}?page={page + 1}&pageSize={size}"}
    if page > 1:
        found["previous"] = {"href": f"{path}?page={page - 1}&pageSize={size}"}
    return found


def page_of(path: str, results: list[dict[str, Any]], page: int, size: int, total: int) -> dict[str, Any]:
    """One page of ``total`` items whose ``results`` are already the page's slice."""
    return {"results": results, "pageNumber": page, "pageSize": size, "totalResults": total,
            "_links": links(path, page, size, has_next=page * size < total)}
