"""READY-1's judgement of one merchant, from what the target reports (no I/O here).

A merchant is ready exactly when it has a ``Linked`` ``Accounting`` connection,
a ``Linked`` ``Commerce`` connection, and a configuration whose enable flag and
``configured`` are both true.  The connections are the company's own
``dataConnections`` (``GET /companies/{id}``, where the seed page reads them);
when the connections list was read too, the two must agree.

Every unmet condition is named in the target's own words: its field names
(``enabled`` where the target says ``enabled``), its status values, its ids.
The suite's READY-1 steps and ``sfc-conformance readiness`` both judge here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

# What can stand between a merchant and its syncs; `Unmet.condition` is one of these.
ACCOUNTING: Final = "accounting connection"
COMMERCE: Final = "commerce connection"
ENABLED: Final = "sync enabled"
CONFIGURED: Final = "sync configured"
AGREEMENT: Final = "connections agree"  # the company's dataConnections and the connections list
CONDITIONS: Final = (ACCOUNTING, COMMERCE, ENABLED, CONFIGURED, AGREEMENT)

ENABLE_FLAG_NAMES: Final = ("enable", "enabled")  # READY-3: the OAS's name, then the seed page's


@dataclass(frozen=True)
class Unmet:
    condition: str  # one of CONDITIONS
    reason: str  # in the target's own words


class Judged:
    """Ready or not, from the unmet conditions: a readiness check's and an audit verdict's shared reading."""

    unmet: tuple[Unmet, ...]

    @property
    def ready(self) -> bool:
        return not self.unmet

    @property
    def reasons(self) -> list[str]:
        return [u.reason for u in self.unmet]


@dataclass(frozen=True)
class Readiness(Judged):
    unmet: tuple[Unmet, ...]
    flag_name: str | None  # which spelling of the enable flag the target sent (READY-3)

    def fails(self, condition: str) -> bool:
        return any(u.condition == condition for u in self.unmet)


def enable_flag(configuration: dict[str, Any]) -> tuple[str | None, Any]:
    """READY-3: the flag is `enable` (OAS); the seed page calls it `enabled`. (name sent, value)."""
    for name in ENABLE_FLAG_NAMES:
        if name in configuration:
            return name, configuration[name]
    return None, None


def _short(connection: dict[str, Any]) -> str:
    ident = str(connection.get("id", "?"))
    key = connection.get("integrationKey")
    return f"{ident[:8]}…" + (f" ({key})" if key else "")


def _connections_linked(connections: list[dict[str, Any]]) -> list[Unmet]:
    unmet = []
    for source_type, condition in (("Accounting", ACCOUNTING), ("Commerce", COMMERCE)):
        of_kind = [c for c in connections if c.get("sourceType") == source_type]
        if not of_kind:
            unmet.append(Unmet(condition, f"the company has no {source_type} connection"))
        elif not any(c.get("status") == "Linked" for c in of_kind):
            shown = ", ".join(f"{_short(c)} is {c.get('status')}" for c in of_kind)
            unmet.append(Unmet(condition, f"{source_type} connection {shown}, not Linked"))
    return unmet


def _configuration_set(configuration: dict[str, Any] | None) -> tuple[list[Unmet], str | None]:
    if configuration is None:
        return [Unmet(CONFIGURED, "the sync configuration could not be read")], None
    unmet = []
    flag_name, enabled = enable_flag(configuration)
    if flag_name is None:
        unmet.append(Unmet(ENABLED, "the configuration has neither `enable` nor `enabled`"))
    elif enabled is not True:
        unmet.append(Unmet(ENABLED, f"the configuration's `{flag_name}` is {_json(enabled)}, not true"))
    if configuration.get("configured") is not True:
        unmet.append(Unmet(CONFIGURED, f"the configuration's `configured` is {_json(configuration.get('configured'))}, "
                                       "not true"))
    return unmet, flag_name


def _json(value: Any) -> str:
    """A value as the target wrote it (JSON: true, null, "x"), not as Python prints it."""
    return json.dumps(value)


def disagreements(reported: Iterable[dict[str, Any]], listed: Iterable[dict[str, Any]]) -> list[str]:
    """Where the company's dataConnections and the connections list tell different stories."""
    by_company = {str(c.get("id")): c for c in reported}
    by_list = {str(c.get("id")): c for c in listed}
    found = []
    for ident in sorted(by_company.keys() - by_list.keys()):
        found.append(f"connection {ident[:8]}… is in the company's dataConnections but not in its connections list")
    for ident in sorted(by_list.keys() - by_company.keys()):
        found.append(f"connection {ident[:8]}… is in the connections list but not in the company's dataConnections")
    for ident in sorted(by_company.keys() & by_list.keys()):
        ours, theirs = by_company[ident].get("status"), by_list[ident].get("status")
        if ours != theirs:
            found.append(f"connection {ident[:8]}… is {ours} in the company's dataConnections but {theirs} in "
                         "the connections list")
    return found


def assess(company: dict[str, Any], configuration: dict[str, Any] | None,
           listed: list[dict[str, Any]] | None = None) -> Readiness:
    """READY-1 for one merchant: its company (with ``dataConnections``), its configuration and,
    when it was read, its connections list (which must agree with the company)."""
    reported = company.get("dataConnections")
    unmet: list[Unmet] = []
    connections = [c for c in reported if isinstance(c, dict)] if isinstance(reported, list) else []
    if isinstance(reported, list):
        unmet.extend(_connections_linked(connections))
    else:
        missing = "the company reports no `dataConnections`"
        unmet.extend(Unmet(condition, missing) for condition in (ACCOUNTING, COMMERCE))
    configured, flag_name = _configuration_set(configuration)
    unmet.extend(configured)
    if listed is not None:
        unmet.extend(Unmet(AGREEMENT, text) for text in disagreements(connections, listed))
    return Readiness(tuple(unmet), flag_name)
