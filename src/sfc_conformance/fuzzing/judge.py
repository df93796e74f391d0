"""Every answer of the fuzz goes before every check of :mod:`.checks`; what they find becomes a finding.

The request is read back as it went out (path parameters, query and body as
sent), so a check judges what the target was asked, never what a generator
meant to ask.  Schemathesis made the request; none of its checks judges the
answer: each check here names the profile rule it judges (see :mod:`.checks`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sfc_conformance.fuzzing.cases import NONEXISTENT_KEY, UNKNOWN_ID
from sfc_conformance.fuzzing.checks import Exchange, judged, parsed
from sfc_conformance.fuzzing.findings import Findings
from sfc_conformance.fuzzing.refusals import Asked
from sfc_conformance.fuzzing.schema import operation_id
from sfc_conformance.fuzzing.sending import Sent, Unanswered, credentials_sent

NAMING_NOTHING = frozenset({UNKNOWN_ID, NONEXISTENT_KEY})


class Judge:
    """Holds answers to the checks and keeps what they find in ``findings``.

    ``known``: the ids and platform keys the run knows name something (the prepared
    merchant's); a request made to carry an unknown id has its other path parameters
    among them, so the one that is not names nothing.
    """

    def __init__(self, findings: Findings, *, commerce_key: str = "lqai",
                 known: Mapping[str, str] | None = None) -> None:
        self.findings = findings
        self.commerce_key = commerce_key
        self.known = frozenset((known or {}).values())

    def answer(self, operation: Any, sent: Sent, *, unknown_id: bool = False, reproduction: tuple[str, ...] = (),
               keyed_status: int | None = None) -> None:
        """Hold one answer to every check. ``unknown_id``: the request was made to carry an id that names
        nothing; ``keyed_status``: a KEY-1 probe, and what the same request with the key was answered."""
        response = sent.response
        request = response.request
        url = urlsplit(str(request.url))
        path = _path_parameters(operation.path, url.path)
        unknown = frozenset(name for name, value in path.items()
                            if value in NAMING_NOTHING or (unknown_id and value not in self.known))
        body = request.body if isinstance(request.body, bytes | str) else None  # as prepared: bytes, text or none
        authorization = request.headers.get("Authorization")
        if isinstance(authorization, bytes):
            authorization = authorization.decode("latin-1")
        asked = Asked(operation=operation_id(operation), path=path,
                      query=parse_qsl(url.query, keep_blank_values=True), unknown=unknown,
                      body=parsed(body.encode() if isinstance(body, str) else body or b""),
                      commerce_key=self.commerce_key)
        exchange = Exchange(asked=asked, label=operation.label, method=operation.method.upper(),
                            template=operation.path, status=response.status_code, content=response.content,
                            body=parsed(response.content),
                            headers={name.lower(): values for name, values in response.headers.items()},
                            authorization=authorization, credentials=credentials_sent(authorization),
                            keyed_status=keyed_status)
        self._keep(exchange, (*reproduction, sent.curl))

    def unanswered(self, operation: Any, unanswered: Unanswered, reproduction: tuple[str, ...] = ()) -> None:
        """No answer to one request while the target answers others: worse than any 5xx (API-5) when the
        connection broke; when the time ran out, not judged (a busy machine may be why, not the target)."""
        if unanswered.timed_out:
            self.findings.not_judged.append(f"{operation.label}: {unanswered.reason}; to try again: {unanswered.curl}")
            return
        exchange = Exchange(asked=Asked(operation=operation_id(operation)), label=operation.label,
                            method=operation.method.upper(), template=operation.path, status=None)
        self._keep(exchange, (*reproduction, unanswered.curl), detail=unanswered.reason)

    def _keep(self, exchange: Exchange, reproduction: tuple[str, ...], detail: str | None = None) -> None:
        for breach in judged(exchange):
            self.findings.add(rule=breach.rule, operation=exchange.label, title=breach.title,
                              detail=detail or breach.detail, status=exchange.status, content=exchange.content,
                              reproduction=reproduction, key=breach.key)


@cache
def _template_pattern(template: str) -> re.Pattern[str]:
    # Any prefix first: the base URL of a target may have a path of its own.
    return re.compile(".*?" + re.sub(r"\\\{([A-Za-z_][A-Za-z0-9_]*)\\\}", r"(?P<\1>[^/]*)", re.escape(template)))


def _path_parameters(template: str, path: str) -> dict[str, str]:
    """The path parameters of ``path`` (as sent: percent-encoded, below the base URL) by the template's names,
    decoded."""
    found = _template_pattern(template).fullmatch(path)
    return {name: unquote(value) for name, value in found.groupdict().items()} if found else {}
