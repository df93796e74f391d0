"""Outbound webhooks (DEL-1, DEL-4).

The sandbox builds a ``ConnectionWebhook`` and hands it to a dispatcher: the
inline one posts at once (in-process, where respx catches the request), the
threaded one posts from a background event loop with a few retries (served
over HTTP, so a slow receiver never holds up the API call that caused the
event, nor a dead subscriber another subscriber's delivery).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio.from_thread
import httpx

from sfc_conformance.core.account import webhook_for
from sfc_conformance.core.http import tls_context
from sfc_conformance.core.secrets import Secret

log = logging.getLogger("sfc_conformance.sandbox.webhooks")


@dataclass(frozen=True)
class Delivery:
    url: str
    body: bytes
    secret: Secret | None
    msg_id: str

    def headers(self) -> dict[str, str]:
        """Signed at the moment of sending, on the wall clock.

        ``webhook-timestamp`` guards the transport against replay and receivers
        check it against their own wall clock, so it cannot come from the
        sandbox's (possibly manual) domain clock; ``generatedDate`` in the body does.
        """
        headers = {"content-type": "application/json"}
        if self.secret:  # DEL-4: Standard Webhooks' webhook-id, webhook-timestamp and webhook-signature
            now = datetime.now(UTC)
            headers["webhook-id"] = self.msg_id
            headers["webhook-timestamp"] = str(int(now.timestamp()))
            headers["webhook-signature"] = webhook_for(self.secret).sign(self.msg_id, now, self.body.decode())
        return headers


def build_delivery(url: str, event: dict[str, Any], secret: Secret | None) -> Delivery:
    return Delivery(url, json.dumps(event, separators=(",", ":")).encode(), secret, f"msg_{uuid.uuid4().hex}")


async def _post_async(client: httpx.AsyncClient, delivery: Delivery) -> bool:
    try:
        response = await client.post(delivery.url, content=delivery.body, headers=delivery.headers())
    except Exception as exc:  # noqa: BLE001 - as in _post: one bad subscriber fails nothing else
        log.info("webhook to %s failed: %s", delivery.url, type(exc).__name__)
        return False
    return response.is_success


def _post(client: httpx.Client, delivery: Delivery) -> bool:
    try:
        response = client.post(delivery.url, content=delivery.body, headers=delivery.headers())
    except Exception as exc:  # noqa: BLE001 - one bad subscriber (an invalid URL, in-process respx's
        # "not mocked") must fail neither the API call that caused the event nor the other deliveries.
        log.warning("webhook to %s failed: %s", delivery.url, type(exc).__name__)
        return False
    return response.is_success


class InlineDispatcher:
    """Posts each delivery before returning (in-process sandbox)."""

    def __init__(self) -> None:
        self._client = httpx.Client(timeout=5.0, verify=tls_context())

    def send(self, delivery: Delivery) -> None:
        _post(self._client, delivery)

    def close(self) -> None:
        self._client.close()


class ThreadDispatcher:
    """Posts from a background event loop, each delivery a task of its own.

    A failed delivery is tried again after 0.5 s, 1 s and 2 s, on its own: a
    subscriber that is dead (refuses, or holds the connection until the timeout)
    delays no other subscriber's delivery, however many such subscriptions a
    long-lived account has collected.
    """

    def __init__(self, backoff: tuple[float, ...] = (0.5, 1.0, 2.0)) -> None:
        self._backoff = backoff
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        # No cap on connections: subscribers that hold theirs open must not queue the others behind them.
        self._client = httpx.AsyncClient(timeout=5.0, limits=httpx.Limits(max_connections=None))
        self._lock = threading.Lock()
        self._pending: set[Future[None]] = set()
        self._closed = False

    def send(self, delivery: Delivery) -> None:
        with self._lock:
            if self._closed:
                return
        # Never hold the lock across the portal call: it waits for the portal's thread, which takes
        # the lock itself in `_forget` when an earlier delivery finishes (a deadlock otherwise).
        try:
            future = self._portal.start_task_soon(self._deliver, delivery)
        except RuntimeError:  # closed meanwhile: the portal no longer takes tasks, as `_closed` says
            return
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)  # at once if it is already done: nothing left behind

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    async def _deliver(self, delivery: Delivery) -> None:
        for pause in (0.0, *self._backoff):
            await anyio.sleep(pause)
            if await _post_async(self._client, delivery):
                return
        log.warning("webhook to %s given up after %d tries", delivery.url, len(self._backoff) + 1)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._pending)
        for future in pending:  # deliveries still retrying are dropped, not waited for
            future.cancel()
        self._portal.call(self._client.aclose)
        self._stack.close()
