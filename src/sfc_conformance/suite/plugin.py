"""The pytest plugin behind the conformance suite (``-p sfc_conformance.suite.plugin``).

It reads the settings, starts the target before the first scenario (exit 2
with one line if it is unreachable or refuses the key), marks scenarios that
cannot be seen on this target as not applicable, runs whole-run checks and
expired-OTP checks last, turns SHOULD failures into warnings unless
``--sfc-strict``, and prints the per-rule verdict (and, with
``--sfc-html-report PATH``, writes it as an HTML page).

Whatever it reports goes through :func:`~sfc_conformance.secrets.redact`:
failure texts, captured output and JUnit properties never carry the API key
or the webhook secret, whatever the target echoed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..clock import SystemClock
from ..errors import SfcError, UsageError
from ..report.files import atomic_write
from ..report.page import RunFacts, render
from ..rules import RULE_TAG, RULES
from ..secrets import redact
from ..targets import EmbeddedTarget, LiveTarget
from . import settings as settings_module
from .drivers import MerchantDriver, driver_for
from .preflight import preflight
from .verdict import FAIL, NA, PASS, WARN, Outcome, ScenarioRun, Verdict
from .world import Suite

TARGET_MARKERS = {
    "must": "the scenario checks a MUST rule: failing it fails the run",
    "should": "the scenario checks a SHOULD rule: a warning unless --sfc-strict",
    "embedded_only": "observable only on the embedded sandbox (its clock or pages)",
    "live_only": "observable only on a live target",
    "whole_run": "checks every answer of the run, so it runs last",
    "late_otp": "opens a flow URL late in its window; on a live target issued at the start, judged at the end",
    "expired_otp": "needs an expired flow URL; on a live target these share one real wait, at the end",
}
# Run after the other scenarios, in this order: the live OTP checks share one wait, whole-run checks see it all.
_LAST = ("late_otp", "expired_otp", "whole_run")


def _order(item: pytest.Item) -> int:
    return max((rank for rank, marker in enumerate(_LAST, 1) if item.get_closest_marker(marker)), default=0)


def pytest_addoption(parser: pytest.Parser) -> None:
    settings_module.add_options(parser)
    parser.getgroup("sfc").addoption("--sfc-html-report", metavar="PATH", default=None,
                                     help="write the verdict as one self-contained HTML page to PATH")


def pytest_configure(config: pytest.Config) -> None:
    for name, text in TARGET_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    for rule in RULES.values():
        config.addinivalue_line("markers", f"{rule.id}: {rule.level} {rule.sentence[:80]}")
    config.pluginmanager.register(SuitePlugin(config), "sfc-suite")


@pytest.fixture(scope="session")
def sfc(request: pytest.FixtureRequest) -> Suite:
    """The run's :class:`Suite`: settings, target, the one client, observations."""
    plugin = request.config.pluginmanager.get_plugin("sfc-suite")
    suite = getattr(plugin, "suite", None)
    if not isinstance(suite, Suite):
        raise RuntimeError("the conformance suite's target was not started")
    return suite


@pytest.fixture
def driver(sfc: Suite) -> MerchantDriver:
    """How the merchant acts in this run: the API, or the sandbox's flow pages."""
    return driver_for(sfc)


def rule_ids(item: pytest.Item) -> list[str]:
    return sorted({m.name for m in item.iter_markers() if RULE_TAG.match(m.name)})


def _is_should_only(item: pytest.Item) -> bool:
    return item.get_closest_marker("should") is not None and item.get_closest_marker("must") is None


def _with_example(item: pytest.Item, name: str) -> str:
    """An outline's scenarios share a name: the example's values tell them apart."""
    callspec = getattr(item, "callspec", None)
    return f"{name} [{callspec.id}]" if callspec is not None and callspec.id else name


def _scenario_name(item: pytest.Item) -> str:
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


class SuitePlugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.suite: Suite | None = None
        self.target: EmbeddedTarget | LiveTarget | None = None
        self.verdict = Verdict()
        self._scenario: dict[str, str] = {}
        self._failed_step: dict[str, str] = {}
        self._seen_from: dict[str, int] = {}
        self._runs: dict[str, ScenarioRun] = {}
        self._started = SystemClock().now()

    # -- session ----------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        scenarios = [i for i in items if rule_ids(i)]
        if not scenarios:
            return
        try:
            settings = settings_module.from_config(config)
        except UsageError as error:
            pytest.exit(f"sfc-conformance: {error}", returncode=2)
        for item in scenarios:
            # JUnit properties, set now so that skipped scenarios carry them too.
            item.user_properties.extend(("rule", rule_id) for rule_id in rule_ids(item))
            item.user_properties.append(("level", "SHOULD" if _is_should_only(item) else "MUST"))
            if settings.live and item.get_closest_marker("embedded_only"):
                item.add_marker(pytest.mark.skip(reason="not applicable on a live target: needs the sandbox's "
                                                        "clock or flow pages"))
            if not settings.live and item.get_closest_marker("live_only"):
                item.add_marker(pytest.mark.skip(reason="not applicable on the embedded target: checked live"))
        items.sort(key=_order)
        chosen = [i for i in scenarios if not i.get_closest_marker("skip")]
        self._start(settings, expiry_checks=sum(1 for i in chosen if i.get_closest_marker("expired_otp")),
                    late_open=any(i.get_closest_marker("late_otp") for i in chosen))

    def _start(self, settings: settings_module.Settings, *, expiry_checks: int, late_open: bool) -> None:
        if settings.live:
            assert settings.base_url and settings.api_key
            target: EmbeddedTarget | LiveTarget = LiveTarget(
                settings.base_url, settings.api_key, settings.webhook_secret, settings.receiver_port,
                settings.receiver_url, settings.timeout, settings.connect_timeout)
        else:
            target = EmbeddedTarget(faults=(*settings.sandbox_faults, *settings.sandbox_variants))
        self.target = target
        try:
            target.start()
            self.suite = Suite(settings, target)
            self.suite.say = self._say
            if settings.live:  # the embedded sandbox is in this process: nothing to reach
                preflight(self.suite.client)
                self.suite.prepare_expired_flows(expiry_checks)
                if late_open:
                    self.suite.prepare_late_open()
        except (SfcError, OSError) as error:
            self._stop()
            pytest.exit(f"sfc-conformance: {redact(str(error))}", returncode=2)

    def _stop(self) -> None:
        if self.suite:
            self.suite.close()
        if self.target:
            self.target.stop()
            self.target = None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._stop()
        if self.suite:
            self.verdict.notes = self.suite.notes
        path = self.config.getoption("sfc_html_report")
        # Only a run whose rules ran has a verdict to show; an interrupted or refused one writes nothing.
        if path and self.verdict.outcomes and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            atomic_write(Path(path), render(self.verdict, self._facts()))

    def _facts(self) -> RunFacts:
        settings = self.suite.settings if self.suite else None
        return RunFacts(
            target=self.suite.target.name if self.suite else "?",
            base_url=self.suite.target.base_url if self.suite else "",
            started=self._started,
            finished=SystemClock().now(),
            strict=bool(settings and settings.strict),
            sandbox_faults=settings.sandbox_faults if settings else (),
            tags=str(self.config.getoption("markexpr", "") or ""),
        )

    def _say(self, text: str) -> None:
        """A line on the terminal now, even from inside a scenario (whose output pytest captures)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None or self.config.get_verbosity() < -1:  # -qq: quiet means quiet
            return
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            if reporter._tw.width_of_current_line:  # after -q's progress letters, which ensure_newline misses
                reporter.line("")
            reporter.write_line(text)

    # -- per scenario -----------------------------------------------------------

    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
        self._scenario[request.node.nodeid] = _with_example(request.node, f"{feature.name}: {scenario.name}")

    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                              step_func: Any, step_func_args: Any, exception: Exception) -> None:
        self._failed_step[request.node.nodeid] = f"{step.keyword} {step.name}"

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.suite:
            self._seen_from[item.nodeid] = len(self.suite.observations.records)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        result = yield
        report: pytest.TestReport = result.get_result()  # type: ignore[attr-defined]
        _redact_report(report)
        ids = rule_ids(item)
        if not ids:
            return
        settings = self.suite.settings if self.suite else None
        strict = bool(settings and settings.strict)
        name = self._scenario.get(item.nodeid) or _scenario_name(item)
        outcome: Outcome | None = None
        # A SHOULD scenario never fails the run without --strict, whatever failed in it: its steps,
        # its setup or its teardown.
        if report.failed and _is_should_only(item) and not strict:
            report.outcome = "skipped"
            report.wasxfail = f"SHOULD rule {', '.join(ids)} not met (warning; --strict makes it fail)"
            outcome = self._failure(item, call, name, WARN)
        elif report.failed:
            outcome = self._failure(item, call, name, FAIL)
        elif report.skipped and report.when in ("setup", "call"):
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            outcome = Outcome(name, NA, reason=redact(reason.removeprefix("Skipped: ")))
        elif report.when == "call" and report.passed:
            outcome = Outcome(name, PASS)
        if outcome is not None:
            self.verdict.add(ids, outcome)
        self._on_timeline(report, name, ids, outcome)

    def _failure(self, item: pytest.Item, call: pytest.CallInfo[None], name: str, status: str) -> Outcome:
        saw = ""
        if call.excinfo is not None:
            message = str(call.excinfo.value).strip() or call.excinfo.typename
            saw = redact("\n".join(message.splitlines()[:12]))
        exchanges: tuple[str, ...] = ()
        if self.suite:
            seen = self.suite.observations.records[self._seen_from.get(item.nodeid, 0):]
            exchanges = tuple(redact(record.shown) for record in seen[-2:])
        return Outcome(name, status, step=self._failed_step.get(item.nodeid, ""), saw=saw, exchanges=exchanges)

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

    # -- verdict ------------------------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if not self.verdict.outcomes:
            return
        if self.suite:
            self.verdict.notes = self.suite.notes
        write = terminalreporter.write_line
        target = self.suite.target.name if self.suite else "?"
        terminalreporter.section(f"sfc-conformance verdict ({target} target)")
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
