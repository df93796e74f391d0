"""The customized flow as the merchant sees it (CUST-5): the stored texts where the flow marks their keys, the
account entries it offers.

    locale_of_tag("fr-FR")                      the locale a language tag names ("fr-fr"); None for another
    shows_stored(stored, shown)                 a stored text is what the page shows (white space collapsed)
    text_problems(marks, stored, locale)        wherever a key is marked, the stored text of the flow's locale shows
    entry_problems(offered, hidden, required)   a hidden entry is not offered; a required one still is

The profile leaves open how a flow is told its locale; the flow's own
language tag (``<html lang>``) says which one it shows.  A stored text may
name the merchant's platforms as placeholders (``{commercePlatform}``), which
the flow fills in: a placeholder matches whatever the page shows in its place.
Which entries are required is the target's to say (what ``[]`` leaves, CUST-3);
some of them the configure screen may never offer at all, so "a required one
always is" is judged on the required entries the screen offers when nothing
is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from functools import cache

from sfc_conformance.core.profile._customization import LOCALES

_PLACEHOLDER = re.compile(r"\{\{?[A-Za-z][A-Za-z0-9_]*\}\}?")


def locale_of_tag(tag: str) -> str | None:
    """The locale of the profile a language tag names: the same tag in any case, or its language alone
    (``fr`` -> ``fr-fr``) when one locale has that language; None for any other."""
    wanted = tag.strip().lower().replace("_", "-")
    if wanted in LOCALES:
        return wanted
    language = wanted.split("-")[0]
    same = [locale for locale in LOCALES if locale.split("-")[0] == language]
    return same[0] if language and len(same) == 1 else None


def _collapsed(text: str) -> str:
    return " ".join(text.split())


@cache
def _pattern(stored: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(_collapsed(stored))
    return re.compile(r".*?".join(re.escape(part) for part in parts), re.DOTALL)


def shows_stored(stored: str, shown: str) -> bool:
    """Whether a page showing ``shown`` shows the stored text ``stored``: equal once white space is collapsed,
    each placeholder standing for whatever the flow filled in."""
    if _collapsed(stored) == _collapsed(shown):
        return True
    return bool(_PLACEHOLDER.search(stored)) and _pattern(stored).fullmatch(_collapsed(shown)) is not None


def text_problems(marks: Iterable[tuple[str, str]], stored: Mapping[str, str], locale: str) -> list[str]:
    """CUST-5: every (text key, text shown) the page marks whose text is not the stored text of ``locale``.

    A key the stored texts do not hold is not judged here (the caller may note it).
    """
    problems = []
    for key, text in dict.fromkeys(marks):
        if key in stored and not shows_stored(stored[key], text):
            problems.append(f"{key!r} shows {text[:120]!r}, not the text stored for it in {locale}: "
                            f"{_collapsed(stored[key])[:120]!r}")
    return problems


def entry_problems(offered: Collection[str], hidden: str | None, required: Collection[str]) -> list[str]:
    """CUST-5: the entry the partner hid (None: none) is not offered, and every required entry (those the
    screen offered when nothing was hidden) still is."""
    problems = []
    if hidden is not None and hidden in offered:
        problems.append(f"the configure screen offers {hidden!r}, which the partner hid")
    missing = sorted(set(required) - set(offered))
    if missing:
        problems.append(f"the configure screen no longer offers the required entries {missing[:6]}"
                        + (f" (… {len(missing) - 6} more)" if len(missing) > 6 else ""))
    return problems
