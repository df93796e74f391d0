"""What the sandbox serves, said where a partner looks: its start page (``GET /``) and ``sfc-conformance sandbox``'s
start-up lines.

The operations are the API's own routes (:meth:`~.api.Api.routes`), each named
as our contract names it (``operationId``, summary); beside them the platform
keys the sandbox knows, its client id (the path segment of its flow URLs before
the two platform keys, which ``GET /clients/{clientId}/…`` takes) and the flow's
style.  Neither place shows the API key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sfc_conformance.core.profile import load_contract
from sfc_conformance.sandbox.platforms import ACCOUNTING, COMMERCE
from sfc_conformance.sandbox.rendering import page

ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str  # as our contract names it; "" for a call it does not list
    summary: str


def operations(routes: Iterable[Route]) -> list[Operation]:
    """Every operation the API routes serve, with our contract's name and summary for it."""
    paths: dict[str, Any] = load_contract().document["paths"]
    found = []
    for route in routes:
        for method in sorted(route.methods or (), key=lambda m: ORDER.index(m) if m in ORDER else len(ORDER)):
            if method == "HEAD":
                continue
            described = (paths.get(route.path) or {}).get(method.lower()) or {}
            found.append(Operation(method, route.path, described.get("operationId", ""), described.get("summary", "")))
    return sorted(found, key=lambda op: (op.path, ORDER.index(op.method) if op.method in ORDER else len(ORDER)))


class Directory:
    def __init__(self, routes: Iterable[Route], client_id: str, flow_style: str) -> None:
        self._routes = list(routes)
        self.client_id = client_id
        self.flow_style = flow_style

    @cached_property
    def operations(self) -> list[Operation]:
        """Worked out when first shown: an in-process sandbox that never shows them never reads the contract."""
        return operations(self._routes)

    def flow_url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/sync-flow/{self.client_id}/{{commerceKey}}/{{accountingKey}}/start"

    def lines(self, base_url: str) -> list[str]:
        """What the command prints at start-up, a line each (without the key)."""
        width = max(len(op.method) for op in self.operations)
        shown = [
            f"client id: {self.client_id}",
            f"flow URLs: {self.flow_url(base_url)}",
            "platforms: commerce " + ", ".join(f"{p.key} ({p.name})" for p in COMMERCE.values())
            + "; accounting " + ", ".join(f"{p.key} ({p.name})" for p in ACCOUNTING.values()),
            f"operations ({len(self.operations)}; the start page {base_url.rstrip('/')}/ lists them too):",
        ]
        shown += [f"  {op.method:<{width}} {op.path}" + (f"  {op.operation_id}" if op.operation_id else "")
                  for op in self.operations]
        return shown

    def route(self) -> Route:
        return Route("/", self._start_page, methods=["GET"])

    async def _start_page(self, request: Request) -> Response:
        base_url = str(request.base_url).rstrip("/")
        return page("start.html", base_url=base_url, client_id=self.client_id, flow_url=self.flow_url(base_url),
                    commerce=list(COMMERCE.values()), accounting=list(ACCOUNTING.values()),
                    operations=self.operations, flow_style=self.flow_style)
