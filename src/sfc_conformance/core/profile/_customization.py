"""Flow customization as the profile words it (CUST-1..3): the flow's texts and the account entries it offers.

    client_id_of(url, "lqai", "gbol")     the partner's client id: the flow URL's segment before its platform keys
    read_texts(body)                      CUST-1: a LocalizationInfo as {key: text}, and what is wrong with it
    text_change_problems(...)             CUST-2: K shows what was stored, every other key as it was
    visibility_problems(readings)         CUST-3: what the GET answered after each POST, judged together

The profile leaves some readings open, and every one is accepted: a text key's
value is ``{"text": ..., "required": ...}`` as the OAS writes it or a bare
string as Codat's docs show it; the visible entries are a set (their order is
the target's).  Which entries are required is the target's to say: the
profile only says they are always offered, so the judgement reads them off
the answers (what ``[]`` leaves), never off a list of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

LOCALES: Final = ("en-us", "fr-fr")  # CUST-1: the locales a target must answer


def client_id_of(flow_url: str, commerce_key: str, accounting_key: str) -> str | None:
    """The partner's client id: the path segment of a flow URL just before its two platform segments
    (Codat: ``https://sync-flow.codat.io/{clientId}/{commerce}/{accounting}/start``); None when the URL has no
    such segments."""
    segments = [unquote(segment) for segment in urlsplit(flow_url).path.split("/")]
    for at in range(1, len(segments) - 1):
        if segments[at:at + 2] == [commerce_key, accounting_key] and segments[at - 1]:
            return segments[at - 1]
    return None


def text_of(value: Any) -> str | None:
    """A text key's text in either reading (``{"text": X, ...}`` or ``X``); None when it is neither."""
    if isinstance(value, dict):
        value = value.get("text")
    return value if isinstance(value, str) else None


def is_text_entry(value: Any) -> bool:
    """A member of a ``LocalizationInfo`` that is a text key's: a text, or an object with a `text`.  Anything else
    is a field the contract does not know (API-1 allows them), not a key."""
    return isinstance(value, str) or (isinstance(value, dict) and "text" in value)


def read_texts(body: Any) -> tuple[dict[str, str], list[str]]:
    """CUST-1: the texts of a ``LocalizationInfo`` by key, and what keeps it from being one."""
    if not isinstance(body, dict):
        return {}, [f"the answer is not an object of text keys: {str(body)[:200]}"]
    entries = {key: value for key, value in body.items() if is_text_entry(value)}
    if not entries:
        return {}, ["the answer holds no text key at all"]
    texts: dict[str, str] = {}
    problems = []
    for key, value in entries.items():
        text = text_of(value)
        required = value.get("required") if isinstance(value, dict) else None
        if text is None:
            problems.append(f"{key!r} is {str(value)[:120]}, neither a text nor {{\"text\": ..., \"required\": ...}}")
        elif required is not None and not isinstance(required, bool):
            problems.append(f"{key!r}'s `required` is {required!r}, not true or false")
        else:
            texts[key] = text
    return texts, problems[:10]


def changeable_key(body: Any) -> str | None:
    """A key to change: the first one the target does not mark required (an empty text suits it), else the
    first one."""
    entries = {key: value for key, value in body.items() if is_text_entry(value)} if isinstance(body, dict) else {}
    if not entries:
        return None
    optional = [str(k) for k, v in entries.items() if isinstance(v, dict) and v.get("required") is False]
    return optional[0] if optional else str(next(iter(entries)))


def text_change_problems(before: Mapping[str, str], after: Mapping[str, str], key: str,
                         shown: str | None) -> list[str]:
    """CUST-2: after a change of ``key``, it shows ``shown`` (None: anything) and every other key is unchanged."""
    problems = []
    if key not in after:
        problems.append(f"{key!r} is no longer among the texts")
    elif shown is not None and after[key] != shown:
        problems.append(f"{key!r} shows {after[key][:120]!r}, not {shown[:120]!r}")
    changed = sorted(k for k in before if k != key and after.get(k) != before[k])
    if changed:
        problems.append(f"{len(changed)} other key(s) changed too, e.g. {changed[0]!r}: "
                        f"{before[changed[0]][:80]!r} became {str(after.get(changed[0]))[:80]!r}")
    return problems


def read_visible(body: Any) -> frozenset[str] | None:
    """The entries a ``VisibleAccounts`` answer offers, as a set; None when it is not one."""
    entries = body.get("visibleAccounts") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
        return None
    return frozenset(entries)


@dataclass(frozen=True)
class Visibility:
    """One change of a platform's visible accounts and what the GET answered after it."""

    sent: str  # what was posted, in words: "null", "absent", "[]", "[x]"
    chosen: frozenset[str] | None  # the entries named; None for null or absent
    shown: frozenset[str] | None  # what the GET answered; None when it was not a VisibleAccounts


def visibility_problems(readings: Sequence[Visibility]) -> list[str]:
    """CUST-3, over a sequence of changes of one platform: null and absent show every entry; a list shows what
    it names and every required entry (those ``[]`` leaves), never less and nothing else."""
    problems = [f"after {r.sent} the GET answered no VisibleAccounts" for r in readings if r.shown is None]
    if problems:
        return problems
    every = [r.shown for r in readings if r.chosen is None and r.shown is not None]
    required = [r.shown for r in readings if r.chosen == frozenset() and r.shown is not None]
    if every and any(shown != every[0] for shown in every[1:]):
        problems.append(f"null and absent showed different entries: {[_few(shown) for shown in every]}")
    for reading in readings:
        assert reading.shown is not None
        if reading.chosen is None:
            continue
        missing = reading.chosen - reading.shown
        if missing:
            problems.append(f"after {reading.sent} the entries set are not all shown: {_few(missing)} missing")
        if required:
            hidden = required[0] - reading.shown
            if hidden:
                problems.append(f"after {reading.sent} required entries (those [] leaves) are hidden: {_few(hidden)}")
            extra = reading.shown - reading.chosen - required[0]
            if extra:
                problems.append(f"after {reading.sent} entries neither set nor required are shown: {_few(extra)}"
                                f" (the required ones, as [] showed them: {_few(required[0])})")
        if every:
            beyond = reading.shown - every[0]
            if beyond:
                problems.append(f"after {reading.sent} entries are shown that showing all does not show: "
                                f"{_few(beyond)}")
    return problems


def _few(entries: frozenset[str]) -> str:
    shown = sorted(entries)
    return "[" + ", ".join(shown[:6]) + (f", … {len(shown) - 6} more" if len(shown) > 6 else "") + "]"
