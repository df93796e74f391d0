"""The HTML report: one self-contained page that opens offline.

Verdict first (pass or fail, counts), then every rule grouped as the profile
groups them, then every rule not met with what the suite saw and the requests
and answers that showed it, then what the merchant's browser showed, then the
run's timeline.  Inline CSS only: no script, font, image or stylesheet is
fetched — screenshots are inside the page as ``data:`` URIs — so the file
reads the same attached to a CI run as on the machine that made it.

The page is a Jinja template (``templates/report.html.j2``) with autoescaping on.
Every value it shows is masked for secrets *before* it is escaped (the
environment's ``finalize``): a key with ``&`` in it would not be found once escaped.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.core.profile import (
    FAIL,
    IN_PART,
    NA,
    NOT_BUILT_STATUS,
    NOT_RUN,
    PASS,
    STATUSES,
    UNJUDGED,
    WARN,
    Outcome,
    RunFacts,
    ScenarioRun,
    Verdict,
)
from sfc_conformance.core.secrets import redact

# A scenario that held shows its first screen and its last ones; one that failed shows every screen.
# (With --merchant-driver browser every scenario walks the flow: all of it would be tens of megabytes.)
SHOWN_WHEN_HELD = 3


def _masked(value: object) -> object:
    """Every value the page shows, before autoescaping: secrets masked (markup the template made is kept)."""
    if isinstance(value, Markup) or value is None:
        return value if value is not None else ""
    return redact(str(value))


def _prose(value: str) -> Markup:
    """The profile's sentences mark names with `backticks`: show them as code."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(redact(str(value))))))


_CSS_CLASSES: dict[str, str] = {NA: "na", NOT_RUN: "not-run", IN_PART: "in-part", UNJUDGED: "not-judged",
                                 NOT_BUILT_STATUS: "not-built"}


def _css_class(status: str) -> str:
    return _CSS_CLASSES.get(status, str(status))


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _data_uri(shot: Screenshot) -> str:
    """One screenshot, inside the page: a data: URI is never fetched, so the report stays one offline file."""
    return "data:image/png;base64," + base64.b64encode(shot.png).decode("ascii")


@dataclass(frozen=True)
class _Shown:
    shown: list[Screenshot]
    left_out: int


def _shown_screenshots(outcome: Outcome, most: int | None = None) -> _Shown:
    shots = [s for s in outcome.screenshots if s.is_png]  # anything else is not an image a browser made
    if most is not None and len(shots) > most:
        return _Shown(shots[:1] + shots[len(shots) - most + 1:], len(shots) - most)
    return _Shown(shots, 0)


@cache
def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("sfc_conformance.report", "templates"), autoescape=True,
                              finalize=_masked, undefined=StrictUndefined, trim_blocks=False)
    environment.filters.update(prose=_prose, css_class=_css_class, when=_when, data_uri=_data_uri,
                               shown_screenshots=_shown_screenshots)
    return environment


@cache
def _css() -> Markup:
    return Markup(files("sfc_conformance.report").joinpath("templates/report.css").read_text(encoding="utf-8"))


def _scenarios_seen(verdict: Verdict) -> dict[str, int]:
    seen: dict[str, int] = {}
    for run in verdict.timeline:
        seen[run.status or NA] = seen.get(run.status or NA, 0) + 1
    return seen


def headline_word(verdict: Verdict) -> str:
    """PASS, FAIL, or NOT WHOLLY JUDGED (no MUST rule failed, but one was judged only in part: exit code 3)."""
    if not verdict.passed:
        return "FAIL"
    return "NOT WHOLLY JUDGED" if verdict.unsure_musts() else "PASS"


def _rows(verdict: Verdict) -> list[dict[str, Any]]:
    rows = []
    section = None
    for rule in verdict.rules.values():
        rows.append({"section": rule.section if rule.section != section else None, "rule": rule,
                     "status": verdict.status(rule.id), "passed": verdict.scenarios_passed(rule.id),
                     "note": verdict.note(rule.id)})
        section = rule.section
    return rows


def _not_met(verdict: Verdict) -> list[dict[str, Any]]:
    found = sorted(verdict.not_met(), key=lambda pair: verdict.status(pair[0].id) != FAIL)  # failures first
    return [{"rule": rule, "status": verdict.status(rule.id), "outcomes": outcomes} for rule, outcomes in found]


def _evidence(verdict: Verdict) -> list[dict[str, Any]]:
    """Screenshots of every scenario not already shown under "Rules not met", once each."""
    rules_of: dict[int, list[str]] = {}
    outcomes: dict[int, Outcome] = {}
    for rule_id, seen in verdict.outcomes.items():
        for outcome in seen:
            if outcome.screenshots and outcome.status not in (FAIL, WARN):
                outcomes.setdefault(id(outcome), outcome)
                rules_of.setdefault(id(outcome), []).append(rule_id)
    return [{"outcome": outcome, "rules": rules_of[key]} for key, outcome in outcomes.items()
            if _shown_screenshots(outcome).shown]


@dataclass(frozen=True)
class _Bar:
    run: ScenarioRun
    status: str
    offset: float
    left: float
    width: float


def _timeline(verdict: Verdict) -> tuple[list[_Bar], float]:
    runs = sorted(verdict.timeline, key=lambda r: r.start)
    if not runs:
        return [], 0.0
    first, last = runs[0].start, max(r.stop for r in runs)
    span = max(last - first, 1e-6)
    bars = []
    for run in runs:
        left = 100 * (run.start - first) / span
        width = max(100 * run.seconds / span, 0.3)
        bars.append(_Bar(run, run.status or NA, run.start - first, left, min(width, 100 - left)))
    return bars, span


def render(verdict: Verdict, facts: RunFacts) -> str:
    """The whole page, as one string."""
    timeline, span = _timeline(verdict)
    return _environment().get_template("report.html.j2").render(
        word=headline_word(verdict), facts=facts, css=_css(),
        failed=verdict.failed_musts(), unsure=verdict.unsure_musts(),
        warned=[rule for rule, _ in verdict.not_met() if verdict.status(rule.id) == WARN],
        counts=[(status, number) for status, number in verdict.counts().items() if number],
        took=(facts.finished - facts.started).total_seconds(),
        scenarios=", ".join(f"{n} {s}" for s, n in sorted(_scenarios_seen(verdict).items())),
        rows=_rows(verdict), legend=[s for s in STATUSES if s != PASS], not_met=_not_met(verdict),
        evidence=_evidence(verdict), shown_when_held=SHOWN_WHEN_HELD, timeline=timeline, span=span) + "\n"
