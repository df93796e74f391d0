"""Run a synchronous httpx request through an ASGI app, in-process.

This is the respx side effect of the embedded target: a plain function
``request -> response`` (the shape httpx's own fakes have) that hands the
request to the sandbox as one ASGI call, the scope and messages httpx's
``ASGITransport`` would make.  (Going through that transport cost more than
the sandbox's answer: a new request and response each way, and a failed
``import sniffio`` on every call where trio is not installed.)

The app runs on an event loop of the calling thread (one per thread, kept for
the bridge's life), so a request crosses no thread: handing each request to a
loop in another thread and waiting for it cost more than the sandbox's answer
itself.  A caller already inside a running loop (a browser's route handler)
cannot block on a second loop in its thread; its requests go to one worker thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

CLIENT = ("127.0.0.1", 123)  # where the app sees a request come from: what httpx's ASGI transport says
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body


class AsgiBridge:
    def __init__(self, app: Any) -> None:
        self._app = app
        self._local = threading.local()
        self._lock = threading.Lock()
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._worker: ThreadPoolExecutor | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if _loop_running():
            status, headers, content = self._from_worker().submit(self._answer, request, body).result()
        else:
            status, headers, content = self._answer(request, body)
        return httpx.Response(status, headers=headers, stream=_Body(content))

    def _answer(self, request: httpx.Request, body: bytes) -> Answer:
        return self._loop().run_until_complete(self._call(request, body))

    async def _call(self, request: httpx.Request, body: bytes) -> Answer:
        url = request.url
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "scheme": url.scheme, "path": url.path, "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query, "server": (url.host, url.port), "client": CLIENT, "root_path": "",
        }
        received = False
        done = asyncio.Event()
        status: int | None = None
        headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal received
            if received:  # the body was read: what follows is the client going away, once the answer is out
                await done.wait()
                return {"type": "http.disconnect"}
            received = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                if request.method != "HEAD":
                    parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        try:
            await self._app(scope, receive, send)
        except Exception:  # noqa: BLE001 - a crash answers 500 as it does when served, instead of raising into the caller
            done.set()
        return (500 if status is None else status), headers, b"".join(parts)

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
            with self._lock:
                self._loops.append(loop)
        return loop

    def _from_worker(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._worker is None:
                self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asgi-bridge")
            return self._worker

    def close(self) -> None:
        with self._lock:
            worker, self._worker = self._worker, None
            loops, self._loops = self._loops, []
        if worker is not None:
            worker.shutdown(wait=True)
        for loop in loops:
            loop.close()


class _Body(httpx.SyncByteStream):
    """An answer's body as a stream, which a client reads, and so times (``elapsed``), as it reads any answer.

    Not content, nor httpx's ``ByteStream``: respx reads those ahead, and a response read before the client
    reads it is never timed (schemathesis, in the contract fuzz, asks how long each answer took).
    """

    def __init__(self, body: bytes) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self._body


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
