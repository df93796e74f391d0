"""The per-rule verdict: what each rule's scenarios showed, as a table and details.

A rule FAILs when any of its scenarios failed (a MUST rule, or a SHOULD rule
under ``--strict``); it is a warning when a SHOULD scenario failed without
``--strict``; it passes when at least one scenario ran and none failed; it is
"n/a" when every scenario was not applicable to the target (with the reason);
"not run" when ``--tags`` left all its scenarios out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..rules import RULES, Rule

PASS, FAIL, WARN, NA, NOT_RUN = "pass", "FAIL", "warn", "n/a", "not run"


@dataclass
class Outcome:
    scenario: str
    status: str  # PASS, FAIL, WARN or NA
    detail: str = ""


@dataclass
class Verdict:
    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def add(self, rule_ids: list[str], outcome: Outcome) -> None:
        for rule_id in rule_ids:
            self.outcomes.setdefault(rule_id, []).append(outcome)

    def status(self, rule_id: str) -> str:
        seen = [o.status for o in self.outcomes.get(rule_id, [])]
        if not seen:
            return NOT_RUN
        for status in (FAIL, WARN):
            if status in seen:
                return status
        return PASS if PASS in seen else NA

    def failed_musts(self) -> list[Rule]:
        return [RULES[r] for r in RULES if self.status(r) == FAIL]

    def table(self) -> list[str]:
        lines = [f"{'rule':<8} {'level':<6} {'verdict':<8} scenarios  note"]
        for rule_id, rule in RULES.items():
            outcomes = self.outcomes.get(rule_id, [])
            status = self.status(rule_id)
            counted = f"{sum(o.status == PASS for o in outcomes)}/{len(outcomes)}"
            note = "; ".join(self.notes.get(rule_id, []))
            if status == NA:
                note = "; ".join(dict.fromkeys(o.detail for o in outcomes if o.detail)) or note
            lines.append(f"{rule_id:<8} {rule.level:<6} {status:<8} {counted:<10} {note}".rstrip())
        return lines

    def failures(self) -> list[str]:
        """For every failed or warned rule: the sentence it breaks, and what each failing scenario saw."""
        lines: list[str] = []
        for rule_id, rule in RULES.items():
            bad = [o for o in self.outcomes.get(rule_id, []) if o.status in (FAIL, WARN)]
            if not bad:
                continue
            lines.append(f"{rule_id} {rule.level} ({rule.section}) — {self.status(rule_id)}")
            lines.append(f"  breaks: {rule.sentence}")
            for outcome in bad:
                lines.append(f"  scenario: {outcome.scenario}")
                lines.extend(f"    {line}" for line in outcome.detail.splitlines())
        return lines

    def summary(self) -> str:
        counts = {s: sum(self.status(r) == s for r in RULES) for s in (PASS, FAIL, WARN, NA, NOT_RUN)}
        return ", ".join(f"{n} {s}" for s, n in counts.items() if n)
