"""Calls on the partner's companies: create, read (READY-1, READY-2), list (API-4), delete (optional)."""

from __future__ import annotations

from typing import Any, Final

from hypothesis import strategies as st

from sfc_conformance.model import allowed, values
from sfc_conformance.model.calls import Calls, choose, new_id, pick
from sfc_conformance.model.holdings import COMPANIES, ModelCompany
from sfc_conformance.model.judging import Answer, Halt, pages_for, short

MALFORMED_IDS: Final = ("not-a-company", "1234", "00000000-0000-0000-0000", "ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ")
LIST_MODES: Final = ["walk", "one page", "page 0 or less", "pageSize over 5000", "pageSize 5000", "past the last page",
                     "pageSize 0", "no paging"]


def statuses_of(items: list[dict[str, Any]]) -> str:
    return ", ".join(sorted(f"{short(str(i.get('id')))} {i.get('status')}" for i in items)) or "none"


class CompanyCalls(Calls):
    def create_company(self, data: st.DataObject, kind: str | None = None) -> None:
        label = self.model.next_label()
        name = self.run.run_id.company_name(f"model {label}")
        kind = kind or choose(data, ["valid"] * 5 + ["outside the pattern"])
        if kind == "outside the pattern":
            odd = choose(data, list(values.OUTSIDE_NAME_PATTERN))
            name += f" {odd}x"
            self.say(f"create company {label}, its name with {odd!r} (outside the OAS pattern)")
        else:
            self.say(f"create company {label}")
        self.reached(None, "create company")
        answer = self.send("POST", "/companies", json_body={"name": name}, keep=self.made(self.made_companies, name))
        if not answer.ok and kind == "valid":
            self.run.stop(f"the target did not create a company ({answer.line()} answered {answer.status}): "
                              "the model cannot go on")
            raise Halt
        if not answer.ok:
            return
        body = answer.json
        self.judged("READY-2")
        if body.get("name") != name:
            self.broke("READY-2", f"{answer.line()} answered a company named {body.get('name')!r}, not {name!r}")
        keys = self.run.accounting_keys
        company = ModelCompany(label, str(body["id"]), name, keys[len(self.model.companies) % len(keys)], self.step)
        self.model.companies.append(company)
        self.blame_account(COMPANIES, "API-4", f"company {label} was created")

    def read_company(self, data: st.DataObject, company: ModelCompany | None = None) -> None:
        kind = "ours" if company else choose(data, ["ours"] * 4 + ["unknown id", "malformed id"])
        ident = company.id if company else ""
        if company is None:
            company, ident = self.target(data, unknown=False) if kind == "ours" else (None, new_id(data))
        if kind == "malformed id":
            ident = choose(data, list(MALFORMED_IDS))
        elif company is None:
            kind = "unknown id"
        times = 1 + int(data.draw(st.booleans()))
        self.say(f"read {'company ' + company.label if company else 'the ' + kind + ' ' + ident}"
                 + (" twice" if times == 2 else ""))
        self.reached(company, "read company")
        for _ in range(times):
            answer = self.send("GET", f"/companies/{ident}")
            if company is None:
                self.expect(answer, allowed.UNKNOWN_COMPANY if kind == "unknown id" else allowed.MALFORMED_COMPANY,
                            "reading a company that does not exist")
            elif company.deleted:
                self.expect(answer, allowed.GONE_COMPANY, f"reading company {company.label}, deleted")
            else:
                self.expect(answer, allowed.READ_COMPANY, f"reading company {company.label}")
                self.judge_company(company, answer)

    def judge_company(self, company: ModelCompany, answer: Answer) -> None:
        """READY-2: the company itself; READY-1: its dataConnections agree with its connections list."""
        body = answer.json
        if body.get("id") != company.id or body.get("name") != company.name:
            self.broke("READY-2", f"{answer.line()} answered company {body.get('id')!r} named {body.get('name')!r}, "
                                  f"not {company.label}")
        shown = [c for c in body.get("dataConnections") or [] if isinstance(c, dict)]
        unsettled = any(c.status is None for c in company.connections.values())
        where = f"company {company.label}'s dataConnections"
        if self.connection_difference(company, shown, complete=True, where=where) is None and not unsettled:
            self.match_connections(company, shown, complete=True, where=where)
            return
        # The company's view differs from the model, or settles what the profile left open: the list tells which
        # is wrong.  If the list agrees with the model, the company disagrees with the list (READY-1).
        listed = self.read_connections(company)
        self.judged("READY-1")
        if statuses_of(listed) != statuses_of(shown):
            self.broke("READY-1", f"{where} ({statuses_of(shown)}) disagree with its connections list "
                                  f"({statuses_of(listed)})")

    def list_companies(self, data: st.DataObject) -> None:
        mode = choose(data, LIST_MODES)
        total = self.model.others + len(self.model.listed_companies())
        self.reached(None, f"list companies ({mode})")
        if mode == "walk":
            size = pages_for(total, int(data.draw(st.integers(1, 3))))
            self.say(f"list every company, {size} a page")
            self.match_companies(self.walk("/companies", size, "listing the companies"), complete=True, total=total)
        elif mode == "one page":
            page, size = int(data.draw(st.integers(1, 3))), int(data.draw(st.integers(1, 3)))
            self.say(f"list companies, page {page} of {size}")
            answer = self.send("GET", "/companies", params={"page": page, "pageSize": size})
            self.expect(answer, allowed.page(page, size, total), "listing the companies")
            if answer.ok:
                self.match_companies(answer.json.get("results") or [], complete=False, total=total)
                self.check_page(answer, page, size, total)
        elif mode in ("page 0 or less", "pageSize over 5000"):
            params = ({"page": data.draw(values.BAD_PAGES), "pageSize": 10} if mode == "page 0 or less"
                      else {"page": 1, "pageSize": data.draw(values.BAD_PAGE_SIZES)})
            self.say(f"list companies with page {params['page']}, pageSize {params['pageSize']}")
            self.expect(self.send("GET", "/companies", params=params), allowed.BAD_PAGING, "listing the companies")
        elif mode == "pageSize 5000":
            self.say("list companies, 5000 a page (the bound)")
            answer = self.send("GET", "/companies", params={"page": 1, "pageSize": 5000})
            self.expect(answer, allowed.LIST, "listing the companies")
            self.match_companies(answer.json.get("results") or [], complete=total <= 5000, total=total)
            self.check_page(answer, 1, 5000, total)
        elif mode == "past the last page":
            size = int(data.draw(st.integers(1, 3)))
            page = -(-total // size) + 1 + int(data.draw(st.integers(0, 1)))
            self.say(f"list companies, page {page} of {size}: past the last")
            answer = self.send("GET", "/companies", params={"page": page, "pageSize": size})
            self.expect(answer, allowed.PAST_THE_END, "listing the companies past the last page")
            if answer.ok:
                self.check_page(answer, page, size, total)
        elif mode == "pageSize 0":
            self.say("list companies, pageSize 0")
            self.expect(self.send("GET", "/companies", params={"page": 1, "pageSize": 0}), allowed.PAGE_SIZE_ZERO,
                        "listing the companies, pageSize 0")
        else:
            self.say("list companies without page or pageSize")
            answer = self.send("GET", "/companies")
            self.expect(answer, allowed.LIST, "listing the companies")
            self.match_companies(answer.json.get("results") or [], complete=False, total=total)
            self.check_page(answer, None, None, total)

    def match_companies(self, items: list[Any], *, complete: bool, total: int) -> None:
        """The run's companies on the account's list: each not deleted once (when the list is whole), none deleted;
        the whole list as long as the account (API-4, or the rule of the call that changed it)."""
        blame = self.model.blamed(COMPANIES, "API-4")
        after = f"(step {blame.step}: {blame.what})"
        ids = [item.get("id") for item in items if isinstance(item, dict)]
        for company in self.model.companies:
            listed = ids.count(company.id)
            if company.deleted and listed:  # whatever came since, the deletion is what keeps it off the list
                self.broke("API-4", f"GET /companies lists company {company.label}, which was deleted")
            if complete and not company.deleted and listed != 1:
                self.broke(blame.rule, f"GET /companies lists company {company.label} {listed} times, not once "
                                       f"{after}")
        if complete and len(ids) != total:
            self.broke(blame.rule, f"GET /companies lists {len(ids)} companies; the account holds {total} "
                                   f"({self.model.others} before the sequence, {total - self.model.others} of its own) "
                                   f"{after}")

    def delete_company(self, data: st.DataObject, company: ModelCompany | None = None,
                       read_back: bool | None = None) -> None:
        company = company or pick(data, self.model.alive())
        self.say(f"delete company {company.label} (optional call)")
        self.reached(company, "delete company")
        answer = self.send("DELETE", f"/companies/{company.id}")
        self.expect(answer, allowed.OPTIONAL_DELETE, f"deleting company {company.label}")
        if answer.ok:
            company.deleted = True
            self.model.company_delete_offered = True
            self.blame_account(COMPANIES, "API-4", f"company {company.label} was deleted")
            if read_back if read_back is not None else data.draw(st.booleans()):  # as a partner checks a deletion
                self.expect(self.send("GET", f"/companies/{company.id}"), allowed.GONE_COMPANY,
                            f"reading company {company.label} just after its deletion")
            return
        check = self.send("GET", f"/companies/{company.id}")
        if check.status == 404:
            company.deleted = True  # gone, though the delete said otherwise
            self.blame_account(COMPANIES, "API-4", f"company {company.label} was deleted")
        else:
            self.expect(check, allowed.READ_COMPANY, f"reading company {company.label}, not deleted")
            self.model.company_delete_offered = False
