"""Run a synchronous httpx request through an ASGI app, in-process.

This is the respx side effect of the embedded target: a plain function
``request -> response`` (the shape httpx's own fakes have) that hands the
request to the sandbox through httpx's ASGI transport.

The app runs on an event loop of the calling thread (one per thread, kept for
the bridge's life), so a request crosses no thread: handing each request to a
loop in another thread and waiting for it cost more than the sandbox's answer
itself.  A caller already inside a running loop (a browser's route handler)
cannot block on a second loop in its thread; its requests go to one worker thread.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx


class AsgiBridge:
    def __init__(self, app: Any) -> None:
        # A crash answers 500 as it does when served, instead of raising into the caller.
        self._transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._worker: ThreadPoolExecutor | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=request.read())
        if _loop_running():
            return self._from_worker().submit(self._answer, copy).result()
        return self._answer(copy)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        return self._loop().run_until_complete(self._send(request))

    async def _send(self, request: httpx.Request) -> httpx.Response:
        answer = await self._transport.handle_async_request(request)
        content = await answer.aread()
        return httpx.Response(answer.status_code, headers=answer.headers, content=content)

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


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
