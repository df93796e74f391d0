"""The pytest plugin behind ``sfc-conformance consumer``: one check of one endpoint, and its verdict.

The command builds a :class:`ConsumerCheck` (the endpoint, the signer, the
options as checked), sends the first delivery as the probe, and hands the
check to pytest inside this plugin object: nothing travels through argv or
the environment a second time, the secret least of all.  The scenarios of
``features/consumer/`` run with the steps of :mod:`sfc_conformance.consumer.scenarios`;
the verdict, the warnings for SHOULD rules, the JUnit properties and the HTML
page come from the same :class:`~sfc_conformance.verdicts.VerdictRecorder`
as ``sfc-conformance run``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from sfc_conformance.consumer import checks
from sfc_conformance.consumer.deliveries import Signer
from sfc_conformance.consumer.endpoint import Endpoint, Reply
from sfc_conformance.core.clock import SystemClock
from sfc_conformance.core.profile import CONSUMER_RULES, RunFacts
from sfc_conformance.verdicts import Shown, VerdictRecorder, register_markers


@dataclass
class ConsumerCheck:
    """What the scenarios share: the endpoint, the signer, and the replies they looked at."""

    endpoint: Endpoint
    signer: Signer
    strict: bool = False
    first: Reply | None = None  # PWH-1's delivery, sent by :meth:`reach` before any scenario
    shown: list[Reply] = field(default_factory=list)  # the replies scenarios judged, in order: for the report
    notes: dict[str, list[str]] = field(default_factory=dict)
    _timed: dict[str, list[Reply]] = field(default_factory=dict, init=False, repr=False)

    @property
    def has_secret(self) -> bool:
        return self.signer.has_secret

    def reach(self) -> Reply:
        """The first delivery: a one-line :class:`~sfc_conformance.core.errors.TargetError` if ``url`` is no
        endpoint."""
        self.first = self.endpoint.reach(self.signer.connection_deleted())
        return self.first

    def judged(self, *replies: Reply) -> None:
        self.shown.extend(replies)

    def note(self, rule_id: str, text: str) -> None:
        self.notes.setdefault(rule_id, []).append(text)

    def timed(self, rule_id: str, reply: Reply) -> None:
        """A rule's note on how fast the endpoint answered: one answer's status and time, or the slowest of many."""
        replies = self._timed.setdefault(rule_id, [])
        replies.append(reply)
        self.notes[rule_id] = [f"{reply.status} in {reply.seconds:.2f} s" if len(replies) == 1
                               else checks.slowest(replies)]


class ConsumerPlugin(VerdictRecorder):
    def __init__(self, check: ConsumerCheck) -> None:
        super().__init__(CONSUMER_RULES)
        self.check = check

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
        register_markers(config, {}, CONSUMER_RULES)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.scenarios(items)

    # -- what the recorder asks ---------------------------------------------------

    @property
    def strict(self) -> bool:
        return self.check.strict

    def exchanges(self) -> Sequence[Shown]:
        return self.check.shown

    def notes(self) -> dict[str, list[str]]:
        return self.check.notes

    def facts(self) -> RunFacts:
        return RunFacts(target="webhook endpoint", base_url=self.check.endpoint.url, started=self._started,
                        finished=SystemClock().now(), strict=self.check.strict)


def check_of(config: pytest.Config) -> ConsumerCheck:
    """The check the command handed to pytest (as a plugin object, registered without a name)."""
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, ConsumerPlugin):
            return plugin.check
    raise RuntimeError("the consumer checks run only under `sfc-conformance consumer`")
