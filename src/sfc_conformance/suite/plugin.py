"""The pytest plugin behind the conformance suite (``-p sfc_conformance.suite.plugin``).

It reads the settings, starts the target before the first scenario (exit 2
with one line if it is unreachable or refuses the key), marks scenarios that
cannot be seen on this target as not applicable, runs whole-run checks and
expired-OTP checks last, turns SHOULD failures into warnings unless
``--sfc-strict``, and prints the per-rule verdict (and, with
``--sfc-html-report PATH``, writes it as an HTML page): the last three are
the :class:`~sfc_conformance.suite.recorder.VerdictRecorder` it builds on,
which also keeps the API key and the webhook secret out of everything it reports.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import pytest

from ..clock import SystemClock
from ..errors import SfcError, UsageError
from ..evidence import Screenshot
from ..report.page import RunFacts
from ..rules import RULES, SUITE_RULES
from ..secrets import redact
from ..targets import EmbeddedTarget, LiveTarget
from . import settings as settings_module
from .drivers import MerchantDriver, driver_for
from .preflight import preflight
from .recorder import LEVEL_MARKERS, Shown, VerdictRecorder, add_report_option, register_markers
from .world import Suite

TARGET_MARKERS = {
    **LEVEL_MARKERS,
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
    add_report_option(parser)


def pytest_configure(config: pytest.Config) -> None:
    # Every rule is a marker, the consumer's too: `-m PWH-1` then selects nothing rather than failing.
    register_markers(config, TARGET_MARKERS, RULES)
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


class SuitePlugin(VerdictRecorder):
    def __init__(self, config: pytest.Config) -> None:
        super().__init__(SUITE_RULES)
        self.config = config
        self.suite: Suite | None = None
        self.target: EmbeddedTarget | LiveTarget | None = None

    # -- session ----------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        scenarios = self.scenarios(items)
        if not scenarios:
            return
        try:
            settings = settings_module.from_config(config)
        except UsageError as error:
            pytest.exit(f"sfc-conformance: {error}", returncode=2)
        for item in scenarios:
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
            target = EmbeddedTarget(faults=(*settings.sandbox_faults, *settings.sandbox_variants),
                                    flow_style=settings.flow_style)
        self.target = target
        try:
            target.start()
            self.suite = Suite(settings, target)
            self.suite.say = self._say
            self.suite.eyes.start_if_asked()  # a browser asked for that will not start: exit 2, before any rule
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
        self.write_html_report(session)

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
