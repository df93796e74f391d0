"""One TLS context per process, for every HTTP client the suite makes.

httpx builds a context for each client it makes, reading the whole CA bundle
every time (tens of milliseconds: as long as a dozen requests to the embedded
sandbox), and a run makes several clients.  A context is meant to be shared;
this one is built as httpx builds its own (certifi's bundle, or the one
``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` name), again whenever those change.
"""

from __future__ import annotations

import os
import ssl
from functools import cache

import httpx


def tls_context() -> ssl.SSLContext:
    """The process's TLS context for the CA bundle the environment names now."""
    return _context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@cache
def _context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()  # reads SSL_CERT_FILE and SSL_CERT_DIR itself: they are the cache's key
