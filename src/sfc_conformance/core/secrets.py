"""Secrets that never print.

The API key and the webhook signing secret are wrapped in :class:`Secret` the
moment they are read, so that a stray ``print``, ``repr`` or log line shows
``Secret('**********')`` rather than the value.  :func:`redact` scrubs a text
of every secret known to the process before it leaves in a report.

A secret travels in more shapes than the one it was typed in: base64 inside
``Authorization: Basic``, percent-encoded inside a URL a target echoes back.
:func:`disguises` lists those shapes, and :func:`redact` masks every one.
"""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import quote, quote_plus

_MASK = "**********"
_MIN_LENGTH = 4  # shorter values would mask ordinary words
_known: set[str] = set()
_known_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None


def _percent_forms(value: str) -> set[str]:
    # Encoders differ in what they leave alone (Python's quote, JavaScript's
    # encodeURIComponent, form encoding) and in the case of their hex digits.
    forms = {quote(value, safe=""), quote(value, safe="/"), quote(value, safe="!*'()"), quote_plus(value)}
    return forms | {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), form) for form in forms}


def _base64_forms(value: str) -> set[str]:
    forms: set[str] = set()
    # "key" alone is Codat's Basic scheme; "key:" is the key as a user name with no password.
    for raw in (value.encode(), (value + ":").encode()):
        for encoded in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
            forms |= {encoded, encoded.rstrip("=")}
    return forms


def disguises(value: str) -> set[str]:
    """The shapes ``value`` takes on the wire: as written, base64, and percent-encoded."""
    forms = {value} | _base64_forms(value) | _percent_forms(value)
    if value.startswith("whsec_"):  # a Standard Webhooks secret: the key material follows the prefix
        forms.add(value.removeprefix("whsec_"))
    return {form for form in forms if len(form) >= _MIN_LENGTH}


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        global _pattern
        self._value = value
        if value:
            with _known_lock:
                _known.update(disguises(value))
                _pattern = None

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


def _known_pattern() -> re.Pattern[str] | None:
    global _pattern
    with _known_lock:
        if _pattern is None and _known:
            # Longest first, so that a key inside its own base64 form is not half-masked.
            _pattern = re.compile("|".join(re.escape(v) for v in sorted(_known, key=len, reverse=True)))
        return _pattern


def redact(text: str) -> str:
    """``text`` with every known secret, in every shape it travels in, masked."""
    pattern = _known_pattern()
    return pattern.sub(_MASK, text) if pattern else text
