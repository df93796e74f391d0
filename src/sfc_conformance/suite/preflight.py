"""Before any rule runs: can the target be reached, and does it take the key?

Failing here is exit code 2 with one line, not a wall of failed rules.
"""

from __future__ import annotations

import uuid

from ..client import ApiClient
from ..errors import KeyRefused, TargetError


def preflight(client: ApiClient) -> None:
    probe = f"/companies/{uuid.uuid4()}"
    answer = client.request("GET", probe, retry=False)
    if answer.status_code in (401, 403):
        raise KeyRefused(f"the target refused the API key: GET {probe} answered {answer.status_code}; "
                         "check --api-key / SFC_API_KEY")
    client.json(answer)  # a login page or a proxy's HTML error is not a target
    if answer.status_code >= 500:
        raise TargetError(f"the target is failing: GET {probe} answered {answer.status_code}")
