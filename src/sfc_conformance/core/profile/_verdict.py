"""The per-rule verdict: what each rule's scenarios showed, as a table, details and a timeline.

A scenario ends in one of five ways: it passed, failed (``FAIL``; ``warn`` for a
SHOULD rule without ``--strict``), was not applicable to the target (``n/a``:
the target cannot show it, e.g. a clock the suite cannot move), or was *not
judged*: the target allows the check, but this run could not make it stand
(a time-critical open that a busy machine made miss its band twice).

A rule's verdict, from its scenarios (profile v3, "Verdicts that do not bend":
a rule passes only when every scenario the target allows was judged):

* ``FAIL`` when any scenario failed; ``warn`` when a SHOULD scenario did without ``--strict``;
* ``pass`` when at least one passed and every other was n/a;
* ``in part`` when some passed and some were not judged: never a plain pass; its note says
  how much was judged and why the rest was not, e.g. ``pass (2 of 3 judged; the late open
  came 29.4 s after the start call)``;
* ``not judged`` when none passed and at least one was not judged;
* ``n/a`` when every scenario was not applicable (with the reason);
* ``not run`` when ``--tags`` left all its scenarios out; ``not built`` for a rule of the
  profile the suite has no scenario for yet (:data:`~sfc_conformance.core.profile.NOT_BUILT`).

A MUST rule ``in part`` or ``not judged`` fails nothing, but the run cannot
stand behind it: ``sfc-conformance run`` exits 3 (:meth:`Verdict.unsure_musts`).

The terminal prints :meth:`Verdict.table` and :meth:`Verdict.failures`; the
HTML report (:mod:`sfc_conformance.report.page`) renders the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.core.profile._rules import NOT_BUILT, NOT_BUILT_REASON, RULES, Rule


class Status(StrEnum):
    """How a scenario ended, or what a rule's scenarios add up to (the module's docstring says how)."""

    PASS = "pass"
    IN_PART = "in part"
    FAIL = "FAIL"
    WARN = "warn"
    UNJUDGED = "not judged"
    NA = "n/a"
    NOT_RUN = "not run"
    NOT_BUILT = "not built"


PASS, IN_PART, FAIL, WARN = Status.PASS, Status.IN_PART, Status.FAIL, Status.WARN
UNJUDGED, NA, NOT_RUN, NOT_BUILT_STATUS = Status.UNJUDGED, Status.NA, Status.NOT_RUN, Status.NOT_BUILT
STATUSES = tuple(Status)
UNSURE = (IN_PART, UNJUDGED)  # statuses a run cannot stand behind: never a pass, never a failure


@dataclass
class Outcome:
    """What one scenario showed about the rules it is tagged with."""

    scenario: str
    status: str  # PASS, FAIL, WARN, NA or UNJUDGED
    reason: str = ""  # NA: why the scenario does not apply to this target; UNJUDGED: why it could not be judged
    step: str = ""  # FAIL/WARN: the step that failed
    saw: str = ""  # FAIL/WARN: what the suite saw, secrets masked
    exchanges: tuple[str, ...] = ()  # FAIL/WARN: the scenario's last requests and answers, secrets masked
    screenshots: tuple[Screenshot, ...] = ()  # what the merchant's browser showed, step by step

    @property
    def detail(self) -> str:
        lines = [self.reason] if self.reason else []
        if self.step:
            lines.append(f"step: {self.step}")
        if self.saw:
            lines.append("saw: " + "\n     ".join(self.saw.splitlines()))
        for exchange in self.exchanges:
            lines.extend(exchange.splitlines())
        return "\n".join(lines)


@dataclass
class ScenarioRun:
    """One scenario on the run's timeline: wall-clock seconds since the epoch, and how it ended."""

    nodeid: str
    scenario: str
    rules: tuple[str, ...]
    start: float
    stop: float
    status: str = ""

    @property
    def seconds(self) -> float:
        return max(0.0, self.stop - self.start)


@dataclass
class Verdict:
    # The rules this run judges, in the profile's order: `run` the API's, `consumer` the partner endpoint's.
    rules: dict[str, Rule] = field(default_factory=lambda: dict(RULES))
    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    timeline: list[ScenarioRun] = field(default_factory=list)
    not_built: frozenset[str] = NOT_BUILT  # rules with no scenario yet: "not built", never "not run"

    def add(self, rule_ids: list[str], outcome: Outcome) -> None:
        for rule_id in rule_ids:
            self.outcomes.setdefault(rule_id, []).append(outcome)

    def status(self, rule_id: str) -> str:
        seen = [o.status for o in self.outcomes.get(rule_id, [])]
        if not seen:
            return NOT_BUILT_STATUS if rule_id in self.not_built else NOT_RUN
        for status in (FAIL, WARN):
            if status in seen:
                return status
        if PASS in seen:
            return IN_PART if UNJUDGED in seen else PASS
        return UNJUDGED if UNJUDGED in seen else NA

    def failed_musts(self) -> list[Rule]:
        """The rules that fail the run: every MUST that failed, and SHOULDs under ``--strict``."""
        return [rule for rule_id, rule in self.rules.items() if self.status(rule_id) == FAIL]

    def unsure_musts(self) -> list[Rule]:
        """The MUST rules the run cannot stand behind: judged only in part, or not at all, though the target
        allows it (the run's timing was spoiled twice); they fail nothing, and pass nothing."""
        return [rule for rule_id, rule in self.rules.items() if rule.must and self.status(rule_id) in UNSURE]

    @property
    def passed(self) -> bool:
        return not self.failed_musts()

    def _reasons(self, rule_id: str, status: str) -> str:
        return "; ".join(dict.fromkeys(o.reason for o in self.outcomes.get(rule_id, [])
                                       if o.status == status and o.reason))

    def note(self, rule_id: str) -> str:
        """The table's note: why a rule is n/a or not (wholly) judged, or what the run noticed about it."""
        status = self.status(rule_id)
        noticed = "; ".join(self.notes.get(rule_id, []))
        if status == NOT_BUILT_STATUS:
            return NOT_BUILT_REASON
        if status == NA:
            return self._reasons(rule_id, NA) or noticed
        if status in UNSURE:
            outcomes = self.outcomes.get(rule_id, [])
            judged = sum(o.status == PASS for o in outcomes)
            allowed = sum(o.status in (PASS, UNJUDGED) for o in outcomes)
            why = self._reasons(rule_id, UNJUDGED)
            said = (f"pass ({judged} of {allowed} judged; {why})" if status == IN_PART
                    else f"not judged: {why}")
            return f"{said}; {noticed}" if noticed else said
        return noticed

    def scenarios_passed(self, rule_id: str) -> str:
        outcomes = self.outcomes.get(rule_id, [])
        return f"{sum(o.status == PASS for o in outcomes)}/{len(outcomes)}"

    def table(self) -> list[str]:
        lines = [f"{'rule':<8} {'level':<6} {'verdict':<10} scenarios  note"]
        for rule_id, rule in self.rules.items():
            lines.append(f"{rule_id:<8} {rule.level:<6} {self.status(rule_id):<10} "
                         f"{self.scenarios_passed(rule_id):<10} {self.note(rule_id)}".rstrip())
        return lines

    def not_met(self) -> list[tuple[Rule, list[Outcome]]]:
        """Every failed or warned rule, with the scenarios that failed it."""
        found = []
        for rule_id, rule in self.rules.items():
            bad = [o for o in self.outcomes.get(rule_id, []) if o.status in (FAIL, WARN)]
            if bad:
                found.append((rule, bad))
        return found

    def failures(self) -> list[str]:
        """For every failed or warned rule: the sentence it breaks, and what each failing scenario saw."""
        lines: list[str] = []
        for rule, bad in self.not_met():
            lines.append(f"{rule.id} {rule.level} ({rule.section}) — {self.status(rule.id)}")
            lines.append(f"  breaks: {rule.sentence}")
            for outcome in bad:
                lines.append(f"  scenario: {outcome.scenario}")
                lines.extend(f"    {line}" for line in outcome.detail.splitlines())
        return lines

    def counts(self) -> dict[str, int]:
        """How many rules ended in each status."""
        return {s: sum(self.status(r) == s for r in self.rules) for s in STATUSES}

    def summary(self) -> str:
        return ", ".join(f"{n} {s}" for s, n in self.counts().items() if n)


@dataclass(frozen=True)
class RunFacts:
    """What the page says about the run itself."""

    target: str  # "embedded" or "live" (`run`), or "webhook endpoint" (`consumer`)
    base_url: str
    started: datetime
    finished: datetime
    strict: bool = False
    sandbox_faults: tuple[str, ...] = ()
    tags: str = ""
    merchant_view: str = ""  # how flow URLs were seen: "a browser (chromium 156...)" or "plain HTTP GETs"
    housekeeping: tuple[str, ...] = ()  # a live run: what it created on the target, deleted, kept or left

    @property
    def what(self) -> str:
        """What was checked, in a few words: "embedded target", "webhook endpoint"."""
        return f"{self.target} target" if self.target in ("embedded", "live") else self.target

    @property
    def where(self) -> str:
        """The same, with the URL of anything but the embedded sandbox (which has no real one)."""
        return self.what if self.target == "embedded" else f"{self.what} at {self.base_url}"
