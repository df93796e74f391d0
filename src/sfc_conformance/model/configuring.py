"""Calls on a company's configuration: read it, and post it in every way a merchant may (CONF-*, REV-1..3).

A post is built from the document the target last returned, with the
merchant's choices changed, as the profile has the suite post it: every
choice made (every offered option reachable, every hour, time zone and start
date), one choice changed on review, the sync switched off and on, members
left out (CONF-6 fixes the hour and the zone; the rest the target keeps or
resets), a required account left empty whatever the body claims (CONF-4),
each kind of invalid value (CONF-5), and configuring before the link
(CONF-7).  Every accepted post is read back in the same step.
"""

from __future__ import annotations

from typing import Any, Final

from hypothesis import strategies as st

from sfc_conformance.model import allowed, documents, values
from sfc_conformance.model.calls import Calls, choose, new_id, pick
from sfc_conformance.model.holdings import ACCOUNTING, ANY, CONFIGURATION, ModelCompany

# CONF-6: an absent `syncHour` means 0 and an absent `timeZone` Etc/UTC: before either is left out, a value that
# differs from that is stored, so that keeping the stored value shows.
NOT_DEFAULT: Final = {documents.SYNC_HOUR: st.integers(1, 23),
                      documents.TIME_ZONE: st.sampled_from([z for z in values.TIME_ZONES if z != "Etc/UTC"])}
VALID_POSTS: Final = ["complete", "one choice changed", "sync switched", "members left out",
                      "a required account left empty"]  # and "an invalid choice" (CONF-5)


class ConfigurationCalls(Calls):
    def read_configuration(self, data: st.DataObject) -> None:
        company, ident = self.target(data)
        times = int(data.draw(st.sampled_from([1, 2])))
        who = f"company {company.label}" if company else f"unknown company {ident}"
        self.say(f"read the configuration of {who}" + (" twice" if times == 2 else ""))
        self.reached(company, "read configuration")
        for _ in range(times):
            if company is None or company.deleted:
                self.under_no_company(self.send("GET", f"/config/companies/{ident}/sync/commerce"),
                                      f"reading the configuration of {who}")
                continue
            self.read_configuration_of(company, f"reading the configuration of {who}",
                                       allowed.READ_CONFIGURATION if company.started
                                       else allowed.unsaid("CONF-1", "nothing is said of a company never started"))

    def configure(self, data: st.DataObject, company: ModelCompany | None = None, kind: str = "complete",
                  enable: bool | None = None) -> None:
        """Post a configuration of ``kind`` (one of :data:`VALID_POSTS`, or "an invalid choice") for ``company``:
        before the link it is refused (CONF-7), whatever the kind."""
        company = company or pick(data, self.model.alive())
        conf = company.configuration
        self.say(f"configure company {company.label}: {kind}")
        if not company.started and company.before_link():  # (a connection the partner created may be Linked)
            self.reached(company, "configure (before the start)")
            self.configure_too_early(company, conf.document or {"companyId": company.id})
            return
        self.settle_accounting(company)
        if conf.document is None or not conf.fresh:
            self.read_configuration_of(company, f"reading company {company.label}'s configuration",
                                       allowed.READ_CONFIGURATION)
        doc = conf.document or {}
        if company.before_link():
            self.reached(company, "configure (before the link)")
            self.configure_too_early(company, documents.posted(doc, self.complete_choices(data, doc), enable=True))
            return
        if not company.linked(ACCOUNTING):
            self.reached(company, "configure (after the link went)")
            self.configure_unlinked(data, company, doc)
            return
        self.reached(company, f"configure ({kind.partition(':')[0]})")
        if kind == "an invalid choice":
            self.configure_invalid(data, company, doc)
        else:
            self.configure_valid(data, company, doc, kind, enable)

    def configure_unlinked(self, data: st.DataObject, company: ModelCompany, doc: dict[str, Any]) -> None:
        """The accounting connection was Linked and is not any more (de-authorized, or deleted): the profile says
        nothing of configuring now.  Stored or refused, the next read is learned."""
        self.say(self.transcript.current.text + " — its accounting connection no longer Linked")
        answer = self.send("POST", f"/config/companies/{company.id}/sync/commerce",
                           json_body=documents.posted(doc, self.current_choices(doc), enable=True))
        self.expect(answer, allowed.unsaid("CONF-7", "nothing is said of configuring once the link went"),
                    f"configuring company {company.label} without a Linked accounting connection")
        if answer.ok:
            company.configuration.ever_configured = True
            company.configuration.unsettle()
        self.blame(company, CONFIGURATION, "CONF-3", "a configuration posted once the link went")

    def configure_too_early(self, company: ModelCompany, body: dict[str, Any]) -> None:
        self.say(self.transcript.current.text + " — before the accounting connection is Linked")
        answer = self.send("POST", f"/config/companies/{company.id}/sync/commerce", json_body=body)
        self.judged("CONF-7")
        if answer.status == 404 and company.started:
            self.broke("CONF-7", f"{answer.line()} answered 404 as if company {company.label} did not exist; it "
                                 f"exists: configuring before the link is refused with another 4xx")
        self.expect(answer, allowed.CONFIGURE_TOO_EARLY, f"configuring company {company.label} before the link")
        self.blame(company, CONFIGURATION, "CONF-7", "a configuration refused before the link stored nothing")

    def options_of(self, doc: dict[str, Any]) -> dict[str, list[str]]:
        """Every choice the document offers options for: its key, and the options (ids or names)."""
        offered: dict[str, list[str]] = {key: documents.account_option_ids(entry)
                                         for key, entry in documents.account_slots(doc)}
        offered.update({key: documents.tax_option_ids(entry) for key, entry in documents.tax_components(doc)})
        offered[documents.INVOICE_STATUS] = documents.invoice_status_options(doc)
        offered[documents.GROUPING_PERIOD] = documents.grouping_period_options(doc)
        offered[documents.FREQUENCY] = documents.frequency_options(doc)
        return {key: options for key, options in offered.items() if options}

    def value_for(self, data: st.DataObject, key: str, offered: dict[str, list[str]]) -> Any:
        """A valid value for one choice: one of its options, any hour 0-23, an IANA zone, an ISO 8601 start."""
        if key == documents.SYNC_HOUR:
            return data.draw(values.SYNC_HOURS)
        if key == documents.TIME_ZONE:
            return choose(data, list(values.TIME_ZONES))
        if key == documents.START_DATE:
            return data.draw(values.START_DATES)
        return pick(data, offered[key])

    def complete_choices(self, data: st.DataObject, doc: dict[str, Any]) -> dict[str, Any]:
        """A choice for everything the document offers: every option reachable, every hour, zone and start date."""
        offered = self.options_of(doc)
        return {key: self.value_for(data, key, offered)
                for key in [*offered, documents.SYNC_HOUR, documents.TIME_ZONE, documents.START_DATE]}

    def current_choices(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The choices ``doc`` holds, as a post carries them back (a schedule value never chosen is left out)."""
        current = documents.selections(doc)
        plan = documents.schedule(doc)
        for key in (documents.FREQUENCY, documents.START_DATE):
            if current.get(key) is None:
                current.pop(key, None)
        if documents.START_DATE in current:
            current[documents.START_DATE] = plan["startDate"]
        return current

    def one_change(self, data: st.DataObject, doc: dict[str, Any], review: str | None = None) -> dict[str, Any]:
        """The current choices with one changed, of one of the five kinds REV-3 lists: schedule, account, tax
        rate, invoice status, grouping period."""
        current = self.current_choices(doc)
        offered = self.options_of(doc)
        schedule = [documents.SYNC_HOUR, documents.TIME_ZONE, documents.START_DATE,
                    *([documents.FREQUENCY] if documents.FREQUENCY in offered else [])]
        kinds = {"schedule": schedule,
                 "account": [k for k in offered if k.startswith("accounts.")],
                 "tax rate": [k for k in offered if k.startswith("taxRates.")],
                 "invoice status": [k for k in offered if k == documents.INVOICE_STATUS],
                 "grouping period": [k for k in offered if k == documents.GROUPING_PERIOD]}
        review = review if review and kinds.get(review) else choose(data, [kind for kind, keys in kinds.items()
                                                                            if keys])
        keys = kinds[review]
        key = pick(data, keys)
        self.run.reach.value("reviewed", key.split(".")[0] if not key.startswith("schedule.") else key)
        others = [o for o in offered.get(key, []) if o != current.get(key)]
        value = pick(data, others) if others else self.value_for(data, key, offered)
        return {**current, key: value}

    def sweep(self, data: st.DataObject, company: ModelCompany, choice: str | None = None) -> None:
        """Every value one choice allows, in turn, each posted and read back: every hour 0-23, each member left
        out (CONF-6), every zone, every option offered (CONF-3: "every frequency the target offers ... is
        accepted"; REV-3 on review).  The step shows the calls of the value it ends on."""
        if not company.configuration.fresh or company.configuration.document is None:
            self.read_configuration_of(company, f"reading company {company.label}'s configuration",
                                       allowed.READ_CONFIGURATION)
        doc = company.configuration.document or {}
        offered = self.options_of(doc)
        sweeps: dict[str, tuple[str, list[Any]]] = {
            "syncHour": (documents.SYNC_HOUR, list(range(24))),
            "member left out": ("", [documents.SYNC_HOUR, documents.TIME_ZONE, documents.START_DATE,
                                     *(k for k in (documents.INVOICE_STATUS, documents.GROUPING_PERIOD)
                                       if k in offered)]),
            "time zone": (documents.TIME_ZONE, list(values.TIME_ZONES)),
            **{what: (key, offered[key]) for what, key in (("frequency", documents.FREQUENCY),
                                                           ("invoice status", documents.INVOICE_STATUS),
                                                           ("grouping period", documents.GROUPING_PERIOD))
               if key in offered}}
        accounts = [k for k in offered if k.startswith("accounts.")]
        taxes = [k for k in offered if k.startswith("taxRates.")]
        if accounts:
            slot = pick(data, accounts)
            sweeps["account"] = (slot, offered[slot])
        if taxes:
            component = pick(data, taxes)
            sweeps["tax rate"] = (component, offered[component])
        if choice is not None and choice not in sweeps:  # the target offers no such choice
            return
        if choice is None:
            choice = list(sweeps)[self.model.sweeps % len(sweeps)]  # each sweep of a sequence another, in turn
            self.model.sweeps += 1
        what = choice
        key, every = sweeps[what]
        self.reached(company, f"configure (every {what})")
        if what == "member left out":  # CONF-6 for the hour and the zone; the rest kept or reset
            for number, member in enumerate(every, 1):
                self.transcript.current.answers.clear()
                if member in NOT_DEFAULT:  # a value other than its meaning when absent, stored first
                    self.configure_valid(data, company, company.configuration.document or doc, "one choice set",
                                         None, setting=(member, data.draw(NOT_DEFAULT[member])))
                self.say(f"configure company {company.label} with one member left out in turn: {member} "
                         f"({number} of {len(every)})")
                self.configure_valid(data, company, company.configuration.document or doc, "members left out", None,
                                     absent=frozenset({member}))
            return
        if company.configuration.configured == {True}:  # REV-3: a review
            self.run.reach.value("reviewed", key.split(".")[0] if not key.startswith("schedule.") else key)
        for number, value in enumerate(every, 1):
            self.transcript.current.answers.clear()  # the step shows the value it ends on, not the ones before
            self.say(f"configure company {company.label} with every {what} in turn: {key} {value!r} "
                     f"({number} of {len(every)}; each one before it stored and read back)")
            self.configure_valid(data, company, company.configuration.document or doc, "one choice set",
                                 None, setting=(key, value))

    def configure_valid(self, data: st.DataObject, company: ModelCompany, doc: dict[str, Any], kind: str,
                        enable_wanted: bool | None, setting: tuple[str, Any] | None = None,
                        absent: frozenset[str] | None = None) -> None:
        conf = company.configuration
        current_enable = documents.flag(doc)[1]
        enable = bool(current_enable) if isinstance(current_enable, bool) else True
        left_out, absent = absent, frozenset()
        claims: dict[str, Any] = {}
        if setting is not None:
            choices = {**self.current_choices(doc), setting[0]: setting[1]}
        elif kind == "complete":
            choices = self.complete_choices(data, doc)
            enable = enable_wanted if enable_wanted is not None else not data.draw(st.booleans())
        elif kind.startswith("one choice changed"):  # "one choice changed: the grouping period" names the kind
            choices = self.one_change(data, doc, kind.partition(": ")[2] or None)
        elif kind == "sync switched":
            choices = self.current_choices(doc)
            enable = enable_wanted if enable_wanted is not None else not enable
        elif kind == "members left out":
            choices = self.complete_choices(data, doc)
            left = [documents.SYNC_HOUR, documents.TIME_ZONE, documents.START_DATE, documents.INVOICE_STATUS,
                    documents.GROUPING_PERIOD]
            absent = left_out or frozenset(k for k in left if data.draw(st.booleans())) or \
                frozenset({documents.SYNC_HOUR})
            choices = {k: v for k, v in choices.items() if k not in absent}
        else:  # a required account left empty, whatever the body claims (CONF-4)
            choices = self.complete_choices(data, doc)
            required = [k for k, e in documents.account_slots(doc) if e.get("required") is True]
            if required:
                choices[pick(data, required)] = None
            claims = {"configured": True}
        body = documents.posted(doc, choices, enable=enable, absent=absent, claims=claims)
        self.note_values(choices)
        prediction = self.predicted(doc, body, choices, absent)
        configured = self.predicted_configured(company, body, prediction, kind)
        answer = self.send("POST", f"/config/companies/{company.id}/sync/commerce", json_body=body)
        review = conf.configured == {True}
        optional_refusal = kind in ("members left out", "a required account left empty")
        self.expect(answer, allowed.one_of({200, 400}, "CONF-3", "a configuration with members left out is stored "
                                                                 "(or refused whole)")
                    if optional_refusal else allowed.CONFIGURE, f"configuring company {company.label} ({kind})")
        if not answer.ok:
            self.blame(company, CONFIGURATION, "CONF-5", "a refused configuration stored nothing")
            self.read_configuration_of(company, "reading the configuration back", allowed.READ_CONFIGURATION)
            return
        conf.ever_configured = True
        conf.selections = prediction
        conf.configured = configured
        conf.enable = frozenset({enable})
        # The rule each difference would break: CONF-6 for an hour or zone left out; for `configured`, CONF-4 when
        # a required account is empty or the body claimed another value, REV-2 when the sync was only switched.
        conf.rules = {k: "CONF-6" for k in (documents.SYNC_HOUR, documents.TIME_ZONE) if k in absent}
        claimed = body.get("configured")
        if kind == "a required account left empty" or (isinstance(claimed, bool) and {claimed} != configured):
            conf.rules["configured"] = "CONF-4"
        elif kind == "sync switched":
            conf.rules["configured"] = "REV-2"
        what = (f"the sync was {'enabled' if enable else 'disabled'}" if kind == "sync switched"
                else f"a configuration ({kind}) was stored")
        self.blame(company, CONFIGURATION, "REV-3" if review else "CONF-3", what)
        self.judge_configuration(company, answer.json, f"the answer to {answer.line()}")
        self.read_configuration_of(company, "reading the configuration back", allowed.READ_CONFIGURATION)

    def predicted(self, doc: dict[str, Any], body: dict[str, Any], choices: dict[str, Any],
                  absent: frozenset[str]) -> dict[str, Any]:
        """What the next read must show after ``body`` is stored: what was posted, the schedule's defaults for
        an hour or zone left out (CONF-6), and anything else left out as the target keeps or resets it."""
        prediction = documents.selections(body)
        for key in absent:
            prediction[key] = ANY
        prediction[documents.SYNC_HOUR] = choices.get(documents.SYNC_HOUR, documents.DEFAULT_SYNC_HOUR)
        prediction[documents.TIME_ZONE] = choices.get(documents.TIME_ZONE, documents.DEFAULT_TIME_ZONE)
        if documents.START_DATE not in choices:
            prediction[documents.START_DATE] = ANY  # a start date never chosen is the target's to pick
        return prediction

    def predicted_configured(self, company: ModelCompany, body: dict[str, Any], prediction: dict[str, Any],
                             kind: str) -> frozenset[bool]:
        """CONF-4: false while a required account is empty; CONF-3: true once everything is chosen; REV-2: the
        sync switched keeps what it was; in between the target decides."""
        if documents.required_unselected(body):
            return frozenset({False})
        if kind == "sync switched" and len(company.configuration.configured) == 1:
            return company.configuration.configured
        everything = all(prediction.get(k) not in (None, ANY) for k in documents.choice_keys(body)
                         if k != documents.START_DATE)
        return frozenset({True}) if everything else frozenset({True, False})

    def note_values(self, choices: dict[str, Any]) -> None:
        reach = self.run.reach
        for key, what in ((documents.SYNC_HOUR, "syncHour"), (documents.TIME_ZONE, "timeZone"),
                          (documents.FREQUENCY, "frequency"), (documents.INVOICE_STATUS, "invoice status"),
                          (documents.GROUPING_PERIOD, "grouping period")):
            if choices.get(key) is not None:
                reach.value(what, choices[key])

    def invalid_kinds(self, doc: dict[str, Any]) -> list[str]:
        """The kinds of invalid value CONF-5 lists that ``doc`` has a choice for."""
        kinds = ["an account not among the options"] if self.slots_with_options(doc) else []
        kinds += ["syncHour outside 0-23", "a frequency not offered", "a time zone that is not IANA"]
        if documents.invoice_status_options(doc):
            kinds.append("an invoice status not offered")
        if documents.grouping_period_options(doc):
            kinds.append("a grouping period not offered")
        return kinds

    def slots_with_options(self, doc: dict[str, Any]) -> list[str]:
        return [k for k, e in documents.account_slots(doc) if documents.account_option_ids(e)]

    def invalid_sweep(self, data: st.DataObject, company: ModelCompany) -> None:
        """Every kind of invalid value CONF-5 lists, in turn, each refused and nothing stored; the step shows the
        calls of the kind it ends on."""
        if not company.configuration.fresh or company.configuration.document is None:
            self.read_configuration_of(company, f"reading company {company.label}'s configuration",
                                       allowed.READ_CONFIGURATION)
        kinds = self.invalid_kinds(company.configuration.document or {})
        self.reached(company, "configure (every kind of invalid choice)")
        for number, kind in enumerate(kinds, 1):
            self.transcript.current.answers.clear()
            self.configure_invalid(data, company, company.configuration.document or {}, kind,
                                   f" ({number} of {len(kinds)} kinds; each one before it refused, nothing stored)")

    def configure_invalid(self, data: st.DataObject, company: ModelCompany, doc: dict[str, Any],
                          kind: str | None = None, note: str = "") -> None:
        """CONF-5: one invalid choice among valid ones: refused with 400 and `validation.errors`; nothing stored."""
        choices = self.complete_choices(data, doc)
        slots = self.slots_with_options(doc)
        kind = kind or choose(data, self.invalid_kinds(doc))
        key: str
        bad: Any
        if kind == "syncHour outside 0-23":
            key, bad = documents.SYNC_HOUR, data.draw(values.BAD_SYNC_HOURS)
        elif kind == "a frequency not offered":
            key = documents.FREQUENCY
            bad = choose(data, values.not_among(values.BAD_FREQUENCIES, documents.frequency_options(doc)))
        elif kind == "a time zone that is not IANA":
            key, bad = documents.TIME_ZONE, data.draw(values.BAD_TIME_ZONES)
        elif kind == "an account not among the options":
            key = pick(data, slots)
            offered = documents.account_option_ids(dict(documents.account_slots(doc))[key])
            elsewhere = [i for other in self.model.companies if other.configuration.document and other is not company
                         for _, e in documents.account_slots(other.configuration.document)
                         for i in documents.account_option_ids(e) if i not in offered]
            # Another company's account first, where there is one: an id the account knows, not this company's.
            from_elsewhere = bool(elsewhere) and not data.draw(st.booleans())
            bad = choose(data, sorted(set(elsewhere))) if from_elsewhere else new_id(data)
        elif kind == "an invoice status not offered":
            key = documents.INVOICE_STATUS
            bad = choose(data, values.not_among(values.BAD_INVOICE_STATUSES, documents.invoice_status_options(doc)))
        else:
            key = documents.GROUPING_PERIOD
            bad = choose(data, values.not_among(values.BAD_GROUPING_PERIODS, documents.grouping_period_options(doc)))
        choices[key] = bad
        self.say(f"configure company {company.label} with {kind}: {key} {bad!r}{note}")
        self.run.reach.value("invalid", kind)
        body = documents.posted(doc, choices, enable=True)
        answer = self.send("POST", f"/config/companies/{company.id}/sync/commerce", json_body=body)
        self.expect(answer, allowed.CONFIGURE_INVALID, f"configuring company {company.label} with {kind}")
        errors = (answer.json.get("validation") or {}).get("errors") if isinstance(answer.json.get("validation"),
                                                                                   dict) else None
        if not (isinstance(errors, list) and errors):
            self.broke("CONF-5", f"{answer.line()} refused {kind} without `validation.errors`: "
                                 f"{answer.response.text[:200]}")
        self.blame(company, CONFIGURATION, "CONF-5", f"a configuration with {kind} was refused: nothing stored")
        self.read_configuration_of(company, "reading the configuration back", allowed.READ_CONFIGURATION)
