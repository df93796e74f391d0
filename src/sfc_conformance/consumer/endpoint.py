"""The partner's endpoint as the suite sees it: deliveries posted through the project's one client.

Every delivery goes out once (no retry: each answer is judged as given), waits
at most ``timeout`` for its answer and reads at most the client's cap of it.
The endpoint counts what it sends and never sends more than
:data:`MAX_DELIVERIES`: the bound ``sfc-conformance consumer --help`` promises.

The first delivery (PWH-1's) is also the probe (:meth:`Endpoint.reach`): a URL
where nothing answers in HTTP, that redirects, or that answers with a web page
is not a webhook endpoint, and the command stops there with one line and exit
code 2, before any rule.  A slow answer is no such stop: answering in time is
what PWH-1 judges.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from sfc_conformance import __version__
from sfc_conformance.consumer.deliveries import KINDS, Delivery
from sfc_conformance.core.errors import AnswerTimedOut, NotJson, Redirected, TargetError
from sfc_conformance.core.http import ApiClient, Exchange, exchange_of
from sfc_conformance.core.secrets import Secret, redact

BURST = 20  # PWH-5: deliveries at once
_KINDS = Counter(kind.rule for kind in KINDS.values())
# What one check sends for each rule: the first delivery and PWH-1's kinds; PWH-2's kinds; the first again;
# an unknown type and PWH-4's kinds; the burst.
SENT_FOR = {"PWH-1": 1 + _KINDS["PWH-1"], "PWH-2": _KINDS["PWH-2"], "PWH-3": 1, "PWH-4": 1 + _KINDS["PWH-4"],
            "PWH-5": BURST}
MAX_DELIVERIES = sum(SENT_FOR.values())
ANSWER_WITHIN = 15.0  # seconds: Codat expects a consumer's answer within 15 s (PWH-1, PWH-5)
USER_AGENT = f"sfc-conformance/{__version__} (consumer check)"  # so a partner finds the check in their logs
_WEB_PAGE_STARTS = ("<!doctype html", "<html")


@dataclass(frozen=True)
class Reply:
    """What one delivery got: a status (None when no answer came), how long it took, and how it looked."""

    delivery: Delivery
    status: int | None
    seconds: float
    shown: str  # the request as curl and the answer, secrets masked: for the report
    problem: str = ""  # no answer: why, in one line
    error: TargetError | None = None
    content_type: str = ""
    body_start: str = ""  # the first characters of the answer, secrets masked
    location: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        """"answered 503 after 0.02 s", or why no answer came."""
        if self.status is None:
            return self.problem
        text = f"answered {self.status} after {self.seconds:.2f} s"
        return f"{text} ({self.body_start!r})" if self.body_start and not self.acknowledged else text


class Endpoint:
    def __init__(self, url: str, *, timeout: float, connect_timeout: float) -> None:
        self.url = url
        # No API key goes to a webhook endpoint: every request is sent unauthenticated.
        self._client = ApiClient(url, Secret(""), timeout=timeout, connect_timeout=connect_timeout, retries=0)
        self._lock = threading.Lock()  # the burst sends from many threads
        self._sent = 0

    @property
    def sent(self) -> int:
        return self._sent

    def close(self) -> None:
        self._client.close()

    def deliver(self, delivery: Delivery) -> Reply:
        """Post ``delivery`` once; its reply, also when no answer came."""
        with self._lock:
            if self._sent >= MAX_DELIVERIES:
                raise RuntimeError(f"a check sends at most {MAX_DELIVERIES} deliveries")
            self._sent += 1
        started = time.monotonic()
        try:
            response = self._client.request("POST", self.url, content=delivery.body,
                                            headers={"user-agent": USER_AGENT, **delivery.headers},
                                            authenticated=False, retry=False)
        except TargetError as error:
            return Reply(delivery, None, time.monotonic() - started, self._unanswered(delivery, str(error)),
                         problem=str(error), error=error)
        return self._answered(delivery, response, time.monotonic() - started)

    def deliver_at_once(self, deliveries: list[Delivery]) -> list[Reply]:
        """All of ``deliveries`` at the same time, each from a thread of its own; replies in their order."""
        with ThreadPoolExecutor(max_workers=len(deliveries), thread_name_prefix="sfc-burst") as pool:
            return list(pool.map(self.deliver, deliveries))

    def reach(self, delivery: Delivery) -> Reply:
        """The first delivery, judged later by PWH-1; first, whether ``url`` is a webhook endpoint at all.

        Raises the one-line :class:`TargetError` (exit code 2) when nothing answers in HTTP, the
        answer is a redirect, or it is a web page; a slow answer is PWH-1's to judge.
        """
        reply = self.deliver(delivery)
        if reply.error is not None and not isinstance(reply.error, AnswerTimedOut):
            raise reply.error
        if reply.status is not None and 300 <= reply.status < 400:
            raise Redirected(f"POST {redact(self.url)} answered {reply.status}, a redirect to "
                             f"{reply.location or '(no Location)'}; the suite does not follow redirects of "
                             "deliveries: give the endpoint's own URL (http or https? a path prefix?)")
        if reply.acknowledged and "html" in reply.content_type.lower() and \
                reply.body_start.lower().lstrip().startswith(_WEB_PAGE_STARTS):
            raise NotJson(f"POST {redact(self.url)} answered {reply.status} with {reply.content_type}, a web page, "
                          f"not a webhook endpoint's answer: {reply.body_start!r}; check the URL "
                          "(a login page? a site's catch-all page?)")
        return reply

    def _answered(self, delivery: Delivery, response: httpx.Response, seconds: float) -> Reply:
        exchange = exchange_of(response)
        return Reply(delivery, response.status_code, seconds, exchange.describe(),
                     content_type=response.headers.get("content-type", ""),
                     body_start=" ".join(exchange.response_body[:60].split()),
                     location=redact(response.headers.get("location", "")))

    def _unanswered(self, delivery: Delivery, problem: str) -> str:
        request = Exchange("POST", redact(self.url), {k: redact(v) for k, v in delivery.headers.items()},
                           redact(delivery.body.decode()), 0, {}, "")
        return f"request:  {request.as_curl()}\nanswer:   none: {problem}"
