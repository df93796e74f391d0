"""The pytest plugin behind the conformance suite (``-p sfc_conformance.suite.plugin``).

``sfc-conformance run`` hands it the checked settings inside the plugin object
(``pytest.main(args, plugins=[SuitePlugin(settings)])``); under plain pytest
(``pytest steps/ --sfc-base-url URL``) the module registers one that reads its
``--sfc-*`` options, built from the same table
(:data:`~sfc_conformance.suite.settings.OPTIONS`), once scenarios are collected.

It starts the target before the first scenario (exit 2
with one line if it is unreachable or refuses the key), marks scenarios that
cannot be seen on this target as not applicable, runs whole-run checks and
expired-OTP checks last, turns SHOULD failures into warnings unless
``--sfc-strict``, and prints the per-rule verdict (and, with
``--sfc-html-report PATH``, writes it as an HTML page): the last three are
the :class:`~sfc_conformance.suite.recorder.VerdictRecorder` it builds on,
which also keeps the API key and the webhook secret out of everything it reports.

On a live target it also does the run's duties to a partner's account
(RUN-1..3): it deletes what the run created when the run ends however it
ends – the last scenario, Ctrl-C, SIGTERM, a failure once anything was
created – unless ``--sfc-keep``, and says what it created, deleted and left;
it uses the merchants a person linked (``--sfc-linked-company``) or asks a
person to link a few at the start (``--sfc-merchant-driver manual``); and it
checks that a public ``--sfc-receiver-url`` reaches the receiver.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from types import FrameType
from typing import Any

import pytest

from sfc_conformance.core.clock import SystemClock
from sfc_conformance.core.errors import SfcError, UsageError
from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.core.pacing import DEFAULT_CONCURRENCY, Pace, PacedClient
from sfc_conformance.core.rules import RULES, SUITE_RULES
from sfc_conformance.core.secrets import redact
from sfc_conformance.core.targets import LiveTarget, Target
from sfc_conformance.core.verdict import RunFacts
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.suite.drivers import MerchantDriver, driver_for
from sfc_conformance.suite.housekeeping import Tidied, marked_by, tidy
from sfc_conformance.suite.linking import ask_for_links, use_linked_companies
from sfc_conformance.suite.options import add_pytest_options, given_to_pytest
from sfc_conformance.suite.preflight import preflight
from sfc_conformance.suite.receiver_check import unreachable
from sfc_conformance.suite.recorder import (
    LEVEL_MARKERS,
    Shown,
    VerdictRecorder,
    register_markers,
    rule_ids,
)
from sfc_conformance.suite.settings import OPTIONS, Settings, checked
from sfc_conformance.suite.world import Suite

TARGET_MARKERS = {
    **LEVEL_MARKERS,
    "embedded_only": "observable only on the embedded sandbox (its clock or pages)",
    "live_only": "observable only on a live target",
    "whole_run": "checks every answer of the run, so it runs last",
    "late_otp": "opens a flow URL late in its window; on a live target issued at the start, judged at the end",
    "expired_otp": "needs an expired flow URL; on a live target these share one real wait, at the end",
    "link": "needs a merchant of its own whose accounting connection is linked (with --merchant-driver manual, "
            "one a person links at the start)",
    "shared_link": "uses the run's shared linked merchant and leaves the link in place",
}
DELETION_PATIENCE = 30.0  # seconds of nothing but 429s before the end-of-run deletion gives up and lists what is left
WEBHOOK_RULES = ("DEL-1", "DEL-4")
PLUGIN_NAME = "sfc-suite"  # the fixtures, and whoever reads the verdict, find the plugin object by it
# Run after the other scenarios, in this order: the live OTP checks share one wait, whole-run checks see it all.
_LAST = ("late_otp", "expired_otp", "whole_run")


def _order(item: pytest.Item) -> int:
    return max((rank for rank, marker in enumerate(_LAST, 1) if item.get_closest_marker(marker)), default=0)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends a run the way Ctrl-C does: the scenario stops, and what the run created is deleted."""
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_pytest_options(parser, OPTIONS.values())


def pytest_configure(config: pytest.Config) -> None:
    # Every rule is a marker, the consumer's too: `-m PWH-1` then selects nothing rather than failing.
    register_markers(config, TARGET_MARKERS, RULES)
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):  # plain pytest: `run` hands in its own
        config.pluginmanager.register(SuitePlugin(), PLUGIN_NAME)


@pytest.fixture(scope="session")
def sfc(request: pytest.FixtureRequest) -> Suite:
    """The run's :class:`Suite`: settings, target, the one client, observations."""
    plugin = request.config.pluginmanager.get_plugin(PLUGIN_NAME)
    suite = getattr(plugin, "suite", None)
    if not isinstance(suite, Suite):
        raise RuntimeError("the conformance suite's target was not started")
    return suite


@pytest.fixture
def driver(sfc: Suite) -> MerchantDriver:
    """How the merchant acts in this run: the API, or the sandbox's flow pages."""
    return driver_for(sfc)


class SuitePlugin(VerdictRecorder):
    def __init__(self, settings: Settings | None = None) -> None:
        """``settings`` as ``run`` checked them; None (plain pytest): read from ``--sfc-*`` at collection."""
        super().__init__(SUITE_RULES)
        self.__name__ = PLUGIN_NAME  # pytest registers a plugin object given to pytest.main under its __name__
        self.settings = settings
        self.suite: Suite | None = None
        self.target: Target | None = None
        self.live_target: LiveTarget | None = None  # the same target when it is live: what the run made is deleted
        self.tidied: Tidied | None = None  # what the end of a live run did with what it created
        self.unrestored: list[str] = []  # --linked-company merchants whose configuration could not be put back
        self._stopped = False
        self._interrupted = False  # Ctrl-C or SIGTERM: a creation may have been cut off before its answer
        self._previous_sigterm: Any = None

    # -- session ----------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        scenarios = self.scenarios(items)
        if not scenarios:
            return
        try:
            if self.settings is None:  # plain pytest
                self.settings = checked(given_to_pytest(config, OPTIONS.values()))
        except UsageError as error:
            pytest.exit(f"sfc-conformance: {error}", returncode=2)
        settings = self.settings
        for item in scenarios:
            if settings.live and item.get_closest_marker("embedded_only"):
                item.add_marker(pytest.mark.skip(reason="not applicable on a live target: needs the sandbox's "
                                                        "clock or flow pages"))
            if not settings.live and item.get_closest_marker("live_only"):
                item.add_marker(pytest.mark.skip(reason="not applicable on the embedded target: checked live"))
        items.sort(key=_order)
        chosen = [i for i in scenarios if not i.get_closest_marker("skip")]
        self._start(settings, chosen, expiry_checks=sum(1 for i in chosen if i.get_closest_marker("expired_otp")),
                    late_open=any(i.get_closest_marker("late_otp") for i in chosen))

    def _start(self, settings: Settings, chosen: list[pytest.Item], *, expiry_checks: int,
               late_open: bool) -> None:
        if settings.live:
            assert settings.base_url and settings.api_key
            self.live_target = LiveTarget(
                settings.base_url, settings.api_key, settings.webhook_secret, settings.receiver_port,
                settings.receiver_url, settings.timeout, settings.connect_timeout)
            target: Target = self.live_target
        else:
            target = EmbeddedTarget(faults=(*settings.sandbox_faults, *settings.sandbox_variants),
                                    flow_style=settings.flow_style)
        self.target = target
        try:
            target.start()
            self.suite = Suite(settings, target)
            self.suite.say = self._say
            self.suite.eyes.start_if_asked()  # a browser asked for that will not start: exit 2, before any rule
            if settings.live:  # the embedded sandbox is in this process: nothing to reach
                self._end_on_sigterm()
                preflight(self.suite.client)
                use_linked_companies(self.suite)
                if settings.merchant_driver == "manual":
                    ask_for_links(self.suite, chosen)
                if settings.receiver_url and any(set(rule_ids(i)) & set(WEBHOOK_RULES) for i in chosen):
                    self.suite.receiver_unreachable = unreachable(target.receiver, target.receiver_url,
                                                                  self.suite.run, timeout=settings.timeout)
                self.suite.prepare_expired_flows(expiry_checks)
                if late_open:
                    self.suite.prepare_late_open()
        except (SfcError, OSError, AssertionError) as error:  # a target that fails the start of the run: exit 2
            self._stop()
            reason = f"sfc-conformance: {redact(str(error).splitlines()[0] if str(error) else type(error).__name__)}"
            print(reason, file=sys.stderr, flush=True)  # the one line of a run that could not start
            pytest.exit(reason, returncode=2)
        except BaseException as stopped:  # Ctrl-C, SIGTERM, a defect: what was created goes all the same
            self._interrupted = isinstance(stopped, KeyboardInterrupt)
            self._stop()
            raise

    def _end_on_sigterm(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self._interrupted = True

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None

    def _stop(self) -> None:
        """Once: put given merchants back, delete what a live run created (unless --keep), stop the target."""
        if self._stopped:
            return
        self._stopped = True
        suite, target = self.suite, self.target
        if suite is not None:
            suite.cancel_timers()
            if self.live_target is not None:
                self.unrestored = suite.shared.restore_given()
                self.tidied = self._tidy(suite, self.live_target)
            suite.close()
        if target is not None:
            target.stop()
            self.target = None

    def _tidy(self, suite: Suite, target: LiveTarget) -> Tidied:
        pace = Pace(DEFAULT_CONCURRENCY, target.clock, patience=DELETION_PATIENCE)
        client = PacedClient(target.base_url, target.api_key, pace, timeout=target.timeout,
                             connect_timeout=target.connect_timeout)
        try:
            if self._interrupted:  # an answer cut off by the interruption: what the target made is marked
                for found in marked_by(suite.run, client, target.clock.now()):
                    suite.created.add(found.kind, found.id, found.label)
            created = suite.created.items()
            kinds = Counter(item.kind for item in created)
            if created and not suite.settings.keep:
                self._say(f"deleting what the run created: {kinds['company']} companies, "
                          f"{kinds['subscription']} subscriptions…")
            return tidy(created, client, keep=suite.settings.keep, workers=DEFAULT_CONCURRENCY)
        finally:
            client.close()

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._stop()

    # -- per scenario -----------------------------------------------------------------

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        super().pytest_runtest_setup(item)
        if self.suite is None:
            return
        self.suite.scenario = item.nodeid
        refused = self.suite.cannot_link.get("Accounting")
        if refused and item.get_closest_marker("link"):
            pytest.skip(refused)  # before it creates a merchant the target would not link

    # -- what the recorder asks -------------------------------------------------

    @property
    def strict(self) -> bool:
        return bool(self.suite and self.suite.settings.strict)

    def exchanges(self) -> Sequence[Shown]:
        return self.suite.observations.records if self.suite else ()

    def notes(self) -> dict[str, list[str]]:
        return self.suite.notes if self.suite else {}

    def screenshots(self) -> Sequence[Screenshot]:
        return self.suite.screenshots if self.suite else ()

    def facts(self) -> RunFacts:
        settings = self.suite.settings if self.suite else None
        return RunFacts(
            target=self.suite.target.name if self.suite else "?",
            base_url=self.suite.target.base_url if self.suite else "",
            started=self._started,
            finished=SystemClock().now(),
            strict=bool(settings and settings.strict),
            sandbox_faults=settings.sandbox_faults if settings else (),
            tags=str(self.config.getoption("markexpr", "") or ""),
            merchant_view=self.suite.eyes.seen_with if self.suite else "",
            housekeeping=tuple(self._housekeeping()),
        )

    def _housekeeping(self) -> list[str]:
        """What the run did to the account, for the terminal and the report: nothing on the embedded target."""
        if self.tidied is None:
            return []
        return [*self.unrestored, *self.tidied.lines()]

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        lines = self._housekeeping()
        if lines:
            terminalreporter.section("what the run created on the target")
            for line in lines:
                terminalreporter.write_line(line)
        super().pytest_terminal_summary(terminalreporter, exitstatus, config)

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
            reporter.flush()  # a person may be waiting on it (--merchant-driver manual), or a pipe
