"""The suite's settings, from pytest options with the environment as fallback.

Secrets are wrapped in :class:`~sfc_conformance.core.secrets.Secret` as soon as
they are read.  A bad value is a :class:`UsageError` quoting the setting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from sfc_conformance.core.errors import UsageError
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox import FLOW_STYLES
from sfc_conformance.sandbox.faults import FAULTS, VARIANTS
from sfc_conformance.sandbox.platforms import PLATFORM_KEY
from sfc_conformance.suite.merchant_eyes import check_options

# option name -> (environment variable, help)
# Shared with `sfc-conformance run`'s options, so the command line and pytest agree.
DEFAULT_FUZZ_EXAMPLES, DEFAULT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT = 4, 15.0, 10.0
# --merchant-driver manual: how long a person has to link, and how many links the run asks of them.
DEFAULT_LINK_TIMEOUT, DEFAULT_MANUAL_LINKS = 600.0, 3

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
    sandbox_variants: tuple[str, ...] = ()
    fuzz_examples: int = 4
    merchant_driver: str = "api"
    timeout: float = 15.0
    connect_timeout: float = 10.0
    browser: str | None = None  # the browser the run was asked to drive (resolved), else None: see merchant_eyes
    flow_style: str = "pages"  # the embedded sandbox's merchant side: server-rendered pages, or a browser app
    credentials: dict[str, str] = field(default_factory=lambda: {"username": "sfc-conformance",
                                                                  "password": "sfc-conformance"})
    keep: bool = False  # live: leave what the run created on the target (RUN-2's deletion skipped)
    linked_companies: tuple[str, ...] = ()  # live: merchants a person linked and configured beforehand
    link_timeout: float = DEFAULT_LINK_TIMEOUT
    manual_links: int = DEFAULT_MANUAL_LINKS

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
    group.addoption("--sfc-sandbox-variant", action="append", default=[], metavar="NAME",
                    help="embedded only: a difference the profile allows, which the suite must pass")
    group.addoption("--sfc-fuzz-examples", type=int, default=DEFAULT_FUZZ_EXAMPLES,
                    help="generated requests per operation (API-5)")
    group.addoption("--sfc-browser", default=None, metavar="PATH",
                    help="the Chromium that shows the merchant's side (env SFC_BROWSER); live runs find one by "
                         "themselves")
    group.addoption("--sfc-flow-style", choices=FLOW_STYLES, default=None,
                    help="embedded only: the sandbox's flow as server-rendered pages (default) or a browser app")
    group.addoption("--sfc-merchant-driver", choices=["api", "pages", "browser", "manual"], default="api",
                    help="how the merchant acts: the public API (default); embedded only, the sandbox's flow pages "
                         "(plain HTTP) or its flow in the browser; live, a person who links the merchants the run "
                         "prints")
    group.addoption("--sfc-keep", action="store_true", default=False,
                    help="live: keep the companies and subscriptions the run created (default: deleted at the end)")
    group.addoption("--sfc-linked-company", action="append", default=[], metavar="ID",
                    help="live: a merchant a person linked and configured beforehand (repeatable)")
    group.addoption("--sfc-link-timeout", type=float, default=DEFAULT_LINK_TIMEOUT,
                    help="--merchant-driver manual: seconds a person has to link the merchants")
    group.addoption("--sfc-manual-links", type=int, default=DEFAULT_MANUAL_LINKS,
                    help="--merchant-driver manual: how many merchants the run asks a person to link")
    group.addoption("--sfc-timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds to wait for each answer")
    group.addoption("--sfc-connect-timeout", type=float, default=DEFAULT_CONNECT_TIMEOUT,
                    help="seconds to wait for a connection to the target")


def _pick(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"sfc_{name}")
    return value if value else os.environ.get(ENVIRONMENT[name]) or None


def from_config(config: pytest.Config) -> Settings:
    base_url = _pick(config, "base_url")
    return build(
        live=(config.getoption("sfc_target") or ("live" if base_url else "embedded")) == "live",
        base_url=base_url,
        api_key=_pick(config, "api_key"),
        commerce_key=_pick(config, "commerce_key") or "lqai",
        accounting_key=_pick(config, "accounting_key") or "gbol",
        webhook_secret=_pick(config, "webhook_secret"),
        strict=bool(config.getoption("sfc_strict")),
        receiver_port=config.getoption("sfc_receiver_port"),
        receiver_url=config.getoption("sfc_receiver_url"),
        sandbox_faults=tuple(config.getoption("sfc_sandbox_fault") or ()),
        sandbox_variants=tuple(config.getoption("sfc_sandbox_variant") or ()),
        fuzz_examples=config.getoption("sfc_fuzz_examples"),
        merchant_driver=config.getoption("sfc_merchant_driver"),
        timeout=config.getoption("sfc_timeout"),
        connect_timeout=config.getoption("sfc_connect_timeout"),
        browser=config.getoption("sfc_browser"),
        flow_style=config.getoption("sfc_flow_style"),
        keep=bool(config.getoption("sfc_keep")),
        linked_companies=tuple(config.getoption("sfc_linked_company") or ()),
        link_timeout=config.getoption("sfc_link_timeout"),
        manual_links=config.getoption("sfc_manual_links"),
    )


def build(*, live: bool, base_url: str | None, api_key: str | None, commerce_key: str, accounting_key: str,
          webhook_secret: str | None, strict: bool, receiver_port: int, receiver_url: str | None,
          sandbox_faults: tuple[str, ...], fuzz_examples: int, merchant_driver: str, timeout: float,
          connect_timeout: float = 10.0, sandbox_variants: tuple[str, ...] = (), browser: str | None = None,
          flow_style: str | None = None, keep: bool = False, linked_companies: tuple[str, ...] = (),
          link_timeout: float = DEFAULT_LINK_TIMEOUT, manual_links: int = DEFAULT_MANUAL_LINKS) -> Settings:
    """Checked settings; the one place a bad combination becomes a one-line :class:`UsageError`.

    ``sfc-conformance run`` calls it before pytest starts, the plugin for plain pytest runs.
    """
    for name, key in (("commerce key", commerce_key), ("accounting key", accounting_key)):
        if not PLATFORM_KEY.match(key):
            raise UsageError(f"{name} {key!r} is not a platform key: four lower-case letters, like lqai or gbol")
    unknown = [f for f in sandbox_faults if f not in FAULTS]
    if unknown:
        raise UsageError(f"sandbox fault {unknown[0]!r} is unknown; known faults: {', '.join(sorted(FAULTS))}")
    unknown = [v for v in sandbox_variants if v not in VARIANTS]
    if unknown:
        raise UsageError(f"sandbox variant {unknown[0]!r} is unknown; known variants: {', '.join(sorted(VARIANTS))}")
    if live:
        if not base_url:
            raise UsageError("a live run needs a base URL: --base-url or SFC_BASE_URL")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"--base-url {base_url!r} is not an absolute http(s) URL")
        if not api_key:
            raise UsageError("a live run needs an API key: --api-key or SFC_API_KEY")
        if sandbox_faults or sandbox_variants:
            option = "--sandbox-fault" if sandbox_faults else "--sandbox-variant"
            raise UsageError(f"{option} applies to the embedded sandbox only, not to --base-url targets")
        if merchant_driver == "pages":
            raise UsageError("--merchant-driver pages walks the embedded sandbox's pages; "
                             "it does not go with --base-url")
    browser, flow_style = check_options(live=live, browser=browser, flow_style=flow_style,
                                        merchant_driver=merchant_driver)
    _check_live_only(live, merchant_driver=merchant_driver, keep=keep, linked_companies=linked_companies,
                     link_timeout=link_timeout, manual_links=manual_links)
    if fuzz_examples < 1:
        raise UsageError(f"--fuzz-examples {fuzz_examples} must be 1 or more")
    for option, seconds in (("--timeout", timeout), ("--connect-timeout", connect_timeout)):
        if not seconds > 0:  # also refuses nan
            raise UsageError(f"{option} {seconds:g} must be more than 0 seconds")
    return Settings(
        target="live" if live else "embedded",
        base_url=base_url.rstrip("/") if base_url else None,
        api_key=Secret(api_key) if api_key else None,
        commerce_key=commerce_key,
        accounting_key=accounting_key,
        webhook_secret=Secret(webhook_secret) if webhook_secret else None,
        strict=strict,
        receiver_port=receiver_port,
        receiver_url=receiver_url,
        sandbox_faults=sandbox_faults,
        sandbox_variants=sandbox_variants,
        fuzz_examples=fuzz_examples,
        merchant_driver=merchant_driver,
        timeout=timeout,
        connect_timeout=connect_timeout,
        browser=browser,
        flow_style=flow_style,
        keep=keep,
        linked_companies=linked_companies,
        link_timeout=link_timeout,
        manual_links=manual_links,
    )


def _check_live_only(live: bool, *, merchant_driver: str, keep: bool, linked_companies: tuple[str, ...],
                     link_timeout: float, manual_links: int) -> None:
    """The options about a real account: what the run leaves there, and who links its merchants."""
    if not live:
        named = ("--merchant-driver manual" if merchant_driver == "manual" else
                 "--keep" if keep else "--linked-company" if linked_companies else None)
        if named:
            raise UsageError(f"{named} is for a live target (--base-url); the embedded sandbox keeps nothing "
                             "and links its merchants itself")
    for company in linked_companies:
        if not company.strip() or any(c in company for c in "/?#% "):
            raise UsageError(f"--linked-company {company!r} is not a company id")
    if not link_timeout > 0:
        raise UsageError(f"--link-timeout {link_timeout:g} must be more than 0 seconds")
    if manual_links < 1:
        raise UsageError(f"--manual-links {manual_links} must be 1 or more")
