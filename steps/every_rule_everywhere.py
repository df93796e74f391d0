"""Every rule, everywhere: the model of a conforming target drives the target once a run; each rule is judged on it.

The model's run (:func:`sfc_conformance.model.run_model`) goes through a client
of its own (it holds every answer to the whole-run rules itself), and what it
creates is recorded with the rest of the run's, to be deleted (RUN-2).  It runs
once, for the first of its scenarios; each of them judges one rule on what it
found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from pytest_bdd import given, parsers, then

from sfc_conformance.core.account import RunId, Target
from sfc_conformance.core.http import ApiClient
from sfc_conformance.model import ModelBudget, ModelReport, run_model
from sfc_conformance.suite.rule_notes import RuleNotes
from sfc_conformance.suite.settings import Settings
from sfc_conformance.verdicts import not_judged


@pytest.fixture(scope="session")
def model_run(settings: Settings, target: Target, model_client: ApiClient, run_id: RunId
              ) -> Callable[[], ModelReport]:
    """The model's one run of this suite run, made when a scenario first asks for it."""
    made: list[ModelReport] = []

    def report() -> ModelReport:
        if not made:
            budget = (ModelBudget.live(seed=settings.model_seed, sequences=settings.model_budget) if settings.live
                      else ModelBudget(sequences=settings.model_budget, seed=settings.model_seed))
            if settings.model_shrink is not None:
                budget = replace(budget, shrink=settings.model_shrink > 0, shrink_calls=settings.model_shrink)
            made.append(run_model(model_client, target.api_key, budget, run_id=run_id,
                                  subscription_url=target.receiver_url, commerce_key=settings.commerce_key,
                                  accounting_keys=(settings.accounting_key,), live=settings.live))
        return made[0]

    return report


@given("the model of a conforming target has driven the target through random sequences of calls",
       target_fixture="model_report")
def _(model_run: Callable[[], ModelReport]) -> ModelReport:
    return model_run()


@then(parsers.parse("the model found no breach of {rule}"))
def _(model_report: ModelReport, rule: str, rule_notes: RuleNotes) -> None:
    """URL-1, URL-2, URL-3, URL-4, URL-5, URL-6, KEY-1, KEY-2, LINK-1, LINK-2, LINK-3, LINK-4, CONF-1, CONF-2,
    CONF-3, CONF-4, CONF-5, CONF-6, CONF-7, REV-1, REV-2, REV-3, REV-4, DEL-1, DEL-2, READY-1, READY-2, API-1, API-2,
    API-3, API-4, API-5, CUST-1, CUST-2, CUST-3, CUST-4, INT-1, INT-2, SYNC-1, SYNC-2, SYNC-3: the rule of the
    example, as the model judges it: no sequence of calls broke it.  A failure is shown
    as its shortest sequence, numbered steps with masked curl lines, and the seed that replays it.  A rule the run
    never reached is n/a, or not judged when the target cut the run short (it stopped answering, or kept answering
    429) before it did."""
    failure = model_report.failures.get(rule)
    assert failure is None, model_report.shown_one(rule)
    times = model_report.reach.rules.get(rule, 0)
    if not times and model_report.stopped:
        not_judged(f"the model's run stopped before any call that judges {rule}: {model_report.stopped}")
    if not times:
        # Within its budget (a live run's is bounded in calls and companies) the run met no call this rule
        # judges: the model says nothing about it, and the rule stands on its other scenarios.
        pytest.skip(f"not applicable: within its budget the model's run reached no call that judges {rule} "
                    f"({model_report.summary()})")
    rule_notes.note(rule, f"the model checked it {times} times in {model_report.sequences} sequences of calls "
                          f"(seed {model_report.budget.seed})"
                    + (f", until its run stopped: {model_report.stopped}" if model_report.stopped else ""))
