"""From pytest's reports of rule-tagged scenarios to a verdict: what every run of scenarios shares.

    VerdictRecorder      the pytest plugin both runs build on (``sfc-conformance run``'s suite plugin,
                         ``sfc-conformance consumer``'s plugin); the HTML report reads its verdict
    not_judged, NotJudged  end a scenario as "not judged" (neither n/a nor a pass)
    rule_ids, scenario_name, register_markers, LEVEL_MARKERS, Shown
                         a scenario's rules and name, tags as markers, what a kept exchange shows

It needs only the core and pytest, so the suite, the consumer check and the
report all stand on it without standing on each other.
"""

from __future__ import annotations

from sfc_conformance.verdicts._recorder import (
    LEVEL_MARKERS,
    NOT_JUDGED_PREFIX,
    NotJudged,
    Shown,
    VerdictRecorder,
    not_judged,
    register_markers,
    rule_ids,
    scenario_name,
)

__all__ = ["LEVEL_MARKERS", "NOT_JUDGED_PREFIX", "NotJudged", "Shown", "VerdictRecorder", "not_judged",
           "register_markers", "rule_ids", "scenario_name"]
