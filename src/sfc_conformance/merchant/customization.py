"""What the merchant sees of the partner's customization (profile CUST-5): the texts by key, the entries offered.

    shown = customization_shown(tab)                  # the page a BrowserSession (or a FlowWalk's .session) shows
    shown = customization_shown(page)                 # ... or a Playwright Page
    shown = customization_in_html(document, url=url)  # a server-rendered page, without a browser
    shown.texts         {"configure-content-sales-title": "Ventes", ...}   what each text key shows
    shown.entries       ("sales-accounts-sales", "payments-accounts-card", ...)   the account entries offered
    shown.screenshot    a PNG with its caption (a browser only)
    shown.languages     (("en-US", "/…?locale=en-us"), ("fr-FR", …))   the page's language choice

Codat's flow marks every text a partner can customize with ``data-textkey="K"``;
CUST-5 asks that wherever a flow marks a key it shows the stored text of the
flow's locale.  :attr:`CustomizationShown.texts` holds, for each key the page
marks, the text its first such element shows; :attr:`CustomizationShown.marks`
every (key, text) in the order of the page.  A text is read as the merchant
reads it: an element the page does not render (``display: none``, or
``hidden``) shows nothing and is left out, and white space is collapsed
(:func:`as_shown` does the same to a stored text, so the two compare).

An account entry is *offered* when a text key of an entry (Codat's
``configure-content-{section}-{group}-entries-{name}``, which names the entry
``{section}-{group}-{name}``; see :func:`entry_of`) labels a form control: it
sits in a ``<label>`` whose control is there (and, in a browser, rendered and
not disabled).  A flow that marks no text keys gives empty ``texts``:
:attr:`CustomizationShown.marks_text_keys` says so.

The page's language choice is every element carrying ``hreflang`` (the
language it switches to) and its ``href``, as the sandbox's switch and any
plain HTML language menu give it; :attr:`CustomizationShown.onward` is the
screen's link on to the configure screen (``a#review-mapping``, as the
sandbox's settings page has it), for a merchant who is configured already.

A browser reads either flow style.  Without one, :func:`customization_in_html`
reads the document as received, which is enough for server-rendered pages and
shows nothing of a browser app (its script draws the screens: ``scripted``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.merchant.browser import BrowserSession, snapshot_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

_ENTRY_TAX = re.compile(r"configure-content-([A-Za-z]+)-accounts-taxRates-entries-(.+)")
_ENTRY = re.compile(r"configure-content-([A-Za-z]+)-([A-Za-z]+)-entries-(.+)")
CAPTION = "the flow as customized"


def as_shown(text: str) -> str:
    """A text as a page shows it: white space collapsed, none at either end."""
    return " ".join(text.split())


def entry_of(text_key: str) -> str | None:
    """The account entry a text key labels (``configure-content-sales-accounts-entries-gratuity`` ->
    ``sales-accounts-gratuity``, ``configure-content-sales-accounts-taxRates-entries-5`` -> ``sales-taxRates-5``);
    None for a key that labels no entry."""
    tax = _ENTRY_TAX.fullmatch(text_key)
    if tax:
        return f"{tax.group(1)}-taxRates-{tax.group(2)}"
    entry = _ENTRY.fullmatch(text_key)
    return f"{entry.group(1)}-{entry.group(2)}-{entry.group(3)}" if entry else None


@dataclass(frozen=True)
class CustomizationShown:
    """One screen of a flow as the merchant sees the partner's customization on it."""

    marks: tuple[tuple[str, str], ...]  # every (text key, text shown), in the page's order
    entries: tuple[str, ...]  # the account entries the screen offers, in its order
    lang: str = ""  # the document's language tag ("fr-FR"), as the page declares it
    url: str = ""
    screenshot: Screenshot | None = None  # None: read without a browser, or withheld (it would show a secret)
    seen_with: str = "a browser"  # or "the HTML as received"
    scripted: bool = False  # (HTML only) the document runs script: what it draws was not read
    languages: tuple[tuple[str, str], ...] = ()  # the language choice: (hreflang, href) of each, in the page's order
    onward: str = ""  # the address of the screen's link on to the configure screen (a#review-mapping), if any
    chose_language: str = ""  # the language tag chosen in the page's language choice to reach this screen, if any
    texts: dict[str, str] = field(init=False)  # text key -> what its first element shows

    def __post_init__(self) -> None:
        texts: dict[str, str] = {}
        for key, text in self.marks:
            texts.setdefault(key, text)
        object.__setattr__(self, "texts", texts)

    @property
    def marks_text_keys(self) -> bool:
        return bool(self.marks)

    def shown_as(self, key: str) -> tuple[str, ...]:
        """Every text the page shows for ``key`` (a key may be marked more than once)."""
        return tuple(text for marked, text in self.marks if marked == key)

    def describe(self) -> str:
        """Lines for a report: the language, the keys, the entries."""
        lines = [f"seen with {self.seen_with}" + (f" at {self.url}" if self.url else ""),
                 f"language: {self.lang or '(none declared)'}; {len(self.texts)} text keys marked"]
        lines.extend(f"  {key}: {text!r}" for key, text in list(self.texts.items())[:12])
        if len(self.texts) > 12:
            lines.append(f"  … and {len(self.texts) - 12} more")
        lines.append(f"entries offered: {', '.join(self.entries) or '(none)'}")
        if self.chose_language:
            lines.append(f"reached by choosing {self.chose_language} in the page's language choice")
        return "\n".join(lines)


def _offered(labelling_keys: list[str]) -> tuple[str, ...]:
    entries = (entry_of(key) for key in labelling_keys)
    return tuple(dict.fromkeys(entry for entry in entries if entry is not None))


# -- in a browser -----------------------------------------------------------------------------------

_READ_JS = """() => {
  const rendered = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
  const marks = [...document.querySelectorAll("[data-textkey]")].filter(rendered)
    .map((e) => [e.getAttribute("data-textkey"), e.innerText]);
  const labelling = [];
  for (const e of document.querySelectorAll("label [data-textkey], label[data-textkey]")) {
    const label = e.closest("label");
    const control = label && label.control;
    const offers = control && !control.disabled && rendered(control) && rendered(e);
    if (offers) labelling.push(e.getAttribute("data-textkey"));
  }
  const languages = [...document.querySelectorAll("[hreflang]")]
    .map((e) => [e.getAttribute("hreflang") || "", e.getAttribute("href") || ""]);
  const onward = document.querySelector("a#review-mapping");
  return {marks, labelling, lang: document.documentElement.lang || "", languages,
          onward: onward ? onward.href : ""};
}"""


def customization_shown(page: BrowserSession | Page, caption: str = CAPTION) -> CustomizationShown:
    """What the page open in a browser shows of the customization, with a screenshot captioned ``caption``.

    ``page``: a :class:`~sfc_conformance.merchant.browser.BrowserSession` (a flow walk's ``.session``), or a
    Playwright ``Page``.  The page is read as it stands: open the flow URL (and walk to the screen) first.
    """
    if isinstance(page, BrowserSession):
        page.settle()
        seen: dict[str, Any] = page.evaluate(_READ_JS)
        shot, url = page.snapshot(caption), page.page.url
    else:
        page.wait_for_load_state("load")
        seen = page.evaluate(_READ_JS)
        shot, url = snapshot_of(page, caption), page.url
    marks = tuple((str(key), as_shown(str(text))) for key, text in seen["marks"])
    languages = tuple((str(tag), str(href)) for tag, href in seen["languages"])
    return CustomizationShown(marks, _offered([str(key) for key in seen["labelling"]]), str(seen["lang"]), url,
                              shot, languages=languages, onward=str(seen["onward"]))


# -- without one: the HTML as received --------------------------------------------------------------


@dataclass
class _Label:
    depth: int  # where in the open elements it sits
    keys: list[str] = field(default_factory=list)  # the text keys inside it
    has_control: bool = False


class _Reader(HTMLParser):
    """The keyed texts of a document and the keys that label a control, as a browser would render them."""

    _VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                       "wbr"})
    _UNSHOWN = frozenset({"script", "style", "template", "noscript", "head", "title"})
    _CONTROLS = frozenset({"select", "textarea", "input"})
    _ACTIVE = frozenset({"script", "iframe", "frame", "object", "embed"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[tuple[str, str]] = []  # in the order the keyed elements open
        self.labelling: list[str] = []
        self.lang = ""
        self.scripted = False
        self.languages: list[tuple[str, str]] = []  # (hreflang, href) of the language choice
        self.onward = ""
        self._stack: list[tuple[str, bool]] = []  # open elements: (tag, shows nothing)
        self._keyed: list[tuple[int, int, list[str]]] = []  # open keyed elements: (depth, index in marks, text)
        self._labels: list[_Label] = []

    @property
    def _hidden(self) -> bool:
        return any(hidden for _, hidden in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag in self._ACTIVE:
            self.scripted = True
        if tag == "html":
            self.lang = given.get("lang") or ""
        if given.get("hreflang") is not None:
            self.languages.append((given.get("hreflang") or "", given.get("href") or ""))
        if tag == "a" and given.get("id") == "review-mapping":
            self.onward = given.get("href") or ""
        if tag in self._CONTROLS and not self._hidden and given.get("type") != "hidden" and "disabled" not in given:
            for label in self._labels:
                label.has_control = True
        if tag in self._VOID:
            return
        hidden = tag in self._UNSHOWN or "hidden" in given or _display_none(given.get("style") or "")
        self._stack.append((tag, hidden))
        depth = len(self._stack)
        if tag == "label":
            self._labels.append(_Label(depth))
        key = given.get("data-textkey")
        if key is not None and not self._hidden:
            self._keyed.append((depth, len(self.marks), []))
            self.marks.append((key, ""))
            for label in self._labels:
                label.keys.append(key)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self._VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._VOID or not any(open_tag == tag for open_tag, _ in self._stack):
            return  # a stray end tag closes nothing
        while self._stack:  # an end tag closes what is still open inside it, as a browser does
            depth = len(self._stack)
            open_tag, _ = self._stack.pop()
            while self._keyed and self._keyed[-1][0] == depth:
                _, index, text = self._keyed.pop()
                self.marks[index] = (self.marks[index][0], as_shown("".join(text)))
            while self._labels and self._labels[-1].depth == depth:
                label = self._labels.pop()
                if label.has_control:
                    self.labelling.extend(label.keys)
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        for _, _, text in self._keyed:
            text.append(data)

    def close(self) -> None:
        super().close()
        if self._stack:
            self.handle_endtag(self._stack[0][0])


def _display_none(style: str) -> bool:
    return bool(re.search(r"(?:^|;)\s*display\s*:\s*none\b", style, re.IGNORECASE))


def customization_in_html(document: str, *, url: str = "") -> CustomizationShown:
    """What a flow page's HTML shows of the customization, read without running it (no screenshot).

    Enough for a server-rendered page; a browser app's document marks nothing until its script runs
    (``scripted`` is then true and ``marks_text_keys`` false: the app needs a browser).
    """
    reader = _Reader()
    reader.feed(document)
    reader.close()
    return CustomizationShown(tuple(reader.marks), _offered(reader.labelling), reader.lang, url,
                              seen_with="the HTML as received", scripted=reader.scripted,
                              languages=tuple(reader.languages), onward=reader.onward)
