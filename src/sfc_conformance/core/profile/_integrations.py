"""Integrations as the profile words them (INT-1, INT-2), and paging as API-4 words it, for any list.

    page_problems(body, page, size, total)   API-4 for one page of a list: its slice, totalResults, _links
    integration_problems(item)               INT-1: `key`, `name`, `logoUrl`, `enabled`
    branding_problems(body)                  INT-2: `logo` and `button` images at absolute `src` URIs
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import urlsplit

PAGING_LINKS: Final = ("self", "current", "next", "previous")
INTEGRATION_FIELDS: Final = (("key", str), ("name", str), ("logoUrl", str), ("enabled", bool))


def page_problems(body: Any, page: int, size: int, total: int) -> list[str]:
    """API-4: page ``page`` of ``size`` holds its slice of ``total`` items; ``totalResults`` is ``total``;
    ``self`` and ``current`` are linked, ``next`` exactly when a later page exists, ``previous`` when an
    earlier one does (relations beyond these may come and go)."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return [f"page {page} is not a page of results: {str(body)[:200]}"]
    problems = []
    expected = max(0, min(size, total - (page - 1) * size))
    if len(body["results"]) != expected:
        problems.append(f"page {page} of size {size} holds {len(body['results'])} items, not {expected} of {total}")
    if body.get("totalResults") != total:
        problems.append(f"page {page}'s totalResults is {body.get('totalResults')!r}, not {total}")
    links = body.get("_links")
    present = {name for name in PAGING_LINKS if isinstance(links, dict) and links.get(name)}
    wanted = {"self", "current"} | ({"next"} if page * size < total else set()) | (
        {"previous"} if page > 1 else set())
    if not {"self", "current"} <= present or ("next" in present) != ("next" in wanted):
        problems.append(f"page {page}'s paging links are {sorted(present)}, expected {sorted(wanted)}")
    return problems


def integration_problems(item: Any) -> list[str]:
    """INT-1: a listed integration names its `key`, `name`, `logoUrl` and `enabled`."""
    if not isinstance(item, dict):
        return [f"an integration is not an object: {str(item)[:120]}"]
    return [f"integration {item.get('key')!r} has no {name} ({kind.__name__}): {item.get(name)!r}"
            for name, kind in INTEGRATION_FIELDS if not isinstance(item.get(name), kind)]


def absolute_uri(value: Any) -> bool:
    """An absolute URI: a scheme, and for http(s) a host."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if not parts.scheme or len(parts.scheme) < 2:  # "c:/x" is a drive, not a scheme
        return False
    return bool(parts.hostname) if parts.scheme in ("http", "https") else bool(parts.path or parts.netloc)


def _sources(part: Any) -> Iterator[Any]:
    """Every `src` inside ``part``, however deep its images sit (`full`, `square`, `default`, `hover` ...)."""
    if isinstance(part, dict):
        for key, value in part.items():
            if key == "src":
                yield value
            else:
                yield from _sources(value)
    elif isinstance(part, list):
        for value in part:
            yield from _sources(value)


def branding_problems(body: Any) -> list[str]:
    """INT-2: the `logo` and the `button` each hold images, every `src` an absolute URI."""
    if not isinstance(body, dict):
        return [f"the branding is not an object: {str(body)[:200]}"]
    problems = []
    for part in ("logo", "button"):
        sources = list(_sources(body.get(part)))
        if not sources:
            problems.append(f"the branding's {part} holds no image `src`: {str(body.get(part))[:200]}")
        problems += [f"the {part}'s image src {src!r} is not an absolute URI" for src in sources
                     if not absolute_uri(src)]
    return problems
