"""What a sequence did, step by step, and how a broken rule is shown: numbered steps, masked ``curl`` lines.

Each step is one protocol call the model chose (and the reads it made to
check it), described in words.  The answers are kept as sent and turned into
:class:`~sfc_conformance.core.client.Exchange` lines (secrets masked) only
when a failure is shown.  A step that sent a credential that is not the key
shows what it was in words, never the header: a key with one character
changed is still most of the key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import httpx

from sfc_conformance.core.http import Exchange, exchange_of
from sfc_conformance.core.profile import RULES
from sfc_conformance.core.secrets import redact

SHOWN_ANSWER = 300
SHOWN_REQUEST = 400  # a posted configuration is some kilobytes: the curl line shows its start


@dataclass
class Step:
    number: int  # 0: the sequence's opening read
    text: str
    answers: list[tuple[httpx.Response, str | None]] = field(default_factory=list)  # (answer, credential shown)

    def lines(self) -> list[str]:
        shown = [f"{self.number}. {redact(self.text)}"]
        for answer, credential in self.answers:
            exchange = exchange_of(answer)
            if credential is not None:
                exchange = _with_credential(exchange, credential)
            if len(exchange.request_body) > SHOWN_REQUEST:
                exchange = dataclasses.replace(exchange, request_body=exchange.request_body[:SHOWN_REQUEST] + "…")
            shown.append(f"   {exchange.as_curl()}")
            body = " ".join(exchange.response_body.split())
            cut = body if len(body) <= SHOWN_ANSWER else body[:SHOWN_ANSWER] + "…"
            shown.append(f"   → {exchange.status} {cut}".rstrip())
        return shown


def _with_credential(exchange: Exchange, credential: str) -> Exchange:
    """The exchange with its ``Authorization`` shown as words: what was sent instead of the key."""
    headers = {k: v for k, v in exchange.request_headers.items() if k.lower() != "authorization"}
    headers["Authorization"] = f"<{credential}>"
    return dataclasses.replace(exchange, request_headers=headers)


@dataclass
class Transcript:
    steps: list[Step] = field(default_factory=list)

    def begin(self, text: str) -> Step:
        step = Step(len(self.steps), text)
        self.steps.append(step)
        return step

    @property
    def current(self) -> Step:
        return self.steps[-1]

    @property
    def numbered(self) -> int:
        """Steps past the opening one."""
        return max(0, len(self.steps) - 1)


@dataclass(frozen=True)
class ModelFailure:
    """A rule the target broke, the shortest sequence of steps that shows it, and the seed that replays it."""

    rule: str
    saw: str  # what was seen, against what the profile allows
    steps: tuple[tuple[str, ...], ...]  # the steps as shown: each its lines
    seed: int

    @property
    def level(self) -> str:
        rule = RULES.get(self.rule)
        return rule.level if rule else "MUST"

    @property
    def sentence(self) -> str:
        rule = RULES.get(self.rule)
        return rule.sentence if rule else ""

    @property
    def length(self) -> int:
        return len(self.steps)

    def shown(self, replayed: bool = True) -> str:
        """The rule, what was seen, and the sequence as numbered steps with their masked curl lines; ``replayed``
        False says the target did not fail the same way when a failing sequence was sent again."""
        lines = [f"{self.rule} ({self.level}) {self.sentence}".rstrip(),
                 f"  saw: {redact(self.saw)}",
                 f"  the shortest sequence found ({self.length - 1} steps after the opening read; seed {self.seed}"
                 + ("" if replayed else "; the target did not fail the same way when a failing sequence was "
                                        "replayed") + "):"]
        for step in self.steps:
            lines += [f"    {line}" for line in step]
        return "\n".join(lines)


def failure_of(rule: str, saw: str, transcript: Transcript, seed: int) -> ModelFailure:
    return ModelFailure(rule, saw, tuple(tuple(step.lines()) for step in transcript.steps), seed)
