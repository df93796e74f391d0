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
the :class:`~sfc_conformance.verdicts.VerdictRecorder` it builds on,
which also keeps the API key and the webhook secret out of everything it reports.

On a live target it also does the run's duties to a partner's account
(RUN-1..3): it deletes what the run created when the run ends however it
ends – the last scenario, Ctrl-C, SIGTERM, a failure once anything was
created – unless ``--sfc-keep``, and says what it created, deleted and left;
it puts the partner's client-wide settings (flow texts, visible accounts)
back as it found them, after each scenario that changed them and at the end
(:mod:`.client_settings`); it uses the merchants a person linked
(``--sfc-linked-company``) or asks a person to link a few at the start
(``--sfc-merchant-driver manual``); and it
checks that a public ``--sfc-receiver-url`` reaches the receiver.

Steps ask for what they use, as fixtures, each one part of the run
(:class:`~sfc_conformance.suite.run_parts.RunParts` holds one of each):

=================  ==================================================================================
``settings``       the run's checked options (the platform keys, the credentials, the driver)
``target``         what the target can do beyond its API (its ``Capabilities``)
``clock``          the run's clock
``client``         the run's one HTTP client, for requests no row of the protocol names
``api``            the profile's calls, and a merchant's state read through them (:mod:`.target_api`)
``answer_log``     every answer of the run so far (:mod:`.answer_log`)
``run_id``         the mark on everything the run creates (RUN-3)
``rule_notes``     what the run noted about a rule, beside its verdict
``merchants``      creating merchants, starting their flows, lending shared ones (:mod:`.run_merchants`)
``flow_viewer``    a flow URL opened as the merchant, and judged (:mod:`.flow_viewer`)
``timed_opens``    the opens the OTP window judges: straight away, late, expired (:mod:`.timed_opens`)
``subscriptions``  the run's webhook subscriptions, and the connections severed meanwhile
``receiver``       the webhook receiver the target posts to
``move_time``      moves the target's time (scenarios marked embedded_only)
``long_wait``      a long wait on the run's clock, counted down on the terminal
``driver``         how the merchant acts in this run (``--merchant-driver``)
``api_driver``     the merchant's actions through the API, whichever driver the run uses
``flow_walker``    who walks the flow pages (FLOW-*): the browser, the pages, or None
=================  ==================================================================================
"""

from __future__ import annotations

import contextlib
import gc
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

import pytest

from sfc_conformance.core.account import LiveTarget, RunId, Target, WebhookReceiver
from sfc_conformance.core.clock import Clock, SystemClock
from sfc_conformance.core.errors import SfcError, UsageError
from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.core.http import DEFAULT_CONCURRENCY, ApiClient, Pace, PacedClient, preflight
from sfc_conformance.core.profile import RULES, SUITE_RULES, RunFacts
from sfc_conformance.core.secrets import redact
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.suite.answer_log import AnswerLog
from sfc_conformance.suite.drivers import (
    ApiDriver,
    BrowserDriver,
    ManualDriver,
    MerchantDriver,
    PagesDriver,
    driver_for,
    walker_for,
)
from sfc_conformance.suite.flow_viewer import FlowViewer
from sfc_conformance.suite.housekeeping import Tidied, marked_by, tidy
from sfc_conformance.suite.linking import ask_for_links, use_linked_companies
from sfc_conformance.suite.options import add_pytest_options, given_to_pytest
from sfc_conformance.suite.progress import countdown
from sfc_conformance.suite.receiver_check import unreachable
from sfc_conformance.suite.rule_notes import RuleNotes
from sfc_conformance.suite.run_merchants import Merchants
from sfc_conformance.suite.run_parts import RunParts
from sfc_conformance.suite.settings import OPTIONS, Settings, checked
from sfc_conformance.suite.subscriptions import Subscriptions
from sfc_conformance.suite.target_api import TargetApi
from sfc_conformance.suite.timed_opens import TimedOpens
from sfc_conformance.verdicts import (
    LEVEL_MARKERS,
    Shown,
    VerdictRecorder,
    register_markers,
    rule_ids,
)

TARGET_MARKERS = {
    **LEVEL_MARKERS,
    "embedded_only": "observable only on the embedded sandbox (its clock or pages)",
    "live_only": "observable only on a live target",
    "whole_run": "checks every answer of the run, so it runs last",
    "late_otp": "opens a flow URL late in its window; on a live target issued at the start, judged at the end",
    "expired_otp": "needs an expired flow URL; on a live target these share one real wait, at the end",
    "expired_open": "opens a flow URL just after its window closed; on a live target issued at the start and opened "
                    "on time by a looker of its own, judged at the end",
    "link": "needs a merchant of its own whose accounting connection is linked (with --merchant-driver manual, "
            "one a person links at the start)",
    "shared_link": "uses the run's shared linked merchant and leaves the link in place",
    "model": "judged on the run of the model of a conforming target (once a run, after the scenarios that name "
             "examples), which fills a live run's wait for its OTP checks",
}
DELETION_PATIENCE = 30.0  # seconds of nothing but 429s before the end-of-run deletion gives up and lists what is left
WEBHOOK_RULES = ("DEL-1", "DEL-4")
PLUGIN_NAME = "sfc-suite"  # the fixtures, and whoever reads the verdict, find the plugin object by it
# Run after the other scenarios, in this order: the model's, whose one run fills a live run's wait for its OTP
# checks; API-5, whose generated requests are worked out in the background from the start of the run
# (steps/api_contract.py); the live OTP checks, which share one wait; whole-run checks, which see it all.
_LAST = ("model", "API-5", "late_otp", "expired_open", "expired_otp", "whole_run")


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


# -- the parts of the run, one fixture each ------------------------------------------------------------


def _parts(request: pytest.FixtureRequest) -> RunParts:
    plugin = request.config.pluginmanager.get_plugin(PLUGIN_NAME)
    parts = getattr(plugin, "parts", None)
    if not isinstance(parts, RunParts):
        raise RuntimeError("the conformance suite's target was not started")
    return parts


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> Settings:
    return _parts(request).settings


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    return _parts(request).target


@pytest.fixture(scope="session")
def clock(request: pytest.FixtureRequest) -> Clock:
    return _parts(request).clock


@pytest.fixture(scope="session")
def client(request: pytest.FixtureRequest) -> ApiClient:
    return _parts(request).client


@pytest.fixture(scope="session")
def model_client(request: pytest.FixtureRequest) -> ApiClient:
    return _parts(request).model_client


@pytest.fixture(scope="session")
def api(request: pytest.FixtureRequest) -> TargetApi:
    return _parts(request).api


@pytest.fixture(scope="session")
def answer_log(request: pytest.FixtureRequest) -> AnswerLog:
    return _parts(request).answer_log


@pytest.fixture(scope="session")
def run_id(request: pytest.FixtureRequest) -> RunId:
    return _parts(request).run_id


@pytest.fixture(scope="session")
def rule_notes(request: pytest.FixtureRequest) -> RuleNotes:
    return _parts(request).rule_notes


@pytest.fixture(scope="session")
def merchants(request: pytest.FixtureRequest) -> Merchants:
    return _parts(request).merchants


@pytest.fixture(scope="session")
def flow_viewer(request: pytest.FixtureRequest) -> FlowViewer:
    return _parts(request).flow_viewer


@pytest.fixture(scope="session")
def timed_opens(request: pytest.FixtureRequest) -> TimedOpens:
    return _parts(request).timed_opens


@pytest.fixture(scope="session")
def subscriptions(request: pytest.FixtureRequest) -> Subscriptions:
    return _parts(request).subscriptions


@pytest.fixture(scope="session")
def receiver(request: pytest.FixtureRequest) -> WebhookReceiver:
    return _parts(request).target.receiver


@pytest.fixture(scope="session")
def move_time(request: pytest.FixtureRequest) -> Callable[[float], None]:
    """Lets ``seconds`` pass on a target whose time the suite moves (its scenarios are marked embedded_only)."""
    target = _parts(request).target

    def move(seconds: float) -> None:
        time = target.capabilities.time
        if time is None:
            raise AssertionError("this step needs a target whose time the suite can move")
        time.advance(seconds)

    return move


@pytest.fixture(scope="session")
def long_wait(request: pytest.FixtureRequest) -> Callable[[float, str], None]:
    """Lets ``seconds`` pass on the run's clock, saying ``waiting N s {why}…`` on the terminal every few seconds."""
    parts = _parts(request)

    def wait(seconds: float, why: str) -> None:
        countdown(parts.clock, seconds, why, parts.say)

    return wait


@pytest.fixture
def api_driver(api: TargetApi, settings: Settings, merchants: Merchants, subscriptions: Subscriptions,
               clock: Clock) -> ApiDriver:
    """The merchant's actions through the public API, whichever driver the run uses."""
    return ApiDriver(api, settings, merchants, subscriptions, clock)


@pytest.fixture
def driver(api: TargetApi, settings: Settings, merchants: Merchants, subscriptions: Subscriptions, clock: Clock,
           client: ApiClient, flow_viewer: FlowViewer, api_driver: ApiDriver) -> MerchantDriver:
    """How the merchant acts in this run: the API, the sandbox's flow pages or its flow in a browser, or a person."""
    return driver_for(settings.merchant_driver, api_driver,
                      PagesDriver(api, settings, merchants, client, api_driver),
                      BrowserDriver(api, settings, merchants, flow_viewer, api_driver),
                      ManualDriver(api, settings, merchants, subscriptions, clock))


@pytest.fixture
def flow_walker(api: TargetApi, settings: Settings, merchants: Merchants, client: ApiClient,
                flow_viewer: FlowViewer, api_driver: ApiDriver) -> PagesDriver | BrowserDriver | None:
    """Who walks the flow for the flow-page rules: the browser when the run has one, else the server-rendered
    pages; None for an app-style flow without a browser."""
    return walker_for(settings, flow_viewer, PagesDriver(api, settings, merchants, client, api_driver),
                      BrowserDriver(api, settings, merchants, flow_viewer, api_driver))


class SuitePlugin(VerdictRecorder):
    def __init__(self, settings: Settings | None = None) -> None:
        """``settings`` as ``run`` checked them; None (plain pytest): read from ``--sfc-*`` at collection."""
        super().__init__(SUITE_RULES)
        self.__name__ = PLUGIN_NAME  # pytest registers a plugin object given to pytest.main under its __name__
        self.settings = settings
        self.parts: RunParts | None = None  # made once the target has started
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
        if settings.model_budget == 0:  # the model does not run: its scenarios are not run, as if not chosen
            unrun = [item for item in scenarios if item.get_closest_marker("model")]
            if unrun:
                config.hook.pytest_deselected(items=unrun)
                items[:] = [item for item in items if item not in unrun]
                scenarios = [item for item in scenarios if item not in unrun]
        for item in scenarios:
            if settings.live and item.get_closest_marker("embedded_only"):
                item.add_marker(pytest.mark.skip(reason="not applicable on a live target: needs the sandbox's "
                                                        "clock or flow pages"))
            if not settings.live and item.get_closest_marker("live_only"):
                item.add_marker(pytest.mark.skip(reason="not applicable on the embedded target: checked live"))
        items.sort(key=_order)
        chosen = [i for i in scenarios if not i.get_closest_marker("skip")]
        self._start(settings, chosen, expiry_checks=sum(1 for i in chosen if i.get_closest_marker("expired_otp")),
                    late_open=any(i.get_closest_marker("late_otp") for i in chosen),
                    expired_open=any(i.get_closest_marker("expired_open") for i in chosen))

    def _start(self, settings: Settings, chosen: list[pytest.Item], *, expiry_checks: int,
               late_open: bool, expired_open: bool) -> None:
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
            parts = self.parts = RunParts(settings, target, self._say)
            parts.flow_viewer.start_if_asked()  # a browser asked for that will not start: exit 2, before any rule
            if settings.live:  # the embedded sandbox is in this process: nothing to reach
                self._end_on_sigterm()
                preflight(parts.client)
                use_linked_companies(settings, parts.api, parts.merchants)
                if settings.merchant_driver == "manual":
                    ask_for_links(settings, parts.api, parts.merchants, parts.clock, chosen, self._say)
                if settings.receiver_url and any(set(rule_ids(i)) & set(WEBHOOK_RULES) for i in chosen):
                    parts.subscriptions.receiver_unreachable = unreachable(
                        target.receiver, target.receiver_url, parts.run_id, timeout=settings.timeout)
                parts.timed_opens.prepare_expired_flows(expiry_checks)
                if late_open:
                    parts.timed_opens.prepare_late_open()
                if expired_open:
                    parts.timed_opens.prepare_expired_open()
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

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # What is alive now (modules, scenarios, the contract, the sandbox) lives as long as the run: out of the
        # garbage collector's sight, each of its full collections walks only what the scenarios made (a third
        # of an embedded run's collecting time otherwise).  Given back when the run ends.
        gc.freeze()

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self._interrupted = True

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        gc.unfreeze()
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None

    def _stop(self) -> None:
        """Once: put given merchants back, delete what a live run created (unless --keep), stop the target."""
        if self._stopped:
            return
        self._stopped = True
        parts, target = self.parts, self.target
        if parts is not None:
            parts.timed_opens.cancel()
            self._put_back_settings(parts, at_the_end=True)
            if self.live_target is not None:
                self.unrestored = parts.merchants.shared.restore_given()
                self.tidied = self._tidy(parts, self.live_target)
            parts.close()
        if target is not None:
            target.stop()
            self.target = None

    @staticmethod
    def _put_back_settings(parts: RunParts, *, at_the_end: bool = False) -> None:
        """The client-wide settings as the run found them; what cannot be put back stays in the journal."""
        try:
            parts.client_settings.restore()
        except (SfcError, OSError) as error:  # the target failing now: the journal keeps them for `cleanup`
            parts.client_settings.left.append(f"client-wide settings: {redact(str(error))}")
        except KeyboardInterrupt:
            if not at_the_end:
                raise  # the run stops, and puts them back at its end
            # Asked again to stop: the journal keeps them for `cleanup`.
            parts.client_settings.left.append("client-wide settings: interrupted before they were put back")

    def _tidy(self, parts: RunParts, target: LiveTarget) -> Tidied:
        pace = Pace(DEFAULT_CONCURRENCY, target.clock, patience=DELETION_PATIENCE)
        client = PacedClient(target.base_url, target.api_key, pace, timeout=target.timeout,
                             connect_timeout=target.connect_timeout)
        try:
            if self._interrupted:  # an answer cut off by the interruption: what the target made is marked
                for found in marked_by(parts.run_id, client, target.clock.now()):
                    parts.created.add(found.kind, found.id, found.label)
            created = parts.created.items()
            kinds = Counter(item.kind for item in created)
            if created and not parts.settings.keep:
                self._say(f"deleting what the run created: {kinds['company']} companies, "
                          f"{kinds['subscription']} subscriptions…")
            return tidy(created, client, keep=parts.settings.keep, workers=DEFAULT_CONCURRENCY,
                        deleted_already=parts.created.deleted())
        finally:
            client.close()

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._stop()

    # -- per scenario -----------------------------------------------------------------

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        super().pytest_runtest_setup(item)
        if self.parts is None:
            return
        self.parts.merchants.scenario = item.nodeid
        refused = self.parts.merchants.cannot_link.get("Accounting")
        if refused and item.get_closest_marker("link"):
            pytest.skip(refused)  # before it creates a merchant the target would not link

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        if self.parts is not None and self.parts.client_settings.pending():
            self._put_back_settings(self.parts)  # the next scenario finds the account as the run did

    # -- what the recorder asks -------------------------------------------------

    @property
    def strict(self) -> bool:
        return bool(self.parts and self.parts.settings.strict)

    def exchanges(self) -> Sequence[Shown]:
        return self.parts.answer_log.records if self.parts else ()

    def notes(self) -> dict[str, list[str]]:
        return self.parts.rule_notes.by_rule if self.parts else {}

    def screenshots(self) -> Sequence[Screenshot]:
        return self.parts.flow_viewer.screenshots if self.parts else ()

    def facts(self) -> RunFacts:
        settings = self.parts.settings if self.parts else None
        return RunFacts(
            target=self.parts.target.name if self.parts else "?",
            base_url=self.parts.target.base_url if self.parts else "",
            started=self._started,
            finished=SystemClock().now(),
            strict=bool(settings and settings.strict),
            sandbox_faults=settings.sandbox_faults if settings else (),
            tags=str(self.config.getoption("markexpr", "") or ""),
            merchant_view=self.parts.flow_viewer.seen_with if self.parts else "",
            housekeeping=tuple(self._housekeeping()),
        )

    def _housekeeping(self) -> list[str]:
        """What the run did to the account, for the terminal and the report: nothing on the embedded target."""
        if self.tidied is None:
            return []
        return [*self.unrestored, *self._settings_lines(), *self.tidied.lines()]

    def _settings_lines(self) -> list[str]:
        return self.parts.client_settings.lines() if self.parts else []

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
