"""A merchant as the run knows it: its company, the flow URLs it was given, what it configured and severed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FlowUrl:
    """A flow URL the target issued to a merchant, and when it was asked for (sent) and received, on the run's
    clock; when it was opened, and by when that open was due (a time-critical one)."""

    url: str
    sent_at: datetime
    received_at: datetime
    opened_at: datetime | None = None

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        values = self.query().get(name)
        return values[0] if values else None

    @property
    def otp(self) -> str | None:
        return self.param("otp")


@dataclass
class Merchant:
    """A merchant company as the run knows it; passed from step to step (``target_fixture="merchant"``)."""

    company_id: str
    name: str
    flows: list[FlowUrl] = field(default_factory=list)
    configuration: dict[str, Any] | None = None  # the last configuration the merchant posted
    severed_after_sync: str | None = None  # latest sync id (or "") when the connection was deleted
    severed_connection_id: str | None = None
    severed_at: datetime | None = None  # when the target answered the deletion, on the run's clock
    failed_after_severing: str | None = None  # DEL-3: the scheduled sync that failed after the deletion

    @property
    def flow(self) -> FlowUrl:
        """The flow URL issued last."""
        if not self.flows:
            raise AssertionError("no flow URL was issued to this merchant yet")
        return self.flows[-1]
