"""The portfolio audit's engine: every verdict against the sandbox's own truth, a rate-limited target audited
to the end, companies that cannot be read, and the targets that end an audit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from sfc_conformance.audit.engine import GIVE_UP_AFTER, UNREADABLE, Auditor, Verdict, audit
from sfc_conformance.core.clock import ManualClock
from sfc_conformance.core.errors import KeyRefused, TargetUnreachable
from sfc_conformance.core.http import Pace, PacedClient
from sfc_conformance.core.profile import readiness
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.sandbox.population import populate, truth

FAKE = "http://fake.target"
LINKED = [{"id": "a0000000-0000-4000-8000-000000000001", "sourceType": "Accounting", "status": "Linked"},
          {"id": "c0000000-0000-4000-8000-000000000002", "sourceType": "Commerce", "status": "Linked"}]
READY = {"enable": True, "configured": True}


def _paced(target: EmbeddedTarget, concurrency: int = 4) -> tuple[PacedClient, Pace]:
    pace = Pace(concurrency, target.clock)
    return PacedClient(target.base_url, target.api_key, pace), pace


def _audited(auditor: Auditor, ids: list[str] | None = None, workers: int = 4) -> list[Verdict]:
    seen: list[Verdict] = []
    audit(auditor, ids, workers=workers, each=lambda verdict, total: seen.append(verdict))
    return seen


def _assert_matches_truth(target: EmbeddedTarget, verdicts: list[Verdict]) -> None:
    known = truth(target.sandbox.state)
    assert [v.company_id for v in verdicts] == list(known)  # every merchant once, in the account's order
    for verdict in verdicts:
        expected = known[verdict.company_id]
        assert verdict.ready == expected.ready, verdict
        assert set(verdict.conditions) == expected.conditions, verdict


def test_every_verdict_is_the_sandboxs_truth(target: EmbeddedTarget) -> None:
    populate(target.sandbox.state, 160, seed=21)
    client, _ = _paced(target)
    verdicts = _audited(Auditor(client, connections_list=False, page_size=37))
    _assert_matches_truth(target, verdicts)
    client.close()


def test_with_the_connections_list_every_verdict_is_still_the_truth(target: EmbeddedTarget) -> None:
    populate(target.sandbox.state, 60, seed=22)
    client, _ = _paced(target)
    _assert_matches_truth(target, _audited(Auditor(client, connections_list=True)))
    client.close()


def test_a_rate_limited_target_is_audited_to_the_end(target: EmbeddedTarget) -> None:
    populate(target.sandbox.state, 150, seed=23)
    target.sandbox.rate_limit.per_second = 12
    client, pace = _paced(target, concurrency=6)
    verdicts = _audited(Auditor(client, connections_list=True, page_size=40), workers=6)
    _assert_matches_truth(target, verdicts)
    assert not any(v.unreadable for v in verdicts)
    assert pace.slowdowns > 0  # it met 429s, and slowed down rather than failing
    client.close()


def test_a_company_deleted_after_it_was_listed_cannot_be_read(target: EmbeddedTarget) -> None:
    account = populate(target.sandbox.state, 30, seed=24)
    client, _ = _paced(target)
    auditor = Auditor(client, connections_list=False, page_size=30)
    doomed = list(account.states)[20]
    seen: list[Verdict] = []

    def each(verdict: Verdict, total: int | None) -> None:
        if not seen:  # the whole page is listed by now; the 21st merchant is not judged yet
            assert auditor.api.delete_company(doomed).status_code == 204
        seen.append(verdict)

    summary = audit(auditor, None, workers=1, each=each)
    gone = seen[20]
    assert gone.company_id == doomed and not gone.ready
    assert gone.conditions == [UNREADABLE]
    assert gone.reasons == ["the company was not found (404) when its configuration was read: deleted after it "
                            "was listed?"]
    assert summary.total == 30 and summary.by_reason[UNREADABLE] == 1
    assert [v.company_id for v in seen] == list(account.states)  # the audit went on past it
    client.close()


def test_a_named_company_that_does_not_exist_cannot_be_read(target: EmbeddedTarget) -> None:
    account = populate(target.sandbox.state, 3, seed=25)
    client, _ = _paced(target)
    unknown = "00000000-0000-4000-8000-00000000beef"
    verdicts = _audited(Auditor(client, connections_list=True), [unknown, *account.states])
    assert verdicts[0].unreadable == "was not found (404)"
    assert verdicts[0].reasons == ["the company was not found (404)"]
    assert [v.company_id for v in verdicts[1:]] == list(account.states)
    client.close()


# -- targets that are not the sandbox -------------------------------------------------


@pytest.fixture
def fake() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=FAKE, assert_all_called=False) as router:
        yield router


def _company(ident: str, connections: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": ident, "name": f"Company {ident}", "dataConnections": LINKED if connections is None else connections}


def _listing(*companies: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"results": list(companies), "pageNumber": 1, "pageSize": 250,
                                     "totalResults": len(companies), "_links": {"self": {"href": "/companies"},
                                                                                "current": {"href": "/companies"}}})


def _fake_auditor(connections_list: bool = False) -> tuple[Auditor, PacedClient]:
    client = PacedClient(FAKE, Secret("fake-key-Qa7"), Pace(3, ManualClock()))
    return Auditor(client, connections_list=connections_list), client


def test_one_failing_company_is_reported_and_the_audit_goes_on(fake: respx.MockRouter) -> None:
    fake.get("/companies").mock(return_value=_listing(_company("c1"), _company("c2"), _company("c3"),
                                                      _company("c4")))
    fake.get("/config/companies/c1/sync/commerce").mock(return_value=httpx.Response(200, json=READY))
    failing = fake.get("/config/companies/c2/sync/commerce").mock(return_value=httpx.Response(
        503, json={"statusCode": 503, "error": "Service  unavailable,\n try later"}))
    fake.get("/config/companies/c3/sync/commerce").mock(return_value=httpx.Response(200, text="<html>oops"))
    fake.get("/config/companies/c4/sync/commerce").mock(return_value=httpx.Response(200, json={"enabled": False}))
    auditor, client = _fake_auditor()
    verdicts = _audited(auditor)
    assert [v.company_id for v in verdicts] == ["c1", "c2", "c3", "c4"]
    assert verdicts[0].ready
    assert verdicts[1].reasons == ["the company could not be read: GET /config/companies/c2/sync/commerce answered "
                                   "503: Service unavailable, try later"]
    assert failing.call_count == 4  # the client's own retries first
    assert verdicts[2].conditions == [UNREADABLE] and "not JSON" in verdicts[2].reasons[0]
    assert verdicts[3].conditions == [readiness.ENABLED, readiness.CONFIGURED]
    assert "`enabled` is false" in verdicts[3].reasons[0]  # the target's own word for the flag
    client.close()


def test_a_configuration_the_target_does_not_have_is_not_configured(fake: respx.MockRouter) -> None:
    fake.get("/companies").mock(return_value=_listing(_company("c1")))
    fake.get("/config/companies/c1/sync/commerce").mock(return_value=httpx.Response(404, json={"statusCode": 404}))
    fake.get("/companies/c1").mock(return_value=httpx.Response(200, json=_company("c1")))
    auditor, client = _fake_auditor()
    [verdict] = _audited(auditor)
    assert verdict.unreadable is None
    assert verdict.reasons == ["the sync configuration could not be read"]
    client.close()


def test_the_connections_list_must_agree_when_it_is_read(fake: respx.MockRouter) -> None:
    fake.get("/companies").mock(return_value=_listing(_company("c1")))
    fake.get("/config/companies/c1/sync/commerce").mock(return_value=httpx.Response(200, json=READY))
    pending = [dict(LINKED[0], status="PendingAuth"), LINKED[1]]
    fake.get("/companies/c1/connections").mock(return_value=httpx.Response(200, json={"results": pending}))
    auditor, client = _fake_auditor(connections_list=False)
    assert _audited(auditor)[0].ready  # as the company reports its connections
    auditor, client = _fake_auditor(connections_list=True)
    [verdict] = _audited(auditor)
    assert verdict.conditions == [readiness.AGREEMENT]
    assert verdict.reasons == ["connection a0000000… is Linked in the company's dataConnections but PendingAuth in "
                               "the connections list"]
    client.close()


def test_a_refused_key_ends_the_audit(fake: respx.MockRouter) -> None:
    fake.get("/companies").mock(return_value=_listing(_company("c1"), _company("c2")))
    fake.get(url__regex=r"/config/.*").mock(return_value=httpx.Response(401, json={"statusCode": 401}))
    auditor, client = _fake_auditor()
    with pytest.raises(KeyRefused, match="refused the API key: GET /config/companies/c1/sync/commerce answered 401"):
        _audited(auditor)
    client.close()


def test_a_target_that_goes_away_ends_the_audit(fake: respx.MockRouter) -> None:
    companies = [_company(f"c{n}") for n in range(GIVE_UP_AFTER + 10)]
    fake.get("/companies").mock(return_value=_listing(*companies))
    fake.get(url__regex=r"/config/.*").mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    auditor, client = _fake_auditor()
    seen: list[Verdict] = []
    with pytest.raises(TargetUnreachable, match=f"cannot reach .*{GIVE_UP_AFTER} merchants in a row"):
        audit(auditor, None, workers=2, each=lambda verdict, total: seen.append(verdict))
    assert len(seen) == GIVE_UP_AFTER - 1 and all(v.unreadable for v in seen)
    client.close()


def test_a_company_listed_without_an_id_cannot_be_read(fake: respx.MockRouter) -> None:
    fake.get("/companies").mock(return_value=_listing({"name": "Nameless"}, _company("c1")))
    fake.get("/config/companies/c1/sync/commerce").mock(return_value=httpx.Response(200, json=READY))
    auditor, client = _fake_auditor()
    verdicts = _audited(auditor)
    assert verdicts[0].reasons == ["the company is listed without an `id`"] and verdicts[1].ready
    client.close()
