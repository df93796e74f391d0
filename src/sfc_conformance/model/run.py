"""One model run: Hypothesis drives the state machine against a target; what it found, shrunk, with its seed.

    report = run_model(client, api_key, ModelBudget(seed=7))
    print(report.shown())          # each rule broken: the shortest sequence, numbered, masked curl lines, the seed
    report.failures["CONF-5"]      # a ModelFailure, or absent

The client is the project's one :class:`~sfc_conformance.core.client.ApiClient`:
it honours 429 and ``Retry-After`` as ever; a 5xx is not tried again (it is
API-5's finding, not a hiccup).  Nothing here knows which target it talks to:
the embedded sandbox and a live base URL are run the same way.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as seeded
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Flaky
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test

from sfc_conformance.core.account import RunId
from sfc_conformance.core.clock import SystemClock
from sfc_conformance.core.http import ApiClient
from sfc_conformance.core.secrets import Secret
from sfc_conformance.model.judging import RuleBroken
from sfc_conformance.model.machine import ProtocolMachine
from sfc_conformance.model.model_run import ACCOUNTING_KEYS, COMMERCE_KEY, ModelBudget, ModelRun, Reach
from sfc_conformance.model.transcript import ModelFailure

RETRIED = frozenset({408, 429})  # the target asks to slow down: honoured; a 5xx is API-5's finding, never retried


@dataclass
class ModelReport:
    budget: ModelBudget
    failures: dict[str, ModelFailure]
    reach: Reach
    sequences: int
    steps: int
    calls: int
    cleanup_calls: int
    seconds: float
    stopped: str | None = None  # why the run ended before its budget: not judged beyond this point
    left: list[str] = field(default_factory=list)  # what could not be deleted (RUN-2)
    replayed: bool = True  # False: a failing sequence did not fail again when replayed
    ended: str | None = None  # why the run ended before Hypothesis was done: its calls, or shrinking's share
    companies: int = 0  # companies the run created (RUN-3)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0

    def broken(self, level: str | None = None) -> list[str]:
        return sorted(rule for rule, f in self.failures.items() if level is None or f.level == level)

    def summary(self) -> str:
        found = (f"{len(self.failures)} rule(s) broken: {', '.join(self.broken())}" if self.failures
                 else "no rule broken")
        return (f"model: {self.sequences} sequences, {self.steps} steps, {self.calls} calls in {self.seconds:.2f} s "
                f"({self.steps_per_second:.0f} steps/s), seed {self.budget.seed}: {found}"
                + (f"; stopped early: {self.stopped}" if self.stopped else "")
                + (f"; {self.ended}" if self.ended else ""))

    def shown_one(self, rule: str) -> str:
        """What broke ``rule``: the shortest sequence, numbered, masked curl lines, and how to replay it."""
        return "\n".join([self.failures[rule].shown(self.replayed),
                          f"  replay: --model-seed {self.budget.seed} --model-budget {self.budget.sequences}"])

    def shown(self) -> str:
        lines = [self.summary(), *(self.shown_one(rule) for rule in self.broken())]
        if self.left:
            lines.append("left on the target (could not be deleted): " + "; ".join(self.left))
        return "\n".join(lines)


def _caches_per_user() -> None:
    """Hypothesis's caches in one folder per user (as the fuzz keeps them), not ``.hypothesis/`` where it runs."""
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        set_hypothesis_home_dir(Path(cache) / "sfc-conformance" / "hypothesis")


def model_settings(budget: ModelBudget) -> settings:
    phases = [Phase.generate, Phase.shrink] if budget.shrink else [Phase.generate]
    return settings(max_examples=budget.sequences, stateful_step_count=budget.steps, derandomize=False,
                    database=None, deadline=None, phases=phases, suppress_health_check=list(HealthCheck),
                    verbosity=Verbosity.quiet, report_multiple_bugs=True, print_blob=False)


def run_model(client: ApiClient, api_key: Secret, budget: ModelBudget | None = None, *, run_id: RunId | None = None,
              subscription_url: str = "http://receiver.embedded/webhooks/sfc", commerce_key: str = COMMERCE_KEY,
              accounting_keys: tuple[str, ...] = ACCOUNTING_KEYS, live: bool = False) -> ModelReport:
    """Run the model against the target behind ``client``.

    ``subscription_url`` is where the run's subscriptions point (the run's
    receiver; each is marked with the run id and ``sfcSubscriber=model-N``);
    ``commerce_key`` and ``accounting_keys`` are the platforms the target knows
    (the companies take the accounting keys in turn).  ``live``: a target that refuses to link a connection
    through the API (it links in the merchant's browser) leaves the rules that need one unjudged, as the
    scenarios do, rather than failing LINK-3.  Nothing depends on time:
    the same run judges a target whose clock moves (live) or does not.
    """
    budget = budget or ModelBudget()
    run_id = run_id or RunId.new(SystemClock().now())

    def url_of(number: int) -> str:
        separator = "&" if "?" in subscription_url else "?"
        return run_id.tag_url(f"{subscription_url}{separator}sfcSubscriber=model-{number}")

    run = ModelRun(client, api_key, budget, run_id, url_of, commerce_key, accounting_keys, live)

    def machine() -> RuleBasedStateMachine:
        return ProtocolMachine(run)

    _caches_per_user()
    # `get_state_machine_test` is the stateful test before it runs, as Hypothesis hands it to tools that run it
    # themselves (its own `run_state_machine_as_test` calls it): here, to seed it with `hypothesis.seed`.
    # Hypothesis takes any factory of machines (its docs say so), though its annotation names a class.
    test = get_state_machine_test(seeded(budget.seed)(machine), settings=model_settings(budget))  # type: ignore[arg-type]
    retried, client.retry_statuses = client.retry_statuses, RETRIED
    started = time.perf_counter()
    replayed = True
    try:
        test()
    except Flaky:
        # Once the run's calls (or shrinking's share) are spent, no sequence runs: Hypothesis's last replay of the
        # shortest failure does not fail, which it calls flaky.  Otherwise the target answered otherwise.
        replayed = run.spent() or run.stopped is not None
    except (RuleBroken, ExceptionGroup) as raised:
        _only_rules_broken(raised)
    finally:
        client.retry_statuses = retried
    seconds = time.perf_counter() - started
    ended = run.spent_why() if run.spent() else None
    return ModelReport(budget, dict(run.failures), run.reach, run.sequences, run.steps, run.calls,
                       run.cleanup_calls, seconds, run.stopped, list(run.left), replayed, ended,
                       run.companies_made)


def _only_rules_broken(raised: BaseException) -> None:
    """What Hypothesis raised at the end is the rules broken (kept by the run already); anything else is a
    bug of the model itself, and is raised again."""
    if isinstance(raised, BaseExceptionGroup):
        for inner in raised.exceptions:
            _only_rules_broken(inner)
    elif not isinstance(raised, RuleBroken | Flaky):
        raise raised
