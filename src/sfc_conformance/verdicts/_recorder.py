"""From pytest's reports of rule-tagged scenarios to a :class:`Verdict`: what every run of scenarios shares.

``sfc-conformance run`` (:class:`~sfc_conformance.suite.plugin.SuitePlugin`) and
``sfc-conformance consumer`` (:class:`~sfc_conformance.consumer.plugin.ConsumerPlugin`)
are this recorder plus what they check.  It names each scenario, remembers
the step that failed, turns a SHOULD failure into a warning unless the run
is strict, reads a skip as "n/a" with its reason, tags JUnit test cases
with their rules and level, gives each scenario the screenshots taken while
it ran, and prints the verdict (:mod:`sfc_conformance.report.plugin` writes
it as an HTML page with ``--sfc-html-report PATH``).

Whatever it reports goes through :func:`~sfc_conformance.core.secrets.redact`:
failure texts, captured output and JUnit properties never carry a secret,
whatever the target echoed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NoReturn, Protocol

import pytest

from sfc_conformance.core.clock import SystemClock
from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.core.profile import (
    FAIL,
    NA,
    PASS,
    RULE_TAG,
    UNJUDGED,
    WARN,
    Outcome,
    Rule,
    RunFacts,
    ScenarioRun,
    Verdict,
)
from sfc_conformance.core.secrets import redact

LEVEL_MARKERS = {
    "must": "the scenario checks a MUST rule: failing it fails the run",
    "should": "the scenario checks a SHOULD rule: a warning unless --sfc-strict",
}


class Shown(Protocol):
    """One request and its answer as a run keeps it: ``shown`` is both, as curl and text, secrets masked."""

    @property
    def shown(self) -> str: ...


class NotJudged(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """A check the target allows that this run could not make stand (a time-critical open that missed its band
    twice): the scenario is *not judged*, which is neither n/a nor a pass (profile, "Verdicts that do not bend")."""


NOT_JUDGED_PREFIX = "not judged: "
# What a failure's message shows at most: the model's shortest sequence, numbered, with its curl lines, fits.
SAW_LINES = 80


def not_judged(reason: str) -> NoReturn:
    """End the scenario as not judged, with the reason and the figures (:class:`NotJudged`); pytest's own
    report (the terminal's skip line, JUnit's ``<skipped message>``) says "not judged: …"."""
    raise NotJudged(NOT_JUDGED_PREFIX + reason)


def register_markers(config: pytest.Config, markers: dict[str, str], rules: dict[str, Rule]) -> None:
    """Tags become markers; registered, so that ``--strict-markers`` catches a typo in a feature file."""
    for name, text in {**LEVEL_MARKERS, **markers}.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    for rule in rules.values():
        config.addinivalue_line("markers", f"{rule.id}: {rule.level} {rule.sentence[:80]}")


def rule_ids(item: pytest.Item) -> list[str]:
    return sorted({m.name for m in item.iter_markers() if RULE_TAG.match(m.name)})


def _is_should_only(item: pytest.Item) -> bool:
    return item.get_closest_marker("should") is not None and item.get_closest_marker("must") is None


def _with_example(item: pytest.Item, name: str) -> str:
    """An outline's scenarios share a name: the example's values tell them apart."""
    callspec = getattr(item, "callspec", None)
    return f"{name} [{callspec.id}]" if callspec is not None and callspec.id else name


def scenario_name(item: pytest.Item) -> str:
    """"Feature: Scenario", as pytest-bdd names the test (also for scenarios that never began)."""
    doc = getattr(getattr(item, "obj", None), "__doc__", None)
    return _with_example(item, doc.strip()) if isinstance(doc, str) and doc.strip() else item.nodeid


def _redact_report(report: pytest.TestReport) -> None:
    """Mask secrets in what pytest prints and writes to JUnit XML: the failure text and captured output."""
    if report.longrepr is not None and not isinstance(report.longrepr, tuple):
        text = str(report.longrepr)
        masked = redact(text)
        if masked != text:  # else keep pytest's own object, colours and all
            report.longrepr = masked
    report.sections = [(title, redact(text)) for title, text in report.sections]


class VerdictRecorder:
    """The hooks that make a verdict of a pytest run; a run's plugin subclasses it and says what it checks."""

    config: pytest.Config  # the run's, once pytest has configured it

    def __init__(self, rules: dict[str, Rule]) -> None:
        self.verdict = Verdict(rules=dict(rules))
        self._scenario: dict[str, str] = {}
        self._failed_step: dict[str, str] = {}
        self._seen_from: dict[str, int] = {}
        self._shots_from: dict[str, int] = {}
        self._runs: dict[str, ScenarioRun] = {}
        self._started = SystemClock().now()

    # -- what a run says about itself -------------------------------------------------

    @property
    def strict(self) -> bool:
        """Whether a SHOULD failure fails the run (``--strict``)."""
        return False

    def exchanges(self) -> Sequence[Shown]:
        """Every request and answer of the run so far; it only grows."""
        return ()

    def notes(self) -> dict[str, list[str]]:
        """What the run noticed about a rule, beside its verdict."""
        return {}

    def screenshots(self) -> Sequence[Screenshot]:
        """Every screenshot of the merchant's side taken so far, in order; it only grows."""
        return ()

    def facts(self) -> RunFacts:
        raise NotImplementedError

    # -- collection ---------------------------------------------------------------------

    @staticmethod
    def scenarios(items: list[pytest.Item]) -> list[pytest.Item]:
        """The rule-tagged items, each carrying its rules and level as JUnit properties.

        Set at collection, so that scenarios that end up skipped carry them too.
        """
        tagged = [item for item in items if rule_ids(item)]
        for item in tagged:
            item.user_properties.extend(("rule", rule_id) for rule_id in rule_ids(item))
            item.user_properties.append(("level", "SHOULD" if _is_should_only(item) else "MUST"))
        return tagged

    # -- per scenario -------------------------------------------------------------------

    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
        self._scenario[request.node.nodeid] = _with_example(request.node, f"{feature.name}: {scenario.name}")

    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                              step_func: Any, step_func_args: Any, exception: Exception) -> None:
        self._failed_step[request.node.nodeid] = f"{step.keyword} {step.name}"

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        # Before setup: a scenario skipped by its markers never reaches this plugin's setup hook.
        self._shots_from[nodeid] = len(self.screenshots())

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._seen_from[item.nodeid] = len(self.exchanges())

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        result = yield
        report: pytest.TestReport = result.get_result()  # type: ignore[attr-defined]
        _redact_report(report)
        ids = rule_ids(item)
        if not ids:
            return
        name = self._scenario.get(item.nodeid) or scenario_name(item)
        outcome: Outcome | None = None
        # A SHOULD scenario never fails the run without --strict, whatever failed in it: its steps,
        # its setup or its teardown.
        if report.failed and _is_should_only(item) and not self.strict:
            report.outcome = "skipped"
            report.wasxfail = f"SHOULD rule {', '.join(ids)} not met (warning; --strict makes it fail)"
            outcome = self._failure(item, call, name, WARN)
        elif report.failed:
            outcome = self._failure(item, call, name, FAIL)
        elif report.skipped and report.when in ("setup", "call"):
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            reason = redact(reason.removeprefix("Skipped: "))
            if call.excinfo is not None and call.excinfo.errisinstance(NotJudged):
                said = redact(str(call.excinfo.value))  # "not judged: …", as the terminal and JUnit show it
                if isinstance(report.longrepr, tuple):
                    report.longrepr = (*report.longrepr[:2], said)
                # JUnit shows a skipped test case either way: the property tells a not-judged one from n/a.
                item.user_properties.append(("judged", "no"))
                outcome = Outcome(name, UNJUDGED, reason=said.removeprefix(NOT_JUDGED_PREFIX))
            else:
                outcome = Outcome(name, NA, reason=reason)
        elif report.when == "call" and report.passed:
            outcome = Outcome(name, PASS)
        if outcome is not None:
            # What the merchant saw while the scenario ran (steps keep it on the run's list, in order).
            outcome.screenshots = tuple(self.screenshots()[self._shots_from.get(item.nodeid, len(self.screenshots())):])
            self.verdict.add(ids, outcome)
        self._on_timeline(report, name, ids, outcome)

    def _failure(self, item: pytest.Item, call: pytest.CallInfo[None], name: str, status: str) -> Outcome:
        saw = ""
        if call.excinfo is not None:
            message = str(call.excinfo.value).strip() or call.excinfo.typename
            saw = redact("\n".join(message.splitlines()[:SAW_LINES]))
        seen = self.exchanges()[self._seen_from.get(item.nodeid, 0):]
        return Outcome(name, status, step=self._failed_step.get(item.nodeid, ""), saw=saw,
                       exchanges=tuple(redact(exchange.shown) for exchange in seen[-2:]))

    def _on_timeline(self, report: pytest.TestReport, name: str, ids: list[str], outcome: Outcome | None) -> None:
        """The scenario's span, from its setup's start to its teardown's end, and the worst outcome seen."""
        run = self._runs.get(report.nodeid)
        if run is None:
            run = self._runs[report.nodeid] = ScenarioRun(report.nodeid, name, tuple(ids), report.start, report.stop)
            self.verdict.timeline.append(run)
        run.scenario = name  # known once the scenario has begun
        run.stop = max(run.stop, report.stop)
        if outcome is not None and run.status not in (FAIL, WARN):
            run.status = outcome.status

    # -- verdict ------------------------------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if not self.verdict.outcomes:
            return
        self.verdict.notes = self.notes()
        write = terminalreporter.write_line
        terminalreporter.section(f"sfc-conformance verdict ({self.facts().what})")
        for line in self.verdict.table():
            write(line)
        failures = self.verdict.failures()
        if failures:
            terminalreporter.section("rules not met")
            for line in failures:
                write(line)
        failed = self.verdict.failed_musts()
        write("")
        write(f"rules: {self.verdict.summary()}")
        if failed:
            write(f"FAILED: {', '.join(r.id for r in failed)}")
        unsure = self.verdict.unsure_musts()
        if unsure and not failed:
            write(f"NOT WHOLLY JUDGED: {', '.join(r.id for r in unsure)} (sfc-conformance run exits 3: "
                  "no MUST rule failed, but the run cannot stand behind these)")
