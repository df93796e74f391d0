"""``sfc-conformance consumer`` against the reference consumer, its broken variants and hostile endpoints.

The reference consumer passes; each fault of the catalog is caught and named
(a MUST fault fails the check, exit 1; a SHOULD fault warns, exit 0, and fails
under ``--strict``).  An endpoint that is no webhook endpoint at all stops the
command before any rule, with one line and exit code 2, as ``run`` does.
Deliveries wait at most ``--timeout 0.3`` here: the slow consumer costs no 20 s.
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from junitparser import JUnitXml, Properties
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sfc_conformance import __version__
from sfc_conformance.consumer.deliveries import KINDS, OUTSIDE, Signer
from sfc_conformance.consumer.endpoint import MAX_DELIVERIES, SENT_FOR
from sfc_conformance.consumer.faults import FAULTS
from sfc_conformance.core.profile import CONSUMER_RULES, RULES
from sfc_conformance.core.secrets import Secret, disguises
from tests.helpers import COMMAND, call, child_environment, one_line_error, refused, verdict_table

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--timeout", "0.3"]


def check(capsys: pytest.CaptureFixture[str], url: str, *options: str) -> tuple[int, str, str]:
    return call(capsys, "consumer", "--url", url, *FAST, *options)


def verdicts(out: str) -> dict[str, str]:
    """Rule id -> verdict, from the verdict table: the partner endpoint's rules, every one of them."""
    table = verdict_table(out)
    assert set(table) == set(CONSUMER_RULES), out
    return {rule: row.verdict for rule, row in table.items()}


def sent(out: str) -> int:
    match = re.search(r"^sent (\d+) requests? to the endpoint in [\d.]+ s$", out, re.MULTILINE)
    assert match, out
    return int(match.group(1))


@pytest.fixture
def with_secret(consumer_secret: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The endpoint's secret, given the way the README recommends: in the environment."""
    monkeypatch.setenv("SFC_WEBHOOK_SECRET", consumer_secret)
    return consumer_secret


# -- the reference consumer and the catalog --------------------------------------------------------

def test_the_reference_consumer_passes(capsys: pytest.CaptureFixture[str], serve_consumer: Callable[..., Any],
                                       with_secret: str) -> None:
    served = serve_consumer()
    code, out, err = check(capsys, served.url)
    assert code == 0, out + err
    assert verdicts(out) == {rule: "pass" for rule in CONSUMER_RULES}
    assert "rules: 5 pass" in out
    assert sent(out) == MAX_DELIVERIES == served.consumer.received == 43
    # New connection.deleted events it acknowledged: the first delivery, PWH-1's four other kinds, PWH-4's two
    # of several signatures and the burst; the retry changed nothing, and nothing it refused was recorded.
    assert len(served.consumer.deleted) == 1 + 4 + 2 + 20
    assert all(event["payload"]["referenceCompany"]["name"] == "SFC conformance consumer check"
               for event in served.consumer.deleted.values())
    assert err == ""


def _expected(fault: str, strict: bool) -> tuple[int, str]:
    rule = FAULTS[fault][0]
    if RULES[rule].must or strict:
        return 1, "FAIL"
    return 0, "warn"


CASES = [(fault, False) for fault in FAULTS] + [(f, True) for f, (rule, _) in FAULTS.items() if not RULES[rule].must]


@pytest.mark.parametrize(("fault", "strict"), CASES, ids=[f + (" --strict" if s else "") for f, s in CASES])
def test_each_broken_consumer_is_caught_and_named(capsys: pytest.CaptureFixture[str],
                                                  serve_consumer: Callable[..., Any], with_secret: str,
                                                  fault: str, strict: bool) -> None:
    served = serve_consumer(fault)
    code, out, err = check(capsys, served.url, *(["--strict"] if strict else []))
    rule = FAULTS[fault][0]
    expected_code, expected_verdict = _expected(fault, strict)
    seen = verdicts(out)
    assert (code, seen[rule]) == (expected_code, expected_verdict), out + err
    assert re.search(rf"^{rule} (MUST|SHOULD) \(The partner's webhook endpoint\) — {expected_verdict}$", out,
                     re.MULTILINE), out
    # One fault, one rule failed; a slow consumer is also slow under the burst (a warning).
    assert {r for r, v in seen.items() if v == "FAIL"} == ({rule} if expected_verdict == "FAIL" else set()), out
    assert sent(out) <= MAX_DELIVERIES


def test_a_slow_consumer_fails_in_the_time_given(capsys: pytest.CaptureFixture[str],
                                                 serve_consumer: Callable[..., Any], with_secret: str) -> None:
    code, out, _ = check(capsys, serve_consumer("answers-after-20s").url)
    assert code == 1
    assert "got no answer within 0.3 s (ReadTimeout)" in out
    assert verdicts(out)["PWH-3"] == "n/a"  # no acknowledged first delivery: no retry to judge
    assert "so a retry cannot be told from a first attempt" in out


# -- without the secret ---------------------------------------------------------------------------------

def test_without_the_secret_a_verifying_endpoint_is_not_judged(capsys: pytest.CaptureFixture[str],
                                                               serve_consumer: Callable[..., Any]) -> None:
    served = serve_consumer()
    code, out, _ = check(capsys, served.url)
    assert code == 0, out
    assert verdicts(out) == {rule: "n/a" for rule in CONSUMER_RULES}
    assert "the endpoint answered 401 to a correctly signed connection.deleted delivery" in out
    assert "give --secret (or SFC_WEBHOOK_SECRET) to judge PWH-1" in out
    assert sent(out) == served.consumer.received == 1  # nothing else is sent to an endpoint that refuses it all


def test_without_the_secret_an_endpoint_that_takes_any_signature_is_judged(
        capsys: pytest.CaptureFixture[str], serve_consumer: Callable[..., Any]) -> None:
    served = serve_consumer("accepts-forged-signature")
    code, out, _ = check(capsys, served.url)
    assert code == 0, out
    assert verdicts(out) == {"PWH-1": "pass", "PWH-2": "n/a", "PWH-3": "pass", "PWH-4": "pass", "PWH-5": "pass"}
    assert sent(out) == served.consumer.received == MAX_DELIVERIES - SENT_FOR["PWH-2"]  # PWH-2's are not sent


# -- reports and secrets --------------------------------------------------------------------------------

def test_reports_carry_the_consumer_rules(capsys: pytest.CaptureFixture[str], serve_consumer: Callable[..., Any],
                                          with_secret: str, tmp_path: Path) -> None:
    reports, junit = tmp_path / "reports", tmp_path / "consumer.xml"
    code, out, _ = check(capsys, serve_consumer("accepts-unsigned").url, "--report-dir", str(reports),
                         "--junitxml", str(junit))
    assert code == 1
    assert f"report: {reports / 'report.html'}" in out and f"report: {junit}" in out
    page = (reports / "report.html").read_text(encoding="utf-8")
    assert '<tr class="section"><td colspan="6">The partner&#39;s webhook endpoint</td></tr>' in page
    for rule_id in RULES:
        assert (f'id="row-{rule_id}"' in page) == (rule_id in CONSUMER_RULES), rule_id
    assert 'id="rule-PWH-2"' in page and "without signature headers was accepted" in page
    assert "target: webhook endpoint at http://127.0.0.1:" in page
    for written in (junit, reports / "junit.xml"):
        cases = [case for suite in JUnitXml.fromfile(str(written)) for case in suite]
        assert len(cases) == 1 + len(KINDS) + 3  # the first delivery, each kind, the retry, unknown type, burst
        properties = [dict((p.name, p.value) for p in case.child(Properties)) for case in cases]
        assert sorted({p["rule"] for p in properties}) == sorted(CONSUMER_RULES)
        assert all(p["level"] == RULES[p["rule"]].level for p in properties)
        assert {p["rule"] for case, p in zip(cases, properties, strict=True) if case.is_failure} == {"PWH-2"}


def test_the_secret_stays_out_of_every_output(capsys: pytest.CaptureFixture[str], serve_asgi: Callable[[Any], str],
                                              tmp_path: Path) -> None:
    """An endpoint that echoes its own secret (a debug page) in its answers: masked everywhere."""
    secret = "whsec_" + "ZWNob2VkLXNlY3JldC1mb3ItdGhlLWxlYWstdGVzdA=="
    agents: set[str] = set()

    async def echo(request: Request) -> Response:
        agents.add(request.headers.get("user-agent", ""))
        return JSONResponse({"error": "bad", "config": {"secret": secret}}, status_code=500,
                            headers={"x-debug-secret": secret})

    url = serve_asgi(Starlette(routes=[Route("/hook", echo, methods=["POST"])])) + "/hook"
    reports = tmp_path / "reports"
    code, out, err = check(capsys, url, "--secret", secret, "--report-dir", str(reports))
    assert code == 1
    assert "answered 500" in out
    assert agents == {f"sfc-conformance/{__version__} (consumer check)"}  # a partner can find it in their logs
    written = "".join(path.read_text(encoding="utf-8") for path in reports.iterdir())
    for form in disguises(secret):
        assert form not in out + err + written, form


# -- not a webhook endpoint: one line, exit 2, no report --------------------------------------------------

def refused_before_rules(capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str, says: str) -> str:
    reports = tmp_path / "reports"
    line = one_line_error(*check(capsys, url, "--report-dir", str(reports)))
    assert says in line, line
    assert not reports.exists()
    return line


def test_nothing_listening(capsys: pytest.CaptureFixture[str], tmp_path: Path, closed_port: int) -> None:
    refused_before_rules(capsys, tmp_path, f"http://127.0.0.1:{closed_port}/hook", "cannot reach")


def test_a_redirect(capsys: pytest.CaptureFixture[str], tmp_path: Path, serve_asgi: Callable[[Any], str]) -> None:
    async def moved(request: Request) -> Response:
        return RedirectResponse("https://elsewhere.invalid/hook", status_code=301)

    url = serve_asgi(Starlette(routes=[Route("/hook", moved, methods=["POST"])])) + "/hook"
    line = refused_before_rules(capsys, tmp_path, url, "answered 301, a redirect to https://elsewhere.invalid/hook")
    assert "does not follow redirects of deliveries" in line


def test_a_web_page(capsys: pytest.CaptureFixture[str], tmp_path: Path, serve_asgi: Callable[[Any], str]) -> None:
    async def login(request: Request) -> Response:
        return HTMLResponse("<!doctype html>\n<html><body><h1>Please sign in</h1></body></html>\n")

    url = serve_asgi(Starlette(routes=[Route("/hook", login, methods=["POST"])])) + "/hook"
    line = refused_before_rules(capsys, tmp_path, url, "answered 200 with text/html; charset=utf-8, a web page")
    assert "'<!doctype html> <html><body><h1>Please sign in" in line


def test_a_plain_text_acknowledgement_is_no_web_page(capsys: pytest.CaptureFixture[str],
                                                     serve_asgi: Callable[[Any], str], with_secret: str) -> None:
    """Frameworks answer text/html by default: a short "ok" is an acknowledgement, not a login page."""
    async def ok(request: Request) -> Response:
        return HTMLResponse("ok")

    url = serve_asgi(Starlette(routes=[Route("/hook", ok, methods=["POST"])])) + "/hook"
    code, out, _ = check(capsys, url)
    assert code == 1 and verdicts(out)["PWH-1"] == "pass" and verdicts(out)["PWH-2"] == "FAIL"


@pytest.mark.parametrize(("argv", "says"), [
    ([], "give --url URL"),
    (["--url", "127.0.0.1:8090/hook"], "is not an absolute http(s) URL"),
    (["--url", "http://127.0.0.1:9/hook", "--serve"], "give one of them"),
    (["--url", "http://127.0.0.1:9/hook", "--fault", "accepts-unsigned"], "it goes with --serve"),
    (["--url", "http://127.0.0.1:9/hook", "--secret", "whsec_@@@"], "--secret / SFC_WEBHOOK_SECRET: webhook secret"),
    (["--url", "http://127.0.0.1:9/hook", "--timeout", "0"], "--timeout 0 must be more than 0 seconds"),
    (["--serve", "--fault", "accepts-everything"], "invalid choice: 'accepts-everything'"),
])
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str], says: str) -> None:
    assert says in refused(capsys, "consumer", *argv)


# -- the command line end to end --------------------------------------------------------------------------

def test_the_served_reference_consumer_and_the_script(consumer_secret: str) -> None:
    """``consumer --serve`` in its own process, stopped with Ctrl-C's signal; the tox script drives both."""
    command = [*COMMAND, "consumer", "--serve", "--port", "0", "--fault", "accepts-stale-timestamp"]
    environment = child_environment(SFC_WEBHOOK_SECRET=consumer_secret)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=environment) as process, contextlib.ExitStack() as stop:

        def kill_if_running() -> None:  # a failed check never leaves it running
            if process.poll() is None:
                process.kill()

        stop.callback(kill_if_running)
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        assert lines[0].startswith("reference consumer listening on http://127.0.0.1:"), lines
        url = lines[1].split("webhook URL:", 1)[1].strip()
        assert "(the secret given with --secret / SFC_WEBHOOK_SECRET)" in lines[2]
        assert "accepts-stale-timestamp" in lines[3]
        stale = Signer(Secret(consumer_secret)).signed_at(-OUTSIDE)
        assert httpx.post(url, content=stale.body, headers=stale.headers).status_code == 200
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:  # never leave the test waiting on a consumer that did not stop
            process.kill()
            out, err = process.communicate()
            raise AssertionError(f"the reference consumer did not stop within 15 s of SIGINT: {err[-2000:]}") from None
    assert process.returncode == 0, err
    assert "reference consumer stopped" in out and consumer_secret not in out + err

    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "consumer_against_reference.py")],
                          capture_output=True, text=True, timeout=120, env=environment)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rules: 5 pass" in done.stdout and f"sent {MAX_DELIVERIES} requests" in done.stdout


def test_run_points_the_consumer_rules_at_the_consumer_command(capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(capsys, "run", "--tags", "URL-1 or PWH-2")
    assert "names PWH-2" in line and "sfc-conformance consumer --url URL" in line


def test_run_never_collects_the_consumer_scenarios() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "steps"), "--collect-only", "-q",
                           "-c", str(ROOT / "src" / "sfc_conformance" / "suite" / "pytest.ini"),
                           "--rootdir", str(ROOT), "-p", "sfc_conformance.suite.plugin"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "test_a_flow_url_opened_straight_away_opens_the_flow" in done.stdout
    for consumer_scenario in ("test_a_correctly_signed_delivery_is_acknowledged_in_time",
                              "test_a_burst_of_deliveries_is_acknowledged", "consumer"):
        assert consumer_scenario not in done.stdout
