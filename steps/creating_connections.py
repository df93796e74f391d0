"""Creating a connection outside the flow (LINK-4): one PendingAuth connection, listed from then on; refusals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
from pytest_bdd import parsers, then, when

from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.target_api import TargetApi

from .common import error_message

# A well-formed company id no target hands out (version 4, a fixed tail).
NO_COMPANY = str(uuid.UUID("5f3c0de0-0000-4000-8000-0000000c0de9"))


@dataclass(frozen=True)
class ConnectionAsked:
    """A create-connection call, and the company's connections listed just before it."""

    answer: httpx.Response
    platform_key: str
    listed_before: frozenset[str]


def _create(api: TargetApi, merchant: Merchant, platform_key: str) -> ConnectionAsked:
    before = frozenset(str(c.get("id")) for c in api.connections(merchant))
    return ConnectionAsked(api.create_connection(merchant.company_id, platform_key), platform_key, before)


@when(parsers.re(r"the partner creates a connection with the (?P<which>commerce|accounting) key"),
      target_fixture="asked")
def _(api: TargetApi, settings: Settings, merchant: Merchant, which: str) -> ConnectionAsked:
    return _create(api, merchant, settings.commerce_key if which == "commerce" else settings.accounting_key)


@when("the partner creates a connection with a platform key no integration has", target_fixture="asked")
def _(api: TargetApi, merchant: Merchant) -> ConnectionAsked:
    return _create(api, merchant, api.unknown_platform_key())


@when(parsers.parse('the partner creates a connection with the malformed platform key "{key}"'),
      target_fixture="asked")
def _(api: TargetApi, merchant: Merchant, key: str) -> ConnectionAsked:
    return _create(api, merchant, key)


@when("the partner creates a connection for a company that does not exist", target_fixture="answer")
def _(api: TargetApi, settings: Settings) -> httpx.Response:
    return api.create_connection(NO_COMPANY, settings.accounting_key)


@then("the answer is a PendingAuth connection with that platform key")
def _(api: TargetApi, asked: ConnectionAsked) -> None:
    """LINK-4: a known platform key creates a connection waiting for authorization, to that integration."""
    connection = api.expect(asked.answer, 200, f"creating a connection with {asked.platform_key!r}")
    assert isinstance(connection, dict) and connection.get("id"), f"the answer is no Connection: {connection}"
    assert connection.get("status") == "PendingAuth", (
        f"the new connection is {connection.get('status')!r}, not PendingAuth: it waits for the merchant")
    assert connection.get("integrationKey") == asked.platform_key, (
        f"the new connection's integrationKey is {connection.get('integrationKey')!r}, not {asked.platform_key!r}")


@then("the company lists that connection as PendingAuth, and no other new one")
def _(api: TargetApi, merchant: Merchant, asked: ConnectionAsked) -> None:
    """LINK-4: the connection created is listed from then on (read twice), one connection more than before."""
    made = str(api.json(asked.answer).get("id"))
    for read in ("first", "second"):
        listed = {str(c.get("id")): c for c in api.connections(merchant)}
        new = sorted(set(listed) - asked.listed_before)
        assert new == [made], (f"the {read} list after the creation holds {len(new)} new connection(s) {new}, not "
                               f"just the one created ({made})")
        assert listed[made].get("status") == "PendingAuth" and listed[made].get("integrationKey") == \
            asked.platform_key, f"the connection is listed as {listed[made]}"


@then("the connection is refused with a 4xx ErrorMessage, and the company lists no new connection")
def _(api: TargetApi, merchant: Merchant, asked: ConnectionAsked) -> None:
    """LINK-4: a platform key no integration has, or a malformed one, is refused (4xx, ErrorMessage), and creates
    nothing."""
    status = asked.answer.status_code
    assert 400 <= status < 500, (f"creating a connection with {asked.platform_key!r} answered {status}, not a 4xx: "
                                 f"{asked.answer.text[:300]}")
    error_message(api, asked.answer)
    new = {str(c.get("id")) for c in api.connections(merchant)} - asked.listed_before
    assert not new, f"the refused creation left {len(new)} new connection(s): {sorted(new)}"


@then("the connection is refused with 404 and an ErrorMessage")
def _(api: TargetApi, answer: httpx.Response) -> None:
    """LINK-4: a connection for a company that does not exist is a 404, as an ErrorMessage."""
    assert answer.status_code == 404, (f"creating a connection for an unknown company answered "
                                       f"{answer.status_code}, not 404: {answer.text[:300]}")
    error_message(api, answer)
