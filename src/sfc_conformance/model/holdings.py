"""What a conforming target holds, as the model keeps it: the profile in plain data.

The model never copies a target's habits.  Where the profile fixes a value
(a new connection is ``PendingAuth``, LINK-1), the model holds that value;
where it leaves a choice open (the status a de-authorized connection reads,
REV-4 only says "not Linked"), the model holds the *set* of values it allows,
and narrows it to the one the target shows at the next read.  From then on
the target is held to what it showed: a read never contradicts the last one
unless a call in between may have changed it.

    ProtocolModel        the partner's account: its companies, subscriptions, OTPs seen
    ├── ModelCompany     one merchant: its connections, configuration, syncs; Phase says which state it is in
    │   ├── ModelConnection   kind (sourceType), key (integrationKey), the statuses a read may show
    │   ├── ModelConfiguration  the choices a read must show, `configured` and `enable` as sets
    │   └── SyncSeen     a sync a request started, and whether it started after the deletion
    ├── Subscription     a webhook subscription the run made
    ├── LocaleTexts      the flow's texts in one locale: what a read must show, as first found, defaults seen
    └── PlatformAccounts the entries the flow offers for one platform: what a read must show, all, the required

The flow's texts and visible accounts are the partner's whole account's, not
the sequence's: a sequence knows nothing of them until it reads them, holds
the target to what it showed from then on, and puts back at its end what it
changed (RUN-2).

Every change the model expects names the rule that expects it (:class:`Blame`):
when a later read shows otherwise, the failure is reported under that rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from sfc_conformance.core.profile import Visibility

LINKED: Final = "Linked"
PENDING: Final = "PendingAuth"
STATUSES: Final = ("PendingAuth", "Linked", "Unlinked", "Deauthorized")  # the profile's Connection `status`
NOT_LINKED: Final = frozenset(STATUSES) - {LINKED}
COMMERCE: Final = "Commerce"
ACCOUNTING: Final = "Accounting"

# What a write may change, each checked by its own reads.
CONNECTIONS: Final = "connections"
CONFIGURATION: Final = "configuration"
SYNCS: Final = "syncs"
COMPANY: Final = "company"
COMPANIES: Final = "companies"  # the account's list
SUBSCRIPTIONS: Final = "subscriptions"
TEXTS: Final = "texts"  # the account's flow texts, one aspect a locale: "texts en-us"
VISIBLE: Final = "visible accounts"  # the account's visible accounts, one aspect a platform: "visible accounts lqai"
ASPECTS: Final = (CONNECTIONS, CONFIGURATION, SYNCS, COMPANY)


class Unknown:
    """A value the profile leaves to the target (a member posted absent: kept or reset); learned at the next read."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "any"


ANY: Final = Unknown()


class Restored:
    """A text key set to ``null``: its default, whatever that is (CUST-2); learned at the next read."""

    _instance: Restored | None = None

    def __new__(cls) -> Restored:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "its default"


DEFAULT_TEXT: Final = Restored()


class Phase(StrEnum):
    """The company states the profile's rules speak of ("Every rule, everywhere" lists them)."""

    BARE = "bare"                  # created; no start call yet
    STARTED = "started"            # the start call gave it its connections, none Linked
    ONE_LINKED = "one linked"      # one of the two connections Linked
    BOTH_LINKED = "both linked"    # both Linked, not configured
    CONFIGURED = "configured"      # both Linked, configured, sync enabled
    DISABLED = "disabled"          # configured, sync disabled (REV-2)
    DEAUTHORIZED = "de-authorized"  # a connection PATCHed out of Linked (REV-4)
    SEVERED = "severed"            # its accounting connection deleted (DEL-2)
    DELETED = "deleted"            # the company itself deleted (optional housekeeping)


@dataclass(frozen=True)
class Blame:
    """The rule that expects an aspect to be as the model holds it, and the step whose call set it so."""

    rule: str
    step: int
    what: str


@dataclass
class ModelConnection:
    id: str
    kind: str  # sourceType: Commerce or Accounting
    key: str  # integrationKey
    statuses: frozenset[str]  # what a read may show; one value once the target showed it
    deauthorized: bool = False  # PATCHed out of Linked by the run (REV-4), not linked again since
    ever_linked: bool = False  # CONF-7: configuring is refused *before* the accounting connection is Linked

    @property
    def status(self) -> str | None:
        """The one status a read must show, or None while the profile allows several."""
        return next(iter(self.statuses)) if len(self.statuses) == 1 else None

    @property
    def linked(self) -> bool:
        return self.statuses == {LINKED}

    def learn(self, status: str) -> None:
        """The target showed ``status``: from now on a read must show it, until a call may change it."""
        self.statuses = frozenset({status})
        if status == LINKED:
            self.ever_linked = True


@dataclass
class SyncSeen:
    id: str | None  # the SyncSummary's commerceSyncId, when it sent one
    after_deletion: bool  # started while the accounting connection was deleted (DEL-2)
    code: int | None = None  # its syncStatusCode, as first seen (SYNC-1: the history says the same)
    ordered: bool = True  # its place among the others is known: the run started it, or the latest status named it
    # (a sync the history lists that the model never saw start may be older or newer than any it knows)


@dataclass
class ModelConfiguration:
    """What the next read of ``GET /config/companies/{id}/sync/commerce`` may show."""

    document: dict[str, Any] | None = None  # the last document read or returned: what a post is built from
    fresh: bool = False  # nothing that changes its options happened since it was read
    selections: dict[str, Any] | None = None  # the merchant's choices a read must show; None: not known yet
    configured: frozenset[bool] = frozenset({False})  # CONF-1: false before any configuration
    enable: frozenset[bool] = frozenset({True, False})  # the profile does not say what a new company starts with
    ever_configured: bool = False  # a configuration POST was accepted (CONF-1 no longer applies)
    rules: dict[str, str] = field(default_factory=dict)  # the rule that fixed one choice's value (CONF-6's defaults)

    def unsettle(self) -> None:
        """The profile no longer fixes what a read shows (the accounting connection left Linked or went):
        the next read is learned."""
        self.selections = None
        self.rules = {}
        self.fresh = False
        self.configured = frozenset({True, False}) if self.ever_configured else frozenset({False})
        self.enable = frozenset({True, False})


@dataclass
class ModelCompany:
    label: str  # A, B, C...: how the steps name it
    id: str
    name: str
    accounting_key: str  # the accounting platform its start calls name
    created_at_step: int
    connections: dict[str, ModelConnection] = field(default_factory=dict)
    gone_connections: list[str] = field(default_factory=list)  # deleted by the run
    started: bool = False
    last_otp: str | None = None  # URL-3: the OTP its last start call handed out (six digits repeat, by chance, in
    # a long run; the same one twice in a row is a target handing out the OTP it already gave)
    tour: int = 0  # how far along the merchant's journey the model has taken it (:data:`machine.TOUR`)
    severed: bool = False  # its accounting connection was deleted, and none is Linked since (DEL-2)
    deleted: bool = False
    configuration: ModelConfiguration = field(default_factory=ModelConfiguration)
    syncs: list[SyncSeen] = field(default_factory=list)
    blame: dict[str, Blame] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[ModelConnection]:
        return [c for c in self.connections.values() if c.kind == kind]

    def linked(self, kind: str) -> bool:
        return any(c.linked for c in self.of_kind(kind))

    def before_link(self) -> bool:
        """CONF-7's "before the accounting connection is Linked": it has none yet, or one never Linked."""
        accounting = self.of_kind(ACCOUNTING)
        return (not accounting and not self.severed) or any(not c.ever_linked for c in accounting)

    @property
    def alive(self) -> bool:
        return not self.deleted

    def phase(self) -> Phase:
        """The state the profile would name, the most telling first."""
        if self.deleted:
            return Phase.DELETED
        if self.severed:
            return Phase.SEVERED
        if any(c.deauthorized for c in self.connections.values()):
            return Phase.DEAUTHORIZED
        if not self.started:
            return Phase.BARE
        linked = sum(1 for kind in (COMMERCE, ACCOUNTING) if self.linked(kind))
        configuration = self.configuration
        if linked == 2 and configuration.configured == {True}:
            if configuration.enable == {False}:
                return Phase.DISABLED
            return Phase.CONFIGURED
        return (Phase.STARTED, Phase.ONE_LINKED, Phase.BOTH_LINKED)[linked]

    def blamed(self, aspect: str, default: str) -> Blame:
        return self.blame.get(aspect, Blame(default, 0, "the company's creation"))

    def set_blame(self, aspects: tuple[str, ...] | str, blame: Blame) -> None:
        for aspect in (aspects,) if isinstance(aspects, str) else aspects:
            self.blame[aspect] = blame


@dataclass
class Subscription:
    id: str
    url: str
    deleted: Blame | None = None  # the step that deleted it, and the rule that then keeps it off every list


@dataclass
class LocaleTexts:
    """The flow's texts in one locale (CUST-1, CUST-2), as the next read must show them."""

    shown: dict[str, Any] | None = None  # key -> its text, DEFAULT_TEXT (set to null) or ANY; None: never read
    found: dict[str, str] | None = None  # as the sequence first read them: what its end puts back (RUN-2)
    defaults: dict[str, str] = field(default_factory=dict)  # what a key showed after a null: its default
    changed: bool = False  # the sequence wrote (or tried to): its end puts back what differs
    written: list[str] = field(default_factory=list)  # the keys it wrote, in order: a later change comes back to one
    read_last: bool = False  # no write since the last read: ``shown`` is what the target showed


@dataclass
class PlatformAccounts:
    """The account entries the flow offers for one platform (CUST-3), as the next read must show them."""

    status: int | None = None  # what its reads answer (a platform the partner never sets may answer a refusal)
    shown: frozenset[str] | None = None  # None: never read, or a write the profile says nothing of since
    found: frozenset[str] | None = None  # as the sequence first read them: what its end puts back (RUN-2)
    every: frozenset[str] | None = None  # what null or absent showed: every entry
    required: frozenset[str] | None = None  # what [] showed: the required entries
    readings: list[Visibility] = field(default_factory=list)  # each post and the read after it, judged together
    changed: bool = False  # the sequence wrote (or tried to)
    read_last: bool = False  # no write since the last read: ``shown`` is what the target showed


@dataclass
class ProtocolModel:
    """The partner's account as the model holds it."""

    others: int = 0  # companies the account held before this sequence began (RUN-1: never looked into)
    companies: list[ModelCompany] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    client_id: str | None = None  # the partner's client id, read in a flow URL (the visible accounts' reads need it)
    texts: dict[str, LocaleTexts] = field(default_factory=dict)  # locale -> its texts, once read
    own_texts: set[str] = field(default_factory=set)  # the texts the sequence stored: a null never shows one
    visible: dict[str, PlatformAccounts] = field(default_factory=dict)  # platform key -> its entries
    integrations: list[str] | None = None  # the keys the integrations list held, walked whole (INT-1)
    blame: dict[str, Blame] = field(default_factory=dict)  # the account's own aspects: companies, subscriptions
    sweeps: int = 0  # sweeps of every value of a choice made so far: the next sweeps the next choice
    company_delete_offered: bool | None = None  # optional call: unknown until tried
    webhook_list_offered: bool | None = None
    webhook_delete_offered: bool | None = None

    def alive(self) -> list[ModelCompany]:
        return [c for c in self.companies if c.alive]

    def locale(self, locale: str) -> LocaleTexts:
        return self.texts.setdefault(locale, LocaleTexts())

    def platform(self, key: str) -> PlatformAccounts:
        return self.visible.setdefault(key, PlatformAccounts())

    def configurations_held(self) -> list[ModelCompany]:
        """The companies whose configuration the model holds (read at least once, not unsettled since)."""
        return [c for c in self.alive() if c.configuration.selections is not None]

    def listed_companies(self) -> list[ModelCompany]:
        """The run's companies ``GET /companies`` must list: every one not deleted."""
        return self.alive()

    def live_subscriptions(self) -> list[Subscription]:
        return [s for s in self.subscriptions if s.deleted is None]

    def blamed(self, aspect: str, default: str) -> Blame:
        return self.blame.get(aspect, Blame(default, 0, "the start of the sequence"))

    def next_label(self) -> str:
        number = len(self.companies)
        letters = ""
        while True:
            letters = chr(ord("A") + number % 26) + letters
            number = number // 26 - 1
            if number < 0:
                return letters
