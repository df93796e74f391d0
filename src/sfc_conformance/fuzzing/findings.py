"""What the fuzz found: each failure once, with the rule it breaks and how to reproduce it.

Schemathesis' checks name what went wrong in schemathesis' terms ("Server
error", "Response violates schema"); :func:`rule_for` names the profile rule
instead, as every report of this project does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData, Failure, MalformedJson, ServerError
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import (
    ContentDeserializationError,
    JsonSchemaError,
    MalformedMediaType,
    MissingContentType,
    UndefinedContentType,
)

from sfc_conformance.core.rules import RULES
from sfc_conformance.core.secrets import redact
from sfc_conformance.fuzzing.checks import BrokenRule
from sfc_conformance.fuzzing.schema import operation_id

SHOWN_DETAIL = 1200

# Negative data accepted where the profile has a rule for that very input; elsewhere API-1.
NEGATIVE_DATA_RULES: dict[tuple[str, ParameterLocation], str] = {
    ("set-configuration", ParameterLocation.BODY): "CONF-5",
    ("list-connections", ParameterLocation.QUERY): "API-4",
    ("get-sync-flow-url", ParameterLocation.PATH): "URL-6",
    ("get-company", ParameterLocation.PATH): "READY-2",
}


def negative_data_rule(operation: str, locations: set[ParameterLocation]) -> str:
    for location in sorted(locations, key=str):
        rule = NEGATIVE_DATA_RULES.get((operation, location))
        if rule:
            return rule
    return "API-1"


def negated_locations(case: Any) -> set[ParameterLocation]:
    meta = case.meta
    if meta is None:
        return set()
    return {location for location, component in meta.components.items() if component.mode.is_negative}


def rule_for(failure: Failure, case: Any, status: int) -> str:
    """The profile rule a schemathesis failure breaks."""
    if isinstance(failure, BrokenRule):
        return failure.rule
    if isinstance(failure, ServerError):
        return "API-5"
    if isinstance(failure, (UndefinedContentType, MalformedMediaType, MissingContentType)):
        return "API-2"
    if isinstance(failure, (JsonSchemaError, MalformedJson, ContentDeserializationError)):
        return "API-3" if status >= 400 else "API-1"
    if isinstance(failure, AcceptedNegativeData):
        return negative_data_rule(operation_id(case.operation), negated_locations(case))
    return "API-1"  # a status the contract does not list (UndefinedStatusCode), or any other breach of it


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

    def describe(self) -> str:
        rule = RULES[self.rule]
        lines = [f"FAIL {self.rule} ({rule.level}) {self.operation}: {self.title}",
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
    """Failures, each kept once: the first request that showed it, and how often it came back."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str, str, str], Finding] = {}

    def add(self, *, rule: str, operation: str, title: str, detail: str, response: schemathesis.Response | None,
            reproduction: tuple[str, ...], key: str = "") -> None:
        """``response`` None: the request got no answer at all."""
        identity = (rule, operation, title, key)
        known = self._found.get(identity)
        if known is not None:
            known.times += 1
            return
        answer = " ".join(response.content.decode("utf-8", "replace").split()) if response is not None else ""
        self._found[identity] = Finding(
            rule=rule, operation=operation, title=title, status=response.status_code if response else None,
            detail=redact(_cut(detail.strip())), answer=redact(_cut(answer) or "(no body)"),
            reproduction=tuple(redact(command) for command in reproduction))

    def add_failure(self, failure: Failure, case: Any, response: schemathesis.Response,
                    reproduction: tuple[str, ...]) -> None:
        self.add(rule=rule_for(failure, case, response.status_code), operation=case.operation.label,
                 title=failure.title, detail=failure.message, response=response, reproduction=reproduction,
                 # Ours are one finding per rule, operation and title; schemathesis' own key tells
                 # apart e.g. two different 5xx statuses of one operation.
                 key="" if isinstance(failure, BrokenRule) else failure._unique_key)

    def __iter__(self) -> Iterator[Finding]:
        return iter(sorted(self._found.values(), key=lambda f: (f.rule, f.operation, f.title)))

    def __len__(self) -> int:
        return len(self._found)

    def rules(self) -> list[str]:
        return sorted({finding.rule for finding in self._found.values()})


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_DETAIL else text[:SHOWN_DETAIL] + "…"
