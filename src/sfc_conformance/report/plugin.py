"""The verdict as one HTML page: a pytest plugin beside a run's recorder (the suite's or the consumer's).

``--sfc-html-report PATH`` writes the page once the run is over, for a run whose
rules ran; an interrupted or refused run writes nothing.  It lives here, not in
the recorder, so that the suite knows nothing of how its verdict is shown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sfc_conformance.report.files import atomic_write
from sfc_conformance.report.page import render
from sfc_conformance.verdicts import VerdictRecorder


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("sfc").addoption("--sfc-html-report", metavar="PATH", default=None,
                                     help="write the verdict as one self-contained HTML page to PATH")


@pytest.hookimpl(trylast=True)  # after the recorder's own end: what a live run deleted is among the facts
def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("sfc_html_report")
    if not path or session.exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return
    for recorder in session.config.pluginmanager.get_plugins():
        if isinstance(recorder, VerdictRecorder) and recorder.verdict.outcomes:
            recorder.verdict.notes = recorder.notes()
            atomic_write(Path(path), render(recorder.verdict, recorder.facts()))
