"""Run a synchronous httpx request through an ASGI app, in-process.

This is the respx side effect of the embedded target: a plain function
``request -> response`` (the shape httpx's own fakes have) that hands the
request to the sandbox through httpx's ASGI transport on a private event loop.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import anyio.from_thread
import httpx


class AsgiBridge:
    def __init__(self, app: Any) -> None:
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        # A crash answers 500 as it does when served, instead of raising into the caller.
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=request.read())

        async def send() -> httpx.Response:
            answer = await self._client.send(copy)
            await answer.aread()
            return answer

        answer = self._portal.call(send)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def close(self) -> None:
        self._portal.call(self._client.aclose)
        self._stack.close()
