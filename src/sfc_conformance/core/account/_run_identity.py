"""How a live run marks what it creates, so that it and later runs can find it again (RUN-3).

Every company a run creates is named ``SFC conformance <run id> <label>``; every
webhook subscription points at the receiver's URL with ``sfcRun=<run id>`` in
its query.  The run id starts with the run's start time (UTC), so
``sfc-conformance cleanup --older-than`` can judge leftovers by it, whatever
fields a target keeps.  Company names must match the OAS pattern
(letters, digits, spaces and ``-',&@.?!``), which these do.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

PREFIX = "SFC conformance"
RUN_QUERY = "sfcRun"
_STAMP = "%Y%m%d%H%M%S"
_RUN_ID = re.compile(r"^(\d{14})-[0-9a-f]{4}$")
_NAME = re.compile(rf"^{PREFIX} (\d{{14}}-[0-9a-f]{{4}})(?: |$)")


@dataclass(frozen=True)
class RunId:
    value: str

    @classmethod
    def new(cls, now: datetime) -> RunId:
        return cls(f"{now.astimezone(UTC):{_STAMP}}-{secrets.token_hex(2)}")

    @classmethod
    def parse(cls, value: str) -> RunId | None:
        return cls(value) if _RUN_ID.match(value) else None

    @property
    def started(self) -> datetime:
        match = _RUN_ID.match(self.value)
        assert match, self.value
        return datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)

    def company_name(self, label: str = "merchant") -> str:
        return f"{PREFIX} {self.value} {label}".strip()

    def tag_url(self, url: str) -> str:
        """The receiver URL with this run's id in its query (kept exactly as given otherwise)."""
        parts = urlsplit(url)
        query = f"{parts.query}&" if parts.query else ""
        return urlunsplit(parts._replace(query=query + urlencode({RUN_QUERY: self.value})))

    def __str__(self) -> str:
        return self.value


def run_of_company(name: object) -> RunId | None:
    """The run that created a company, from its name; None for anything a run did not create."""
    match = _NAME.match(name) if isinstance(name, str) else None
    return RunId(match.group(1)) if match else None


def run_of_webhook_url(url: object) -> RunId | None:
    """The run that subscribed a webhook, from its URL's ``sfcRun``; None for anyone else's."""
    if not isinstance(url, str):
        return None
    values = parse_qs(urlsplit(url).query).get(RUN_QUERY) or []
    return RunId.parse(values[-1]) if values else None
