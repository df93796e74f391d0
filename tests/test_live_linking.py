"""Linking merchants on a real account, and a receiver behind a public URL.

* ``--merchant-driver manual``: the run prints a few links at the start; a simulated person opens each
  (a page on 127.0.0.1 that asks the target for a fresh flow URL) and authorizes through the sandbox's
  flow pages; the run waits until each accounting connection is Linked.
* ``--linked-company ID``: a merchant a person linked and configured beforehand is used, and its
  configuration put back at the end; it is never deleted.
* A target that will not link through the API, or a person who does not link in time: the rules that
  needed a link are ``n/a`` with the reason, never FAIL.
* ``--receiver-url`` that does not reach the receiver: DEL-1 and DEL-4 are ``n/a``, not FAIL.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from pytest_bdd.feature import get_feature

from sfc_conformance.suite import configurations
from tests.helpers import (
    ACCOUNT_KEY,
    COMMAND,
    RUN_TIMEOUT,
    authorized_client,
    free_port,
    in_child,
    live_environment,
    live_run,
    verdict_table,
)

pytestmark = pytest.mark.release  # live runs, whole runs or a browser: left to the release run (`tox -m release`)

if TYPE_CHECKING:
    from tests.conftest import ServedAccount

# These runs judge how the scenarios link (or cannot) on a live target; the model, which links through the API on
# its own, is left out (--model-budget 0): the sandbox served here links its companies whatever the driver.
SCENARIOS_ONLY = ("--model-budget", "0")
LINK = re.compile(r"^\s+\d+\. (http://127\.0\.0\.1:\d+/link/\d+)\s")


@pytest.fixture
def account(served_account: Callable[..., ServedAccount]) -> ServedAccount:
    return served_account(60, dead_subscriptions=4, seed=3)


@pytest.fixture
def http(account: ServedAccount) -> Iterator[httpx.Client]:
    with authorized_client(account.base_url, account.api_key) as client:
        yield client


def company_ids(http: httpx.Client) -> set[str]:
    return {c["id"] for c in http.get("/companies", params={"pageSize": 5000}).json()["results"]}


# -- a person links -----------------------------------------------------------------------------


def _person_links(link: str) -> int:
    """What a merchant does with a printed link: open it, sign in on the flow page, authorize."""
    with httpx.Client(timeout=10) as browser:
        opened = browser.get(link)
        assert opened.status_code == 303, opened.text
        flow = httpx.URL(opened.headers["location"])
        page = browser.get(flow)
        action = re.search(r'<form method=post action="([^"]+)" id=authorize>', page.text)
        assert action, page.text[:300]
        return browser.post(flow.join(action.group(1)), data={"username": "me", "password": "pw"}).status_code


def _manual_run(base_url: str, *argv: str, person: Callable[[str], int] | None) -> tuple[int, str, list[str]]:
    """A manual run; ``person`` is given each printed link once all are printed (None: nobody comes)."""
    run = subprocess.Popen([*COMMAND, "run", "--base-url", base_url, "--merchant-driver", "manual", *SCENARIOS_ONLY,
                            *argv],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=live_environment())
    assert run.stdout is not None
    lines: list[str] = []
    links: list[str] = []
    try:
        for line in run.stdout:
            lines.append(line)
            found = LINK.match(line)
            if found:
                links.append(found.group(1))
            if line.startswith("Each link asks") and person is not None:
                assert [person(link) for link in links] == [303] * len(links)
        run.wait(timeout=RUN_TIMEOUT)
    finally:
        run.kill()
    output = "".join(lines)
    assert ACCOUNT_KEY not in output
    return run.returncode, output, links


def test_a_person_links_three_merchants_and_the_rules_are_judged(account: ServedAccount,
                                                                 http: httpx.Client) -> None:
    before = company_ids(http)
    code, output, links = _manual_run(account.base_url, "--tags", "DEL-2 or REV-4 or KEY-2 or CONF-6",
                                      person=_person_links)
    assert code == 0, output[-4000:]
    assert len(links) == 3  # one shared by every scenario that keeps its link, two for the ones that break it
    assert "3 of 3 merchants linked" in output
    rules = verdict_table(output)
    assert rules["KEY-2"].outcome == ("pass", "1/1")
    assert rules["DEL-2"].outcome == ("pass", "1/1")
    assert rules["REV-4"].outcome == ("pass", "1/2")  # the other example would need a fourth link
    assert rules["CONF-6"].verdict == "n/a" and "--manual-links 5 would link them all" in rules["CONF-6"].note
    assert "FAIL" not in {row.verdict for row in rules.values()}
    assert company_ids(http) == before


def test_nobody_links_in_time_and_nothing_fails(account: ServedAccount, http: httpx.Client) -> None:
    before = company_ids(http)
    code, output, links = _manual_run(account.base_url, "--tags", "DEL-2 or KEY-2 or CONF-1", "--link-timeout", "2",
                                      person=None)
    assert code == 0, output[-4000:]
    assert len(links) == 2 and "0 of 2 merchants linked" in output
    rules = verdict_table(output)
    assert rules["CONF-1"].verdict == "pass"  # needs no link
    assert rules["DEL-2"].verdict == "n/a" and "no one linked" in rules["DEL-2"].note
    assert rules["KEY-2"].verdict == "n/a" and "no merchant a person linked" in rules["KEY-2"].note
    assert company_ids(http) == before


def test_a_target_that_will_not_link_through_the_api_leaves_those_rules_n_a(
        served_account: Callable[..., ServedAccount]) -> None:
    """Like Xero on Codat: made-up credentials in PUT …/authorization link nothing."""
    account = served_account(errors=lambda method, path: 400 if method == "PUT" and path.endswith("/authorization")
                             else None)
    done = live_run(account.base_url, *SCENARIOS_ONLY, "--tags", "LINK-3 or KEY-2 or DEL-2 or CONF-1 or CONF-3")
    assert done.returncode == 0, done.stdout[-4000:]
    rules = verdict_table(done.stdout)
    assert rules["CONF-1"].verdict == "pass"
    for rule in ("LINK-3", "KEY-2", "DEL-2", "CONF-3"):
        verdict, note = rules[rule].verdict, rules[rule].note
        assert verdict == "n/a" and note.startswith("nothing could be linked: the target refused"), (rule, note)
        assert "answered 400" in note and "--merchant-driver manual" in note


# -- merchants a person linked beforehand -------------------------------------------------------


def _linked_and_configured(http: httpx.Client) -> str:
    """A merchant as a person leaves it: both connections linked, the sync configured and enabled."""
    company = http.post("/companies", json={"name": "Corner Florist Ltd"}).json()["id"]
    assert http.get("/config/sync/commerce/lqai/gbol/start", params={"merchantIdentifier": company}).is_success
    for connection in http.get(f"/companies/{company}/connections").json()["results"]:
        assert http.put(f"/companies/{company}/connections/{connection['id']}/authorization",
                        json={"username": "florist", "password": "pw"}).is_success
    document = configurations.complete(http.get(f"/config/companies/{company}/sync/commerce").json(), pick=1, hour=9,
                                zone="Europe/Paris")
    assert http.post(f"/config/companies/{company}/sync/commerce", json=document).is_success
    return str(company)


def test_a_linked_company_is_used_put_back_and_kept(account: ServedAccount, http: httpx.Client) -> None:
    company = _linked_and_configured(http)
    configuration = http.get(f"/config/companies/{company}/sync/commerce").json()
    before = company_ids(http)
    done = live_run(account.base_url, *SCENARIOS_ONLY, "--linked-company", company, "--tags",
                    "REV-2 or REV-3 or CONF-2 or CONF-5 or KEY-1 or READY-1")
    assert done.returncode == 0, done.stdout[-4000:]
    rules = verdict_table(done.stdout)
    assert {rule: rules[rule].verdict for rule in ("REV-2", "REV-3", "CONF-2", "CONF-5", "KEY-1")} == dict.fromkeys(
        ("REV-2", "REV-3", "CONF-2", "CONF-5", "KEY-1"), "pass")
    assert rules["READY-1"].verdict == "pass"
    assert company_ids(http) == before  # the given merchant is kept; the run's own are gone
    after = http.get(f"/config/companies/{company}/sync/commerce").json()
    assert configurations.selections(after) == configurations.selections(configuration) and after["configured"] is True
    statuses = {c["status"] for c in http.get(f"/companies/{company}/connections").json()["results"]}
    assert statuses == {"Linked"}


def test_a_linked_company_that_is_not_ready_is_refused_in_one_line(account: ServedAccount,
                                                                   http: httpx.Client) -> None:
    company = http.post("/companies", json={"name": "Half Done Ltd"}).json()["id"]
    done = live_run(account.base_url, *SCENARIOS_ONLY, "--linked-company", company, "--tags", "KEY-2")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith(f"sfc-conformance: --linked-company {company} is not ready to "
                                                   "sync: ")


# -- the receiver behind a public URL ------------------------------------------------------------


def test_an_unreachable_receiver_url_makes_the_webhook_rules_n_a(account: ServedAccount, closed_port: int) -> None:
    public = f"http://127.0.0.1:{closed_port}/hooks"
    done = live_run(account.base_url, *SCENARIOS_ONLY, "--receiver-url", public, "--tags", "DEL-1 or DEL-4 or DEL-2")
    assert done.returncode == 0, done.stdout[-4000:]
    rules = verdict_table(done.stdout)
    assert rules["DEL-2"].verdict == "pass"
    for rule in ("DEL-1", "DEL-4"):
        assert rules[rule].verdict == "n/a"
        assert rules[rule].note.startswith(f"your receiver at {public} is not reachable from here"), rules[rule]


def test_a_reachable_receiver_url_is_used(account: ServedAccount) -> None:
    port = free_port()  # for the receiver to take
    done = live_run(account.base_url, *SCENARIOS_ONLY, "--receiver-port", str(port), "--receiver-url",
                    f"http://127.0.0.1:{port}/webhooks/sfc", "--tags", "DEL-1")
    assert done.returncode == 0, done.stdout[-4000:]
    assert verdict_table(done.stdout)["DEL-1"].outcome == ("pass", "2/2")


def test_manual_linking_and_keep_need_a_live_target() -> None:
    for option in (["--merchant-driver", "manual"], ["--keep"], ["--linked-company", "c1"]):
        done = in_child("run", *option, env=live_environment())
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.splitlines() == [f"sfc-conformance: {option[0]}{' manual' if 'manual' in option else ''} "
                                            "is for a live target (--base-url); the embedded sandbox keeps nothing "
                                            "and links its merchants itself"]



# -- the tags the planning of links reads -------------------------------------------------------

FEATURES = Path(__file__).resolve().parents[1] / "features"
OWN_LINK_STEPS = ("a merchant who is ready to sync", "the merchant has authorized the accounting connection",
                  "the merchant authorizes the accounting connection")
SHARED_LINK_STEPS = ("a shared merchant who is ready to sync",
                     "a shared merchant whose accounting connection is authorized")


def _scenarios() -> Iterator[tuple[str, set[str], str]]:
    """(where, tags, steps with the background's) for every scenario of the suite's own features (not consumer/),
    as pytest-bdd reads them."""
    for path in sorted(FEATURES.glob("*.feature")):
        for scenario in get_feature(str(FEATURES), path.name).scenarios.values():
            yield f"{path.name}:{scenario.line_number}", scenario.tags, "\n".join(step.name for step in scenario.steps)


def test_every_scenario_that_links_says_so_in_its_tags() -> None:
    """``--merchant-driver manual`` plans the person's links from @link and @shared_link before anything runs."""
    seen = 0
    for where, tags, steps in _scenarios():
        if "embedded_only" in tags:
            continue  # never live, never manual
        own = any(step in steps for step in OWN_LINK_STEPS)
        shared = any(step in steps for step in SHARED_LINK_STEPS)
        assert ("link" in tags) == own, f"{where}: @link must mark exactly the scenarios that link a merchant"
        assert ("shared_link" in tags) == shared, f"{where}: @shared_link must mark the shared linked merchant"
        seen += own or shared
    assert seen > 20
