"""Before any rule runs: can the target be reached, does it answer the API, does it take the key?

Failing here is exit code 2 with one line, not a wall of failed rules.  The
probe is an ordinary API call (retried like any other, so one 503 from a
flaky proxy is no verdict), for a company that cannot exist: a working target
answers 404 with a JSON ``ErrorMessage``.
"""

from __future__ import annotations

import uuid

import httpx

from sfc_conformance.core.errors import KeyRefused, RateLimited, Redirected, TargetError
from sfc_conformance.core.http._client import ApiClient, retry_after_seconds
from sfc_conformance.core.secrets import redact

MAX_REDIRECTS_FOLLOWED = 10


def preflight(client: ApiClient) -> None:
    probe = f"/companies/{uuid.uuid4()}"
    answer = client.request("GET", probe)
    status = answer.status_code
    if status in (401, 403):
        raise KeyRefused(f"the target refused the API key: GET {probe} answered {status}; "
                         "check --api-key / SFC_API_KEY")
    if answer.is_redirect:
        raise Redirected(_redirects(client, answer))
    tries = f"{client.retries + 1} times" if client.retries else "once"
    if status == 429:
        hinted = retry_after_seconds(answer)
        after = f", last asking to wait {hinted:g} s (Retry-After)" if hinted is not None else ", without Retry-After"
        raise RateLimited(f"the target answered GET {probe} with 429 Too Many Requests {tries}{after}; "
                          "it is rate-limiting this key: run again later")
    if not _plain_text_refusal(answer):  # a 4xx in plain text is an API that breaks API-3: the rules judge it
        client.json(answer)  # a login page or a proxy's HTML error is not a target
    if status >= 500:
        raise TargetError(f"the target is failing: GET {probe} answered {status} {tries}")


def _plain_text_refusal(answer: httpx.Response) -> bool:
    kind = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    return 400 <= answer.status_code < 500 and kind == "text/plain"


def _redirects(client: ApiClient, answer: httpx.Response) -> str:
    """Where the probe's redirects lead, followed without the key and only on the target's own host."""
    chain = [answer.request.url]
    current = answer
    for _ in range(MAX_REDIRECTS_FOLLOWED):
        following = current.request.url.join(current.headers.get("location", ""))
        if following in chain:
            shown = " -> ".join(redact(str(url)) for url in [*chain, following])
            return f"GET {shown} redirects in a loop; an API answers without redirects: check the base URL"
        chain.append(following)
        if following.netloc != answer.request.url.netloc:
            break  # another host: name it, do not visit it
        try:
            current = client.request("GET", str(following), authenticated=False, retry=False)
        except TargetError:
            break
        if not current.is_redirect:
            break
    return (f"GET {redact(str(chain[0]))} answered {answer.status_code}, a redirect to {redact(str(chain[1]))}; "
            "the suite does not follow redirects of API calls: check the base URL (http or https? a path prefix?)")
