"""A generated case as the request that goes out: plain data, cheap to import, to keep and to send another way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["positive", "negative", "unknown-id"]
BOTH: tuple[Kind, ...] = ("positive", "negative")
# Well-formed ids that name nothing: a uuid no target hands out, and a platform key no platform has.
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
NONEXISTENT_KEY = "zzzz"


@dataclass(frozen=True)
class Outgoing:
    """One request as it goes out, for an examiner that sends it its own way."""

    method: str
    url: str  # below the base URL, path ids filled in
    template: str  # the contract's path, as ``/companies/{companyId}``
    params: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    content: bytes | None = None


def outgoing(case: Any) -> Outgoing:
    """A generated case (schemathesis') as a request, without the headers the client sets itself."""
    kwargs = case.as_transport_kwargs(base_url="")
    headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()
               if k.lower() not in ("authorization", "x-schemathesis-testcaseid")}
    content = kwargs.get("data")
    if isinstance(content, str):
        content = content.encode()
    return Outgoing(kwargs["method"], kwargs["url"], case.operation.path, kwargs.get("params"), headers,
                    kwargs.get("json"), content)
