"""A run's settings: the options of ``sfc-conformance run``, one field each, and their checks.

:class:`Settings` is the options table.  Each field a person sets carries its
option beside its type and default (:func:`~sfc_conformance.suite.options.option`):
flag, environment variable, choices, help, whether it is a secret.  ``run``'s
command line and the pytest plugin's ``--sfc-*`` options are both built from
:data:`OPTIONS`; :func:`checked` turns what was given into frozen Settings, the
one place a bad value or combination becomes a one-line :class:`UsageError`.

    given = given_by_args(args, OPTIONS.values())   # or given_to_pytest(config, ...)
    settings = checked(given)                       # UsageError: exit 2, one line

Secrets are :class:`~sfc_conformance.core.secrets.Secret` from the moment they
are read, and stay so: ``run`` hands the settings to the plugin object, never
through argv or the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sfc_conformance.core.account import PLATFORM_KEY
from sfc_conformance.core.errors import UsageError
from sfc_conformance.core.secrets import Secret
from sfc_conformance.merchant.browser import BROWSER_ENV, BrowserUnavailable, find_browser
from sfc_conformance.sandbox import FAULTS, FLOW_STYLES, VARIANTS
from sfc_conformance.suite.options import named, option, options_of

MERCHANT_DRIVERS = ("api", "pages", "browser", "manual")


@dataclass(frozen=True)
class Settings:
    target: str = option("--target", default="embedded", given=None, choices=("embedded", "live"),
                         command_line=False,  # `run` has --base-url say it
                         help="embedded (default): the sandbox in-process; live: --base-url with --api-key")
    base_url: str | None = option("--base-url", env="SFC_BASE_URL",
                                  help="live target base URL; without it the embedded sandbox is the target")
    api_key: Secret | None = option("--api-key", env="SFC_API_KEY", secret=True, help="live target API key")
    commerce_key: str = option("--commerce-key", default="lqai", env="SFC_COMMERCE_KEY",
                               help="commerce platform key, default lqai")
    accounting_key: str = option("--accounting-key", default="gbol", env="SFC_ACCOUNTING_KEY",
                                 help="accounting platform key, default gbol")
    webhook_secret: Secret | None = option("--webhook-secret", env="SFC_WEBHOOK_SECRET", secret=True,
                                           help="webhook signing secret, to verify deliveries")
    strict: bool = option("--strict", default=False, switch=True, help="SHOULD rules fail the run too")
    receiver_port: int = option("--receiver-port", default=0, parse=int,
                                help="port on 127.0.0.1 for the webhook receiver (live; 0 picks one)")
    receiver_url: str | None = option("--receiver-url",
                                      help="public URL that reaches the receiver, if the target cannot reach "
                                           "127.0.0.1 (live; default http://127.0.0.1:PORT/...)")
    sandbox_faults: tuple[str, ...] = option("--sandbox-fault", default=(), many=True, choices=tuple(sorted(FAULTS)),
                                             metavar="NAME",
                                             help="embedded only: break one rule of the sandbox on purpose, to see "
                                                  "the suite catch it (repeatable)")
    sandbox_variants: tuple[str, ...] = option("--sandbox-variant", default=(), many=True,
                                               choices=tuple(sorted(VARIANTS)), metavar="NAME",
                                               help="embedded only: a difference the profile allows, which the "
                                                    "suite must pass (repeatable)")
    fuzz_examples: int = option("--fuzz-examples", default=4, parse=int,
                                help="generated requests per operation (API-5)")
    # Every rule, everywhere (profile v3): the model's run, sized in random sequences of calls, and its seed.
    model_budget: int = option("--model-budget", default=10, parse=int, metavar="SEQUENCES",
                               help="random sequences of calls the model of a conforming target drives (default 10; "
                                    "0: the model does not run, its scenarios are n/a); a live run is also bounded in "
                                    "calls and companies")
    model_shrink: int | None = option("--model-shrink", parse=int, metavar="CALLS",
                                      help="calls the model may spend shrinking a failure to its shortest sequence "
                                           "(default 5000, live 300; 0: each failure as first found)")
    model_seed: int = option("--model-seed", default=0, parse=int, metavar="SEED",
                             help="what the model generates (default 0): a failure's seed replays it")
    merchant_driver: str = option("--merchant-driver", default="api", choices=MERCHANT_DRIVERS,
                                  help="how the merchant acts: the public API; (embedded only) the sandbox's flow "
                                       "pages over plain HTTP, or its flow in a browser; or (live) a person who links "
                                       "the merchants the run prints, 3 at most")
    # The merchant's side in a real browser (profile, "What the merchant sees"): see suite/merchant_eyes.py.
    browser: str | None = option("--browser", env=BROWSER_ENV, metavar="PATH",
                                 help="the Chromium that shows the merchant's side; live runs find one on PATH by "
                                      "themselves, embedded runs use one only when asked")
    # Settings hold the browser resolved to a path, or None: the run was not asked to drive one.
    flow_style: str = option("--flow-style", default="pages", given=None, choices=FLOW_STYLES,
                             help="embedded only: the sandbox's flow as server-rendered pages (default) or a "
                                  "browser app")
    keep: bool = option("--keep", default=False, switch=True,
                        help="live: keep the companies and subscriptions the run created, for debugging "
                             "(`sfc-conformance cleanup` removes them later)")
    linked_companies: tuple[str, ...] = option("--linked-company", default=(), many=True, metavar="ID",
                                               help="live: a merchant a person linked and configured beforehand; "
                                                    "scenarios that need a linked merchant use it and put its "
                                                    "configuration back (repeatable)")
    link_timeout: float = option("--link-timeout", default=600.0, parse=float, metavar="SECONDS",
                                 help="--merchant-driver manual: how long a person has to link the merchants")
    manual_links: int = option("--manual-links", default=3, parse=int, metavar="N",
                               help="--merchant-driver manual: merchants to ask a person to link (default 3); "
                                    "rules that would need more are n/a")
    timeout: float = option("--timeout", default=15.0, parse=float, help="seconds to wait for each answer")
    connect_timeout: float = option("--connect-timeout", default=10.0, parse=float,
                                    help="seconds to wait for a connection to the target")
    # Not an option: what the sandbox's flow pages sign in with.
    credentials: dict[str, str] = field(default_factory=lambda: {"username": "sfc-conformance",
                                                                  "password": "sfc-conformance"})

    @property
    def live(self) -> bool:
        return self.target == "live"


OPTIONS = options_of(Settings)  # by field: the table `run`'s command line and the plugin's options are built from


def checked(given: Mapping[str, Any]) -> Settings:
    """Frozen settings from what was given (by field; a field not given keeps its default), every check made.

    ``sfc-conformance run`` calls it before pytest starts, the plugin for plain pytest runs.
    """
    values = {**{name: each.default for name, each in OPTIONS.items()}, **given}
    base_url, api_key = values["base_url"], values["api_key"] or None
    live = (values["target"] or ("live" if base_url else "embedded")) == "live"
    faults, variants = values["sandbox_faults"], values["sandbox_variants"]
    for name, key in (("commerce key", values["commerce_key"]), ("accounting key", values["accounting_key"])):
        if not PLATFORM_KEY.match(key):
            raise UsageError(f"{name} {key!r} is not a platform key: four lower-case letters, like lqai or gbol")
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        raise UsageError(f"sandbox fault {unknown[0]!r} is unknown; known faults: {', '.join(sorted(FAULTS))}")
    unknown = [v for v in variants if v not in VARIANTS]
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
        if faults or variants:
            raise UsageError(f"{'--sandbox-fault' if faults else '--sandbox-variant'} applies to the embedded "
                             "sandbox only, not to --base-url targets")
        if values["merchant_driver"] == "pages":
            raise UsageError("--merchant-driver pages walks the embedded sandbox's pages; "
                             "it does not go with --base-url")
    browser, flow_style = check_merchant_side(live=live, browser=values["browser"], flow_style=values["flow_style"],
                                              merchant_driver=values["merchant_driver"])
    _check_live_only(live, values)
    if values["fuzz_examples"] < 1:
        raise UsageError(f"--fuzz-examples {values['fuzz_examples']} must be 1 or more")
    if values["model_budget"] < 0:
        raise UsageError(f"--model-budget {values['model_budget']} must be 0 (no model run) or more")
    if values["model_shrink"] is not None and values["model_shrink"] < 0:
        raise UsageError(f"--model-shrink {values['model_shrink']} must be 0 (no shrinking) or more calls")
    if values["model_seed"] < 0:
        raise UsageError(f"--model-seed {values['model_seed']} must be 0 or more")
    for flag, seconds in (("--timeout", values["timeout"]), ("--connect-timeout", values["connect_timeout"])):
        if not seconds > 0:  # also refuses nan
            raise UsageError(f"{flag} {seconds:g} must be more than 0 seconds")
    return Settings(**{**values, "target": "live" if live else "embedded",
                       "base_url": base_url.rstrip("/") if base_url else None, "api_key": api_key,
                       "webhook_secret": values["webhook_secret"] or None, "browser": browser,
                       "flow_style": flow_style})


def check_merchant_side(*, live: bool, browser: str | None, flow_style: str | None,
                        merchant_driver: str) -> tuple[str | None, str]:
    """(the browser the run was asked to drive, resolved, or None; the embedded sandbox's flow style).

    A combination that cannot work is a :class:`UsageError` that says why.
    """
    if flow_style is not None and flow_style not in FLOW_STYLES:
        raise UsageError(f"--flow-style {flow_style!r} is unknown; known: {', '.join(FLOW_STYLES)}")
    if live and flow_style is not None:
        raise UsageError("--flow-style picks the embedded sandbox's flow; a target at --base-url serves its own "
                         "(the suite notices a browser app by itself)")
    if live and merchant_driver == "browser":
        raise UsageError("--merchant-driver browser walks the embedded sandbox's flow, whose screens it knows; a "
                         "live flow's screens, and its accounting platform's sign-in, are the target's own, so it "
                         "does not go with --base-url (the OTP rules use the browser there by themselves)")
    if merchant_driver == "pages" and flow_style == "app":
        raise UsageError("--merchant-driver pages reads server-rendered pages; the app-style flow is walked with "
                         "--merchant-driver browser")
    path = None
    if browser or merchant_driver == "browser":
        try:
            path = asked_browser(browser)  # a named browser that is not there is a UsageError already
        except BrowserUnavailable as error:
            raise UsageError(f"--merchant-driver browser needs a browser: {error}") from None
    return path, flow_style or "pages"


def asked_browser(browser: str | None) -> str:
    """The executable of the browser asked for (``--browser`` or ``SFC_BROWSER``), else the first on PATH.

    A named one that is not there is a :class:`UsageError` naming it as it was given.
    """
    if browser and named(OPTIONS["browser"], browser) == BROWSER_ENV:
        return find_browser(None, {BROWSER_ENV: browser})
    return find_browser(browser, {})  # the environment was read with the options, once


def _check_live_only(live: bool, values: Mapping[str, Any]) -> None:
    """The options about a real account: what the run leaves there, and who links its merchants."""
    if not live:
        named_option = ("--merchant-driver manual" if values["merchant_driver"] == "manual" else
                        "--keep" if values["keep"] else "--linked-company" if values["linked_companies"] else None)
        if named_option:
            raise UsageError(f"{named_option} is for a live target (--base-url); the embedded sandbox keeps nothing "
                             "and links its merchants itself")
    for company in values["linked_companies"]:
        if not company.strip() or any(c in company for c in "/?#% "):
            raise UsageError(f"--linked-company {company!r} is not a company id")
    if not values["link_timeout"] > 0:
        raise UsageError(f"--link-timeout {values['link_timeout']:g} must be more than 0 seconds")
    if values["manual_links"] < 1:
        raise UsageError(f"--manual-links {values['manual_links']} must be 1 or more")
