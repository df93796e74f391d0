"""What the merchant sees on opening a flow URL, judged as the profile says (OTP rules).

Profile, "What the merchant sees": a flow URL is *refused* when the merchant,
opening it in a browser, meets a 401 — the URL's own document answers 401, or
the flow is a browser app whose document loads (200) and whose own requests
carrying the OTP answer 401 (the page then shows the refusal).  It is *not
refused* (it *opens*) when neither happens and the flow's first screen shows.

The judgement needs no knowledge of the page's markup: the document's status,
the statuses of the page's own requests and whether they carry the OTP, and
whether the page shows anything.  :func:`judge` makes it from what a browser
saw (:mod:`sfc_conformance.merchant.browser` collects that); :func:`plain_open` makes
the weaker one a plain HTTP GET allows, and :func:`plain_http_can_judge` says
when that one is not enough: an expired URL whose document loads just as a
fresh one's does is a browser app, and only a browser sees its 401.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from html.parser import HTMLParser
from urllib.parse import parse_qsl, unquote, unquote_plus, urlsplit

import httpx

from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.core.secrets import redact


class Judgement(StrEnum):
    """What the merchant met on opening a flow URL (profile, "What the merchant sees")."""

    OPENS = "opens"  # the flow's first screen, no 401
    REFUSED = "refused"  # a 401: the document's own, or one of the page's requests with the OTP
    UNDECIDED = "undecided"  # neither: an error page, no answer, an empty page


OPENS, REFUSED, UNDECIDED = Judgement.OPENS, Judgement.REFUSED, Judgement.UNDECIDED


class Judged:
    """What a look at a flow URL concluded: the flow opens, is refused, or neither (undecided, or not judged)."""

    judgement: str | None

    @property
    def opens(self) -> bool:
        return self.judgement == OPENS

    @property
    def refused(self) -> bool:
        return self.judgement == REFUSED

# The browser adds these by itself: a Referer holds the page's own URL, OTP and all,
# on every same-origin request, so it says nothing about what the page sent.
_NOT_SENT_BY_THE_PAGE = {"referer", "origin"}
_TEXT_SHOWN = 300
_DOCUMENT_KEPT = 200_000


def otp_of(url: str) -> str:
    """The ``otp`` query parameter of a flow URL ('' when it has none)."""
    return dict(parse_qsl(urlsplit(url).query)).get("otp", "")


def carries_otp(otp: str, url: str, headers: Mapping[str, str] | None = None, body: bytes | None = None) -> bool:
    """Whether a request carries the OTP: in its URL, a header the page set, or its body.

    The OTP must stand alone as a number (not inside a longer run of digits), in
    the text as sent or percent-decoded.
    """
    if not otp:
        return False
    alone = re.compile(rf"(?<![0-9]){re.escape(otp)}(?![0-9])")

    def found(text: str) -> bool:
        return bool(alone.search(text) or alone.search(unquote_plus(text)))

    if found(url):
        return True
    for name, value in (headers or {}).items():
        if name.lower() not in _NOT_SENT_BY_THE_PAGE and found(value):
            return True
    return bool(body) and found(body.decode("utf-8", "replace"))  # type: ignore[union-attr]


@dataclass(frozen=True)
class PageRequest:
    """One request the page made (the document among them) and what became of it."""

    method: str
    url: str
    kind: str  # the browser's resource type: document, fetch, xhr, script, image...
    status: int | None  # None: no answer (failed, blocked, or still pending when judged)
    carries_otp: bool
    failure: str = ""  # why there was no answer
    navigation: bool = False  # a document request of the page's main frame
    # When it left and when its answer began, in seconds since the epoch (None: not known).  A time-critical
    # open judges when the OTP reached the target by these: it arrived between the two.
    sent_at: float | None = None
    answered_at: float | None = None

    @property
    def shown(self) -> str:
        parts = urlsplit(self.url)
        where = parts.path + (f"?{parts.query}" if parts.query else "")
        answer = str(self.status) if self.status is not None else f"no answer ({self.failure or 'unknown'})"
        return f"{self.method} {unquote(where)[:160]} ({self.kind}) -> {answer}"


def judge(document_status: int | None, requests: Sequence[PageRequest], *, shown: bool,
          failure: str = "") -> tuple[str, str]:
    """(OPENS, REFUSED or UNDECIDED, the reason) from what the browser saw.

    ``document_status`` is the final status of the flow URL's document (after
    redirects); ``requests`` every request of the page; ``shown`` whether the
    page rendered anything visible; ``failure`` why the document never answered.
    """
    if document_status is None:
        return UNDECIDED, f"the flow URL's document never answered ({failure or 'no response'})"
    if document_status == 401:
        return REFUSED, "the flow URL's document answered 401"
    if not 200 <= document_status < 300:
        return UNDECIDED, f"the flow URL's document answered {document_status}: neither 401 nor 2xx"
    with_otp = [r for r in requests if r.carries_otp]
    refusals = [r for r in with_otp if r.status == 401]
    if refusals:
        return REFUSED, (f"the document loaded ({document_status}) and the page's own request carrying the OTP "
                         f"answered 401: {refusals[0].shown}")
    unanswered = [r for r in with_otp if r.status is None]
    if unanswered:
        return UNDECIDED, f"the page's own request carrying the OTP got no answer: {unanswered[0].shown}"
    errors = [r for r in with_otp if r.status is not None and r.status >= 400]
    if errors:
        return UNDECIDED, (f"the page's own request carrying the OTP answered {errors[0].status}, "
                           f"neither 401 nor success: {errors[0].shown}")
    if not shown:
        return UNDECIDED, f"the document answered {document_status} but the page shows nothing"
    sent = len(with_otp) - 1  # the document's own request carries it too
    besides = f"; {sent} more of its requests carried the OTP, none refused" if sent > 0 else ""
    return OPENS, f"the document answered {document_status} and the page shows its first screen{besides}"


@dataclass(frozen=True)
class MerchantView(Judged):
    """A flow URL opened in a real browser: what it answered, what it showed, and the judgement."""

    url: str
    final_url: str
    document_status: int | None
    requests: tuple[PageRequest, ...]
    text: str  # the page's visible text
    screenshot: Screenshot | None  # None when withheld (the page showed a secret) or not taken
    judgement: str  # OPENS, REFUSED or UNDECIDED
    reason: str
    seconds: float
    navigations: tuple[str, ...] = ()  # every URL the page's main frame went to, in order

    def describe(self) -> str:
        """Lines for a report's "saw": the judgement, the document, the requests with the OTP, the text."""
        lines = [f"in a browser: {self.judgement} — {self.reason}",
                 f"document: {self.document_status if self.document_status is not None else 'no answer'}"
                 + (f" at {self.final_url}" if self.final_url != self.url else "")]
        with_otp = [r for r in self.requests if r.carries_otp]
        lines.append(f"requests: {len(self.requests)}, {len(with_otp)} carrying the OTP")
        lines.extend(f"  {r.shown}" for r in with_otp[:8])
        text = " ".join(self.text.split())
        lines.append(f"shows: {text[:_TEXT_SHOWN] + ('…' if len(text) > _TEXT_SHOWN else '') or '(nothing)'}")
        return redact("\n".join(lines))


# -- a plain HTTP GET -------------------------------------------------------------------


class _Document(HTMLParser):
    """The text an HTML document shows without running anything, and whether it runs anything."""

    _HIDDEN = {"script", "style", "noscript", "template", "head", "title"}
    _ACTIVE = {"script", "iframe", "frame", "object", "embed"}

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.scripted = False
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._ACTIVE:
            self.scripted = True
        if tag == "meta" and any(k == "http-equiv" and (v or "").lower() == "refresh" for k, v in attrs):
            self.scripted = True
        if any(k.startswith("on") for k, _ in attrs):  # onload=... runs script too
            self.scripted = True
        if tag in self._HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.text.append(data.strip())


class _Times(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag == "time" and given.get("id") and given.get("datetime"):
            self.found[str(given["id"])] = str(given["datetime"])


def shown_times(document: str) -> dict[str, str]:
    """The ``<time id=... datetime=...>`` elements of a page (the settings page's last and next sync), by id."""
    times = _Times()
    times.feed(document)
    times.close()
    return times.found


@dataclass(frozen=True)
class PlainView(Judged):
    """A flow URL fetched with a plain HTTP GET (redirects followed, no script run)."""

    url: str
    status: int | None
    judgement: str
    reason: str
    content_type: str = ""
    text: str = ""
    scripted: bool = False  # the document runs script (or frames, or a refresh): it may do more than it shows
    redirects: tuple[str, ...] = field(default_factory=tuple)  # "302 -> URL" for each redirect followed
    document: str = ""  # the document as received (the first _DOCUMENT_KEPT characters)


def _plain_judgement(status: int, text: str, scripted: bool) -> tuple[str, str]:
    if status == 401:
        return REFUSED, "the flow URL's document answered 401"
    if not 200 <= status < 300:
        return UNDECIDED, f"the flow URL's document answered {status}: neither 401 nor 2xx"
    if not text:
        if scripted:
            return UNDECIDED, (f"the document answered {status} and shows nothing until its script runs: "
                               "a browser app, which a plain GET cannot judge")
        return UNDECIDED, f"the document answered {status} but shows nothing"
    if scripted:
        return OPENS, (f"the document answered {status} with a first screen; it also runs script, "
                       "whose own requests a plain GET does not see")
    return OPENS, f"the document answered {status} with its first screen"


# What a browser asks for when it opens a page: a flow that answers browsers and API clients differently
# answers this one as it answers the merchant.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def plain_open(url: str, http: httpx.Client | None = None, *, timeout: float = 15.0,
               max_redirects: int = 5) -> PlainView:
    """GET ``url`` as a browser would without running script: no API key, redirects followed."""
    client = http or httpx.Client(timeout=timeout)
    redirects: list[str] = []
    try:
        answer = client.get(url, follow_redirects=False, headers={"Accept": BROWSER_ACCEPT})
        while answer.is_redirect and len(redirects) < max_redirects:
            following = answer.next_request
            if following is None:
                break
            redirects.append(f"{answer.status_code} -> {following.url}")
            answer = client.send(following)
        body = answer.read()
    except httpx.HTTPError as error:
        return PlainView(url, None, UNDECIDED, f"the flow URL got no answer: {error or type(error).__name__}",
                         redirects=tuple(redirects))
    finally:
        if http is None:
            client.close()
    content_type = answer.headers.get("content-type", "")
    parsed = _Document()
    document = body.decode(answer.encoding or "utf-8", "replace")
    if "html" in content_type or body.lstrip()[:1] == b"<":
        parsed.feed(document)
        parsed.close()
        text = " ".join(parsed.text)
    else:
        text = document.strip()
    judgement, reason = _plain_judgement(answer.status_code, text, parsed.scripted)
    return PlainView(url, answer.status_code, judgement, reason, content_type, text[:2000], parsed.scripted,
                     tuple(redirects), document[:_DOCUMENT_KEPT])


@dataclass(frozen=True)
class PlainVerdict:
    """Whether a plain HTTP GET can judge this target's OTP rules, and why."""

    can_judge: bool
    reason: str


def plain_http_can_judge(fresh: PlainView | None, expired: PlainView, *,
                         refused_as: str = "an expired flow URL") -> PlainVerdict:
    """Given the plain GETs of a fresh flow URL and an expired (or tampered) one of the same target.

    A plain GET sees the first kind of refusal only (the document's own 401).
    When the expired URL's document loads just as a fresh one's does and runs
    script, the flow is a browser app: its refusal, if any, is an answer to the
    app's own request, which only a browser sees (profile: the OTP rules are
    then ``n/a`` without a browser, never pass and never FAIL).  ``fresh`` may
    be None when no fresh URL was opened (opening one spends it); ``refused_as``
    names the URL that must be refused, for the reason ("a flow URL with one
    digit of its OTP changed").
    """
    if expired.status is None:
        return PlainVerdict(False, f"{refused_as} got no answer, so nothing shows how the flow refuses: "
                                   f"{expired.reason}")
    if expired.status == 401:
        return PlainVerdict(True, f"{refused_as} answers 401 to its document: a plain GET sees the refusal")
    if not 200 <= expired.status < 300:
        return PlainVerdict(True, f"{refused_as} answers {expired.status} to its document: a browser meets the "
                                  "same document, and it is not the 401 the profile asks for")
    if not expired.scripted:
        return PlainVerdict(True, f"{refused_as} answers {expired.status} to its document, which runs no script: "
                                  "nothing else on the page could refuse it")
    like_fresh = "" if fresh is None else \
        f" just as a fresh one's does ({fresh.status if fresh.status is not None else 'no answer'})"
    return PlainVerdict(False, f"{refused_as} loads its document ({expired.status}){like_fresh} and it runs script: "
                               "the flow is a browser app, whose own requests meet the OTP, and a plain GET cannot "
                               "see them; judging it needs a browser")
