"""Every check the fuzz holds an answer to, each under the profile rules it judges.

A check is a function of one :class:`Exchange` (a request as it went out and
the answer it got) that yields a :class:`Breach` for each way the answer
breaks a rule.  It exists only as an entry of :data:`CHECKS`, made by the
:func:`check` decorator with the rules it judges: a check without a rule of
the profile cannot be registered, and a breach under a rule its check does not
name stops the run (:func:`judged`).

    check                    rules    fails when
    answered                 API-5    the connection breaks before a request is answered (one that only
                                      runs out of time is not judged: a busy machine may be why)
    no_server_error          API-5    an answer is a 5xx
    documented_answer        API-1    a 2xx the contract does not document for the operation, or a 2xx body
                                      that is not JSON or does not validate (unknown fields allowed)
    json_is_application_json API-2    a JSON body is sent as anything but application/json
    error_is_error_message   API-3    a 4xx/5xx body is not an ErrorMessage whose statusCode is the status
    refuses_missing_or_      KEY-1    a request without the key, with a wrong one or as a Bearer token
      wrong_key                       is not answered 401 (an optional call the target lacks excepted)
    never_echoes_the_key     KEY-2    an answer's header or body holds the key, as typed or base64-encoded
    paging_is_consistent     API-4    a page of connections disagrees with what was asked or with itself
    refused_where_demanded   that     a request a rule demands refused is answered 2xx or 3xx: API-4,
                             rule     CONF-5, URL-5, URL-6, READY-2, LINK-4, CUST-1, CUST-3, SYNC-1,
                                      SYNC-3, INT-1, INT-2 (the table in :mod:`.refusals`)

Nothing else fails a target: schemathesis generates the requests, but none of
its own checks judges an answer (its "negative data rejection" would fail a
target for accepting what the profile lets it ignore, its schema check reads
date-times more strictly than the suite's API-1 does).  Bodies are validated
with the suite's own contract check (:mod:`sfc_conformance.core.profile._contract`), so
the fuzz and the scenarios read an answer alike.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sfc_conformance.core.profile import RULES, error_message_problem, load_contract
from sfc_conformance.fuzzing.refusals import NO_BODY, NOT_JSON, REFUSALS, Asked, reasons
from sfc_conformance.fuzzing.sending import Credentials

NOT_AN_ERROR_MESSAGE = "Error answer is not an ErrorMessage with its own status"
LIST_CONNECTIONS = "list-connections"
MAX_PAGE_SIZE = 5000
# The profile's optional housekeeping calls: a target without them (404 or 405) still conforms.
OPTIONAL_OPERATIONS = frozenset({"delete-company", "list-webhooks", "delete-webhook"})
CANONICAL = re.compile(r"[1-9][0-9]{0,8}")  # a page or size no target reads two ways


@dataclass(frozen=True)
class Breach:
    """One way an answer breaks one rule."""

    rule: str
    title: str
    detail: str
    key: str = ""  # tells apart findings of one rule, operation and title (two 5xx statuses, say)


@dataclass(frozen=True)
class Exchange:
    """One request as it went out and the answer it got (``status`` None: no answer at all)."""

    asked: Asked
    label: str  # ``GET /companies/{companyId}``
    method: str
    template: str
    status: int | None
    content: bytes = b""
    body: Any = NO_BODY  # the answer's parsed JSON; NO_BODY or NOT_JSON
    headers: Mapping[str, Sequence[str]] = field(default_factory=dict)  # names in lower case
    authorization: str | None = None  # as sent
    credentials: Credentials = Credentials.KEY
    keyed_status: int | None = None  # a KEY-1 probe: what the same request with the key was answered

    @property
    def content_type(self) -> str:
        return ", ".join(self.headers.get("content-type", ()))


Judgement = Callable[[Exchange], Iterator[Breach]]


@dataclass(frozen=True)
class Check:
    name: str
    rules: tuple[str, ...]
    judge: Judgement
    needs_answer: bool = True


CHECKS: dict[str, Check] = {}


class RuleMismatch(Exception):
    """A check reported a breach under a rule it does not judge: a fault of the fuzz, not of the target."""


def check(*rules: str, needs_answer: bool = True) -> Callable[[Judgement], Judgement]:
    """Register a check under the profile rules it judges (at least one, each a rule of the profile)."""
    unknown = [rule for rule in rules if rule not in RULES]
    if not rules or unknown:
        raise ValueError(f"a check judges rules of the profile; given {list(rules)}, unknown {unknown}")

    def register(judge: Judgement) -> Judgement:
        CHECKS[judge.__name__] = Check(judge.__name__, tuple(dict.fromkeys(rules)), judge, needs_answer)
        return judge

    return register


def judged(exchange: Exchange) -> Iterator[Breach]:
    """Every breach every check finds in ``exchange``, each under a rule its check judges."""
    for each in CHECKS.values():
        if each.needs_answer and exchange.status is None:
            continue
        for breach in each.judge(exchange):
            if breach.rule not in each.rules:
                raise RuleMismatch(f"{each.name} judges {', '.join(each.rules)}, not {breach.rule}")
            yield breach


@check("API-5", needs_answer=False)
def answered(exchange: Exchange) -> Iterator[Breach]:
    if exchange.status is None:
        yield Breach("API-5", "No answer", "the target gave no answer to this request while it answered others")


@check("API-5")
def no_server_error(exchange: Exchange) -> Iterator[Breach]:
    if exchange.status is not None and exchange.status >= 500:
        yield Breach("API-5", "Server error", f"answered {exchange.status}", key=str(exchange.status))


def _documented(method: str, template: str, status: int) -> dict[str, Any] | None:
    """The contract's response for ``status`` of one operation (its ``NXX`` if it has no exact one); None if none."""
    contract = load_contract()
    responses = (contract.document["paths"].get(template, {}).get(method.lower()) or {}).get("responses") or {}
    spec = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    while isinstance(spec, dict) and "$ref" in spec:
        node: Any = contract.document
        for part in spec["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        spec = node
    return spec if isinstance(spec, dict) else None


def _json_documented(exchange: Exchange) -> bool:
    assert exchange.status is not None
    spec = _documented(exchange.method, exchange.template, exchange.status)
    return spec is not None and "application/json" in (spec.get("content") or {})


@check("API-1")
def documented_answer(exchange: Exchange) -> Iterator[Breach]:
    status = exchange.status
    if status is None or not 200 <= status < 300:
        return
    if _documented(exchange.method, exchange.template, status) is None:
        yield Breach("API-1", "Undocumented status", f"the contract documents no {status} for {exchange.label}",
                     key=str(status))
        return
    if exchange.body is NO_BODY:
        return  # no JSON body to validate
    if exchange.body is NOT_JSON:
        if _json_documented(exchange):
            yield Breach("API-1", "The answer is not JSON", f"answered {status} with a body that is not JSON")
        return
    problems = load_contract().check_answer(exchange.method, exchange.template, status, exchange.body)
    if problems:
        where = sorted({problem.split(":", 1)[0] for problem in problems})
        yield Breach("API-1", "Response violates schema", "\n".join(problems), key=" ".join(where))


@check("API-2")
def json_is_application_json(exchange: Exchange) -> Iterator[Breach]:
    if exchange.body is NO_BODY or exchange.body is NOT_JSON:
        return  # API-2 is about JSON bodies; one that is not JSON is API-1's (2xx) or API-3's (error)
    media = exchange.content_type.split(";")[0].strip().lower()
    if media != "application/json":
        yield Breach("API-2", "JSON answer not sent as application/json",
                     f"answered {exchange.status} with Content-Type {exchange.content_type or '(none)'!r}", key=media)


@check("API-3")
def error_is_error_message(exchange: Exchange) -> Iterator[Breach]:
    status = exchange.status
    if status is None or status < 400:
        return
    body = None if exchange.body is NO_BODY or exchange.body is NOT_JSON else exchange.body
    problem = error_message_problem(status, body)
    if problem is None and _documented(exchange.method, exchange.template, status) is not None:
        problem = "; ".join(load_contract().check_answer(exchange.method, exchange.template, status, body)) or None
    if problem:
        yield Breach("API-3", NOT_AN_ERROR_MESSAGE, f"{status}: {problem}")


@check("KEY-1")
def refuses_missing_or_wrong_key(exchange: Exchange) -> Iterator[Breach]:
    sent = exchange.credentials
    if sent is Credentials.KEY or exchange.status == 401:
        return
    if (exchange.asked.operation in OPTIONAL_OPERATIONS and exchange.keyed_status in (404, 405)
            and exchange.status == exchange.keyed_status):
        return  # the target has no such call, with the key or without: the profile lets it go without
    yield Breach("KEY-1", f"A request with {sent.value} was not refused", f"answered {exchange.status}, not 401")


@check("KEY-2")
def never_echoes_the_key(exchange: Exchange) -> Iterator[Breach]:
    authorization = exchange.authorization
    if exchange.credentials is not Credentials.KEY or not authorization or not authorization.startswith("Basic "):
        return
    encoded = authorization.removeprefix("Basic ")
    try:
        key = base64.b64decode(encoded, validate=True).decode()
    except ValueError:
        return
    places = {"the body": exchange.content.decode("utf-8", "replace")}
    places.update({f"header {name}": " ".join(values) for name, values in exchange.headers.items()})
    found = [place for place, text in places.items() if key in text or encoded in text]
    if key and found:
        yield Breach("KEY-2", "The answer holds the API key",
                     f"the key, as typed or base64-encoded, is in {', '.join(found)}")


def _asked_for(asked: Asked, name: str, body: dict[str, Any], field_name: str) -> int | None:
    """The page or size asked for, where no target could read it another way; else the one the answer says it
    gave (the target ignored a value it could not read, or none was sent); None when neither is a number."""
    values = asked.values(name)
    if len(values) == 1 and CANONICAL.fullmatch(values[0]):
        return int(values[0])
    given = body.get(field_name)
    return given if type(given) is int and given >= 1 else None


@check("API-4")
def paging_is_consistent(exchange: Exchange) -> Iterator[Breach]:
    body = exchange.body
    if exchange.asked.operation != LIST_CONNECTIONS or exchange.status != 200 or not isinstance(body, dict):
        return
    page = _asked_for(exchange.asked, "page", body, "pageNumber")
    size = _asked_for(exchange.asked, "pageSize", body, "pageSize")
    if page is None or size is None or size > MAX_PAGE_SIZE:
        return  # out of bounds: refused_where_demanded judges it; not a number in the answer: API-1 does
    problems = paging_problems(page, size, body)
    if problems:
        yield Breach("API-4", "The page of connections is inconsistent", "; ".join(problems))


def paging_problems(page: int, size: int, body: dict[str, Any]) -> list[str]:
    """How one page of a paged answer disagrees with the page and size asked for, and with itself."""
    problems = []
    total, results = body.get("totalResults"), body.get("results")
    raw_links = body.get("_links")
    links: dict[str, Any] = raw_links if isinstance(raw_links, dict) else {}
    if body.get("pageNumber") != page:
        problems.append(f"`pageNumber` is {body.get('pageNumber')!r}, page {page} was asked for")
    if body.get("pageSize") != size:
        problems.append(f"`pageSize` is {body.get('pageSize')!r}, {size} was asked for")
    for name in ("self", "current"):
        if not isinstance(links.get(name), dict):
            problems.append(f"`_links.{name}` is missing")
    if type(total) is not int or not isinstance(results, list):
        return problems + ["`totalResults` or `results` is missing"]
    expected = max(0, min(size, total - (page - 1) * size))
    if len(results) != expected:
        problems.append(f"page {page} of size {size} holds {len(results)} results, but `totalResults` "
                        f"{total} means it holds {expected}")
    later = page * size < total
    if later != ("next" in links):
        problems.append(f"`_links.next` is {'missing' if later else 'present'}, yet `totalResults` {total} means "
                        f"there is {'a' if later else 'no'} later page")
    return problems


@check(*(refusal.rule for refusal in REFUSALS))
def refused_where_demanded(exchange: Exchange) -> Iterator[Breach]:
    """Accepting a request fails only where a rule demands its refusal; a 5xx is no acceptance (API-5's)."""
    if exchange.status is None or exchange.status >= 400:
        return
    for refusal, reason in reasons(exchange.asked):
        yield Breach(refusal.rule, refusal.title,
                     f"{reason}, yet it was answered {exchange.status}; {refusal.rule} asks for {refusal.demands}")


def parsed(content: bytes) -> Any:
    """A body as the checks read it: its JSON, NO_BODY when empty, NOT_JSON when it is something else."""
    if not content.strip():
        return NO_BODY
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # also a body that is not UTF-8, or nested past the parser's depth
        return NOT_JSON
