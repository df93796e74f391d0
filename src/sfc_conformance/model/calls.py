"""What every protocol call of the model stands on: drawing its target, naming its step, blaming a rule.

Each part of the protocol is a class of calls (:mod:`.companies`, :mod:`.flow`,
:mod:`.connections`, :mod:`.configuring`, :mod:`.syncs`, :mod:`.subscriptions`,
:mod:`.customizing`, :mod:`.integrations`, :mod:`.keys`); the state machine
(:mod:`.machine`) is all of them.  A call
draws what it was not told (which company, which connection, which value),
says in words what it does, makes the request and judges the answer, and
moves the model.  The first option of every draw is the plain one, so a
failing sequence shrinks toward plain steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from hypothesis import strategies as st

from sfc_conformance.model import allowed
from sfc_conformance.model.holdings import ACCOUNTING, Blame, ModelCompany, ModelConnection
from sfc_conformance.model.judging import Answer, Judging

CREDENTIALS: Final = {"username": "sfc-model-merchant", "password": "sfc-model-password"}  # what a platform hands over
UUIDS: Final = st.uuids(version=4)


def pick(data: st.DataObject, items: list[Any]) -> Any:
    """One of ``items``; the first is what a failing sequence shrinks to."""
    return items[0] if len(items) == 1 else items[data.draw(st.integers(0, len(items) - 1))]


def choose(data: st.DataObject, options: list[str]) -> str:
    return str(pick(data, options))


def new_id(data: st.DataObject) -> str:
    """A well-formed id no target handed out."""
    return str(data.draw(UUIDS))


class Calls(Judging):
    made_companies: list[tuple[str, str]]  # (id, name): everything a POST /companies answered 2xx to
    made_subscriptions: list[tuple[str, str]]  # (id, url)

    def say(self, text: str) -> None:
        self.transcript.current.text = text

    def reached(self, company: ModelCompany | None, call: str) -> None:
        self.run.reach.call(company.phase() if company else "unknown id", call)

    def blame(self, company: ModelCompany, aspects: tuple[str, ...] | str, rule: str, what: str) -> None:
        company.set_blame(aspects, Blame(rule, self.step, what))

    def blame_account(self, aspect: str, rule: str, what: str) -> None:
        self.model.blame[aspect] = Blame(rule, self.step, what)

    def room_for_company(self) -> bool:
        return len(self.model.companies) < self.run.budget.companies

    def target(self, data: st.DataObject, *, deleted: bool = True, unknown: bool = True
               ) -> tuple[ModelCompany | None, str]:
        """A company of the sequence (deleted ones too), or an id no target handed out."""
        candidates = self.model.companies if deleted else self.model.alive()
        if not candidates or (unknown and choose(data, ["ours"] * 6 + ["unknown"]) == "unknown"):
            return None, new_id(data)
        company: ModelCompany = pick(data, candidates)
        return company, company.id

    def linked_companies(self) -> list[ModelCompany]:
        """The companies whose accounting connection is Linked: the ones a configuration is for."""
        return [c for c in self.model.alive() if c.linked(ACCOUNTING)]

    def companies_with_connections(self) -> list[ModelCompany]:
        return [c for c in self.model.alive() if c.connections]

    def connection_of(self, data: st.DataObject, company: ModelCompany) -> tuple[ModelConnection | None, str]:
        """One of the company's connections, one it had and lost, or an id it never had."""
        kinds = ["connection"] * 5 + ["unknown connection"] + (["deleted connection"] if company.gone_connections
                                                                else [])
        kind = choose(data, kinds) if company.connections else "unknown connection"
        if kind == "connection":
            connection: ModelConnection = pick(data, list(company.connections.values()))
            return connection, connection.id
        if kind == "deleted connection":
            return None, str(pick(data, company.gone_connections))
        return None, new_id(data)

    def made(self, made: list[tuple[str, str]], label: str) -> Callable[[Answer], None]:
        """Remember what an answer says was created (before any check can stop the step), for the end of the
        sequence (RUN-2)."""

        def keep(answer: Answer) -> None:
            if answer.ok and isinstance(answer.json.get("id"), str):
                made.append((answer.json["id"], label))
                if made is self.made_companies:
                    self.run.companies_made += 1

        return keep

    def under_no_company(self, answer: Answer, doing: str) -> None:
        self.expect(answer, allowed.UNDER_NO_COMPANY, doing)
