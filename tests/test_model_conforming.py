"""The model passes a conforming target: the embedded sandbox, clean and in each conforming variant, and a target
that differs from the sandbox in every way the profile allows; it reaches every company state with every read and
write, every value each choice allows, every kind of invalid value and of near-miss credential, and the partner's
side (connections it creates, the flow's customization, the integrations); a seed replays a run; the default run is
cheap."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from sfc_conformance.core.clock import ManualClock, SystemClock
from sfc_conformance.core.http import ApiClient, AsgiBridge
from sfc_conformance.core.profile import LOCALES
from sfc_conformance.core.secrets import Secret
from sfc_conformance.model import ModelBudget, Phase, run_model
from sfc_conformance.model.connections import CREATIONS
from sfc_conformance.model.customizing import BAD_LOCALES, TEXT_VALUES, VISIBLE_CHOICES, VISIBLE_READS
from sfc_conformance.model.integrations import BRANDINGS
from sfc_conformance.model.integrations import LIST_MODES as INTEGRATION_LISTS
from sfc_conformance.model.model_run import Reach
from sfc_conformance.model.values import TIME_ZONES
from sfc_conformance.sandbox import VARIANTS
from sfc_conformance.sandbox.app import DEFAULT_API_KEY, Sandbox
from sfc_conformance.sandbox.embedded import EMBEDDED_BASE_URL, EMBEDDED_HOST
from tests.helpers import run_embedded

Send = Callable[[httpx.Request], httpx.Response]
Wrapper = Callable[[httpx.Request, Send], httpx.Response]


@contextmanager
def wrapped(wrapper: Wrapper, *names: str) -> Iterator[ApiClient]:
    """The sandbox in-process behind respx, every answer through ``wrapper(request, send)``."""
    sandbox = Sandbox(api_key=DEFAULT_API_KEY, clock=ManualClock(SystemClock().now().replace(microsecond=0)),
                      faults=names)
    bridge = AsgiBridge(sandbox.app)
    router = respx.mock(assert_all_called=False, assert_all_mocked=True, using="httpx")
    router.route(host=EMBEDDED_HOST).mock(side_effect=lambda request: wrapper(request, bridge))
    router.route(host="receiver.embedded").mock(return_value=httpx.Response(200))
    router.start()
    client = ApiClient(EMBEDDED_BASE_URL, Secret(DEFAULT_API_KEY), sleep=lambda seconds: None)
    try:
        yield client
    finally:
        client.close()
        router.stop()
        bridge.close()
        sandbox.close()


# Each variant alone again in the release run: the gate's kill matrix runs the suite, the model in it, on each.
@pytest.mark.parametrize("names", [(), *(pytest.param((name,), marks=pytest.mark.release) for name in sorted(VARIANTS)),
                                   tuple(sorted(VARIANTS))], ids=["clean", *sorted(VARIANTS), "every-variant"])
def test_the_sandbox_and_each_conforming_variant_pass(names: tuple[str, ...]) -> None:
    report = run_embedded(ModelBudget(seed=3), *names)
    assert not report.failures, report.shown()
    assert report.stopped is None and report.ended is None and not report.left, report.summary()


# -- a target that conforms otherwise ------------------------------------------------------------------------------

def _json(response: httpx.Response) -> Any:
    response.read()
    return json.loads(response.content) if response.content else None


def _error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"statusCode": status, "service": "Elsewhere", "error": message,
                                        "correlationId": "c0ffee", "canBeRetried": "False", "detailedErrorCode": 7})


LIST = re.compile(r"^/companies(/[^/]+/connections)?$")
KEY_HEADER = "Basic " + base64.b64encode(DEFAULT_API_KEY.encode()).decode()


class ConformingOtherwise:
    """Everything the profile leaves open, chosen otherwise than the sandbox does: lists newest first within a page,
    201 for a new company, 200 with a body for a deleted connection, `Unlinked` for a de-authorization, other 4xx
    for every refusal the profile leaves open (422 before the link, 400 for unknown keys and connections, 404 past
    the last page, 409 for a sync of a company not ready), subscriptions listed unpaged, their delete not offered
    (405), a configuration unreadable before the start (404), and configurations with members left out refused."""

    def __call__(self, request: httpx.Request, send: Send) -> httpx.Response:
        path, method = request.url.path, request.method
        if request.headers.get("authorization") != KEY_HEADER:
            return send(request)  # KEY-1 first: without the key, whatever the call, 401
        if method == "PATCH" and _body(request).get("status") == "Deauthorized":
            request = _with_body(request, {"status": "Unlinked"})
        if method == "DELETE" and path.startswith("/webhooks/"):
            return _error(405, "This endpoint does not take that method.")
        if method == "GET" and path == "/webhooks":
            every = _json(send(httpx.Request("GET", f"{EMBEDDED_BASE_URL}/webhooks?page=1&pageSize=5000",
                                             headers=request.headers)))
            return httpx.Response(200, json={"results": every["results"]})
        if method == "POST" and path.startswith("/config/companies/") and _members_left_out(_body(request)):
            return _error(400, "Send the whole configuration.")
        answer = send(request)
        status = answer.status_code
        if method == "POST" and path == "/companies" and status == 200:
            return httpx.Response(201, json=_json(answer))
        if method == "DELETE" and "/connections/" in path and status == 204:
            return httpx.Response(200, json={})
        if method == "GET" and LIST.match(path) and status == 200:
            body = _json(answer)
            page = int(dict(request.url.params).get("page", "1"))
            if page > 1 and not body["results"]:
                return _error(404, "There is no such page.")
            return httpx.Response(200, json={**body, "results": list(reversed(body["results"]))})
        if status == 409 and path.startswith("/config/companies/"):
            return _error(422, "Link the accounting software first.")
        if status == 404 and ("/config/sync/commerce/" in path or "/connections/" in path):
            return _error(400, "That is not one of ours.")
        if method == "POST" and path.endswith("/sync/commerce/latest") and status == 200:
            summary = _json(answer)
            if summary["syncStatusCode"] >= 4000 and summary["syncStatus"] == "ValidateError":
                return _error(409, "The company is not ready to sync.")
            return httpx.Response(200, json=summary)
        return answer


def _body(request: httpx.Request) -> dict[str, Any]:
    try:
        body = json.loads(request.content or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _with_body(request: httpx.Request, body: Any) -> httpx.Request:
    return httpx.Request(request.method, request.url, headers={k: v for k, v in request.headers.items()
                                                               if k.lower() != "content-length"}, json=body)


def _members_left_out(body: dict[str, Any]) -> bool:
    schedule = body.get("schedule")
    return isinstance(schedule, dict) and ("syncHour" not in schedule or "timeZone" not in schedule)


def test_a_target_conforming_otherwise_than_the_sandbox_passes() -> None:
    with wrapped(ConformingOtherwise(), "enabled-spelling", "unknown-fields") as client:
        report = run_model(client, Secret(DEFAULT_API_KEY), ModelBudget(seed=5, sequences=20))
    assert not report.failures, report.shown()
    assert report.stopped is None, report.summary()
    # A target without the optional delete leaves the run's subscriptions, and says which (RUN-2).
    assert report.left and all("subscription" in line for line in report.left), report.left


# -- what the model reaches ------------------------------------------------------------------------------------

READS = ("read company", "read configuration", "latest sync", "list connections")
WRITES = ("start flow", "authorize", "PATCH status", "delete connection", "configure", "request sync")


def two_long_runs() -> Reach:
    """What two longer runs reached, together: which states, calls and values one run meets is the draw's."""
    reached = Reach()
    for seed in (1, 2):
        report = run_embedded(ModelBudget(seed=seed, sequences=40))
        assert not report.failures, report.shown()
        for phase, calls in report.reach.calls.items():
            reached.calls[phase].update(calls)
        for what, values in report.reach.values.items():
            reached.values[what] |= values
    return reached


def every_company_state_meets_every_read_and_write(reached: Reach) -> None:
    """Every read in every state; every write in every state it can be made in: a bare company has no connection
    to authorize, change or delete, and a deleted one takes no write but a refused sync request."""
    cannot = {Phase.BARE: {"authorize", "PATCH status", "delete connection"},
              Phase.DELETED: {"start flow", "authorize", "PATCH status", "delete connection", "configure"}}
    for phase in Phase:
        made = " ".join(reached.calls[str(phase)])
        missing = [call for call in (*READS, *WRITES) if call not in made and call not in cannot.get(phase, ())]
        assert not missing, f"{phase}: never {missing}; made {sorted(reached.calls[str(phase)])}"


def every_value_each_choice_allows_is_sent(reached: Reach) -> None:
    values = reached.values
    assert values["syncHour"] >= {0, 23}, values["syncHour"]  # both bounds
    assert len(values["syncHour"]) >= 20, sorted(values["syncHour"])
    assert values["frequency"] == {"Daily", "Monthly"}  # every frequency the sandbox offers
    assert values["invoice status"] == {"Draft", "Submitted", "Paid"}
    assert values["grouping period"] == {"Daily", "Weekly", "Monthly"}
    assert len(values["timeZone"]) >= len(TIME_ZONES) - 3, values["timeZone"]
    assert values["reviewed"] >= {"accounts", "taxRates", "invoiceStatus", "groupingPeriod"}, values["reviewed"]


def every_kind_of_invalid_value_and_near_miss_key_is_sent(reached: Reach) -> None:
    assert reached.values["invalid"] == {
        "syncHour outside 0-23", "a frequency not offered", "a time zone that is not IANA",
        "an account not among the options", "an invoice status not offered", "a grouping period not offered"}
    credentials = reached.values["credentials"]
    for kind in ("no Authorization header", "the key as a Bearer token", "the key with character",
                 "the key with one more character", "the key without its last character", "the key in upper case",
                 "the key as HTTP Basic user:password", "a wrong key"):
        assert any(shown.startswith(kind) for shown in credentials), (kind, credentials)


def the_partner_side_is_reached_in_every_way(reached: Reach) -> None:
    """Connections created where a company lacks that kind and refused otherwise (LINK-4); the flow's texts with
    every value and every locale refusal, the visible accounts with every choice and every read (CUST-1..3); the
    integrations read in every way a list is read, and their branding (INT-1, INT-2)."""
    for phase in (Phase.BARE, Phase.SEVERED):
        assert "create connection (valid)" in reached.calls[str(phase)], sorted(reached.calls[str(phase)])
    values = reached.values
    assert values["created connections"] == {*CREATIONS, "for a company that does not exist"}
    assert values["locales"] == {*LOCALES, *BAD_LOCALES}, values["locales"]
    assert values["text values"] >= set(TEXT_VALUES), values["text values"]
    assert values["visible accounts"] >= set(VISIBLE_CHOICES), values["visible accounts"]
    assert values["visible account reads"] == set(VISIBLE_READS)
    assert values["brandings"] == set(BRANDINGS)
    listed = " ".join(reached.calls["account"])
    assert all(f"list integrations ({mode})" in listed for mode in INTEGRATION_LISTS), listed


@pytest.mark.release  # two long runs of the model
def test_the_model_reaches_every_state_value_and_call() -> None:
    """One test for the checks of what two long runs reached: as a fixture shared by four tests, each pytest-xdist
    worker that ran one of them made the runs again.  Every check is made, and every one that fails is shown."""
    reached = two_long_runs()
    failed = []
    for check in (every_company_state_meets_every_read_and_write, every_value_each_choice_allows_is_sent,
                  every_kind_of_invalid_value_and_near_miss_key_is_sent, the_partner_side_is_reached_in_every_way):
        try:
            check(reached)
        except AssertionError as failure:
            failed.append(f"{check.__name__}: {failure}")
    assert not failed, "\n\n".join(failed)


# -- seeds, and the cost ----------------------------------------------------------------------------------------

def test_a_seed_replays_the_run_and_another_seed_makes_another() -> None:
    first, again = run_embedded(ModelBudget(seed=11, sequences=4)), run_embedded(ModelBudget(seed=11, sequences=4))
    other = run_embedded(ModelBudget(seed=12, sequences=4))
    assert (first.steps, first.calls, first.reach.table()) == (again.steps, again.calls, again.reach.table())
    assert (first.calls, first.reach.table()) != (other.calls, other.reach.table())


def test_the_default_run_walks_hundreds_of_steps() -> None:
    """Its speed is a figure (benchmarks/model_rate.py), not a test: a busy machine is not a slow model."""
    report = run_embedded(ModelBudget())
    assert report.steps >= 500 and report.sequences >= 10, report.summary()


def test_the_key_never_shows_in_what_the_model_reports() -> None:
    """Not even when the target puts it in its answers (each `linkUrl` carries it): the answers are shown masked."""
    report = run_embedded(ModelBudget(seed=2, shrink_calls=200), "api-key-in-link-url")
    assert "KEY-2" in report.failures, report.summary()
    shown = report.shown()
    assert "linkUrl" in shown
    for form in (DEFAULT_API_KEY, base64.b64encode(DEFAULT_API_KEY.encode()).decode()):
        assert form not in shown
    assert "Basic **********" in shown


def test_a_live_budget_stays_within_its_calls_and_companies() -> None:
    budget = ModelBudget.live(seed=4)
    assert budget.calls is not None and budget.companies_in_all is not None
    report = run_embedded(budget)
    assert report.calls <= budget.calls, report.summary()
    assert report.companies <= budget.companies_in_all, report.summary()
    assert report.ended is not None or report.sequences == budget.sequences, report.summary()
    assert not report.failures and not report.left, report.shown()


def test_subscriptions_point_at_the_run_and_say_they_are_the_models() -> None:
    seen: list[str] = []

    def listening(request: httpx.Request, send: Send) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/webhooks":
            seen.append(_body(request)["url"])
        return send(request)

    with wrapped(listening) as client:
        run_model(client, Secret(DEFAULT_API_KEY), ModelBudget(seed=6, sequences=3))
    assert seen
    for url in seen:
        query = parse_qs(urlsplit(url).query)
        assert query["sfcRun"] and query["sfcSubscriber"][0].startswith("model-"), url
