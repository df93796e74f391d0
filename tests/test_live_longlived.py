"""Live runs in a row against one long-lived account (RUN-1..3): ``tox -e live-longlived``.

One served sandbox holds a partner's account – hundreds of merchants in every state, subscriptions whose
URLs nobody answers – and the suite runs against it ``SFC_LONGLIVED_RUNS`` times in a row
(``scripts/live_against_sandbox.py --runs``).  Every run must pass, leave ``GET /companies`` and ``GET
/webhooks`` as it found them, create no more than RUN-3 allows and say so in its report: nothing an
earlier run did, and nothing else on the account, may change a verdict.  Each run's time is printed, a
figure and not a check (a busy machine is not a failed run): ``benchmarks/run_times.py`` measures a
long-lived run against a fresh one.

About 35 s a run.  A plain ``pytest`` makes one run; ``tox -e live-longlived`` two; ``tox -e release-tests`` sets
``SFC_LONGLIVED_RUNS=0`` and leaves it to that environment, which runs beside it in the release run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sfc_conformance.model import ModelBudget
from tests.helpers import SUMMARY, child_environment

MODEL_LIVE = ModelBudget.live()
MODEL_SUBSCRIPTIONS = 10 * MODEL_LIVE.subscriptions  # one a sequence at most, over --model-budget's 10 sequences

RUNS = int(os.environ.get("SFC_LONGLIVED_RUNS") or 1)  # read at collection, before the tests' environment is cleared
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "live_against_sandbox.py"
LINE = re.compile(r"^run (\d+) of (\d+): exit (\d+) in ([\d.]+) s; the account held (.+) before and (.+) after "
                  r"\((the same|CHANGED)\)$", re.M)

pytestmark = [pytest.mark.release,
              pytest.mark.skipif(RUNS < 1, reason="SFC_LONGLIVED_RUNS=0: the release run makes these live runs in an "
                                                  "environment of their own, live-longlived, beside the tests")]


def test_runs_in_a_row_on_one_long_lived_account_pass_and_leave_it_unchanged(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--merchants", "400", "--dead-subscriptions", "10",
                           "--seed", "5", "--runs", str(RUNS), "--report-dir", str(tmp_path)], capture_output=True,
                          text=True, timeout=RUNS * 120, env=child_environment())
    runs = LINE.findall(done.stdout)
    assert len(runs) == RUNS, done.stdout[-4000:] + done.stderr[-2000:]
    for number, _, code, _seconds, before, after, same in runs:
        assert code == "0", f"run {number} failed:\n{done.stdout[-6000:]}"
        assert same == "the same", f"run {number} changed the account: {before} before, {after} after"
    # Each run's account of what it created (RUN-3: about 100 companies a run before merchants were shared;
    # now about a third of that, the model's run at most 8 companies and one subscription a sequence of its own
    # among them), one pair of lines a run.
    made = [(kind, int(c), int(d), int(left)) for kind, c, d, left in SUMMARY.findall(done.stdout)]
    assert sorted(kind for kind, *_ in made) == ["companies"] * RUNS + ["subscriptions"] * RUNS, made
    for kind, created, deleted, left in made:
        if kind == "subscriptions":
            assert 2 <= created <= 2 + MODEL_SUBSCRIPTIONS and (deleted, left) == (created, 0), made
        else:
            assert 20 <= created <= 40 + (MODEL_LIVE.companies_in_all or 0) and deleted == created and left == 0, made
    report = (tmp_path / "report.html").read_text()  # the last run's
    created = next(c for kind, c, *_ in reversed(made) if kind == "companies")
    assert "What the run created on the target" in report
    assert f"companies:     created {created}, deleted {created}, left 0" in report
    print("run times (s):", ", ".join(seconds for _, _, _, seconds, *_ in runs))  # figures, shown with -s
    assert done.returncode == 0
