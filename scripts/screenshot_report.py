"""Open an HTML report in headless Chromium and save what it shows as a PNG.

    python scripts/screenshot_report.py REPORT.html [--out REPORT.png] [--width 1280] [--height 2000]

The report must read well offline: Chromium runs with every host name
resolving nowhere, so a report that needed the network would show it.
Exit 0 with the PNG written, 2 with one line when Chromium or the report is missing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from sfc_conformance.core.errors import SfcError
from sfc_conformance.merchant.browser import find_browser

TIMEOUT = 120


def screenshot(report: Path, out: Path, width: int, height: int) -> None:
    try:
        browser = find_browser()  # SFC_BROWSER, or the first Chromium on PATH: the suite's own search
    except SfcError as error:
        raise SystemExit(f"screenshot_report: {error}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sfc-chromium-") as profile:
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND",
             f"--window-size={width},{height}", f"--screenshot={out}", report.resolve().as_uri()],
            capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if done.returncode != 0 or not out.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"screenshot_report: Chromium exited {done.returncode}: {last}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="the HTML report to open")
    parser.add_argument("--out", type=Path, help="where the PNG goes (default: beside the report)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2000)
    args = parser.parse_args(argv)
    if not args.report.is_file():
        print(f"screenshot_report: no report at {args.report}", file=sys.stderr)
        return 2
    out = args.out or args.report.with_suffix(".png")
    try:
        screenshot(args.report, out, args.width, args.height)
    except SystemExit as stop:
        print(stop.code, file=sys.stderr)
        return 2
    print(f"screenshot: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
