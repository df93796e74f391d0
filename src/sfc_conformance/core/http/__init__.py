"""HTTP plumbing: how the suite and its tools talk to a target, and nothing about what they say.

    ApiClient, Exchange        the one HTTP client (_client.py): auth, retries with Retry-After,
                               redaction, every exchange kept for the report
    tls_context                one TLS context per process (_tls.py)
    AsgiBridge                 an httpx request through an ASGI app, in-process (_asgi_bridge.py)
    BackgroundServer           an ASGI app served by uvicorn from a thread (_background_server.py)
    PacedClient, Pace          many requests to one target, bounded and in order (_pacing.py)
    Listing                    one of the account's lists, page by page (_listing.py)
    preflight                  before any rule runs: reachable, the API, the key (_preflight.py)

It imports only the base modules of :mod:`sfc_conformance.core`.

Importing this package is cheap: each module loads with the first name used from it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfc_conformance.core.http._asgi_bridge import AsgiBridge
    from sfc_conformance.core.http._background_server import HOST, BackgroundServer, bind
    from sfc_conformance.core.http._client import (
        MAX_ANSWER_BYTES,
        RETRY_STATUSES,
        ApiClient,
        Exchange,
        answered,
        auth_header,
        exchange_of,
        refuse_key,
        retry_after_seconds,
    )
    from sfc_conformance.core.http._listing import Listing, NotOffered
    from sfc_conformance.core.http._pacing import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, Pace, PacedClient, in_order
    from sfc_conformance.core.http._preflight import preflight
    from sfc_conformance.core.http._tls import tls_context

_MODULES = {  # each module, and the names it gives the package
    "._asgi_bridge": ("AsgiBridge",),
    "._background_server": ("BackgroundServer", "HOST", "bind"),
    "._client": ("ApiClient", "Exchange", "MAX_ANSWER_BYTES", "RETRY_STATUSES", "answered", "auth_header",
                 "exchange_of", "refuse_key", "retry_after_seconds"),
    "._listing": ("Listing", "NotOffered"),
    "._pacing": ("DEFAULT_CONCURRENCY", "MAX_CONCURRENCY", "Pace", "PacedClient", "in_order"),
    "._preflight": ("preflight",),
    "._tls": ("tls_context",),
}
_PUBLIC = {name: module for module, names in _MODULES.items() for name in names}
__all__ = ["ApiClient", "AsgiBridge", "BackgroundServer", "DEFAULT_CONCURRENCY", "Exchange", "HOST", "Listing",
           "MAX_ANSWER_BYTES", "MAX_CONCURRENCY", "NotOffered", "Pace", "PacedClient", "RETRY_STATUSES", "answered",
           "auth_header", "bind", "exchange_of", "in_order", "preflight", "refuse_key", "retry_after_seconds",
           "tls_context"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name], __name__), name)
