"""What the run noticed about a rule, beside its verdict: how it was seen, what the target sent that is allowed.

    rule_notes.note("READY-3", "the target sends `enable`")

The verdict table shows each rule's notes in its note column, in the order noted, each once.
"""

from __future__ import annotations


def shortened(items: list[str], shown: int = 4) -> str:
    """A list for a note: the first few, and how many more."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


class RuleNotes:
    """The run's notes, by rule id."""

    def __init__(self) -> None:
        self.by_rule: dict[str, list[str]] = {}

    def note(self, rule: str, text: str) -> None:
        if text not in self.by_rule.setdefault(rule, []):
            self.by_rule[rule].append(text)
