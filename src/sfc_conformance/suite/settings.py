"""The suite's settings, from pytest options with the environment as fallback.

Secrets are wrapped in :class:`~sfc_conformance.secrets.Secret` as soon as
they are read.  A bad value is a :class:`UsageError` quoting the setting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from ..errors import UsageError
from ..sandbox.faults import FAULTS
from ..sandbox.platforms import PLATFORM_KEY
from ..secrets import Secret

# option name -> (environment variable, help)
ENVIRONMENT = {
    "base_url": "SFC_BASE_URL",
    "api_key": "SFC_API_KEY",
    "commerce_key": "SFC_COMMERCE_KEY",
    "accounting_key": "SFC_ACCOUNTING_KEY",
    "webhook_secret": "SFC_WEBHOOK_SECRET",
}


@dataclass(frozen=True)
class Settings:
    target: str = "embedded"
    base_url: str | None = None
    api_key: Secret | None = None
    commerce_key: str = "lqai"
    accounting_key: str = "gbol"
    webhook_secret: Secret | None = None
    strict: bool = False
    receiver_port: int = 0
    receiver_url: str | None = None
    sandbox_faults: tuple[str, ...] = ()
    fuzz_examples: int = 4
    merchant_driver: str = "api"
    timeout: float = 15.0
    credentials: dict[str, str] = field(default_factory=lambda: {"username": "sfc-conformance",
                                                                  "password": "sfc-conformance"})

    @property
    def live(self) -> bool:
        return self.target == "live"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("sfc", "Sync for Commerce conformance")
    group.addoption("--sfc-target", choices=["embedded", "live"], default=None,
                    help="embedded (default): the sandbox in-process; live: --sfc-base-url with --sfc-api-key")
    group.addoption("--sfc-base-url", default=None, help="live target base URL (env SFC_BASE_URL)")
    group.addoption("--sfc-api-key", default=None, help="live target API key (env SFC_API_KEY)")
    group.addoption("--sfc-commerce-key", default=None,
                    help="commerce platform key, default lqai (env SFC_COMMERCE_KEY)")
    group.addoption("--sfc-accounting-key", default=None,
                    help="accounting platform key, default gbol (env SFC_ACCOUNTING_KEY)")
    group.addoption("--sfc-webhook-secret", default=None,
                    help="webhook signing secret, to verify deliveries (env SFC_WEBHOOK_SECRET)")
    group.addoption("--sfc-strict", action="store_true", default=False, help="SHOULD rules fail the run too")
    group.addoption("--sfc-receiver-port", type=int, default=0,
                    help="port on 127.0.0.1 for the webhook receiver (live; 0 picks one)")
    group.addoption("--sfc-receiver-url", default=None,
                    help="public URL that reaches the webhook receiver (live; default http://127.0.0.1:PORT/...)")
    group.addoption("--sfc-sandbox-fault", action="append", default=[], metavar="NAME",
                    help="embedded only: break one rule in the sandbox, to see the suite catch it")
    group.addoption("--sfc-fuzz-examples", type=int, default=4, help="generated requests per operation (API-5)")
    group.addoption("--sfc-merchant-driver", choices=["api", "pages"], default="api",
                    help="how the merchant acts: the public API (default) or, embedded only, the sandbox's flow pages")
    group.addoption("--sfc-timeout", type=float, default=15.0, help="seconds to wait for each answer")


def _pick(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"sfc_{name}")
    return value if value else os.environ.get(ENVIRONMENT[name]) or None


def from_config(config: pytest.Config) -> Settings:
    base_url, api_key = _pick(config, "base_url"), _pick(config, "api_key")
    target = config.getoption("sfc_target") or ("live" if base_url else "embedded")
    commerce = _pick(config, "commerce_key") or "lqai"
    accounting = _pick(config, "accounting_key") or "gbol"
    for name, key in (("commerce key", commerce), ("accounting key", accounting)):
        if not PLATFORM_KEY.match(key):
            raise UsageError(f"{name} {key!r} is not a platform key: four lower-case letters, like lqai or gbol")
    faults = tuple(config.getoption("sfc_sandbox_fault") or ())
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        raise UsageError(f"sandbox fault {unknown[0]!r} is unknown; known faults: {', '.join(sorted(FAULTS))}")
    if target == "live":
        if not base_url:
            raise UsageError("a live run needs a base URL: --base-url or SFC_BASE_URL")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"base URL {base_url!r} is not an absolute http(s) URL")
        if not api_key:
            raise UsageError("a live run needs an API key: --api-key or SFC_API_KEY")
        if faults:
            raise UsageError("sandbox faults apply to the embedded target only")
        if config.getoption("sfc_merchant_driver") == "pages":
            raise UsageError("the flow pages driver needs the embedded sandbox's pages; use it without a base URL")
    examples = config.getoption("sfc_fuzz_examples")
    if examples < 1:
        raise UsageError(f"--fuzz-examples {examples} must be 1 or more")
    secret = _pick(config, "webhook_secret")
    return Settings(
        target=target,
        base_url=base_url.rstrip("/") if base_url else None,
        api_key=Secret(api_key) if api_key else None,
        commerce_key=commerce,
        accounting_key=accounting,
        webhook_secret=Secret(secret) if secret else None,
        strict=bool(config.getoption("sfc_strict")),
        receiver_port=config.getoption("sfc_receiver_port"),
        receiver_url=config.getoption("sfc_receiver_url"),
        sandbox_faults=faults,
        fuzz_examples=examples,
        merchant_driver=config.getoption("sfc_merchant_driver"),
        timeout=config.getoption("sfc_timeout"),
    )
