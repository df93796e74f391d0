"""``scripts/flake_loop.py``: counts passes and failures of a command run many times."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "flake_loop.py"
# Fails every second time it runs: a flake on demand, counted in a file.
EVERY_OTHER = ("import pathlib, sys; p = pathlib.Path(sys.argv[1]); "
               "n = int(p.read_text()) + 1 if p.exists() else 1; p.write_text(str(n)); "
               "print('run', n); sys.exit(n % 2 == 0)")


def loop(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, timeout=120,
                          check=False)


def test_counts_a_flaky_command(tmp_path: Path) -> None:
    keep = tmp_path / "failed"
    done = loop("--runs", "4", "--keep", str(keep), "--", sys.executable, "-c", EVERY_OTHER, str(tmp_path / "n"))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[1].split()[0] for line in lines[:4]] == ["pass", "FAIL", "pass", "FAIL"]
    assert lines[-1].startswith("4 runs: 2 passed, 2 failed (runs 2, 4); time min ")
    assert sorted(p.name for p in keep.iterdir()) == ["run-002.log", "run-004.log"]
    assert (keep / "run-004.log").read_text().strip() == "run 4"


def test_all_passing_exits_0_and_stops_on_fail_stops(tmp_path: Path) -> None:
    done = loop("--runs", "3", "--", sys.executable, "-c", "pass")
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1].startswith("3 runs: 3 passed, 0 failed; time min ")
    stopped = loop("--runs", "5", "--stop-on-fail", "--keep", str(tmp_path), "--", sys.executable, "-c",
                   EVERY_OTHER, str(tmp_path / "n"))
    assert stopped.returncode == 1
    assert stopped.stdout.splitlines()[-1].startswith("2 runs: 1 passed, 1 failed (runs 2)")


def test_usage_errors_exit_2() -> None:
    assert loop("--runs", "3").returncode == 2
    assert loop("--runs", "0", "--", "true").returncode == 2
