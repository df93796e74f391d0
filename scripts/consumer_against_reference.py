"""Check a webhook endpoint: SFC_CONSUMER_URL if set, else the reference consumer served on 127.0.0.1.

    python scripts/consumer_against_reference.py [sfc-conformance consumer options...]

Without SFC_CONSUMER_URL it starts ``sfc-conformance consumer --serve --port 0``
with a fresh webhook signing secret, runs ``sfc-conformance consumer --url ...``
against it over HTTP (the secret travels in the environment), stops the
reference consumer with Ctrl-C's signal and exits with the check's exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys

from live_against_sandbox import CLI, served

from sfc_conformance.core.account import generate_secret


def main(arguments: list[str]) -> int:
    if os.environ.get("SFC_CONSUMER_URL"):
        return subprocess.call([*CLI, "consumer", *arguments])
    env = {**os.environ, "SFC_WEBHOOK_SECRET": generate_secret()}
    with served(["consumer", "--serve", "--port", "0"], env, "webhook URL:") as url:
        print(f"consumer check against the reference consumer at {url}", flush=True)
        return subprocess.call([*CLI, "consumer", "--url", url, *arguments], env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
