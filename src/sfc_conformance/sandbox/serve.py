"""Serving the sandbox over HTTP on 127.0.0.1 with real time.

A scheduler thread ticks once a second so daily syncs run when they fall due;
webhooks leave from their own thread.  Ctrl-C (or SIGTERM) stops uvicorn,
then both threads.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable

import uvicorn

from sfc_conformance.core.clock import SystemClock
from sfc_conformance.core.http import bind
from sfc_conformance.sandbox import FlowStyle
from sfc_conformance.sandbox.app import Sandbox
from sfc_conformance.sandbox.rendering import PartnerBranding

__all__ = ["Scheduler", "bind", "build", "serve"]


class Scheduler:
    """Ticks the sandbox once a second, as long as the block runs: scheduled syncs, deliveries held back."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-scheduler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self._sandbox.state.tick(self._sandbox.clock.now())

    def __enter__(self) -> Scheduler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def build(api_key: str, webhook_secret: str | None, faults: Iterable[str],
          flow_style: str = FlowStyle.PAGES, branding: PartnerBranding | None = None) -> Sandbox:
    return Sandbox(api_key=api_key, clock=SystemClock(), webhook_secret=webhook_secret,
                   faults=faults, threaded_webhooks=True, flow_style=flow_style, branding=branding)


def serve(sandbox: Sandbox, sock: socket.socket, log_level: str = "warning") -> None:
    config = uvicorn.Config(sandbox.app, log_level=log_level, lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    try:
        with Scheduler(sandbox):
            server.run(sockets=[sock])
    finally:
        sandbox.close()
        sock.close()
