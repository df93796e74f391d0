"""Calls on the partner's customization of the flow, for its whole account: the flow's texts per locale (CUST-1,
CUST-2), the account entries the flow offers per commerce platform (CUST-3), and neither changing a merchant's
configuration (CUST-4).

Neither belongs to the sequence.  It learns them at its first read (always before its first change), holds the
target to what it showed from then on, and at its end puts back what it changed as it found it
(:meth:`CustomizationCalls.put_back_customization`, RUN-2; a run's own watch puts back whatever is left).  What
the profile fixes without saying it, the model learns where the target shows it: a key set to ``null`` shows its
default, which the model does not know before it sees it, but which is never a text the sequence stored and,
once seen, the same every time; every entry is what ``null`` (or no list) shows, the required ones what ``[]``
leaves.  Every change is read back at once: the locale changed and the other one, the platform changed and
another one, and the configuration of a merchant the model holds (CUST-4).
"""

from __future__ import annotations

from typing import Any, Final

from hypothesis import strategies as st

from sfc_conformance.core.account import TEXTS_PATH, VISIBLE_ACCOUNTS_PATH
from sfc_conformance.core.errors import SfcError
from sfc_conformance.core.profile import LOCALES, Visibility, read_texts, read_visible, visibility_problems
from sfc_conformance.model import allowed, values
from sfc_conformance.model.calls import Calls, choose, new_id, pick
from sfc_conformance.model.holdings import ANY, CONFIGURATION, DEFAULT_TEXT, TEXTS, VISIBLE, LocaleTexts
from sfc_conformance.model.judging import Answer

# CUST-1: locales a target refuses (without one, or another one).
BAD_LOCALES: Final[dict[str, str | None]] = {
    "no locale": None, "an empty locale": "", "another locale": "de-de", "a language alone": "fr",
    "an underscore": "en_us", "a locale no flow speaks": "zz-zz"}
# CUST-2: every value a text key takes, bounds included; the changes the profile says nothing of.
TEXT_VALUES: Final = ["a text of its own", "null", "an empty text", "a text with markup and quotes",
                      "a text in other scripts", "a long text"]
ODD_CHANGES: Final = ["a key the flow does not have", "a number", "a list", "not an object"]
NO_SUCH_KEY: Final = "sfc-model-no-such-text-key"
# CUST-3: every choice of entries, and the posts the profile says nothing of but a malformed key's refusal.
VISIBLE_CHOICES: Final = ["null", "absent", "[]", "one entry", "some entries", "every entry by name",
                          "an entry hidden now", "a required entry alone"]
ODD_VISIBLE: Final = ["a malformed platform key", "an entry the flow does not have", "not a list", "not an object"]
VISIBLE_READS: Final = ["the commerce platform", "another platform", "a malformed platform key", "an unknown client id"]
NOT_SAID_TEXT: Final = allowed.unsaid("CUST-2", "the profile says nothing of a change that is not a key's text")
NOT_SAID_VISIBLE: Final = allowed.unsaid("CUST-3", "the profile says nothing of entries that are not a list of the "
                                                   "flow's")


def shortened(text: Any) -> str:
    shown = repr(text)
    return shown if len(shown) <= 60 else shown[:57] + "…'"


class CustomizationCalls(Calls):
    # -- the flow's texts (CUST-1, CUST-2) ---------------------------------------------------------

    def text_value(self, kind: str) -> str | None:
        """A value of ``kind`` (:data:`TEXT_VALUES`); a text of the sequence's own is one no default is."""
        if kind == "null":
            return None
        if kind == "an empty text":
            return ""
        number = len(self.model.own_texts) + 1
        own = self.run.run_id.company_name(f"model text {number}")
        return {"a text of its own": own,
                "a text with markup and quotes": f"<b>{own}</b> & \"fees\" 'paid' <script>x</script>",
                "a text in other scripts": f"{own} – Synchronisez vos ventes ✓ 売上を同期 مزامنة",
                "a long text": (own + " ") * (250 // (len(own) + 1) + 1)}[kind][:250].rstrip()

    def read_texts_call(self, data: st.DataObject) -> None:
        """CUST-1: a locale's texts, read once or twice; then every way of naming no locale the flow speaks, in
        turn, each refused (the step shows the last)."""
        locale = choose(data, list(LOCALES))
        times = 1 + int(data.draw(st.booleans()))
        self.account_reached("read the flow's text (a locale)")
        self.say(f"read the flow's text in {locale}" + (" twice" if times == 2 else ""))
        for _ in range(times):
            self.read_locale(locale, f"reading the flow's text in {locale}")
        self.account_reached("read the flow's text (refused)")
        for number, (refused, sent) in enumerate(BAD_LOCALES.items(), 1):
            self.transcript.current.answers.clear()
            self.run.reach.value("locales", refused)
            self.say(f"read the flow's text with {refused}" + (f" ({sent!r})" if sent is not None else "")
                     + f" ({number} of {len(BAD_LOCALES)} kinds; each one before it refused)")
            answer = self.send("GET", TEXTS_PATH, params=None if sent is None else {"locale": sent})
            self.expect(answer, allowed.TEXTS_BAD_LOCALE, f"reading the flow's text with {refused}")

    def read_locale(self, locale: str, doing: str) -> None:
        """CUST-1: a LocalizationInfo; then every key as the model holds it (CUST-2, or the rule of the last change)."""
        answer = self.send("GET", TEXTS_PATH, params={"locale": locale})
        self.expect(answer, allowed.TEXTS, doing)
        self.judged("CUST-1")
        self.run.reach.value("locales", locale)
        texts, problems = read_texts(answer.body)
        if problems:
            self.broke("CUST-1", f"{answer.line()}?locale={locale} answered no LocalizationInfo: "
                                 + "; ".join(problems[:3]))
        self.judge_texts(locale, texts)

    def judge_texts(self, locale: str, texts: dict[str, str]) -> None:
        held = self.model.locale(locale)
        where = f"the flow's text in {locale}"
        if held.shown is not None:
            blame = self.model.blamed(f"{TEXTS} {locale}", "CUST-2")
            after = f"(step {blame.step}: {blame.what})"
            self.judged(blame.rule)
            for key, wanted in held.shown.items():
                got = texts.get(key)
                if got is None:
                    self.broke(blame.rule, f"{where} no longer holds the key {key!r} {after}")
                if wanted is DEFAULT_TEXT:
                    self.judge_default(held, locale, key, got)
                elif wanted is not ANY and got != wanted:
                    self.broke(blame.rule, f"{where} shows {key!r} as {shortened(got)}, expected {shortened(wanted)} "
                                           f"{after}")
        held.shown, held.read_last = dict(texts), True
        if held.found is None:
            held.found = dict(texts)

    def judge_default(self, held: LocaleTexts, locale: str, key: str, got: str) -> None:
        """CUST-2: ``null`` restores the key's default: never a text the sequence stored; the same every time."""
        default = held.defaults.get(key)
        if default is not None and got != default:
            self.broke("CUST-2", f"{key!r} set to null in {locale} shows {shortened(got)}; set to null before, it "
                                 f"showed {shortened(default)}: a default does not depend on what was stored")
        if got in self.model.own_texts:
            self.broke("CUST-2", f"{key!r} set to null in {locale} still shows {shortened(got)}, a text the sequence "
                                 "stored, not its default")
        held.defaults[key] = got

    def know_texts(self, *locales: str) -> None:
        """Read each locale the model does not hold yet: what the sequence found, before its first change."""
        for locale in locales:
            if self.model.locale(locale).shown is None:
                self.read_locale(locale, f"reading the flow's text in {locale} before a change")

    def change_texts(self, data: st.DataObject, locale: str | None = None, kind: str | None = None,
                     key: str | None = None, note: str = "", *, last: bool = True) -> str | None:
        """CUST-2: one key of one locale changed (a text, an empty one, null), read back in that locale and (unless
        more changes follow, not ``last``) the other, and a configuration (CUST-4); or a change the profile says
        nothing of, learned at the reads after it."""
        locale = locale or choose(data, list(LOCALES))
        other = next(each for each in LOCALES if each != locale)
        self.know_texts(locale, other)
        held, held_other = self.model.locale(locale), self.model.locale(other)
        keys = list(held.shown or {})
        if not keys:
            return None
        if key is None and held.written and choose(data, ["a key it wrote", "any key"]) == "a key it wrote":
            key = pick(data, held.written)  # null or "" after a text of the sequence's own, and the reverse
        key = key or pick(data, keys)
        kind = kind or choose(data, [*TEXT_VALUES, *ODD_CHANGES])
        self.run.reach.value("text values", kind)
        body: Any
        value = self.text_value(kind) if kind in TEXT_VALUES else None
        if kind in TEXT_VALUES:
            body = {key: value}
        else:
            body = {"a key the flow does not have": {NO_SUCH_KEY: "x"}, "a number": {key: 42},
                    "a list": {key: ["x"]}, "not an object": [key]}[kind]
        self.say(f"change the flow's text in {locale}: {key!r} to {kind}"
                 + (f" {shortened(value)}" if kind in TEXT_VALUES and value else "") + note)
        self.account_reached(f"change the flow's text ({'a value' if kind in TEXT_VALUES else 'odd'})")
        held.changed, held.read_last, held_other.read_last = True, False, False
        if key not in held.written:
            held.written.append(key)
        answer = self.send("PATCH", TEXTS_PATH, params={"locale": locale}, json_body=body)
        if kind in TEXT_VALUES:
            self.expect(answer, allowed.CHANGE_TEXTS, f"changing {key!r} in {locale} to {kind}")
            assert held.shown is not None
            held.shown[key] = DEFAULT_TEXT if value is None else value
            if value:
                self.model.own_texts.add(value)
            self.blame_account(f"{TEXTS} {locale}", "CUST-2", f"{key!r} was set to {kind} in {locale}: it shows "
                                                              + ("its default" if value is None else "that") +
                                                              ", every other key as it was")
            self.blame_account(f"{TEXTS} {other}", "CUST-2", f"{key!r} was changed in {locale}: {other} is as it was")
        else:
            self.expect(answer, NOT_SAID_TEXT, f"changing the flow's text in {locale} with {kind}")
            for each in (held, held_other):  # whatever the target made of it: learned at the next read
                if each.shown is not None and key in each.shown:
                    each.shown[key] = ANY
        self.read_locale(locale, f"reading the flow's text in {locale} back")
        if last:
            self.read_locale(other, f"reading the flow's text in {other}, after a change in {locale}")
            self.customized(data, f"the flow's text in {locale} was changed")
        return key

    def every_text_value(self, data: st.DataObject) -> None:
        """CUST-2: every value of one key in turn, each stored and read back (null after a text of its own, and again
        after the last: its default both times); the step shows the last."""
        locale = choose(data, list(LOCALES))
        self.know_texts(*LOCALES)
        keys = list(self.model.locale(locale).shown or {})
        if not keys:
            return
        key = pick(data, keys)
        kinds = [*TEXT_VALUES, "null"]
        self.account_reached("change the flow's text (every value)")
        for number, kind in enumerate(kinds, 1):
            self.transcript.current.answers.clear()
            self.change_texts(data, locale, kind, key, f" ({number} of {len(kinds)} values; each one before it "
                                                       "stored and read back)", last=number == len(kinds))

    # -- the visible accounts (CUST-3) -------------------------------------------------------------

    def visible_path(self, key: str, client_id: str | None = None) -> str:
        return f"/clients/{client_id or self.model.client_id}/config/ui/accounts/platform/{key}"

    def read_platform(self, key: str, doing: str, pending: tuple[str, frozenset[str] | None] | None = None) -> None:
        """CUST-3: the entries the flow offers for ``key``: the commerce platform answers what was set; every
        platform what it answered before, unless a change for it came since.  ``pending``: the post just made
        ((what was sent, the entries named)), judged with the others made for the platform."""
        answer = self.send("GET", self.visible_path(key))
        commerce = key == self.run.commerce_key
        self.expect(answer, allowed.READ_VISIBLE if commerce else allowed.unsaid(
            "CUST-3", "a platform the run never sets answers as it likes, the same every time"), doing)
        held = self.model.platform(key)
        shown = read_visible(answer.body) if answer.ok else None
        if answer.ok and shown is None:
            self.broke("CUST-3", f"{answer.line()} answered no VisibleAccounts (a list of entry keys): "
                                 f"{answer.response.text[:200]}")
        if held.status is not None:
            blame = self.model.blamed(f"{VISIBLE} {key}", "CUST-3")
            self.judged(blame.rule)
            if (answer.status, shown) != (held.status, held.shown):
                self.broke(blame.rule, f"the visible accounts of {key} are {answer.status} {_few(shown)}, expected "
                                       f"{held.status} {_few(held.shown)} (step {blame.step}: {blame.what})")
        if pending is not None:
            self.judged("CUST-3")
            held.readings.append(Visibility(pending[0], pending[1], shown))
            problems = visibility_problems(held.readings)
            if problems:
                self.broke("CUST-3", f"the visible accounts of {key}, set in turn to "
                                     f"{', '.join(r.sent for r in held.readings)}: " + "; ".join(problems[:3]))
            if pending[1] is None:
                held.every = shown
            elif not pending[1]:
                held.required = shown
        held.status, held.shown, held.read_last = answer.status, shown, True
        if held.found is None and shown is not None:
            held.found = shown

    def know_platforms(self, *keys: str) -> None:
        for key in keys:
            if self.model.platform(key).status is None:
                self.read_platform(key, f"reading the visible accounts of {key} before a change")

    def set_visible(self, data: st.DataObject, kind: str | None = None, note: str = "", *, last: bool = True) -> None:
        """CUST-3: the entries the flow offers for the commerce platform, set in every way the profile names (and
        some it does not), each read back, and (unless more changes follow, not ``last``) another platform's and a
        configuration (CUST-4); a malformed platform key refused."""
        key, other = self.run.commerce_key, self.run.accounting_keys[0]
        self.know_platforms(key, other)
        held = self.model.platform(key)
        kind = kind or choose(data, [*VISIBLE_CHOICES, *ODD_VISIBLE])
        pool = sorted(held.every or held.shown or ())
        chosen: frozenset[str] | None = None
        body: Any = {"visibleAccounts": None}
        if kind in ("one entry", "an entry hidden now", "a required entry alone"):
            hidden = sorted((held.every or frozenset()) - (held.shown or frozenset()))
            among = {"an entry hidden now": hidden, "a required entry alone": sorted(held.required or ())}.get(kind)
            chosen = frozenset({pick(data, among or pool)}) if among or pool else None
        elif kind == "some entries" and pool:
            chosen = frozenset(data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=min(4, len(pool)),
                                                  unique=True)))
        elif kind == "every entry by name" and pool:
            chosen = frozenset(pool)
        elif kind == "[]":
            chosen = frozenset()
        if chosen is not None:
            body = {"visibleAccounts": sorted(chosen)}
        elif kind == "absent":
            body = {}
        sent = "absent" if kind == "absent" else "null" if chosen is None else f"[{', '.join(sorted(chosen))}]"
        path = VISIBLE_ACCOUNTS_PATH + key
        if kind in ODD_VISIBLE:
            body = {"a malformed platform key": {"visibleAccounts": []},
                    "an entry the flow does not have": {"visibleAccounts": ["sfc-model-no-such-entry"]},
                    "not a list": {"visibleAccounts": pool[0] if pool else "sales"},
                    "not an object": ["visibleAccounts"]}[kind]
            sent = kind
            if kind == "a malformed platform key":
                path = VISIBLE_ACCOUNTS_PATH + choose(data, list(values.MALFORMED_KEYS))
        self.run.reach.value("visible accounts", kind)
        self.say(f"set the visible accounts of {path.rsplit('/', 1)[1]} to {sent}{note}")
        self.account_reached(f"set the visible accounts ({'a choice' if kind in VISIBLE_CHOICES else 'odd'})")
        if kind == "a malformed platform key":
            self.expect(self.send("POST", path, json_body=body), allowed.VISIBLE_BAD_KEY,
                        "setting the visible accounts of a malformed platform key")
            return
        held.changed, held.read_last = True, False
        answer = self.send("POST", path, json_body=body)
        if kind in ODD_VISIBLE:
            self.expect(answer, NOT_SAID_VISIBLE, f"setting the visible accounts of {key} to {kind}")
            held.status = held.shown = None  # whatever the target made of it: learned at the next read
            pending = None
        else:
            self.expect(answer, allowed.SET_VISIBLE, f"setting the visible accounts of {key} to {sent}")
            expected = (held.every if chosen is None else held.required if not chosen
                        else chosen | held.required if held.required is not None else None)
            held.status, held.shown = (200, expected) if expected is not None else (None, None)
            pending = (sent, chosen)
            self.blame_account(f"{VISIBLE} {key}", "CUST-3", f"the visible accounts of {key} were set to {sent}")
        self.blame_account(f"{VISIBLE} {other}", "CUST-3", f"a change of {key}'s visible accounts left {other}'s as "
                                                           "they were")
        self.read_platform(key, f"reading the visible accounts of {key} back", pending)
        if last:
            self.read_platform(other, f"reading the visible accounts of {other}, after a change of {key}'s")
            self.customized(data, f"the visible accounts of {key} were set to {sent}")

    def every_visible_choice(self, data: st.DataObject) -> None:
        """CUST-3: every choice of entries in turn, each read back: all, one, none (the required ones), one hidden
        now, a required one alone, some, every one by name, all again by leaving the list out; the step shows the
        last."""
        kinds = ["null", "one entry", "[]", "an entry hidden now", "a required entry alone", "some entries",
                 "every entry by name", "absent"]
        self.account_reached("set the visible accounts (every choice)")
        for number, kind in enumerate(kinds, 1):
            self.transcript.current.answers.clear()
            self.set_visible(data, kind, f" ({number} of {len(kinds)} choices; each one before it read back)",
                             last=number == len(kinds))

    def read_visible_call(self, data: st.DataObject) -> None:
        """CUST-3: the visible accounts read in every way in turn: the commerce platform's (once or twice), another
        platform's, a malformed platform key's (refused), under a client id that is not the partner's; the step
        shows the last."""
        for number, kind in enumerate(VISIBLE_READS, 1):
            self.transcript.current.answers.clear()
            note = f" ({number} of {len(VISIBLE_READS)} reads)"
            self.run.reach.value("visible account reads", kind)
            self.account_reached(f"read the visible accounts ({kind})")
            if kind == "a malformed platform key":
                key = choose(data, list(values.MALFORMED_KEYS))
                self.say(f"read the visible accounts of the malformed platform key {key!r}{note}")
                self.expect(self.send("GET", self.visible_path(key)), allowed.VISIBLE_BAD_KEY,
                            "reading the visible accounts of a malformed platform key")
            elif kind == "an unknown client id":
                client_id = new_id(data)
                self.say(f"read the visible accounts of {self.run.commerce_key} under client id {client_id}, not "
                         f"ours{note}")
                self.expect(self.send("GET", self.visible_path(self.run.commerce_key, client_id)),
                            allowed.unsaid("CUST-3", "the profile says nothing of a client id that is not the "
                                                     "partner's"),
                            "reading the visible accounts under another client id")
            else:
                key = self.run.commerce_key if kind == "the commerce platform" else pick(
                    data, list(self.run.accounting_keys))
                times = 1 + int(data.draw(st.booleans()))
                self.say(f"read the visible accounts of {key}" + (" twice" if times == 2 else "") + note)
                for _ in range(times):
                    self.read_platform(key, f"reading the visible accounts of {key}")

    # -- CUST-4 --------------------------------------------------------------------------------------

    def customized(self, data: st.DataObject, what: str) -> None:
        """CUST-4: no company's configuration changed; one the model holds is read at once."""
        held = self.model.configurations_held()
        for company in held:
            self.blame(company, CONFIGURATION, "CUST-4", f"{what}: no configuration changes with it")
        if held:
            company = pick(data, held)
            self.read_configuration_of(company, f"reading company {company.label}'s configuration after a "
                                                "customization", allowed.READ_CONFIGURATION if company.started
                                       else allowed.unsaid("CUST-4", "nothing is said of a company never started"))

    def account_reached(self, call: str) -> None:
        self.run.reach.call("account", call)

    # -- the end of a sequence (RUN-2) ------------------------------------------------------------------

    def put_back_customization(self) -> None:
        """What the sequence changed, as it found it: texts that differ set to null, then to what they were;
        visible accounts shown whole, then as they were.  Not judged: the sequence is over."""
        for locale, held in self.model.texts.items():
            if not held.changed or held.found is None:
                continue
            try:
                self.put_back_texts(locale, held.found)
            except (SfcError, ValueError) as error:
                self.run.left.append(f"flow texts {locale}: could not be put back ({error})")
        for key, platform in self.model.visible.items():
            if not platform.changed or platform.found is None or not self.model.client_id:
                continue
            try:
                self.put_back_visible(key, platform.found)
            except (SfcError, ValueError) as error:
                self.run.left.append(f"visible accounts {key}: could not be put back ({error})")

    def cleanup_call(self, method: str, path: str, **options: Any) -> Answer:
        response = self.run.client.request(method, path, **options)
        self.run.cleanup_calls += 1
        return Answer(response, response.json() if response.content else None)

    def put_back_texts(self, locale: str, found: dict[str, str]) -> None:
        def now() -> dict[str, str]:
            return read_texts(self.cleanup_call("GET", TEXTS_PATH, params={"locale": locale}).body)[0]

        held = self.model.locale(locale)
        shown = held.shown if held.read_last and held.shown is not None else now()  # the last read, if nothing since
        differ = [key for key, text in shown.items() if key in found and text != found[key]]
        if differ:
            self.cleanup_call("PATCH", TEXTS_PATH, params={"locale": locale}, json_body=dict.fromkeys(differ))
            shown = now()
            still = {key: found[key] for key in differ if shown.get(key) != found[key]}
            if still:
                self.cleanup_call("PATCH", TEXTS_PATH, params={"locale": locale}, json_body=still)

    def put_back_visible(self, key: str, found: frozenset[str]) -> None:
        def now() -> frozenset[str] | None:
            return read_visible(self.cleanup_call("GET", self.visible_path(key)).body)

        held = self.model.platform(key)
        if (held.shown if held.read_last else now()) != found:  # the last read, if nothing was written since
            self.cleanup_call("POST", VISIBLE_ACCOUNTS_PATH + key, json_body={"visibleAccounts": None})
            if (held.every if held.every is not None else now()) != found:
                self.cleanup_call("POST", VISIBLE_ACCOUNTS_PATH + key, json_body={"visibleAccounts": sorted(found)})


def _few(entries: frozenset[str] | None) -> str:
    if entries is None:
        return "(no entries)"
    shown = sorted(entries)
    return "[" + ", ".join(shown[:5]) + (f", … {len(shown) - 5} more" if len(shown) > 5 else "") + "]"
