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

from ..clock import SystemClock
from .app import Sandbox

HOST = "127.0.0.1"


class _Scheduler:
    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-scheduler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self._sandbox.state.tick(self._sandbox.clock.now())

    def __enter__(self) -> _Scheduler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def bind(port: int) -> socket.socket:
    """Bind first, so the printed URL is the real one even for ``--port 0``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it a kept-alive answer written in two
    # parts waits ~40 ms for a delayed ACK (Nagle), per request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((HOST, port))
    return sock


def build(api_key: str, webhook_secret: str | None, faults: Iterable[str]) -> Sandbox:
    return Sandbox(api_key=api_key, clock=SystemClock(), webhook_secret=webhook_secret,
                   faults=faults, threaded_webhooks=True)


def serve(sandbox: Sandbox, sock: socket.socket, log_level: str = "warning") -> None:
    config = uvicorn.Config(sandbox.app, log_level=log_level, lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    try:
        with _Scheduler(sandbox):
            server.run(sockets=[sock])
    finally:
        sandbox.close()
        sock.close()
