"""Calls on the integrations the target offers (INT-1, INT-2): their list, a page at a time, and their branding.

The list is paged as API-4 says (INT-1 names it, so a paging fault of this list is INT-1's): every page
holds its slice of the whole, ``totalResults`` is the true count, ``next`` exactly when a later page exists,
``page`` < 1 or ``pageSize`` > 5000 refused with 400.  The model does not know the integrations a target offers:
it learns them from the first whole walk of the list (the run's platforms among them), and holds every later
read to them.  A listed key's branding names its logo and button images at absolute URIs; a key no
integration has, well-formed or not, is a 404.
"""

from __future__ import annotations

from typing import Any, Final

from hypothesis import strategies as st

from sfc_conformance.core.profile import branding_problems, integration_problems, page_problems
from sfc_conformance.model import allowed, values
from sfc_conformance.model.calls import Calls, choose, pick
from sfc_conformance.model.judging import MAX_PAGES, Answer, pages_for

PATH: Final = "/config/integrations"
LIST_MODES: Final = ["walk", "one page", "page 0 or less", "pageSize over 5000", "pageSize 5000", "past the last page",
                     "pageSize 0", "no paging"]
BRANDINGS: Final = ["a listed key", "a listed key", "a listed key", "a key no integration has", "a malformed key"]


class IntegrationCalls(Calls):
    def run_keys(self) -> list[str]:
        return [self.run.commerce_key, *self.run.accounting_keys]

    def list_integrations(self, data: st.DataObject, mode: str | None = None) -> None:
        """INT-1, in every way a list is read: walked a page at a time, one page, the bounds, bad paging."""
        mode = mode or choose(data, LIST_MODES)
        self.run.reach.call("account", f"list integrations ({mode})")
        if mode == "walk":
            total = len(self.model.integrations or self.run_keys())
            size = pages_for(total, int(data.draw(st.integers(2, 3))))  # a page holds a part of the list
            self.say(f"list every integration, {size} a page")
            self.walk_integrations(size)
            return
        if self.model.integrations is None and mode in ("one page", "pageSize 5000", "past the last page", "no paging"):
            self.walk_integrations(5000)  # what the target offers, learned first
        known = self.model.integrations or []
        total = len(known)
        if mode in ("page 0 or less", "pageSize over 5000"):
            params = ({"page": data.draw(values.BAD_PAGES), "pageSize": 10} if mode == "page 0 or less"
                      else {"page": 1, "pageSize": data.draw(values.BAD_PAGE_SIZES)})
            self.say(f"list the integrations with page {params['page']}, pageSize {params['pageSize']}")
            self.expect(self.send("GET", PATH, params=params), allowed.INTEGRATIONS_BAD_PAGING,
                        "listing the integrations")
        elif mode == "pageSize 0":
            self.say("list the integrations, pageSize 0")
            self.expect(self.send("GET", PATH, params={"page": 1, "pageSize": 0}),
                        allowed.unsaid("INT-1", "the profile bounds `pageSize` above only"),
                        "listing the integrations, pageSize 0")
        elif mode == "no paging":
            self.say("list the integrations without page or pageSize")
            answer = self.send("GET", PATH)
            self.expect(answer, allowed.INTEGRATIONS, "listing the integrations")
            self.judge_integrations(answer, None, None, total)
        else:
            if mode == "one page":
                page, size = int(data.draw(st.integers(1, 3))), int(data.draw(st.integers(1, 3)))
            elif mode == "pageSize 5000":
                page, size = 1, 5000
            else:
                size = int(data.draw(st.integers(1, 3)))
                page = -(-total // size) + 1 + int(data.draw(st.integers(0, 1)))
            self.say(f"list the integrations, page {page} of {size}" + (": past the last" if mode.startswith("past")
                                                                         else ""))
            answer = self.send("GET", PATH, params={"page": page, "pageSize": size})
            self.expect(answer, allowed.INTEGRATIONS_PAST_THE_END if (page - 1) * size >= total and page > 1
                        else allowed.INTEGRATIONS, "listing the integrations")
            if answer.ok:
                self.judge_integrations(answer, page, size, total)

    def judge_integrations(self, answer: Answer, page: int | None, size: int | None,
                           total: int | None) -> list[dict[str, Any]]:
        """INT-1 on one page: each integration's `key`, `name`, `logoUrl`, `enabled`; paged as API-4 says; the
        integrations the model learned, where it knows them."""
        self.judged("INT-1")
        body = answer.json
        said = body.get("totalResults")
        total = total if total is not None else said if isinstance(said, int) else None
        items = [item for item in body.get("results") or [] if isinstance(item, dict)]
        problems = [problem for item in body.get("results") or [] for problem in integration_problems(item)]
        if page is not None and size is not None and total is not None:
            problems += page_problems(body, page, size, total)
        elif total is not None and said != total:
            problems.append(f"totalResults is {said!r}, not {total}")
        known = self.model.integrations
        if known is not None:
            strangers = sorted(str(item.get("key")) for item in items if item.get("key") not in known)
            if strangers:
                problems.append(f"it lists {', '.join(strangers[:5])}, which the whole list did not hold")
        if problems:
            self.broke("INT-1", f"{answer.line()}" + (f" page {page} of {size}" if page else "") + ": "
                                + "; ".join(problems[:4]))
        return items

    def walk_integrations(self, size: int) -> None:
        """Every page of the list at ``size`` a page: each its slice, no key on two pages, every one on one, the
        run's platforms among them (INT-1)."""
        keys: list[str] = []
        total: int | None = None
        for page in range(1, MAX_PAGES + 1):
            answer = self.send("GET", PATH, params={"page": page, "pageSize": size})
            self.expect(answer, allowed.INTEGRATIONS, "listing the integrations")
            said = answer.json.get("totalResults")
            total = total if total is not None else said if isinstance(said, int) else None
            keys += [str(item.get("key")) for item in self.judge_integrations(answer, page, size, total)]
            links = answer.json.get("_links")
            if not (isinstance(links, dict) and links.get("next")):
                break
        else:
            self.broke("INT-1", f"GET {PATH} still offered a next page after {MAX_PAGES} pages of {size}")
        twice = sorted({key for key in keys if keys.count(key) > 1})
        missing = [key for key in self.run_keys() if key not in keys]
        known = self.model.integrations
        if twice or missing or len(keys) != total or (known is not None and sorted(keys) != sorted(known)):
            self.broke("INT-1", f"GET {PATH} at {size} a page lists {len(keys)} integrations, `totalResults` {total}"
                                + (f"; {', '.join(twice)} on more than one page" if twice else "")
                                + (f"; not the run's {', '.join(missing)}" if missing else "")
                                + (f"; not the {len(known)} listed before" if known is not None
                                   and sorted(keys) != sorted(known) else ""))
        self.model.integrations = keys

    def read_branding(self, data: st.DataObject, kind: str | None = None) -> None:
        """INT-2: a listed key's logo and button images at absolute URIs; an unknown key, well-formed or not, 404."""
        kind = kind or choose(data, BRANDINGS)
        listed = self.model.integrations or self.run_keys()
        if kind == "a listed key":
            key = pick(data, listed)
        elif kind == "a key no integration has":
            key = next(k for k in (values.UNKNOWN_KEY, "zzzy", "qzqz", "xqxq", "zqzq") if k not in listed)
        else:
            key = choose(data, list(values.MALFORMED_KEYS))
        self.say(f"read the branding of {key!r} ({kind})")
        self.run.reach.call("account", f"read a branding ({'listed' if kind == 'a listed key' else 'unknown'})")
        self.run.reach.value("brandings", kind)
        answer = self.send("GET", f"{PATH}/{key}/branding")
        if kind != "a listed key":
            self.expect(answer, allowed.BRANDING_UNKNOWN, f"reading the branding of {kind} {key!r}")
            return
        self.expect(answer, allowed.BRANDING, f"reading the branding of {key!r}")
        self.judged("INT-2")
        problems = branding_problems(answer.body)
        if problems:
            self.broke("INT-2", f"{answer.line()}: " + "; ".join(problems[:4]))
