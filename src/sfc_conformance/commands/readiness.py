"""``sfc-conformance readiness``: READY-1 for one existing merchant, read-only.

It reads the company (its ``dataConnections``), the connections list and the
configuration, and names every unmet condition in the target's own words; it
never writes to the target.
"""

from __future__ import annotations

import argparse
import os

from ..client import ApiClient
from ..errors import KeyRefused, UsageError
from ..readiness import assess
from ..secrets import Secret
from ..sync_flow_api import SyncFlowApi


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
        answer = api.get_company(args.company_id)
        if answer.status_code in (401, 403):
            raise KeyRefused(f"the target refused the API key ({answer.status_code}); check --api-key")
        if answer.status_code == 404:
            print(f"NOT READY: company {args.company_id} was not found (404)")
            return 1
        company = client.json(answer)
        connections = api.all_connections(args.company_id)
        configuration = client.json(api.get_configuration(args.company_id))
    finally:
        client.close()
    result = assess(company if isinstance(company, dict) else {},
                    configuration if isinstance(configuration, dict) else None, connections)
    if result.ready:
        print(f"READY: company {args.company_id} has both connections Linked and its sync enabled and configured")
        return 0
    print(f"NOT READY: company {args.company_id}")
    for reason in result.reasons:
        print(f"  - {reason}")
    return 1
