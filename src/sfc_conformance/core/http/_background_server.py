"""An ASGI app served by uvicorn on 127.0.0.1 from a thread.

The live target's webhook receiver runs this way, and so do the project's
tests that need a real HTTP target.  ``sfc-conformance sandbox`` serves in the
foreground instead (:mod:`sfc_conformance.sandbox.serve`), with the same
:func:`bind`.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn

HOST = "127.0.0.1"
START_TIMEOUT = 10.0


def bind(port: int) -> socket.socket:
    """Bind first, so the URL is known (and printed) before serving, even for port 0."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it a kept-alive answer written in two
    # parts waits ~40 ms for a delayed ACK (Nagle), per request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((HOST, port))
    # Listen at once: whoever reads the printed URL may connect before the server's loop is up
    # (imports take seconds on a busy machine); the kernel holds those connections until it is.
    sock.listen(2048)
    return sock


class BackgroundServer:
    def __init__(self, app: Any, port: int = 0) -> None:
        self._sock = bind(port)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        config = uvicorn.Config(app, log_level="error", lifespan="off", access_log=False,
                                timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name=f"uvicorn-{self.port}", daemon=True)

    def start(self) -> BackgroundServer:
        self._thread.start()
        started = threading.Event()
        for _ in range(int(START_TIMEOUT / 0.02)):  # start-up only: nothing else waits on the wall clock
            if self._server.started or not self._thread.is_alive():
                break
            started.wait(0.02)
        if not self._server.started:
            self.stop()
            raise OSError(f"could not serve on {self.url} within {START_TIMEOUT:g} s")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
