"""Codat's ``query`` and ``orderBy`` parameters, as a list takes them (the integrations list: INT-1).

A query is a condition ``property operator value`` (``name=Xero``,
``sourceType!=Commerce``, ``name~book``), conditions joined by ``&&`` and
``||`` (``&&`` binds tighter), grouped with ``{ }``.  Operators: ``=``, ``!=``,
``>``, ``>=``, ``<``, ``<=`` and ``~`` (contains).  Text compares without
regard to case; a boolean property takes ``true`` or ``false``; ``null``
matches a property that has no value.  ``orderBy`` names properties separated
by commas, each descending when it starts with ``-``.

A query or order the sandbox cannot read is refused with 400, as Codat words
it: "Error parsing query - Malformed query." or "... Could not resolve
property X on Y".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sfc_conformance.sandbox.errors import ApiError
from sfc_conformance.sandbox.records import MAX_TEXT

T = TypeVar("T")
Fields = Mapping[str, Any]

_NAME = re.compile(r"\s*([A-Za-z][A-Za-z0-9]*)\s*")
_OPERATOR = re.compile(r"(!=|>=|<=|=|>|<|~)")
_VALUE_END = re.compile(r"&&|\|\||}")


def malformed(detail: str = "Malformed query.") -> ApiError:
    return ApiError(400, f"Error parsing query - {detail}", service="ClientsApi")


@dataclass(frozen=True)
class Condition:
    name: str
    operator: str
    value: str

    def holds(self, fields: Fields) -> bool:
        have = fields[self.name]
        if self.value.lower() == "null" and self.operator in ("=", "!="):
            return (have is None) is (self.operator == "=")
        if have is None:
            return False
        if isinstance(have, bool):
            return self._boolean(have)
        mine, theirs = str(have).lower(), self.value.lower()
        return {
            "=": mine == theirs, "!=": mine != theirs, "~": theirs in mine,
            ">": mine > theirs, ">=": mine >= theirs, "<": mine < theirs, "<=": mine <= theirs,
        }[self.operator]

    def _boolean(self, have: bool) -> bool:
        if self.value.lower() not in ("true", "false") or self.operator not in ("=", "!="):
            raise malformed(f"`{self.name}` is true or false and takes only = or !=.")
        return (have is (self.value.lower() == "true")) is (self.operator == "=")


@dataclass(frozen=True)
class Either:
    options: tuple[Query, ...]

    def holds(self, fields: Fields) -> bool:
        return any(option.holds(fields) for option in self.options)


@dataclass(frozen=True)
class Both:
    parts: tuple[Query, ...]

    def holds(self, fields: Fields) -> bool:
        return all(part.holds(fields) for part in self.parts)


Query = Condition | Either | Both


class _Parser:
    def __init__(self, text: str, names: Mapping[str, str], kind: str) -> None:
        self.text, self.at, self.names, self.kind = text, 0, names, kind

    def parse(self) -> Query:
        query = self._either()
        if self.text[self.at:].strip():
            raise malformed()
        return query

    def _either(self) -> Query:
        options = [self._both()]
        while self._take("||"):
            options.append(self._both())
        return options[0] if len(options) == 1 else Either(tuple(options))

    def _both(self) -> Query:
        parts = [self._atom()]
        while self._take("&&"):
            parts.append(self._atom())
        return parts[0] if len(parts) == 1 else Both(tuple(parts))

    def _atom(self) -> Query:
        if self._take("{"):
            inner = self._either()
            if not self._take("}"):
                raise malformed()
            return inner
        name = _NAME.match(self.text, self.at)
        if name is None:
            raise malformed()
        self.at = name.end()
        operator = _OPERATOR.match(self.text, self.at)
        if operator is None:
            raise malformed()
        self.at = operator.end()
        end = _VALUE_END.search(self.text, self.at)
        stop = end.start() if end else len(self.text)
        value = self.text[self.at:stop].strip()
        self.at = stop
        if not value:
            raise malformed()
        return Condition(resolve(name.group(1), self.names, self.kind), operator.group(1), value)

    def _take(self, token: str) -> bool:
        rest = self.text[self.at:]
        stripped = rest.lstrip()
        if stripped.startswith(token):
            self.at += len(rest) - len(stripped) + len(token)
            return True
        return False


def resolve(name: str, names: Mapping[str, str], kind: str) -> str:
    """The property ``name`` stands for (its case aside); 400 when ``kind`` has none of that name."""
    found = names.get(name.lower())
    if found is None:
        raise malformed(f"Could not resolve property {name[:64]} on {kind}")
    return found


def select(items: Sequence[T], fields: Callable[[T], Fields], query: str | None, order_by: str | None,
           kind: str, properties: Sequence[str]) -> list[T]:
    """The ``items`` the query keeps, in the order asked for (as given when none is)."""
    if (query and len(query) > MAX_TEXT) or (order_by and len(order_by) > MAX_TEXT):
        raise malformed("The query is too long.")
    names = {name.lower(): name for name in properties}
    chosen = list(items)
    if query is not None and query.strip():
        condition = _Parser(query, names, kind).parse()
        chosen = [item for item in chosen if condition.holds(fields(item))]
    if order_by is not None and order_by.strip():
        # Stable sorts, the last key first: the first key named decides, the next breaks its ties...
        for term in reversed([term.strip() for term in order_by.split(",")]):
            descending = term.startswith("-")
            name = resolve(term.removeprefix("-").strip() or "(none)", names, kind)
            present = [item for item in chosen if fields(item)[name] is not None]
            absent = [item for item in chosen if fields(item)[name] is None]
            present.sort(key=lambda item: _sort_key(fields(item)[name]), reverse=descending)
            chosen = present + absent  # no value: last, either way
    return chosen


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool | int | float):
        return (0, value)
    return (1, str(value).lower())
