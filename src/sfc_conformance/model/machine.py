"""The state machine Hypothesis drives: every step one protocol call, every check one rule of the profile.

A sequence starts from an empty model and an account of which it knows only
how many companies it held (it never looks into them: RUN-1).  Each step
draws one call from :data:`MENU` – the protocol's reads and writes, each as
often as its weight, among those that make sense now – and the call draws the
rest (which company, connection, choice, invalid value, credential).  The
menu's first entry is the merchant's next step (:meth:`ProtocolMachine.advance`):
create, start, authorize both, configure, choose the accounts the flow offers,
then review, disable, de-authorize, sever, create a connection, request syncs,
customize the flow's text.  The simplest sequence is the whole journey, and a
failing sequence shrinks toward it, so the shortest one shown reads as a
merchant's story with the offending call last.

Before its first step a sequence draws the call it leans on (five times as
often: swarm testing, lightly); after each step the invariant holds it to its
budget of companies (RUN-3).  At the end of a sequence
(:meth:`ProtocolMachine.teardown`) the flow's texts and visible accounts it
changed are put back as it found them, and what it created is deleted,
subscriptions first, where the target offers the delete (RUN-2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Final

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sfc_conformance.core.account import COMPANY, SUBSCRIPTION, Leftover
from sfc_conformance.core.errors import SfcError
from sfc_conformance.core.profile import LOCALES
from sfc_conformance.model import allowed
from sfc_conformance.model.calls import choose, pick
from sfc_conformance.model.companies import CompanyCalls
from sfc_conformance.model.configuring import VALID_POSTS, ConfigurationCalls
from sfc_conformance.model.connections import ConnectionCalls
from sfc_conformance.model.flow import REFUSED_STARTS, FlowCalls
from sfc_conformance.model.holdings import ACCOUNTING, COMMERCE, ModelCompany, ModelConnection, Phase, ProtocolModel
from sfc_conformance.model.integrations import LIST_MODES as INTEGRATION_LIST_MODES
from sfc_conformance.model.judging import Halt
from sfc_conformance.model.keys import KeyCalls
from sfc_conformance.model.model_run import ModelRun
from sfc_conformance.model.transcript import Transcript

# The merchant's journey as the profile's sections walk it, each stop one call: every company state, and the
# reads that judge each.  The simplest sequence takes one company all the way, and a failure shrinks toward it.
TOUR: Final = (
    "start the flow", "authorize the commerce connection", "authorize the accounting connection",
    "configure everything", "configure with each member left out in turn", "choose the accounts the flow offers",
    "request a sync", "read the latest sync", "request a sync of a date range", "list the syncs", "read each sync",
    "read the last successful sync", "subscribe", "subscribe", "list the subscriptions a page at a time",
    "delete a subscription", "list the subscriptions a page at a time", "another merchant", "review the schedule",
    "review an account",
    "review a tax rate", "review the invoice status", "review the grouping period",
    "configure every offered option in turn", "try every kind of invalid choice",
    "sever the other merchant's commerce connection", "delete the other merchant", "disable the sync",
    "request a sync", "read the latest sync", "start the flow again", "de-authorize the commerce connection",
    "authorize the commerce connection again", "enable the sync again", "de-authorize the accounting connection",
    "start the flow again", "authorize the accounting connection again", "de-authorize the commerce connection",
    "read the company", "authorize the commerce connection again", "read the configuration", "disable the sync",
    "list the connections", "delete the accounting connection", "list the connections", "request a sync",
    "read the latest sync", "read the last successful sync", "create the accounting connection",
    "start the flow again", "authorize the accounting connection", "delete the commerce connection",
    "start the flow again", "authorize the commerce connection", "configure everything", "request a sync",
    "customize the flow's text", "list the integrations in every way", "delete the company", "read everything",
)
CAUGHT_UP: Final = TOUR.index("another merchant")  # a second merchant tours this far before the first goes on
# The configuring stops: (kind of post, enable).
CONFIGURING: Final = {"configure everything": ("complete", True), "review one choice": ("one choice changed", None),
                      "disable the sync": ("sync switched", False), "enable the sync again": ("sync switched", True),
                      **{f"review {the} {kind}": (f"one choice changed: {kind}", None) for the, kind in (
                          ("the", "schedule"), ("an", "account"), ("a", "tax rate"), ("the", "invoice status"),
                          ("the", "grouping period"))}}


@dataclass(frozen=True)
class Entry:
    """One call of the menu: its name, how often it is drawn, and when it makes sense."""

    name: str
    weight: int
    when: Callable[[ProtocolMachine], bool]
    call: Callable[[ProtocolMachine, st.DataObject], None]


def _always(machine: ProtocolMachine) -> bool:
    return True


def _alive(machine: ProtocolMachine) -> bool:
    return bool(machine.model.alive())


def _linked(machine: ProtocolMachine) -> bool:
    return bool(machine.linked_companies())


def _unlinked(machine: ProtocolMachine) -> bool:
    return any(not c.linked(ACCOUNTING) for c in machine.model.alive())


def _two_alive(machine: ProtocolMachine) -> bool:
    """Deleting a company ends its journey: only while another goes on."""
    return len(machine.model.alive()) >= 2


def _connected(machine: ProtocolMachine) -> bool:
    return bool(machine.companies_with_connections())


class ProtocolMachine(KeyCalls, CompanyCalls, FlowCalls, ConnectionCalls, ConfigurationCalls, RuleBasedStateMachine):
    def __init__(self, run: ModelRun) -> None:
        super().__init__()
        self.run = run
        self.model = ProtocolModel()
        self.transcript = Transcript()
        self.made_companies = []
        self.made_subscriptions = []
        self.focus: str | None = None
        if not run.spent():
            run.sequences += 1
        self.transcript.begin("count the account's companies (the sequence never looks into the others)")
        try:
            answer = self.send("GET", "/companies", params={"page": 1, "pageSize": 1})
            self.expect(answer, allowed.LIST, "counting the account's companies")
            self.model.others = self.check_page(answer, 1, 1, None)
        except Halt:
            pass

    @initialize(focus=st.integers(0, 255))
    def lean_on(self, focus: int) -> None:
        """Each sequence leans on one call of the menu (swarm testing, lightly); drawn before the first step, so that
        shrinking the steps never changes it.  0 leans on the merchant's next step."""
        self.focus = MENU[focus % len(MENU)].name

    @rule(data=st.data())
    def protocol_call(self, data: st.DataObject) -> None:
        """One step: a call drawn from the menu, among those that make sense in the model's state."""
        if self.run.stopped or self.run.spent():
            # No call more: the run's calls are spent, or shrinking had its share, or the target stopped answering.
            # The step does nothing, draws nothing: the sequences left pass quickly, without a call.
            return
        menu = [entry for entry in MENU if entry.when(self)]
        bounds = list(accumulate(entry.weight * (FOCUS if entry.name == self.focus else 1) for entry in menu))
        drawn = data.draw(st.integers(0, bounds[-1] - 1))
        entry = menu[next(i for i, bound in enumerate(bounds) if drawn < bound)]
        self.transcript.begin(entry.name)
        self.run.steps += 1
        try:
            entry.call(self, data)
        except Halt:
            pass

    @invariant()
    def run_3_a_handful_of_companies(self) -> None:
        """RUN-3: a sequence creates no more companies than its budget."""
        assert len(self.model.companies) <= self.run.budget.companies, "RUN-3: more companies than budgeted"

    # -- the merchant's journey ---------------------------------------------------------------------

    def advance(self, data: st.DataObject) -> None:
        """The merchant's next step: the furthest company along :data:`TOUR` takes its next stop that applies now
        (a new company once every one has been the whole way); or, drawn, every read of that company in the state
        it is in, or another step the state of any company allows."""
        touring = [c for c in self.model.companies if c.tour < len(TOUR)]
        if not touring and self.room_for_company():
            self.create_company(data, "valid")
            return
        how = data.draw(st.integers(0, 3)) if touring else 2
        if how in (0, 1):  # a company catching up first, then the furthest; another, drawn, goes its own way
            company = pick(data, sorted(touring, key=lambda c: (c.tour > CAUGHT_UP, -c.tour)))
        if how == 1:
            self.read_everything(company)
            return
        if how == 0:
            while company.tour < len(TOUR):
                stop = TOUR[company.tour]
                company.tour += 1
                if self.take(data, company, stop):
                    return
        alive = self.model.alive()
        if alive:
            self.vary(data, pick(data, alive))
        else:
            self.list_companies(data)

    def take(self, data: st.DataObject, company: ModelCompany, stop: str) -> bool:
        """Take ``company`` to the tour's ``stop``; False when its state does not allow it now."""
        if company.deleted and stop != "read everything":
            return False
        kind = ACCOUNTING if "accounting" in stop else COMMERCE
        if stop.startswith("start the flow"):
            self.start_flow(data, company, plain=True)
        elif stop.startswith("authorize"):
            waiting = [c for c in company.of_kind(kind) if not c.linked]
            if not waiting:
                return False
            self.authorize(data, company, waiting[0], "credentials")
        elif stop.startswith("de-authorize"):
            linked = [c for c in company.of_kind(kind) if c.linked]
            if not linked:
                return False
            # The plain tour PATCHes the accounting connection to Unlinked and the commerce one to Deauthorized.
            status = choose(data, ["Unlinked", "Deauthorized"] if kind == ACCOUNTING else ["Deauthorized", "Unlinked"])
            self.change_status(data, company, linked[0], status)
        elif stop.startswith("create the") and stop.endswith("connection"):  # LINK-4, of the kind it lacks
            if not any(lacking == kind for lacking, _ in self.lacking(company)):
                return False
            self.create_connection(data, company, "a key it lacks")
        elif stop.startswith("delete the") and stop.endswith("connection"):
            connections = company.of_kind(kind)
            if not connections:
                return False
            self.sever_then_sync(data, company, connections[0])
        elif stop in CONFIGURING:
            if not company.linked(ACCOUNTING) or (stop != "configure everything" and
                                                  company.configuration.configured != {True}):
                return False
            self.configure(data, company, *CONFIGURING[stop])
        elif stop == "request a sync":
            self.request_sync(data, company)
        elif stop == "read the latest sync":
            self.say(f"read the latest sync status of company {company.label}")
            self.reached(company, "latest sync")
            self.check_latest(company, f"company {company.label}")
        elif stop == "read the company":
            self.read_company(data, company)
        elif stop == "read everything":
            self.read_everything(company)
        elif stop == "request a sync of a date range":
            self.request_range_sync(data, company)
        elif stop == "list the syncs":
            self.list_syncs(data, company)
        elif stop == "read each sync":
            for seen in [s for s in company.syncs if s.id is not None]:
                self.read_sync(data, company, seen)
        elif stop == "read the last successful sync":
            self.last_successful(data, company)
        elif stop == "list the connections":  # before and after a deletion: the count and the ids (API-4)
            self.say(f"list the connections of company {company.label}, one a page")
            self.reached(company, "list connections (walk)")
            self.read_connections(company, size=1)
        elif stop == "try every kind of invalid choice":  # the other merchant's accounts among them (CONF-5)
            if not company.linked(ACCOUNTING):
                return False
            self.invalid_sweep(data, company)
        elif stop == "configure every offered option in turn":  # CONF-3: "every ... the target offers is accepted"
            if not company.linked(ACCOUNTING) or company.configuration.configured != {True}:
                return False
            for choice in ("invoice status", "frequency", "grouping period", "syncHour"):  # every hour, 0 and 23
                self.sweep(data, company, choice)
        elif stop == "configure with each member left out in turn":  # CONF-6: each absent member's meaning
            if not company.linked(ACCOUNTING) or company.configuration.configured != {True}:
                return False
            self.sweep(data, company, "member left out")
        elif stop == "sever the other merchant's commerce connection":  # its list read before and after (API-4)
            others = [c for c in self.model.alive() if c is not company and c.of_kind(COMMERCE)]
            if not others:
                return False
            self.read_connections(others[0], size=1)
            self.sever(data, others[0], others[0].of_kind(COMMERCE)[0])
            self.read_connections(others[0], size=1)
        elif stop == "delete the other merchant":  # its id read back at once (READY-2), its count after (API-4)
            others = [c for c in self.model.alive() if c is not company]
            if not others:
                return False
            self.delete_company(data, others[0], read_back=True)
        elif stop == "subscribe":
            if not _room_for_subscription(self):
                return False
            self.subscribe(data)
        elif stop == "delete a subscription":
            if not [s for s in self.model.subscriptions if s.deleted is None]:
                return False
            self.unsubscribe(data, ours=True)
        elif stop == "list the subscriptions a page at a time":
            if not self.model.subscriptions:
                return False
            self.say("list the subscriptions, 1 a page (optional call)")
            self.reached(None, "list subscriptions")
            self.read_subscriptions(1)
        elif stop == "another merchant":  # two configured merchants at once: each one's options are the other's
            if len(self.model.alive()) > 1 or not self.room_for_company():  # invalid choices (CONF-5)
                return False
            self.create_company(data, "valid")
        elif stop == "customize the flow's text":  # CUST-2: a text of the partner's, then its default again; CUST-4
            locale = choose(data, list(LOCALES))
            key = self.change_texts(data, locale, choose(data, ["a text of its own", "an empty text"]), last=False)
            self.change_texts(data, locale, "null", key, " (the key just changed)")
        elif stop == "list the integrations in every way":  # INT-1: walked, one page, every bound and bad paging
            for mode in INTEGRATION_LIST_MODES:
                self.list_integrations(data, mode)
        elif stop == "choose the accounts the flow offers":  # CUST-3: the required only, then one more; CUST-4
            if not self.model.client_id:
                return False
            self.set_visible(data, "[]", last=False)
            self.set_visible(data, choose(data, ["one entry", "an entry hidden now", "null"]), " (after [])")
        elif stop == "read the configuration":
            self.say(f"read the configuration of company {company.label}")
            self.reached(company, "read configuration")
            self.read_configuration_of(company, f"reading the configuration of company {company.label}",
                                       allowed.READ_CONFIGURATION)
        else:
            self.delete_company(data, company)
        return True

    # -- the partner's side, client-wide ---------------------------------------------------------------

    def customize(self, data: st.DataObject) -> None:
        """One call on the flow's customization: its texts read, changed, or every value of one key in turn; the
        visible accounts (read under the client id a flow URL names, once the sequence has one) set, every choice
        in turn, or read."""
        calls: dict[str, Callable[[st.DataObject], object]] = {
            "change the flow's text": self.change_texts, "read the flow's text": self.read_texts_call,
            "change the flow's text to every value in turn": self.every_text_value}
        if self.model.client_id is not None:
            calls.update({"set the visible accounts": self.set_visible,
                          "set the visible accounts to every choice in turn": self.every_visible_choice,
                          "read the visible accounts": self.read_visible_call})
        writes = [name for name in calls if name.startswith(("change", "set", "read the flow"))]  # twice as often
        calls[choose(data, [*calls, *writes])](data)

    def read_integrations(self, data: st.DataObject) -> None:
        """The integrations listed, in one of the ways a list is read (INT-1), and one's branding (INT-2)."""
        self.list_integrations(data)
        text = self.transcript.current.text
        self.read_branding(data)
        self.say(f"{text}; {self.transcript.current.text}")

    def sever_then_sync(self, data: st.DataObject, company: ModelCompany | None = None,
                        connection: ModelConnection | None = None) -> None:
        """A connection deleted; the accounting one's deletion followed by a sync request, as a partner's next sync
        would come: it does not succeed (DEL-2)."""
        severed = self.sever(data, company, connection)
        if severed is not None:
            deleted = self.transcript.current.text
            self.request_sync(data, severed)
            self.say(f"{deleted}, then request a sync for company {severed.label} (DEL-2)")

    def read_everything(self, company: ModelCompany) -> None:
        """Every read of the company, each judged in its state: the company, its connections, its configuration,
        its latest sync (a deleted company's all refused: READY-2)."""
        self.say(f"read company {company.label}, its connections, configuration and latest sync")
        for read in ("read company", "list connections (walk)", "read configuration", "latest sync"):
            self.reached(company, read)
        if company.deleted:
            self.expect(self.send("GET", f"/companies/{company.id}"), allowed.GONE_COMPANY,
                        f"reading company {company.label}, deleted")
            for path in (f"/companies/{company.id}/connections", f"/config/companies/{company.id}/sync/commerce",
                         f"/companies/{company.id}/sync/commerce/syncs/latest/status"):
                self.under_no_company(self.send("GET", path), f"reading under company {company.label}, deleted")
            return
        answer = self.send("GET", f"/companies/{company.id}")
        self.expect(answer, allowed.READ_COMPANY, f"reading company {company.label}")
        self.judge_company(company, answer)
        self.read_connections(company)
        self.read_configuration_of(company, f"reading the configuration of company {company.label}",
                                   allowed.READ_CONFIGURATION if company.started
                                   else allowed.unsaid("CONF-1", "nothing is said of a company never started"))
        self.check_latest(company, f"company {company.label}")

    def vary(self, data: st.DataObject, company: ModelCompany) -> None:
        """A step the company's state allows, off the tour."""
        phase = company.phase()
        if phase is Phase.BARE:  # now and then the partner gives it a connection first (LINK-4)
            if self.lacking(company) and choose(data, ["start"] * 3 + ["create a connection"]) != "start":
                self.create_connection(data, company, "a key it lacks")
            else:
                self.start_flow(data, company)
        elif phase in (Phase.STARTED, Phase.ONE_LINKED):
            pending = [c for c in company.connections.values() if not c.linked]
            if pending:
                self.authorize(data, company, pick(data, pending), "credentials")
            else:  # a connection it lacks (deleted): a start call may give it back
                self.start_flow(data, company)
        elif phase is Phase.BOTH_LINKED:  # mostly configured next; now and then severed before it ever was
            if choose(data, ["configure"] * 3 + ["sever"]) == "sever":
                self.take(data, company, choose(data, ["delete the accounting connection",
                                                       "delete the commerce connection"]))
            else:
                self.configure(data, company, "complete", enable=True)
        elif phase in (Phase.CONFIGURED, Phase.DISABLED):
            self.take(data, company, choose(data, ["request a sync", "review one choice", "disable the sync",
                                                   "enable the sync again", "start the flow again",
                                                   "de-authorize the accounting connection",
                                                   "de-authorize the commerce connection",
                                                   "delete the accounting connection",
                                                   "delete the accounting connection", "read everything",
                                                   "read everything"]))
        elif phase is Phase.DEAUTHORIZED:
            stop = choose(data, ["authorize the accounting connection", "authorize the commerce connection",
                                 "start the flow again", "delete the accounting connection", "request a sync",
                                 "change a connection's status"])
            if stop == "change a connection's status":
                self.change_status(data, company)
            elif not self.take(data, company, stop):
                self.request_sync(data, company)
        else:  # severed
            lacks = not company.of_kind(ACCOUNTING)  # the partner may give it one (LINK-4), or a start call
            stop = choose(data, ["request a sync", "read the latest sync", "start the flow again", "request a sync",
                                 "delete the company", *(["create the accounting connection"] * 2 if lacks
                                                         else ["authorize the accounting connection"])])
            if not self.take(data, company, stop):
                self.request_sync(data, company)

    # -- the end of a sequence ------------------------------------------------------------------------

    def teardown(self) -> None:
        """RUN-2: put back the flow texts and visible accounts the sequence changed, delete what it created,
        subscriptions first; what cannot be put back or deleted is listed."""
        run = self.run
        self.put_back_customization()
        gone = ({c.id for c in self.model.companies if c.deleted}
                | {s.id for s in self.model.subscriptions if s.deleted is not None})
        leftovers = ([Leftover(SUBSCRIPTION, ident, url, run.run_id) for ident, url in self.made_subscriptions]
                     + [Leftover(COMPANY, ident, name, run.run_id) for ident, name in self.made_companies])
        for leftover in leftovers:
            if leftover.id in gone:
                continue
            try:
                outcome = run.deleter.remove(leftover)
            except SfcError as error:
                run.left.append(f"{leftover.shown}: {error}")
                continue
            run.cleanup_calls += 1
            if not outcome.deleted:
                run.left.append(f"{leftover.shown}: {outcome.note}")


def _room_for_company(machine: ProtocolMachine) -> bool:
    return machine.room_for_company()


def _room_for_subscription(machine: ProtocolMachine) -> bool:
    return len(machine.model.subscriptions) < machine.run.budget.subscriptions


def _subscribed(machine: ProtocolMachine) -> bool:
    return bool(machine.model.subscriptions)


FOCUS: Final = 5  # how much more often a sequence draws the call it leans on
# What a step may call, the merchant's next step first (the simplest sequence, and where shrinking goes); every
# kind of call as an entry of its own (the partner's client-wide calls as two, each drawing among its own), so
# that a short run still reaches each.
MENU: Final = (
    Entry("the merchant's next step", 11, _always, ProtocolMachine.advance),
    Entry("configure", 3, _linked, lambda machine, data: machine.configure(
        data, pick(data, machine.linked_companies()), choose(data, VALID_POSTS))),
    Entry("configure with an invalid choice", 3, _linked, lambda machine, data: machine.configure(
        data, pick(data, machine.linked_companies()), "an invalid choice")),
    Entry("configure every value of one choice", 1, _linked, lambda machine, data: machine.sweep(
        data, pick(data, machine.linked_companies()))),
    Entry("configure with every kind of invalid choice", 1, _linked, lambda machine, data: machine.invalid_sweep(
        data, pick(data, machine.linked_companies()))),
    Entry("configure while not linked", 1, _unlinked, lambda machine, data: machine.configure(
        data, pick(data, [c for c in machine.model.alive() if not c.linked(ACCOUNTING)]), "complete")),
    Entry("call without the key", 4, _always, ProtocolMachine.call_without_the_key),
    Entry("call with every credential that is not the key", 1, _always, ProtocolMachine.every_credential),
    Entry("change a connection's status", 2, _connected, ProtocolMachine.change_status),
    Entry("authorize a connection", 2, _connected, ProtocolMachine.authorize),
    Entry("list connections", 2, _always, ProtocolMachine.list_connections),
    Entry("read the configuration", 2, _always, ProtocolMachine.read_configuration),
    Entry("read a company", 2, _always, ProtocolMachine.read_company),
    Entry("request a sync", 2, _always, ProtocolMachine.request_sync),
    Entry("read the latest sync", 2, _always, ProtocolMachine.latest_sync),
    Entry("request a sync of a date range", 2, _always, ProtocolMachine.request_range_sync),
    Entry("list the syncs", 1, _always, ProtocolMachine.list_syncs),
    Entry("read a sync", 1, _always, ProtocolMachine.read_sync),
    Entry("read the last successful sync", 1, _always, ProtocolMachine.last_successful),
    Entry("start the flow, refused", 2, _alive,
          lambda machine, data: machine.start_flow(data, None, choose(data, REFUSED_STARTS))),
    Entry("start the flow with a redirect URL", 2, _alive, ProtocolMachine.start_flow),
    Entry("delete a connection", 1, _connected, ProtocolMachine.sever_then_sync),
    Entry("list the companies", 2, _always, ProtocolMachine.list_companies),
    Entry("create a company", 2, _room_for_company, ProtocolMachine.create_company),
    Entry("delete a company", 1, _two_alive, ProtocolMachine.delete_company),
    Entry("subscribe", 1, _room_for_subscription, ProtocolMachine.subscribe),
    Entry("list the subscriptions", 1, _always, ProtocolMachine.list_subscriptions),
    Entry("delete a subscription", 1, _subscribed, ProtocolMachine.unsubscribe),
    Entry("create a connection", 2, _always, ProtocolMachine.create_connection),
    Entry("customize the flow", 2, _always, ProtocolMachine.customize),
    Entry("read the integrations", 1, _always, ProtocolMachine.read_integrations),
)
