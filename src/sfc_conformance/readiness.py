"""``sfc-conformance readiness``: READY-1 for one existing merchant, read-only.

It reads the company's connections and configuration and names every unmet
condition; it never writes to the target.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any

from .client import ApiClient
from .errors import KeyRefused, UsageError
from .secrets import Secret
from .sync_flow_api import SyncFlowApi


@dataclass(frozen=True)
class Readiness:
    unmet: list[str]
    flag_name: str | None  # which spelling of the enable flag the target sent (READY-3)

    @property
    def ready(self) -> bool:
        return not self.unmet


def enable_flag(configuration: dict[str, Any]) -> tuple[str | None, Any]:
    """READY-3: the flag is `enable` (OAS); the seed page calls it `enabled`. (name sent, value)."""
    for name in ("enable", "enabled"):
        if name in configuration:
            return name, configuration[name]
    return None, None


def assess(connections: list[dict[str, Any]], configuration: dict[str, Any]) -> Readiness:
    """READY-1: a Linked Accounting and a Linked Commerce connection, ``enable`` and ``configured`` true."""
    unmet = []
    for kind in ("Accounting", "Commerce"):
        of_kind = [c for c in connections if c.get("sourceType") == kind]
        if not of_kind:
            unmet.append(f"no {kind.lower()} connection")
        elif not any(c.get("status") == "Linked" for c in of_kind):
            shown = ", ".join(f"{str(c.get('id'))[:8]}… is {c.get('status')}" for c in of_kind)
            unmet.append(f"{kind.lower()} connection {shown}, not Linked")
    flag_name, enabled = enable_flag(configuration)
    if flag_name is None:
        unmet.append("configuration has no `enable` flag")
    elif enabled is not True:
        unmet.append(f"configuration `{flag_name}` is {enabled!r}, not true")
    if configuration.get("configured") is not True:
        unmet.append(f"configuration `configured` is {configuration.get('configured')!r}, not true")
    return Readiness(unmet, flag_name)


def add_readiness_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", default=os.environ.get("SFC_BASE_URL"), help="target base URL (env SFC_BASE_URL)")
    parser.add_argument("--api-key", default=os.environ.get("SFC_API_KEY"), help="API key (env SFC_API_KEY)")
    parser.add_argument("--company-id", required=True, help="the merchant's company id")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for each answer")


def readiness(args: argparse.Namespace) -> int:
    if not args.base_url or not args.api_key:
        raise UsageError("readiness needs --base-url and --api-key (or SFC_BASE_URL and SFC_API_KEY)")
    client = ApiClient(args.base_url, Secret(args.api_key), timeout=args.timeout)
    api = SyncFlowApi(client)
    try:
        company = api.get_company(args.company_id)
        if company.status_code in (401, 403):
            raise KeyRefused(f"the target refused the API key ({company.status_code}); check --api-key")
        if company.status_code == 404:
            print(f"NOT READY: company {args.company_id} was not found (404)")
            return 1
        connections = api.all_connections(args.company_id)
        configuration = client.json(api.get_configuration(args.company_id))
    finally:
        client.close()
    result = assess(connections, configuration if isinstance(configuration, dict) else {})
    if result.ready:
        print(f"READY: company {args.company_id} has both connections Linked and its sync enabled and configured")
        return 0
    print(f"NOT READY: company {args.company_id}")
    for reason in result.unmet:
        print(f"  - {reason}")
    return 1
