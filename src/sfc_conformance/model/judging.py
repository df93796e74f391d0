"""Sending one call and holding its answer to the profile; reading lists and documents back against the model.

:class:`Judging` is what the state machine's rules stand on: :meth:`~Judging.send`
makes a call through the project's client, records it in the step, and
checks the rules every answer keeps (:mod:`.every_answer`);
:meth:`~Judging.expect` holds its status to what the profile allows
(:mod:`.allowed`); the readers compare what the target shows with what the
model holds, report a difference under the rule that expects the value, and
then learn what the profile left open.  A broken rule raises one exception
class per rule (Hypothesis shrinks each on its own) after the run kept
the sequence that showed it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, NoReturn

import httpx

from sfc_conformance.core.errors import TargetError
from sfc_conformance.model import documents
from sfc_conformance.model.allowed import LIST, UNSAID, Allowed
from sfc_conformance.model.every_answer import NOT_JSON, body_of
from sfc_conformance.model.holdings import ACCOUNTING, ANY, CONFIGURATION, CONNECTIONS, ModelCompany, ProtocolModel
from sfc_conformance.model.model_run import ModelRun
from sfc_conformance.model.transcript import Transcript
from sfc_conformance.model.values import NearMiss

EVERY_ANSWER: Final = ("API-1", "API-2", "API-3", "API-5", "KEY-2")  # checked on every answer (every_answer)
MAX_PAGES: Final = 60  # a list that never stops offering a next page is an API-4 failure, not a long wait
REFUSALS: Final = frozenset({"KEY-1", "CONF-5", "CONF-7"})  # rules of refused writes: they store nothing


class RuleBroken(AssertionError):
    """A rule of the profile the target broke; one subclass per rule, so that each is shrunk on its own."""

    rule = ""

    def __init__(self, saw: str) -> None:
        super().__init__(f"{self.rule}: {saw}")
        self.saw = saw


_BROKEN: dict[str, type[RuleBroken]] = {}


def broken(rule: str) -> type[RuleBroken]:
    if rule not in _BROKEN:
        _BROKEN[rule] = type(f"Broken_{rule.replace('-', '_')}", (RuleBroken,), {"rule": rule})
    return _BROKEN[rule]


class Halt(Exception):  # noqa: N818 - a signal, not an error
    """The step cannot go on: the run's calls are spent, or the target stopped answering.  It ends quietly."""


@dataclass(frozen=True)
class Answer:
    response: httpx.Response
    body: Any  # parsed JSON; None without a body

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def json(self) -> dict[str, Any]:
        """The body as an object ({} when it is not one: the contract has judged it already)."""
        return self.body if isinstance(self.body, dict) else {}

    def line(self) -> str:
        request = self.response.request
        return f"{request.method} {request.url.path}"


def short(identifier: str) -> str:
    return identifier[:8] + "…" if len(identifier) > 9 else identifier


def shown_connections(company: ModelCompany) -> str:
    if not company.connections:
        return "no connection"
    return ", ".join(f"{c.kind} {c.key} {short(c.id)} " + "/".join(sorted(c.statuses))
                     for c in company.connections.values())


class Judging:
    run: ModelRun
    model: ProtocolModel
    transcript: Transcript

    # -- one call ---------------------------------------------------------------------------------

    def send(self, method: str, path: str, *, json_body: Any = None, params: dict[str, Any] | None = None,
             content: bytes | None = None, credential: NearMiss | None = None,
             first: Callable[[Answer], None] | None = None, keep: Callable[[Answer], None] | None = None,
             server_error: str = "API-5") -> Answer:
        """Send one call (with the key, or with ``credential`` in its place) and check what every answer keeps;
        ``keep`` sees the answer before any check (to remember what it created, for the end of the sequence),
        ``first`` checks fields a rule names before the contract (API-1) looks at the body; a 5xx is reported
        under ``server_error`` where a rule names it for the call (DEL-2: "a 5xx is no answer")."""
        run = self.run
        if run.stopped or run.spent():
            raise Halt
        headers: dict[str, str] | None = None
        authenticated = True
        if content is not None:
            headers = {"Content-Type": "application/json"}
        if credential is not None:
            if credential.header is None:
                authenticated = False
            else:
                headers = {**(headers or {}), "Authorization": credential.header}
        try:
            response = run.client.request(method, path, json_body=json_body, content=content, params=params,
                                              headers=headers, authenticated=authenticated)
        except TargetError as error:
            run.stop(f"the target stopped answering: {error}")
            raise Halt from None
        run.calls += 1
        self.transcript.current.answers.append((response, credential.kind if credential else None))
        if response.status_code == 429:
            run.stop(f"the target kept answering 429 (rate limited) to {method} {path} after the client's "
                         "retries: run again later, or with a smaller budget")
            raise Halt
        answer = Answer(response, body_of(response))
        if keep is not None:
            keep(answer)
        for check in run.first_checks:
            seen = check(response, answer.body)
            if seen:
                self.broke(server_error if seen[0] == "API-5" else seen[0], f"{answer.line()} {seen[1]}")
        if first is not None and answer.ok and answer.body is not NOT_JSON:
            first(answer)
        seen = run.api_1(response, answer.body)
        if seen:
            self.broke(seen[0], f"{answer.line()} {seen[1]}")
        self.judged(*EVERY_ANSWER, server_error)
        return answer

    def expect(self, answer: Answer, allowed: Allowed, doing: str) -> None:
        if allowed.classes != UNSAID:  # "2xx or 4xx, as the target likes" judges nothing of the rule
            self.judged(allowed.rule)
        if not allowed.allows(answer.status):
            self.broke(allowed.rule, f"{doing}: {answer.line()} answered {answer.status}, expected "
                                     f"{allowed.shown()} ({allowed.why}): {answer.response.text[:200]}")

    def judged(self, *rules: str) -> None:
        """These rules were checked (whatever came of it): what the run reached, rule by rule."""
        self.run.reach.judged(*rules)

    def broke(self, rule: str, saw: str) -> NoReturn:
        self.run.record(rule, saw, self.transcript)
        raise broken(rule)(saw)

    @property
    def step(self) -> int:
        return self.transcript.current.number

    # -- lists (API-4) ----------------------------------------------------------------------------

    def check_page(self, answer: Answer, page: int | None, size: int | None, total: int | None) -> int:
        """API-4 on one page: the page and size asked for, its slice's length, `next` exactly when a later page
        exists; ``total`` is the true count when the model knows it.  The page's own `totalResults`."""
        self.judged("API-4")
        body = answer.json
        what = answer.line()
        said = body.get("totalResults")
        if not isinstance(said, int):
            self.broke("API-4", f"{what} answered a page without a whole `totalResults`")
        if page is not None and body.get("pageNumber") != page:
            self.broke("API-4", f"{what} asked for page {page}, answered `pageNumber` {body.get('pageNumber')!r}")
        if size is not None and body.get("pageSize") != size:
            self.broke("API-4", f"{what} asked for pageSize {size}, answered `pageSize` {body.get('pageSize')!r}")
        if total is not None and said != total:
            self.broke("API-4", f"{what} answered `totalResults` {said}; the true count is {total}")
        page, size = page or 1, size if size is not None else body.get("pageSize")
        results = body.get("results") or []
        if isinstance(size, int) and size > 0:
            due = max(0, min(size, said - (page - 1) * size))
            if len(results) != due:
                self.broke("API-4", f"{what} page {page} of {size} with `totalResults` {said} holds {len(results)} "
                                    f"items, not {due}")
            later = page * size < said
            links = body.get("_links")
            if bool(isinstance(links, dict) and links.get("next")) != later:
                self.broke("API-4", f"{what} page {page} of {size} with `totalResults` {said} "
                                    + ("has no `_links.next`, though a later page exists" if later
                                       else "carries `_links.next`, though it is the last page"))
        return said

    def walk(self, path: str, size: int, doing: str) -> list[dict[str, Any]]:
        """Every page of a list at ``size`` a page, each held to API-4; the items, each on one page only."""
        items: list[dict[str, Any]] = []
        total: int | None = None
        for page in range(1, MAX_PAGES + 1):
            answer = self.send("GET", path, params={"page": page, "pageSize": size})
            self.expect(answer, LIST, doing)
            said = self.check_page(answer, page, size, total)
            total = said if total is None else total
            items += [item for item in answer.json.get("results") or [] if isinstance(item, dict)]
            links = answer.json.get("_links")
            if not (isinstance(links, dict) and links.get("next")):
                break
        else:
            self.broke("API-4", f"GET {path} still offered a next page after {MAX_PAGES} pages of {size}")
        ids = [item.get("id") for item in items]
        twice = sorted({str(i) for i in ids if ids.count(i) > 1})
        if twice:
            self.broke("API-4", f"GET {path} at {size} a page lists {', '.join(twice)} on more than one page")
        if total is not None and len(items) != total:
            self.broke("API-4", f"GET {path} at {size} a page held {len(items)} items in all, `totalResults` "
                                f"{total}")
        return items

    # -- connections ------------------------------------------------------------------------------

    def connection_difference(self, company: ModelCompany, items: list[dict[str, Any]], *, complete: bool,
                              where: str) -> tuple[str, str] | None:
        """How the connections ``where`` shows differ from the model's (all of them when ``complete``):
        (rule, what was seen), or None."""
        blame = company.blamed(CONNECTIONS, "LINK-1")
        self.judged(blame.rule, "LINK-1")
        after = f"(step {blame.step}: {blame.what}; the model holds {shown_connections(company)})"
        seen: list[str] = []
        for item in items:
            ident = str(item.get("id"))
            connection = company.connections.get(ident)
            if connection is None:
                gone = " (deleted earlier)" if ident in company.gone_connections else ""
                return blame.rule, (f"{where} shows connection {short(ident)}{gone} ({item.get('sourceType')} "
                                    f"{item.get('integrationKey')} {item.get('status')}), which the company should "
                                    f"not have {after}")
            if (item.get("sourceType"), item.get("integrationKey")) != (connection.kind, connection.key):
                return "LINK-1", (f"{where} shows connection {short(ident)} as {item.get('sourceType')} "
                                  f"{item.get('integrationKey')}; it was {connection.kind} {connection.key}")
            if item.get("status") not in connection.statuses:
                return blame.rule, f"{where} shows {connection.kind} connection {short(ident)} as " \
                                   f"{item.get('status')!r} {after}"
            seen.append(ident)
        missing = [c for c in company.connections.values() if c.id not in seen]
        if complete and missing:
            return blame.rule, (f"{where} does not show connection "
                                f"{', '.join(f'{c.kind} {short(c.id)}' for c in missing)} {after}")
        return None

    def match_connections(self, company: ModelCompany, items: list[dict[str, Any]], *, complete: bool,
                          where: str) -> None:
        """The connections ``where`` shows are the model's; learn the statuses the profile left open."""
        difference = self.connection_difference(company, items, complete=complete, where=where)
        if difference:
            self.broke(*difference)
        for item in items:
            company.connections[str(item.get("id"))].learn(str(item.get("status")))

    def read_connections(self, company: ModelCompany, size: int = 100) -> list[dict[str, Any]]:
        """Every connection of ``company``, walked at ``size`` a page and matched to the model."""
        items = self.walk(f"/companies/{company.id}/connections", size, f"listing company {company.label}'s "
                                                                        "connections")
        self.match_connections(company, items, complete=True, where=f"the connections list of {company.label}")
        return items

    # -- the configuration ------------------------------------------------------------------------

    def judge_configuration(self, company: ModelCompany, doc: dict[str, Any], where: str) -> None:
        """What a Configuration shows against what the model holds (CONF-1..4, CONF-6, REV-2, READY-3, and the
        rule behind the last change); then learn what the profile left open."""
        conf = company.configuration
        blame = company.blamed(CONFIGURATION, "CONF-1")
        self.judged(blame.rule, "CONF-1", "CONF-4", *conf.rules.values(), *(["CONF-2"] if company.linked(ACCOUNTING)
                                                                            else []))
        after = f"(step {blame.step}: {blame.what})"
        if doc.get("companyId") != company.id:
            self.broke("CONF-3" if conf.ever_configured else "CONF-1",
                       f"{where} is for company {doc.get('companyId')!r}, not {company.label} ({company.id})")
        configured = doc.get("configured")
        if not conf.ever_configured and configured is not False:
            # After a refused write, the refusal stored something; else the target claims a configuration.
            self.broke(blame.rule if blame.rule in REFUSALS else "CONF-1",
                       f"{where} says `configured` {configured!r} before any configuration was stored {after}")
        missing = documents.required_unselected(doc)
        if configured is True and missing:
            self.broke("CONF-4", f"{where} says `configured` true with required account(s) {', '.join(missing)} "
                                 "not selected")
        if configured not in conf.configured:
            self.broke(conf.rules.get("configured", blame.rule), f"{where} says `configured` {configured!r}, expected "
                                   f"{' or '.join(map(str, sorted(conf.configured))).lower()} {after}")
        name, value = documents.flag(doc)
        flag_rule = blame.rule if blame.rule in REFUSALS | {"REV-1"} else "REV-2"
        self.judged(flag_rule)
        if name is None and len(conf.enable) == 1:
            self.broke(flag_rule, f"{where} carries neither `enable` nor `enabled`")
        if name is not None and value not in conf.enable:
            self.broke(flag_rule, f"{where} says `{name}` {value!r}, expected "
                                  f"{' or '.join(map(str, sorted(conf.enable))).lower()} {after}")
        observed = documents.selections(doc)
        for key, wanted in (conf.selections or {}).items():
            got = observed.get(key)
            if wanted is not ANY and got != wanted:
                self.broke(conf.rules.get(key, blame.rule), f"{where} shows {key} {got!r}, expected {wanted!r} {after}")
        if company.linked(ACCOUNTING):
            lacking = [kind for kind, offered in documents.offers(doc).items() if not offered]
            if lacking:
                self.broke("CONF-2", f"{where}, with the accounting connection Linked, offers no "
                                     f"{', no '.join(lacking)} options")
        conf.document, conf.fresh, conf.selections, conf.rules = doc, True, observed, {}
        conf.configured = frozenset({bool(configured)})
        if isinstance(value, bool):
            conf.enable = frozenset({value})

    def read_configuration_of(self, company: ModelCompany, doing: str, allowed: Allowed) -> Answer:
        answer = self.send("GET", f"/config/companies/{company.id}/sync/commerce")
        self.expect(answer, allowed, doing)
        if answer.ok:
            self.judge_configuration(company, answer.json, f"the configuration of {company.label}")
        return answer

    def settle_accounting(self, company: ModelCompany) -> None:
        """Learn the accounting connection's status when the profile left it open, before relying on it."""
        if any(c.status is None for c in company.of_kind(ACCOUNTING)):
            self.read_connections(company)


def pages_for(total: int, pages: int) -> int:
    """The page size that lays ``total`` items on about ``pages`` pages."""
    return max(1, math.ceil(total / max(1, pages)))

