"""The HTML report: one self-contained page that opens offline.

Verdict first (pass or fail, counts), then every rule grouped as the profile
groups them, then every rule not met with what the suite saw and the requests
and answers that showed it, then what the merchant's browser showed, then the
run's timeline.  Inline CSS only: no script, font, image or stylesheet is
fetched — screenshots are inside the page as ``data:`` URIs — so the file
reads the same attached to a CI run as on the machine that made it.

Every text from the run goes through :func:`_text`, which masks secrets
before escaping (a key with ``&`` in it would not be found once escaped).
"""

from __future__ import annotations

import base64
import html
import re
from datetime import UTC, datetime

from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.core.rules import Rule
from sfc_conformance.core.secrets import redact
from sfc_conformance.core.verdict import (
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

_CSS = """
:root { --pass: #1a7f37; --fail: #cf222e; --warn: #9a6700; --na: #6e7781; --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1f2328; margin: 0 auto; max-width: 1180px; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 4px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
                   font-size: 12.5px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px;
      margin: 6px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.banner { display: flex; align-items: center; gap: 22px; padding: 16px 20px; border-radius: 8px;
          border: 1px solid var(--line); margin: 14px 0 6px; }
.banner.pass { background: #dafbe1; border-color: #aceebb; }
.banner.fail { background: #ffebe9; border-color: #ffcecb; }
.big { font-size: 34px; font-weight: 700; letter-spacing: .5px; }
.banner.pass .big { color: var(--pass); } .banner.fail .big { color: var(--fail); }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 6px; }
.facts { display: flex; flex-wrap: wrap; column-gap: 18px; row-gap: 2px; color: #57606a; font-size: 13.5px;
         margin: 8px 0 0; }
.badge { display: inline-block; min-width: 52px; text-align: center; padding: 1px 8px; border-radius: 10px;
         font-size: 12px; font-weight: 600; color: #fff; }
.badge.pass { background: var(--pass); } .badge.FAIL { background: var(--fail); }
.badge.warn { background: var(--warn); } .badge.na, .badge.not-run { background: var(--na); }
.badge.in-part, .badge.not-judged { background: var(--warn); } .badge.not-built { background: var(--na); }
.banner.unsure { background: #fff8c5; border-color: #eac54f; } .banner.unsure .big { color: var(--warn); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 12.5px; color: #57606a; font-weight: 600; }
tr.section td { background: var(--soft); font-weight: 600; padding-top: 10px; }
tr.FAIL td:first-child { box-shadow: inset 3px 0 var(--fail); }
tr.warn td:first-child { box-shadow: inset 3px 0 var(--warn); }
td.note { color: #57606a; font-size: 13px; }
td.id { white-space: nowrap; }
.rule { border: 1px solid var(--line); border-left: 4px solid var(--fail); border-radius: 6px; padding: 12px 14px;
        margin: 12px 0; }
.rule.warn { border-left-color: var(--warn); }
.rule .sentence { margin: 2px 0 8px; }
.scenario { margin: 10px 0 0; padding-top: 8px; border-top: 1px dashed var(--line); }
.label { color: #57606a; font-size: 12.5px; font-weight: 600; text-transform: uppercase; letter-spacing: .3px; }
.timeline td.bar { width: 34%; }
.timeline td.mono { white-space: nowrap; }
.track { position: relative; height: 12px; background: var(--soft); border-radius: 3px; }
.track span { position: absolute; top: 0; bottom: 0; min-width: 2px; border-radius: 3px; background: var(--pass); }
.track span.FAIL { background: var(--fail); } .track span.warn { background: var(--warn); }
.track span.na { background: var(--na); }
.muted { color: #57606a; }
a { color: #0969da; text-decoration: none; }
summary { cursor: pointer; margin: 4px 0; }
.shots { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0; }
figure.shot { margin: 0; width: 440px; border: 1px solid var(--line); border-radius: 6px; padding: 6px;
              background: #fff; }
figure.shot img { display: block; width: 100%; height: auto; border: 1px solid var(--soft); }
figure.shot figcaption { font-size: 12.5px; margin-top: 4px; overflow-wrap: anywhere; }
.evidence { margin: 14px 0 0; }
"""


def _text(value: object) -> str:
    return html.escape(redact(str(value)))


def _prose(value: str) -> str:
    """The profile's sentences mark names with `backticks`: show them as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _text(value))


def _css_class(status: str) -> str:
    return {NA: "na", NOT_RUN: "not-run", IN_PART: "in-part", UNJUDGED: "not-judged",
            NOT_BUILT_STATUS: "not-built"}.get(status, status)


def _badge(status: str) -> str:
    return f'<span class="badge {_css_class(status)}">{_text(status)}</span>'


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _scenarios_seen(verdict: Verdict) -> dict[str, int]:
    seen: dict[str, int] = {}
    for run in verdict.timeline:
        seen[run.status or NA] = seen.get(run.status or NA, 0) + 1
    return seen


def _rule_list(what: str, rules: list[Rule]) -> str:
    links = ", ".join(f'<a href="#rule-{_text(r.id)}">{_text(r.id)}</a>' for r in rules)
    return f"{len(rules)} rule{'s' if len(rules) != 1 else ''} {what}: {links}"


def _banner(verdict: Verdict, facts: RunFacts) -> str:
    passed = verdict.passed
    warned = [rule for rule, _ in verdict.not_met() if verdict.status(rule.id) == WARN]
    if not passed:
        headline = _rule_list("not met", verdict.failed_musts())
    else:
        headline = "every MUST rule that ran holds" if warned else "every rule that ran holds"
    unsure = verdict.unsure_musts()
    if passed and unsure:
        headline = _rule_list("judged only in part or not at all (MUST; exit code 3)", unsure)
    if warned:
        headline += "; " + _rule_list("warned (SHOULD)", warned)
    counts = "".join(f"<span>{_badge(status)} {number}</span>" for status, number in verdict.counts().items()
                     if number)
    scenarios = ", ".join(f"{n} {_text(s)}" for s, n in sorted(_scenarios_seen(verdict).items()))
    facts_line = [
        f"<span>target: {_text(facts.where)}</span>",
        f"<span>started: {_text(_when(facts.started))}</span>",
        f"<span>took: {(facts.finished - facts.started).total_seconds():.1f} s</span>",
        f"<span>scenarios: {scenarios or 'none'}</span>",
        f"<span>SHOULD rules: {'fail the run (--strict)' if facts.strict else 'warn'}</span>",
    ]
    if facts.sandbox_faults:
        facts_line.append(f"<span>sandbox faults: {_text(', '.join(facts.sandbox_faults))}</span>")
    if facts.tags:
        facts_line.append(f"<span>tags: {_text(facts.tags)}</span>")
    if facts.merchant_view:
        facts_line.append(f"<span>merchant's side seen with: {_text(facts.merchant_view)}</span>")
    word = _headline_word(verdict)
    css = {"PASS": "pass", "FAIL": "fail"}.get(word, "unsure")
    return (f'<div class="banner {css}" id="verdict"><div class="big">{word}</div>'
            f'<div><div>{headline}</div><div class="counts">{counts}</div></div></div>'
            f'<div class="facts">{"".join(facts_line)}</div>')


def _headline_word(verdict: Verdict) -> str:
    if not verdict.passed:
        return "FAIL"
    return "NOT WHOLLY JUDGED" if verdict.unsure_musts() else "PASS"


def _housekeeping(facts: RunFacts) -> str:
    """A live run's account of what it created on the target (RUN-2), as the terminal printed it."""
    if not facts.housekeeping:
        return ""
    return ("<h2>What the run created on the target</h2><p class=muted>A live run deletes the companies and "
            "subscriptions it created when it ends; a target without the optional delete calls still conforms, "
            "and what was left is listed.</p><pre>" + "\n".join(_text(line) for line in facts.housekeeping)
            + "</pre>")


def _figure(shot: Screenshot) -> str:
    """One screenshot, inside the page: a data: URI is never fetched, so the report stays one offline file."""
    source = "data:image/png;base64," + base64.b64encode(shot.png).decode("ascii")
    where = f'<br><span class="mono muted">{_text(shot.url)}</span>' if shot.url else ""
    return (f'<figure class="shot"><img alt="{_text(shot.caption)}" src="{source}">'
            f"<figcaption>{_text(shot.caption)}{where}</figcaption></figure>")


# A scenario that held shows its first screen and its last ones; one that failed shows every screen.
# (With --merchant-driver browser every scenario walks the flow: all of it would be tens of megabytes.)
SHOWN_WHEN_HELD = 3


def _screenshots(outcome: Outcome, most: int | None = None) -> str:
    shots = [s for s in outcome.screenshots if s.is_png]  # anything else is not an image a browser made
    if not shots:
        return ""
    more = ""
    if most is not None and len(shots) > most:
        left_out = len(shots) - most
        shots = shots[:1] + shots[len(shots) - most + 1:]
        more = (f'<p class="muted">{left_out} screen{"s" if left_out != 1 else ""} between the first and the last '
                f"{most - 1} not shown here (a scenario that fails shows them all)</p>")
    return ('<div class="label">what the merchant saw</div><div class="shots">' + "".join(map(_figure, shots))
            + "</div>" + more)


def _scenario_failure(outcome: Outcome, first: bool) -> str:
    parts = [f'<div class="scenario"><div><span class="label">scenario</span> {_text(outcome.scenario)}</div>']
    if outcome.step:
        parts.append(f'<div><span class="label">failing step</span> <code>{_text(outcome.step)}</code></div>')
    if outcome.saw:
        parts.append(f'<div class="label">what the suite saw</div><pre>{_text(outcome.saw)}</pre>')
    parts.append(_screenshots(outcome))
    if outcome.exchanges:  # open for a rule's first failing scenario; the others' fold away
        parts.append(f'<details{" open" if first else ""}><summary class="label">last requests and answers '
                     "(key masked)</summary>")
        parts.extend(f"<pre>{_text(exchange)}</pre>" for exchange in outcome.exchanges)
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def _not_met(verdict: Verdict) -> str:
    found = sorted(verdict.not_met(), key=lambda pair: verdict.status(pair[0].id) != FAIL)  # failures first
    if not found:
        return "<h2>Rules not met</h2><p class=muted>None: every rule that ran holds.</p>"
    cards = []
    for rule, outcomes in found:
        status = verdict.status(rule.id)
        cards.append(f'<div class="rule {_css_class(status)}" id="rule-{_text(rule.id)}">'
                     f'<h3>{_badge(status)} {_text(rule.id)} <span class="muted">{_text(rule.level)} · '
                     f'{_prose(rule.section)}</span></h3>'
                     f'<div class="sentence">breaks: {_prose(rule.sentence)}</div>'
                     + "".join(_scenario_failure(o, i == 0) for i, o in enumerate(outcomes)) + "</div>")
    return "<h2>Rules not met</h2>" + "".join(cards)


def _evidence(verdict: Verdict) -> str:
    """Screenshots of every scenario not already shown under "Rules not met", once each."""
    rules_of: dict[int, list[str]] = {}
    outcomes: dict[int, Outcome] = {}
    for rule_id, seen in verdict.outcomes.items():
        for outcome in seen:
            if outcome.screenshots and outcome.status not in (FAIL, WARN):
                outcomes.setdefault(id(outcome), outcome)
                rules_of.setdefault(id(outcome), []).append(rule_id)
    cards = []
    for key, outcome in outcomes.items():
        shots = _screenshots(outcome, SHOWN_WHEN_HELD)
        if shots:
            cards.append(f'<div class="evidence"><div>{_badge(outcome.status)} {_text(outcome.scenario)} '
                         f'<span class="muted mono">{_text(" ".join(rules_of[key]))}</span></div>{shots}</div>')
    if not cards:
        return ""
    return ("<h2>What the merchant saw</h2><p class=muted>The merchant's side in a real browser, step by step; "
            "screenshots of rules not met are with them above.</p>" + "".join(cards))


def _rules_table(verdict: Verdict) -> str:
    rows = ['<table><tr><th>rule</th><th>level</th><th>verdict</th><th>scenarios passed</th><th>the rule</th>'
            '<th>note</th></tr>']
    section = None
    for rule in verdict.rules.values():
        if rule.section != section:
            section = rule.section
            rows.append(f'<tr class="section"><td colspan="6">{_prose(section)}</td></tr>')
        rows.append(_rule_row(verdict, rule))
    rows.append("</table>")
    return "<h2>Every rule, as the profile groups them</h2>" + "".join(rows)


def _rule_row(verdict: Verdict, rule: Rule) -> str:
    status = verdict.status(rule.id)
    name = _text(rule.id)
    if status in (FAIL, WARN):
        name = f'<a href="#rule-{name}">{name}</a>'
    return (f'<tr class="{_css_class(status)}" id="row-{_text(rule.id)}"><td class="mono id">{name}</td>'
            f"<td>{_text(rule.level)}</td><td>{_badge(status)}</td>"
            f"<td>{_text(verdict.scenarios_passed(rule.id))}</td><td>{_prose(rule.sentence)}</td>"
            f'<td class="note">{_text(verdict.note(rule.id))}</td></tr>')


def _timeline(verdict: Verdict) -> str:
    runs = sorted(verdict.timeline, key=lambda r: r.start)
    if not runs:
        return ""
    first, last = runs[0].start, max(r.stop for r in runs)
    span = max(last - first, 1e-6)
    rows = ['<table class="timeline"><tr><th>start</th><th>took</th><th>outcome</th><th>scenario</th>'
            "<th>rules</th><th>when, in the run</th></tr>"]
    for run in runs:
        rows.append(_timeline_row(run, first, span))
    rows.append("</table>")
    return (f"<h2>Timeline</h2><p class=muted>{len(runs)} scenarios over {span:.1f} s; "
            "start is seconds after the first scenario began.</p>" + "".join(rows))


def _timeline_row(run: ScenarioRun, first: float, span: float) -> str:
    status = run.status or NA
    left = 100 * (run.start - first) / span
    width = max(100 * run.seconds / span, 0.3)
    return (f"<tr><td class=mono>+{run.start - first:.2f} s</td><td class=mono>{run.seconds:.2f} s</td>"
            f"<td>{_badge(status)}</td><td>{_text(run.scenario)}</td>"
            f'<td class="mono">{_text(" ".join(run.rules))}</td>'
            f'<td class="bar"><div class="track"><span class="{_css_class(status)}" '
            f'style="left:{left:.2f}%;width:{min(width, 100 - left):.2f}%"></span></div></td></tr>')


def render(verdict: Verdict, facts: RunFacts) -> str:
    """The whole page, as one string."""
    title = f"sfc-conformance: {_headline_word(verdict)} ({facts.what})"
    legend = ", ".join(f"{_badge(s)}" for s in STATUSES if s != PASS)
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}</title><style>{_CSS}</style></head><body>",
        "<h1>Sync configuration flow: conformance report</h1>",
        _banner(verdict, facts),
        _rules_table(verdict),
        f"<p class=muted>Besides {_badge(PASS)}: {legend} — a warning is a SHOULD rule not met "
        "(--strict makes it fail); in part: some scenarios the target allows were not judged (the note says "
        "why); not judged: none was; n/a cannot be seen on this target; not run was left out by --tags; "
        "not built: the suite has no scenario for the rule yet.</p>",
        _not_met(verdict),
        _evidence(verdict),
        _timeline(verdict),
        _housekeeping(facts),
        "</body></html>",
        "",
    ])
