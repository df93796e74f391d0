"""Outbound webhooks (DEL-1, DEL-4).

The sandbox builds a ``ConnectionWebhook`` and hands it to a dispatcher: the
inline one posts at once (in-process, where respx catches the request), the
threaded one posts from a worker with a few retries (served over HTTP, so a
slow receiver never holds up the API call that caused the event).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from ..secrets import Secret
from ..webhook_signing import webhook_for

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
        if self.secret:
            now = datetime.now(UTC)
            headers["webhook-id"] = self.msg_id
            headers["webhook-timestamp"] = str(int(now.timestamp()))
            headers["webhook-signature"] = webhook_for(self.secret).sign(self.msg_id, now, self.body.decode())
        return headers


# Objects in Codat's JSON that are maps (keys chosen by the data), not records: no field is added to them.
_MAPS = frozenset({"accounts", "taxRates", "tags", "connectionInfo"})


def with_unknown_fields(value: Any, key: str = "") -> Any:
    """The `unknown-fields` variant: every record in ``value`` with a field no contract lists (API-1 allows it)."""
    if isinstance(value, list):
        return [with_unknown_fields(item) for item in value]
    if not isinstance(value, dict):
        return value
    added = {k: with_unknown_fields(v, k) for k, v in value.items()}
    if key not in _MAPS:
        added["sfcAddedLater"] = {"note": "a field from a newer version of the API"}
    return added


def build_delivery(url: str, event: dict[str, Any], secret: Secret | None) -> Delivery:
    return Delivery(url, json.dumps(event, separators=(",", ":")).encode(), secret, f"msg_{uuid.uuid4().hex}")


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
        self._client = httpx.Client(timeout=5.0)

    def send(self, delivery: Delivery) -> None:
        _post(self._client, delivery)

    def close(self) -> None:
        self._client.close()


class ThreadDispatcher:
    """Posts from a worker thread, retrying a failed delivery up to three times."""

    def __init__(self, backoff: tuple[float, ...] = (0.5, 1.0, 2.0)) -> None:
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._backoff = backoff
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=5.0)
        self._worker = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._worker.start()

    def send(self, delivery: Delivery) -> None:
        self._queue.put(delivery)

    def _run(self) -> None:
        while (delivery := self._queue.get()) is not None:
            for pause in (0.0, *self._backoff):
                if self._stop.wait(pause) or _post(self._client, delivery):
                    break

    def close(self) -> None:
        self._stop.set()
        self._queue.put(None)
        self._worker.join(timeout=5)
        self._client.close()
