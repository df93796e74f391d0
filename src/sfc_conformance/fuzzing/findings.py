"""What the fuzz found: each breach once, with the rule it breaks and how to reproduce it.

A finding is a :class:`~.checks.Breach` of one operation, the first request
that showed it kept.  A MUST rule's finding is a failure (``FAIL``); a SHOULD
rule's a warning (``warn``), which fails the run only under ``--strict``, as
the profile says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sfc_conformance.core.profile import RULES
from sfc_conformance.core.secrets import redact

SHOWN_DETAIL = 1200


@dataclass
class Finding:
    rule: str
    operation: str
    title: str
    detail: str
    status: int | None  # None: no answer at all
    answer: str
    reproduction: tuple[str, ...]  # curl commands; the failing request is the last
    times: int = 1

    @property
    def must(self) -> bool:
        return RULES[self.rule].must

    def describe(self) -> str:
        rule = RULES[self.rule]
        lines = [f"{'FAIL' if rule.must else 'warn'} {self.rule} ({rule.level}) {self.operation}: {self.title}",
                 f"  rule:   {rule.sentence}",
                 "  saw:    " + "\n          ".join(line for line in self.detail.splitlines() if line.strip())
                 if self.detail else "",
                 f"  answer: {self.status} {self.answer}" if self.status is not None else "  answer: none",
                 "  reproduce:" if len(self.reproduction) == 1 else
                 f"  reproduce (the failing request last, after the {len(self.reproduction) - 1} that led to it):"]
        lines += [f"    {command}" for command in self.reproduction]
        if self.times > 1:
            lines.append(f"  (seen {self.times} times; shown once)")
        return redact("\n".join(line for line in lines if line))


class Findings:
    """Breaches, each kept once: the first request that showed it, and how often it came back."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str, str, str], Finding] = {}
        self.not_judged: list[str] = []  # requests no verdict could be drawn from, and why

    def add(self, *, rule: str, operation: str, title: str, detail: str, status: int | None, content: bytes,
            reproduction: tuple[str, ...], key: str = "") -> None:
        """``status`` None: the request got no answer at all."""
        if rule not in RULES:
            raise ValueError(f"{rule!r} is no rule of the profile")
        identity = (rule, operation, title, key)
        known = self._found.get(identity)
        if known is not None:
            known.times += 1
            return
        answer = " ".join(content.decode("utf-8", "replace").split())
        self._found[identity] = Finding(
            rule=rule, operation=operation, title=title, status=status,
            detail=redact(_cut(detail.strip())), answer=redact(_cut(answer) or "(no body)"),
            reproduction=tuple(redact(command) for command in reproduction))

    def __iter__(self) -> Iterator[Finding]:
        return iter(sorted(self._found.values(), key=lambda f: (f.rule, f.operation, f.title)))

    def __len__(self) -> int:
        return len(self._found)

    def rules(self) -> list[str]:
        return sorted({finding.rule for finding in self._found.values()})


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_DETAIL else text[:SHOWN_DETAIL] + "…"
