"""Named faults switched on for one run of a sandbox or a reference endpoint.

A catalog maps each fault's name to (the rule it breaks, what it then does).
:class:`FaultSwitches` is the policy the healthy code asks, at the one place
each fault enters it: ``if "otp-reusable" in faults``.  A name the catalog
does not know is refused when the switches are made, and asking about one
raises, so a typo at a call site cannot silently disable a fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping


class FaultSwitches:
    def __init__(self, catalog: Mapping[str, tuple[str, str]], names: Iterable[str] = (), *,
                 kind: str = "fault") -> None:
        names = list(names)
        unknown = [n for n in names if n not in catalog]
        if unknown:
            raise ValueError(f"unknown {kind} {unknown[0]!r}; known: {', '.join(sorted(catalog))}")
        self._catalog = catalog
        self._active = frozenset(names)

    def __contains__(self, name: str) -> bool:
        if name not in self._catalog:
            raise KeyError(name)
        return name in self._active

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._active))
