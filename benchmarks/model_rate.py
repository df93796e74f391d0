"""How fast the model of the protocol runs: steps per second against the embedded sandbox, and over HTTP.

    python benchmarks/model_rate.py [--sequences N] [--steps S] [--seed K] [--no-http]

Runs the model (``sfc_conformance.model``) with the same budget twice:

* against the embedded sandbox in this process (respx and the ASGI bridge, no socket);
* against ``sfc-conformance sandbox`` served on 127.0.0.1 in its own process, with a fresh key (as the
  live tox environments serve it), as a live run would: real time, its subscriptions pointing at a port
  nothing listens on (the model judges no delivery).

It prints, for each, the steps, the calls and the seconds, steps and calls per second, and what the run found
(nothing, against a healthy sandbox).  Figures, not assertions: a busy machine is not a failed benchmark.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))  # serve the sandbox the way the live and fuzz tox envs do

from live_against_sandbox import served_sandbox  # noqa: E402

from sfc_conformance.core.account import generate_secret  # noqa: E402
from sfc_conformance.core.http import ApiClient  # noqa: E402
from sfc_conformance.core.secrets import Secret  # noqa: E402
from sfc_conformance.model import ModelBudget, ModelReport, run_model  # noqa: E402
from sfc_conformance.sandbox.embedded import EmbeddedTarget  # noqa: E402

NOBODY = "http://127.0.0.1:9/webhooks/sfc"  # the discard port: deliveries go nowhere, quickly


def embedded(budget: ModelBudget) -> ModelReport:
    target = EmbeddedTarget()
    target.start()
    client = target.client()
    try:
        return run_model(client, target.api_key, budget)
    finally:
        client.close()
        target.stop()


def over_http(base_url: str, api_key: str, budget: ModelBudget) -> ModelReport:
    client = ApiClient(base_url, Secret(api_key))
    try:
        return run_model(client, Secret(api_key), budget, subscription_url=NOBODY)
    finally:
        client.close()


def show(label: str, report: ModelReport) -> None:
    seconds = report.seconds or float("nan")
    found = ", ".join(report.broken()) or "nothing broken"
    print(f"{label:<30} {report.steps:6d} steps {report.calls:6d} calls in {report.seconds:6.2f} s = "
          f"{report.steps / seconds:7.1f} steps/s, {report.calls / seconds:7.1f} calls/s ({found})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = ModelBudget()
    parser.add_argument("--sequences", type=int, default=defaults.sequences, help="sequences (Hypothesis examples)")
    parser.add_argument("--steps", type=int, default=defaults.steps, help="protocol calls a sequence makes at most")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-http", action="store_true", help="the embedded sandbox only")
    args = parser.parse_args()
    budget = ModelBudget(sequences=args.sequences, steps=args.steps, seed=args.seed)

    embedded(ModelBudget(sequences=1, steps=5))  # warm up: imports, Hypothesis's caches, the contract
    show("embedded (in-process)", embedded(budget))
    if not args.no_http:
        api_key = secrets.token_urlsafe(18)
        with served_sandbox(api_key, generate_secret()) as base_url:
            show("served on 127.0.0.1 (HTTP)", over_http(base_url, api_key, budget))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
