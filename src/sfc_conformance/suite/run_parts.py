"""One of each part a run's steps ask for, made once the target has started; the plugin hands each out as a fixture.

Steps never take this object: each asks, by fixture name, for the parts it
uses (``api``, ``merchants``, ``flow_viewer``, …; see
:mod:`sfc_conformance.suite.plugin`).  Everything the target says the run
created is recorded as it is created (:class:`~.housekeeping.Created`), for
the deletion at the end of a live run.
"""

from __future__ import annotations

from collections.abc import Callable

from sfc_conformance.core.account import RunId, SyncFlowApi, Target
from sfc_conformance.core.http import ApiClient
from sfc_conformance.core.profile import load_contract
from sfc_conformance.suite.answer_log import AnswerLog
from sfc_conformance.suite.client_settings import ClientSettings, Journal
from sfc_conformance.suite.flow_viewer import FlowViewer
from sfc_conformance.suite.housekeeping import Created
from sfc_conformance.suite.rule_notes import RuleNotes
from sfc_conformance.suite.run_merchants import Merchants
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.subscriptions import Subscriptions
from sfc_conformance.suite.target_api import TargetApi
from sfc_conformance.suite.timed_opens import TimedOpens


class RunParts:
    """The run's settings and target, and one of each part made from them, wired together."""

    def __init__(self, settings: Settings, target: Target, say: Callable[[str], None]) -> None:
        """``say`` writes a line on the terminal at once (a live run's long waits, the links a person opens)."""
        self.settings = settings
        self.target = target
        self.say = say
        self.clock = target.clock
        self.client: ApiClient = target.client()
        self.answer_log = AnswerLog(load_contract(), target.base_url, target.api_key)
        self.client.http.event_hooks["response"].append(self.answer_log.hook)
        self.api = TargetApi(self.client)
        self.run_id = RunId.new(self.clock.now())  # names what the run creates (RUN-3)
        self.created = Created(self.run_id, target.base_url)  # what to delete at the end (RUN-2)
        self.client.http.event_hooks["response"].append(self.created.hook)
        # The model's calls go through a client of their own: the model holds every answer to the whole-run rules
        # itself (API-1..3, API-5, KEY-2), so its thousand calls skip the answer log, which would check each again.
        self.model_client: ApiClient = target.client()
        self.model_client.http.event_hooks["response"].append(self.created.hook)
        # Flow texts and visible accounts belong to the partner's whole account: kept before a change, put back
        # after (RUN-2), through a client of their own; journalled on a live target, for `cleanup`.
        self.settings_client: ApiClient = target.client()
        journal = Journal.for_run(target.base_url, target.api_key, self.run_id) if settings.live else None
        self.client_settings = ClientSettings(SyncFlowApi(self.settings_client), base_url=target.base_url,
                                              run=self.run_id, commerce_key=settings.commerce_key,
                                              accounting_key=settings.accounting_key, journal=journal)
        for client in (self.client, self.model_client):
            client.http.event_hooks["request"].append(self.client_settings.before_request)
            client.http.event_hooks["response"].append(self.client_settings.after_response)
        self.rule_notes = RuleNotes()
        self.merchants = Merchants(self.api, settings, self.clock, self.run_id)
        self.subscriptions = Subscriptions(self.api, self.run_id, target.receiver_url)
        # How the merchant's side is seen (OTP rules, flow pages), and what the browser showed, in order.
        self.flow_viewer = FlowViewer(settings, target, self.client.http, self.answer_log.hook)
        self.timed_opens = TimedOpens(self.flow_viewer, self.merchants, target, self.rule_notes, say)

    def close(self) -> None:
        self.timed_opens.cancel()
        self.flow_viewer.close()
        self.client.close()
        self.model_client.close()
        self.settings_client.close()
