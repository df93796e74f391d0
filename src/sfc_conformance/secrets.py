"""Secrets that never print.

The API key and the webhook signing secret are wrapped in :class:`Secret` the
moment they are read, so that a stray ``print``, ``repr`` or log line shows
``Secret('**********')`` rather than the value.  :func:`redact` scrubs a text
of every secret known to the process before it leaves in a report.
"""

from __future__ import annotations

import base64
import threading

_MASK = "**********"
_known: set[str] = set()
_known_lock = threading.Lock()


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if value:
            with _known_lock:
                _known.add(value)
                # The key also travels base64-encoded in the Authorization header.
                _known.add(base64.b64encode(value.encode()).decode())

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    __str__ = __repr__


def redact(text: str) -> str:
    """Replace every known secret (and its base64 form) in ``text``."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if len(value) >= 4:
            text = text.replace(value, _MASK)
    return text
