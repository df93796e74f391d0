"""The values the model draws: every value a choice allows, bounds included, each kind of invalid one,
and every credential that is not the API key, however close to it.

Valid values come from what the target offers (an option's index into its own
list) or from the profile's bounds (``syncHour`` 0–23, IANA time zones,
ISO 8601 start dates); invalid ones are drawn and then checked against what the
target offers, so a target that happens to offer "Weekly" is never told that
"Weekly" is invalid.
"""

from __future__ import annotations

import base64
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from hypothesis import strategies as st

# -- the schedule (CONF-3, CONF-5, CONF-6) ----------------------------------------------------------
# Every hour, the bounds more often.  Hypothesis repeats values it drew before (it builds examples from earlier
# ones), so an hour is the sum of two draws: spread across the day, still 0 when both shrink to 0.
SYNC_HOURS: Final = st.one_of(st.tuples(st.integers(0, 23), st.integers(0, 23)).map(lambda t: (t[0] + t[1]) % 24),
                              st.sampled_from([23, 0]))
BAD_SYNC_HOURS: Final = st.sampled_from([24, -1, 25, 48, 99, -23, 2**31])
# Long-standing IANA zones, the awkward ones among them: +14, -12, quarter- and half-hour offsets, DST edges.
TIME_ZONES: Final = ("Etc/UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu",
                     "Australia/Lord_Howe", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Etc/GMT+12",
                     "Pacific/Chatham", "America/St_Johns", "Asia/Tokyo", "Europe/Berlin", "America/Los_Angeles",
                     "Africa/Casablanca", "America/Sao_Paulo", "Australia/Sydney")
BAD_TIME_ZONES: Final = st.sampled_from(["Mars/Olympus_Mons", "Europe/Atlantis", "UTC+25", "Not a zone",
                                         "GMT+99:00", "Europe/Londonn"])
BAD_FREQUENCIES: Final = ("Weekly", "Hourly", "Yearly", "Fortnightly", "daily", "DAILY")
BAD_INVOICE_STATUSES: Final = ("Voided", "Authorised", "paid", "PAID", "Unknown", "Deleted")
BAD_GROUPING_PERIODS: Final = ("Hourly", "Yearly", "Fortnightly", "daily", "Quarterly")
_OFFSETS: Final = (timedelta(0), timedelta(hours=5, minutes=30), timedelta(hours=-8), timedelta(hours=14),
                   timedelta(hours=-12), timedelta(hours=5, minutes=45))


@st.composite
def start_dates(draw: st.DrawFn) -> str:
    """An ISO 8601 date-time with an offset, whole seconds: the year's edges, a leap day, any moment between."""
    moment = draw(st.one_of(
        st.sampled_from([datetime(2024, 2, 29, tzinfo=UTC), datetime(2030, 12, 31, 23, 59, 59, tzinfo=UTC),
                         datetime(2001, 1, 1, tzinfo=UTC)]),
        st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30),
                     timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0))))
    offset = draw(st.sampled_from(_OFFSETS))
    local = moment.astimezone(timezone(offset))
    text = local.isoformat()
    return text.replace("+00:00", "Z") if offset == timedelta(0) and draw(st.booleans()) else text


START_DATES: Final = start_dates()


def not_among(candidates: tuple[str, ...], offered: list[str]) -> list[str]:
    """The candidates the target does not offer: the invalid values of a choice, for this target."""
    return [c for c in candidates if c not in offered] or ["sfc-not-an-option"]


# -- the start call (URL-4, URL-5, URL-6) ------------------------------------------------------------
_PATH_TEXT: Final = st.text(alphabet=string.ascii_letters + string.digits + "-._~é日 &=+%#/?", min_size=0, max_size=12)


# Redirects that come back whole only from a target that encodes and decodes them right.
AWKWARD_REDIRECTS: Final = ("https://partner.example/a b+c%20d", "https://partner.example/done?merchant=a&b=c#top",
                            "https://bücher.example/zurück?straße=1", "https://partner.example/日本語/完了",
                            "app.codat.io", "https://partner.example/?next=https%3A%2F%2Fother.example%2F")


@st.composite
def redirect_urls(draw: st.DrawFn) -> str:
    """A redirect URL the profile says comes back whole (URL-4): absolute, or a bare host as the seed's example."""
    if not draw(st.booleans()):
        return str(draw(st.sampled_from(AWKWARD_REDIRECTS)))
    host = draw(st.sampled_from(["https://partner.example", "http://localhost:8080", "https://xn--bcher-kva.example",
                                 "app.codat.io"]))
    return f"{host}/{draw(_PATH_TEXT)}"


REDIRECT_URLS: Final = redirect_urls()
UNSAFE_REDIRECTS: Final = st.sampled_from(["javascript:alert(1)", "JavaScript:alert(document.domain)",
                                           "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
                                           " javascript:alert(1)", "DATA:text/plain,hi"])
UNKNOWN_KEY: Final = "zzzz"  # four lower-case letters no platform has
MALFORMED_KEYS: Final = ("LQAI", "lqa", "lqaii", "lq4i", "l-ai", "1234")

# -- paging (API-4) ---------------------------------------------------------------------------------------
BAD_PAGES: Final = st.sampled_from([0, -1, -100])
BAD_PAGE_SIZES: Final = st.sampled_from([5001, 10000])


# -- company names (the OAS pattern) ------------------------------------------------------------------
OUTSIDE_NAME_PATTERN: Final = ("_", ":", "/", "#")


# -- credentials (KEY-1) -------------------------------------------------------------------------------
@dataclass(frozen=True)
class NearMiss:
    """An ``Authorization`` header that is not the key: ``header`` None sends none.  Its repr never shows it."""

    kind: str  # what it is, in words: shown in a failure instead of the header
    header: str | None

    def __repr__(self) -> str:
        return f"NearMiss({self.kind!r})"


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode("utf-8")).decode()


_CHANGE: Final = string.ascii_letters + string.digits + "-_.~!"


def fixed_near_misses(key: str) -> list[NearMiss]:
    """The credentials that are not ``key`` and need no draw: nothing at all, another scheme, HTTP Basic's
    user:password form, the key not (or twice) encoded, cut by a character, in another case."""
    fixed = [
        NearMiss("no Authorization header", None),
        NearMiss("an empty Authorization header", ""),
        NearMiss("`Basic` and nothing after it", "Basic"),  # no space after it: HTTP allows none at a value's end
        NearMiss("a wrong key", _basic("sfc-conformance-wrong-key")),
        NearMiss("the key as a Bearer token", "Bearer " + key),
        NearMiss("the key's base64 as a Bearer token", "Bearer " + base64.b64encode(key.encode()).decode()),
        NearMiss("the key under another scheme (Token)", "Token " + base64.b64encode(key.encode()).decode()),
        NearMiss("the key as HTTP Basic user:password (user = key, no password)", _basic(key + ":")),
        NearMiss("the key as HTTP Basic user:password (password = key)", _basic("user:" + key)),
        NearMiss("the key twice as HTTP Basic user:password", _basic(f"{key}:{key}")),
        NearMiss("the key not base64-encoded", "Basic " + key),
        NearMiss("the key base64-encoded twice", _basic(base64.b64encode(key.encode()).decode())),
    ]
    if len(key) > 1:
        fixed += [NearMiss("the key without its last character", _basic(key[:-1])),
                  NearMiss("the key without its first character", _basic(key[1:]))]
    for label, other in (("in upper case", key.upper()), ("in lower case", key.lower()),
                         ("with its case swapped", key.swapcase())):
        if other != key:
            fixed.append(NearMiss(f"the key {label}", _basic(other)))
    return fixed


def drawn_near_misses(key: str) -> list[st.SearchStrategy[NearMiss]]:
    """The credentials that are not ``key`` by one character: changed anywhere, or one more at either end."""
    n = len(key)

    @st.composite
    def changed(draw: st.DrawFn) -> NearMiss:
        at = draw(st.integers(0, n - 1))
        other = draw(st.sampled_from([c for c in _CHANGE if c != key[at]]))
        return NearMiss(f"the key with character {at + 1} of {n} changed", _basic(key[:at] + other + key[at + 1:]))

    @st.composite
    def added(draw: st.DrawFn) -> NearMiss:
        extra = draw(st.sampled_from(_CHANGE))
        if draw(st.booleans()):
            return NearMiss("the key with one more character at its end", _basic(key + extra))
        return NearMiss("the key with one more character at its start", _basic(extra + key))

    return [changed(), added()] if n else [added()]


def near_misses(key: str) -> st.SearchStrategy[NearMiss]:
    """Every credential that is not ``key``, however close to it, each kind as likely as another."""
    return st.one_of(*(st.just(miss) for miss in fixed_near_misses(key)), *drawn_near_misses(key))
