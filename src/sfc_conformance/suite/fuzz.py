"""API-5: requests generated from our contract, sent through the suite's client; no answer may be a 5xx.

The requests are the contract fuzzer's (:func:`sfc_conformance.fuzzing.walk`,
the loop ``sfc-conformance fuzz`` runs): for every operation, hand-made
requests (bodies that are not JSON, requests a rule demands refused),
``examples`` valid and ``examples`` invalid cases with the merchant's ids
pinned, and every path parameter once as a well-formed id that does not
exist.  Generation is seeded, so a run is repeatable, and needs no answer:
:func:`prepare` has it done from the start of the run in a forked process
(:class:`sfc_conformance.fuzzing.Ahead`), the scenario only sends.  The
merchant's ids, unknown until then, are generated as placeholders and put in
the URL as each request goes out.  This scenario only looks for 5xx; the
whole-run scenarios (API-1..3, KEY-2) see the answers too.

Webhook subscriptions get no generated body: a generated URL would make the
target post events to an arbitrary host.  Against a live target no valid
company is generated either: the partner's account is not filled with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from sfc_conformance.fuzzing import Ahead, Recorded

if TYPE_CHECKING:
    from sfc_conformance.fuzzing import Kind, Outgoing
    from sfc_conformance.suite.answer_log import AnswerLog
    from sfc_conformance.suite.merchants import Merchant
    from sfc_conformance.suite.settings import Settings
    from sfc_conformance.suite.target_api import TargetApi

NOT_GENERATED = "create-webhook"  # POST /webhooks
NOT_GENERATED_LIVE = "create-company"  # POST /companies: invalid bodies only


@dataclass(frozen=True)
class ServerError:
    method: str
    path: str
    status: int
    shown: str


@dataclass
class Fuzzed:
    """What the generated requests of a scenario met: how many were sent, which were answered with a 5xx."""

    pinned: dict[str, str]  # the merchant's ids the requests were pinned to
    sent: int = 0
    failures: list[ServerError] = field(default_factory=list)
    unknown_ids: int = 0  # requests with a well-formed id that does not exist


# Well-formed ids no target hands out (version 4, variant 8, a fixed tail): where the merchant's go.
PLACEHOLDERS = {"companyId": "5f3c0de0-0000-4000-8000-00000000c0de",
                "connectionId": "5f3c0de0-0000-4000-8000-0000000c0de2"}


def prepare(settings: Settings) -> Ahead[list[Recorded]]:
    """Start generating the scenario's requests now; :func:`fuzz` sends them."""
    return Ahead(partial(generate, settings))


class Early:
    """A pytest plugin that carries the scenario's requests, started before pytest itself.

    ``sfc-conformance run`` makes one when the whole suite runs: the requests need nothing
    pytest or the target does, so the second that starting pytest takes is theirs too.
    """

    def __init__(self, settings: Settings) -> None:
        self._made_for = _what_generation_depends_on(settings)
        self._ahead: Ahead[list[Recorded]] | None = prepare(settings)

    @staticmethod
    def of(config: Any) -> Early | None:
        """The one among ``config``'s plugins, if any."""
        return next((plugin for plugin in config.pluginmanager.get_plugins() if isinstance(plugin, Early)), None)

    def take(self, settings: Settings) -> Ahead[list[Recorded]] | None:
        """The requests, if they were started for ``settings``; the caller closes them."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None and self._made_for != _what_generation_depends_on(settings):
            ahead.close()
            return None
        return ahead

    def close(self) -> None:
        """Stop generating, if the requests were never taken."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.close()


def _what_generation_depends_on(settings: Settings) -> tuple[object, ...]:
    return settings.fuzz_examples, settings.commerce_key, settings.accounting_key, settings.live


def generate(settings: Settings) -> list[Recorded]:
    """Walk every operation: ``fuzz_examples`` generated cases per mode, an unknown id for each path parameter."""
    # schemathesis and hypothesis load here, where the requests are generated, not whenever the steps are collected.
    from sfc_conformance.fuzzing import BOTH, Budget, Plan, load_schema, recorded  # noqa: PLC0415

    live = settings.live

    def modes(operation: str) -> tuple[Kind, ...]:
        if operation == NOT_GENERATED:
            return ()
        return ("negative",) if live and operation == NOT_GENERATED_LIVE else BOTH

    plan = Plan(Budget(settings.fuzz_examples), pinned=PLACEHOLDERS, modes=modes,
                known={"commerceKey": settings.commerce_key, "accountingKey": settings.accounting_key,
                       **PLACEHOLDERS})
    return recorded(load_schema(settings.commerce_key, settings.accounting_key), plan)


def with_ids(request: Outgoing, ids: dict[str, str]) -> Outgoing:
    """``request`` with the placeholders in its URL replaced by ``ids`` (its path, and the query of a hand-made
    request: nothing else carries them)."""
    url = request.url
    for name, placeholder in PLACEHOLDERS.items():
        url = url.replace(placeholder, ids[name])
    return replace(request, url=url)


def fuzz(api: TargetApi, answer_log: AnswerLog, settings: Settings, merchant: Merchant,
         prepared: Ahead[list[Recorded]] | None = None) -> Fuzzed:
    """Send the generated requests (``prepared``, else generated now), pinned to ``merchant``; keep each 5xx."""
    pinned = {"companyId": merchant.company_id, "connectionId": api.connection(merchant, "Accounting")["id"]}
    fuzzed = Fuzzed(pinned)
    for record in prepared.result() if prepared else generate(settings):
        request = with_ids(record.request, pinned)
        answer = api.client.request(request.method, request.url, params=request.params, headers=request.headers,
                                    json_body=request.json_body, content=request.content, retry=False)
        fuzzed.sent += 1
        fuzzed.unknown_ids += record.sort == "unknown-id"
        if answer.status_code >= 500:
            fuzzed.failures.append(ServerError(request.method, request.template, answer.status_code,
                                               answer_log.records[-1].shown))
    return fuzzed
