"""Fuzz over HTTP: SFC_BASE_URL if set, else the sandbox served on 127.0.0.1.

    python scripts/fuzz_against_sandbox.py [sfc-conformance fuzz options...]

Without SFC_BASE_URL it serves the sandbox as ``tox -e live`` does (a fresh
API key, ``sfc-conformance sandbox --port 0``), runs ``sfc-conformance fuzz
--base-url ...`` against it over HTTP (the key travels in the environment),
stops the sandbox and exits with the fuzz's exit code.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from live_against_sandbox import CLI, served_sandbox

from sfc_conformance.core.account import generate_secret


def main(arguments: list[str]) -> int:
    if os.environ.get("SFC_BASE_URL"):
        return subprocess.call([*CLI, "fuzz", *arguments])
    api_key = secrets.token_urlsafe(18)
    with served_sandbox(api_key, generate_secret()) as base_url:
        return subprocess.call([*CLI, "fuzz", "--base-url", base_url, *arguments],
                               env={**os.environ, "SFC_API_KEY": api_key})


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
