"""The platforms the sandbox knows, keyed by Codat's four-letter platform keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

_NAMESPACE = uuid.UUID("5c1f6a8e-3b4d-4c2a-9f0e-7d6b5a4c3b2a")


@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    source_type: str  # "Commerce" or "Accounting"

    @property
    def integration_id(self) -> str:
        # Stable per platform, like Codat's integration ids.
        return str(uuid.uuid5(_NAMESPACE, f"integration:{self.key}"))

    @property
    def source_id(self) -> str:
        """The integration's one source (Codat names several only for banks): stable per platform too."""
        return str(uuid.uuid5(_NAMESPACE, f"source:{self.key}"))


COMMERCE = {p.key: p for p in [Platform("lqai", "Partner Commerce", "Commerce")]}
ACCOUNTING = {
    p.key: p
    for p in [
        Platform("gbol", "Xero", "Accounting"),
        Platform("qhyg", "QuickBooks Online", "Accounting"),
        Platform("fbrh", "FreeAgent", "Accounting"),
        Platform("mqjo", "Sandbox", "Accounting"),
    ]
}
# Every platform the sandbox knows, commerce first: the integrations it lists (INT-1).
PLATFORMS = {**COMMERCE, **ACCOUNTING}
