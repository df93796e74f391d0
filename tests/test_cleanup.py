"""``sfc-conformance cleanup`` (RUN-3): what earlier runs left goes; nothing else is ever touched.

Against the sandbox served on 127.0.0.1 holding a partner's account: many foreign companies and
subscriptions, some named almost like ours, beside the leftovers of two runs of different ages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from sfc_conformance.core.account import RunId, parse_age
from tests.helpers import ACCOUNT_KEY, authorized_client, call, refused

if TYPE_CHECKING:
    from tests.conftest import ServedAccount

# Foreign, however close to ours they look.
LOOK_ALIKE_NAMES = ["SFC conformance fuzz", "SFC conformance 2026 merchant", "sfc conformance 20260101000000-abcd x",
                    "My SFC conformance 20260101000000-abcd merchant", "SFC conformance 20260101000000-ABCD merchant"]
LOOK_ALIKE_URLS = ["https://partner.example/hook?sfcRun=yesterday", "https://partner.example/sfcRun/20260101000000-abcd",
                   "https://partner.example/hook?run=20260101000000-abcd"]


@dataclass
class Leftovers:
    base_url: str
    http: httpx.Client
    old: RunId
    recent: RunId
    companies: dict[str, RunId]  # ours: id -> run
    subscriptions: dict[str, RunId]

    def company_ids(self) -> set[str]:
        return {c["id"] for c in self._all("/companies")}

    def subscription_ids(self) -> set[str]:
        return {h["id"] for h in self._all("/webhooks")}

    def _all(self, path: str) -> list[dict[str, Any]]:
        return list(self.http.get(path, params={"pageSize": 5000}).json()["results"])

    def ours(self, run: RunId | None = None) -> set[str]:
        return {i for i, r in {**self.companies, **self.subscriptions}.items() if run is None or r == run}


def _plant(base_url: str, api_key: str) -> Leftovers:
    """Beside the account's own: two runs' leftovers (one 3 h old, one just started) and the look-alikes."""
    http = authorized_client(base_url, api_key)
    now = datetime.now(UTC)
    old, recent = RunId.new(now - timedelta(hours=3)), RunId.new(now)
    planted = Leftovers(base_url, http, old, recent, {}, {})
    for run, count in ((old, 7), (recent, 3)):
        for n in range(count):
            created = http.post("/companies", json={"name": run.company_name(f"merchant {n}")}).json()
            planted.companies[created["id"]] = run
        url = run.tag_url("http://127.0.0.1:1/webhooks/sfc")
        planted.subscriptions[http.post("/webhooks", json={"url": url, "eventTypes": ["connection.deleted"]}
                                        ).json()["id"]] = run
    for name in LOOK_ALIKE_NAMES:
        assert http.post("/companies", json={"name": name}).status_code == 200
    for url in LOOK_ALIKE_URLS:
        assert http.post("/webhooks", json={"url": url, "eventTypes": ["connection.deleted"]}).status_code == 201
    return planted


@pytest.fixture
def planted(served_account: Callable[..., ServedAccount]) -> Iterator[Leftovers]:
    account = served_account(200, dead_subscriptions=30, seed=41)
    leftovers = _plant(account.base_url, account.api_key)
    yield leftovers
    leftovers.http.close()


def cleanup(capsys: pytest.CaptureFixture[str], base_url: str, *more: str, key: str = ACCOUNT_KEY
            ) -> tuple[int, str, str]:
    code, out, err = call(capsys, "cleanup", "--base-url", base_url, "--api-key", key, *more)
    assert key not in out + err
    return code, out, err


def test_dry_run_lists_exactly_ours_and_deletes_nothing(capsys: pytest.CaptureFixture[str],
                                                        planted: Leftovers) -> None:
    before = (planted.company_ids(), planted.subscription_ids())
    code, out, err = cleanup(capsys, planted.base_url, "--dry-run")
    assert code == 0 and err == ""
    listed = [line for line in out.splitlines() if line.startswith("would delete ")]
    assert {line.split()[3] for line in listed} == planted.ours()
    assert len(listed) == len(planted.ours()) == 12
    assert out.splitlines()[-2:] == ["subscriptions: found 2, would delete 2 (dry run: nothing deleted)",
                                     "companies:     found 10, would delete 10 (dry run: nothing deleted)"]
    assert f"(run {planted.old}, started 3h ago)" in out
    assert (planted.company_ids(), planted.subscription_ids()) == before


def test_everything_of_ours_goes_and_nothing_else(capsys: pytest.CaptureFixture[str], planted: Leftovers) -> None:
    companies, subscriptions = planted.company_ids(), planted.subscription_ids()
    assert len(companies) == 200 + 10 + len(LOOK_ALIKE_NAMES) and len(subscriptions) == 30 + 2 + len(LOOK_ALIKE_URLS)
    code, out, err = cleanup(capsys, planted.base_url, "--concurrency", "6")
    assert code == 0, out + err
    assert planted.company_ids() == companies - set(planted.companies)
    assert planted.subscription_ids() == subscriptions - set(planted.subscriptions)
    deleted = [line for line in out.splitlines() if line.startswith("deleted  ")]
    assert {line.split()[2] for line in deleted} == planted.ours()
    assert out.splitlines()[-2:] == ["subscriptions: found 2, deleted 2, left 0",
                                     "companies:     found 10, deleted 10, left 0"]
    code, out, _ = cleanup(capsys, planted.base_url)  # again: nothing of ours is left to find
    assert code == 0 and out.splitlines() == ["subscriptions: found 0, deleted 0, left 0",
                                              "companies:     found 0, deleted 0, left 0"]


def test_older_than_leaves_the_recent_run_alone(capsys: pytest.CaptureFixture[str], planted: Leftovers) -> None:
    companies, subscriptions = planted.company_ids(), planted.subscription_ids()
    code, out, _ = cleanup(capsys, planted.base_url, "--older-than", "2h")
    assert code == 0
    assert out.splitlines()[-2:] == ["subscriptions: found 1, deleted 1, left 0",
                                     "companies:     found 7, deleted 7, left 0"]
    assert (companies | subscriptions) - (planted.company_ids() | planted.subscription_ids()) == planted.ours(
        planted.old)
    code, out, _ = cleanup(capsys, planted.base_url, "--older-than", "4h", "--dry-run")
    assert code == 0 and not any(line.startswith("would delete") for line in out.splitlines())


# -- a target without the optional calls ------------------------------------------------


@pytest.mark.parametrize("delete_status", [405, 404])
def test_a_target_without_the_optional_calls_still_conforms(capsys: pytest.CaptureFixture[str],
                                                            served_account: Callable[..., ServedAccount],
                                                            delete_status: int) -> None:
    def without(method: str, path: str) -> int | None:
        """DELETE /companies/{id} answers ``delete_status`` and GET /webhooks 404, as a target without the
        profile's optional calls would."""
        if method == "DELETE" and path.startswith("/companies/"):
            return delete_status
        return 404 if path.startswith("/webhooks") and method in ("GET", "DELETE") else None

    account = served_account(30, dead_subscriptions=4, seed=42, errors=without)
    base_url = account.base_url
    planted = _plant(base_url, account.api_key)
    try:
        code, out, err = cleanup(capsys, base_url)
        assert code == 1 and err == ""
        lines = out.splitlines()
        assert lines[0] == ("subscriptions: GET /webhooks answered 404: the target does not offer it, one of the "
                            "profile's optional calls; the target still conforms, and none of ours could be found")
        left = [line for line in lines if line.startswith("left     company ")]
        assert {line.split()[2] for line in left} == set(planted.companies)
        assert all(line.endswith("(the target does not offer the delete)") for line in left)
        said = [line for line in lines if "DELETE /companies/{companyId} answered" in line]
        assert said == [f"companies: DELETE /companies/{{companyId}} answered {delete_status}: the target does not "
                        "offer it, one of the profile's optional calls; the target still conforms, and the companies "
                        "marked `left` above are still there"]
        assert lines[-2:] == ["subscriptions: found 0, deleted 0, left 0",
                              "companies:     found 10, deleted 0, left 10"]
        assert set(planted.companies) <= planted.company_ids()
    finally:
        planted.http.close()


# -- one-line errors ----------------------------------------------------------------------


@pytest.mark.parametrize("age", ["1w", "h", "0h", "-1h", "1.5h", "abc"])
def test_a_bad_age_is_a_usage_error(capsys: pytest.CaptureFixture[str], age: str) -> None:
    line = refused(capsys, "cleanup", "--base-url", "http://127.0.0.1:9", "--api-key", "k-age-2Rf",
                   f"--older-than={age}")
    assert line.startswith(f"sfc-conformance: --older-than {age!r} is not an age")
    assert "k-age-2Rf" not in line


def test_ages() -> None:
    assert parse_age("30m") == timedelta(minutes=30)
    assert parse_age("1h") == timedelta(hours=1)
    assert parse_age("2d") == timedelta(days=2)


def test_an_unreachable_target(capsys: pytest.CaptureFixture[str], closed_port: int) -> None:
    line = refused(capsys, "cleanup", "--base-url", f"http://127.0.0.1:{closed_port}", "--api-key", "k-cleanup-9Wd")
    assert line.startswith(f"sfc-conformance: cannot reach http://127.0.0.1:{closed_port}/companies/")
    assert "k-cleanup-9Wd" not in line


def test_a_refused_key(capsys: pytest.CaptureFixture[str], served_account: Callable[..., ServedAccount]) -> None:
    account = served_account(3)
    line = refused(capsys, "cleanup", "--base-url", account.base_url, "--api-key", "wrong-key-Lk8")
    assert line.startswith("sfc-conformance: the target refused the API key: GET /companies/")
    assert "wrong-key-Lk8" not in line


def test_base_url_and_key_are_needed(capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(capsys, "cleanup") == ("sfc-conformance: cleanup needs --base-url and --api-key "
                                          "(or SFC_BASE_URL and SFC_API_KEY)")
