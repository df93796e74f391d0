"""What every sequence of one model run shares: the client, the key, the budget, and what was found and reached.

A run is many sequences (Hypothesis's examples, and the replays it makes to
shrink a failure); each starts from an empty model of its own, against the
same target.  The :class:`ModelRun` holds what outlives a sequence: the
shortest sequence found for each rule broken, the calls spent, why the run
stopped early (the budget, a target that stopped answering), which states
and values were reached (:class:`Reach`), and what could not be deleted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from sfc_conformance.core.account import Deleter, RunId
from sfc_conformance.core.http import ApiClient
from sfc_conformance.core.profile import Contract, load_contract
from sfc_conformance.core.secrets import Secret, disguises
from sfc_conformance.model.every_answer import Seen, api_1_contract, every_answer_checks
from sfc_conformance.model.holdings import Phase
from sfc_conformance.model.transcript import ModelFailure, Transcript, failure_of
from sfc_conformance.model.values import drawn_near_misses, fixed_near_misses, near_misses

COMMERCE_KEY = "lqai"
ACCOUNTING_KEYS = ("gbol", "qhyg", "fbrh", "mqjo")  # the profile's defaults a target knows


@dataclass(frozen=True)
class ModelBudget:
    """How much a run may do.

    ``sequences`` of up to ``steps`` protocol calls each (Hypothesis's examples and
    its stateful step count); at most ``companies`` companies a sequence, each
    sequence deleting its own at its end, and ``companies_in_all`` over the whole
    run; at most ``calls`` requests in all, shrinking included (None: no bound).
    ``seed`` fixes what is generated: the same seed against a target that answers
    the same replays the same run.  ``shrink`` off reports each failure as first
    found; on, shrinking stops ``shrink_calls`` calls after the first failure, with
    the shortest sequence found so far.
    """

    sequences: int = 10
    steps: int = 60
    seed: int = 0
    companies: int = 3
    subscriptions: int = 2
    calls: int | None = None
    shrink: bool = True
    shrink_calls: int = 5000  # calls spent shrinking, from the first failure on; then the shortest found is shown
    companies_in_all: int | None = None  # companies the whole run may create, shrinking included (None: no bound)

    @classmethod
    def live(cls, seed: int = 0, sequences: int = 10, steps: int = 60) -> ModelBudget:
        """A live target's: twenty companies (two at a time: one a sequence and the other merchant it compares
        with), 2,000 calls, shrinking bounded by its share of them.  About eight seconds against a target that
        answers in a few milliseconds: the wait for the run's OTP window holds it."""
        return cls(sequences=sequences, steps=steps, seed=seed, companies=2, subscriptions=2, calls=2000,
                   shrink_calls=300, companies_in_all=20)


# Rules a call of the model can break but never show kept: DEL-1 is about deliveries, which the model does not see
# (a sever or a subscription refused breaks it; their answers say nothing of the event).
ONLY_BROKEN: Final = frozenset({"DEL-1"})


class Reach:
    """Which calls the model made in which company state (how often), and which values it sent."""

    def __init__(self) -> None:
        self.calls: dict[str, Counter[str]] = defaultdict(Counter)  # phase -> call name -> times
        self.values: dict[str, set[Any]] = defaultdict(set)  # what -> values
        self.rules: Counter[str] = Counter()  # rule -> how many times a check of it was made

    def judged(self, *rules: str) -> None:
        self.rules.update(rule for rule in rules if rule not in ONLY_BROKEN)

    def call(self, phase: Phase | str, name: str) -> None:
        self.calls[str(phase)][name] += 1

    def value(self, what: str, value: Any) -> None:
        self.values[what].add(value)

    def table(self) -> list[str]:
        lines = [f"  {phase:<14} {', '.join(f'{name} ×{times}' for name, times in sorted(names.items()))}"
                 for phase, names in sorted(self.calls.items())]
        lines += [f"  {what:<14} {len(values)}: {', '.join(sorted(map(str, values)))[:300]}"
                  for what, values in sorted(self.values.items())]
        return lines


@dataclass
class ModelRun:
    client: ApiClient
    api_key: Secret
    budget: ModelBudget
    run_id: RunId
    subscription_url: Callable[[int], str]  # the URL a sequence's n-th subscription points at
    commerce_key: str = COMMERCE_KEY
    accounting_keys: tuple[str, ...] = ACCOUNTING_KEYS
    live: bool = False  # a live target may refuse to link through the API (it links in the merchant's browser)
    contract: Contract = field(default_factory=load_contract)
    failures: dict[str, ModelFailure] = field(default_factory=dict)
    reach: Reach = field(default_factory=Reach)
    calls: int = 0
    cleanup_calls: int = 0
    steps: int = 0
    sequences: int = 0
    stopped: str | None = None
    first_failure_at: int | None = None  # calls made when the first failure was found
    companies_made: int = 0  # every company a call of the run created (RUN-3)
    left: list[str] = field(default_factory=list)  # what a sequence created and could not delete (RUN-2)
    links_refused: dict[str, str] = field(default_factory=dict)  # connection kind -> how a live target refused

    def __post_init__(self) -> None:
        self.first_checks: tuple[Callable[[httpx.Response, Any], Seen], ...] = every_answer_checks(
            disguises(self.api_key.reveal()) if self.api_key else ())
        self.api_1 = api_1_contract(self.contract)
        self.deleter = Deleter(self.client)  # RUN-2: what a sequence made goes at its end
        key = self.api_key.reveal()  # KEY-1: the credentials that are not the key, built once
        self.near_misses = near_misses(key)
        self.every_near_miss = (fixed_near_misses(key), drawn_near_misses(key))

    def spent(self) -> bool:
        """No call more: the run's calls are spent, or shrinking has had its share."""
        if self.budget.calls is not None and self.calls >= self.budget.calls:
            return True
        if self.budget.companies_in_all is not None and self.companies_made >= self.budget.companies_in_all:
            return True
        return self.first_failure_at is not None and self.calls - self.first_failure_at >= self.budget.shrink_calls

    def spent_why(self) -> str:
        if self.budget.calls is not None and self.calls >= self.budget.calls:
            return f"the run's {self.budget.calls} calls are spent"
        if self.budget.companies_in_all is not None and self.companies_made >= self.budget.companies_in_all:
            return f"the run created the {self.budget.companies_in_all} companies it may (RUN-3)"
        return f"shrinking stopped after {self.budget.shrink_calls} calls, with the shortest sequence found so far"

    def stop(self, reason: str) -> None:
        if self.stopped is None:
            self.stopped = reason

    def record(self, rule: str, saw: str, transcript: Transcript) -> None:
        """Keep the shortest sequence that broke ``rule``."""
        if self.first_failure_at is None:
            self.first_failure_at = self.calls
        best = self.failures.get(rule)
        if best is None or len(transcript.steps) < best.length:
            self.failures[rule] = failure_of(rule, saw, transcript, self.budget.seed)
