"""The run's webhook subscriptions to ``connection.deleted``, and the deletions they must hear of (DEL-1, DEL-4).

The run subscribes once, each subscription at its own URL of the run's
receiver, and remembers every connection a merchant severs while it is
subscribed: the whole-run scenario judges them all at the end
(:func:`~sfc_conformance.core.profile.announcement_problems`).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from sfc_conformance.core.account import RunId, subscriber_url
from sfc_conformance.core.profile import SeveredConnection
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.target_api import TargetApi


class Subscriptions:
    """Subscriptions by name ("1", "2"), each the target's answer to subscribing; safe to share between threads."""

    def __init__(self, api: TargetApi, run_id: RunId, receiver_url: str) -> None:
        self._api = api
        self._run_id = run_id
        self.receiver_url = receiver_url  # where the run's receiver listens, as the target posts to it
        self.receiver_unreachable: str | None = None  # why DEL-1/DEL-4 cannot be judged (--receiver-url)
        self.by_name: dict[str, dict[str, Any]] = {}
        self.deletions: list[SeveredConnection] = []
        self._lock = threading.Lock()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.by_name)

    def subscribe(self, count: int) -> dict[str, dict[str, Any]]:
        """``count`` subscriptions to connection.deleted, once per run, each at its own receiver URL.

        Every URL carries the run's id (RUN-3): deliveries for other runs' subscriptions
        that reach the same receiver are told apart and change no verdict (RUN-1).
        """
        with self._lock:
            if self.by_name and len(self.by_name) != count:
                raise AssertionError(f"the run already subscribed {len(self.by_name)} consumers, not {count}")
            for number in range(len(self.by_name) + 1, count + 1):
                name = str(number)
                url = self._run_id.tag_url(subscriber_url(self.receiver_url, name))
                self.by_name[name] = self._api.expect(self._api.subscribe(url, ["connection.deleted"]), 201,
                                                      f"subscribing consumer {name} to connection.deleted")
            return dict(self.by_name)

    def record_deletion(self, merchant: Merchant) -> None:
        """A connection was severed: remember it, and who should hear of it, for the whole-run check."""
        assert merchant.severed_connection_id and merchant.severed_at
        with self._lock:
            self.deletions.append(SeveredConnection(merchant.company_id, merchant.severed_connection_id,
                                                    merchant.severed_at, self.names))

    def severed(self, merchant: Merchant) -> SeveredConnection:
        """The connection the merchant severed in this scenario, which every subscription must hear of now."""
        assert merchant.severed_connection_id and merchant.severed_at, "no connection was severed in this scenario"
        return SeveredConnection(merchant.company_id, merchant.severed_connection_id, merchant.severed_at, self.names)

    def skip_unless_reachable(self) -> None:
        """Deliveries must reach the receiver; with --receiver-url the run checked at its start that they can."""
        if self.receiver_unreachable:
            pytest.skip(self.receiver_unreachable)
