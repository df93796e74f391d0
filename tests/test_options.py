"""One options table: ``run``'s command line and the plugin's ``--sfc-*`` options come from it and agree."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from sfc_conformance.commands import cli
from sfc_conformance.commands.run import pytest_arguments
from sfc_conformance.core.errors import UsageError
from sfc_conformance.core.secrets import Secret
from sfc_conformance.suite.options import add_pytest_options, given_by_args, given_to_pytest
from sfc_conformance.suite.plugin import SuitePlugin
from sfc_conformance.suite.settings import OPTIONS, Settings, checked

README = Path(__file__).resolve().parents[1] / "README.md"
# The same run, as `sfc-conformance run` takes it and as plain pytest does.
RUN = ["--base-url", "http://target.test/", "--api-key", "k-options-7Hq", "--webhook-secret", "whsec_opt9Lm",
       "--commerce-key", "shop", "--strict", "--timeout", "3", "--connect-timeout", "2.5", "--fuzz-examples", "2",
       "--linked-company", "c1", "--linked-company", "c2", "--keep", "--receiver-port", "8123"]


class _Group:
    """pytest's option group, as far as the plugin uses it: its options land on an argparse parser."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser

    def addoption(self, *flags: str, **how: Any) -> None:
        self.parser.add_argument(*flags, **how)


class _PytestParser:
    def __init__(self) -> None:
        self.parser = argparse.ArgumentParser()

    def getgroup(self, name: str, description: str = "") -> _Group:
        return _Group(self.parser)


class _Config:
    def __init__(self, namespace: argparse.Namespace) -> None:
        self.namespace = namespace

    def getoption(self, dest: str) -> Any:
        return getattr(self.namespace, dest)


def _by_pytest(argv: list[str]) -> dict[str, Any]:
    parser = _PytestParser()
    add_pytest_options(parser, OPTIONS.values())  # type: ignore[arg-type]
    return given_to_pytest(_Config(parser.parser.parse_args(argv)), OPTIONS.values())  # type: ignore[arg-type]


def _by_run(argv: list[str]) -> dict[str, Any]:
    return given_by_args(cli.build_parser().parse_args(["run", *argv]), OPTIONS.values())


def test_every_option_is_a_field_of_the_settings_and_has_the_fields_default() -> None:
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    assert set(OPTIONS) <= set(fields)
    assert set(fields) - set(OPTIONS) == {"credentials"}  # the one setting nobody gives
    unasked = {"target": None, "flow_style": None}  # "not asked" is not the default there: checked() decides
    for name, option in OPTIONS.items():
        assert option.default == unasked.get(name, fields[name].default), name


def test_run_and_plain_pytest_take_the_same_options_with_the_same_defaults() -> None:
    assert _by_run([]) == {k: v for k, v in _by_pytest([]).items() if k != "target"}
    pytest_argv = [f"--sfc-{word[2:]}" if word.startswith("--") else word for word in RUN]
    assert _by_run(RUN) == {k: v for k, v in _by_pytest(pytest_argv).items() if k != "target"}
    settings = checked(_by_pytest(pytest_argv))
    assert settings == checked(_by_run(RUN))
    assert (settings.live, settings.base_url, settings.timeout, settings.linked_companies) == (
        True, "http://target.test", 3.0, ("c1", "c2"))
    assert settings.api_key == Secret("k-options-7Hq") and settings.webhook_secret == Secret("whsec_opt9Lm")


def test_the_environment_stands_in_for_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFC_BASE_URL", "http://env.test")
    monkeypatch.setenv("SFC_API_KEY", "k-env-3Rt")
    monkeypatch.setenv("SFC_ACCOUNTING_KEY", "qhyg")
    for given in (_by_run([]), _by_pytest([])):
        settings = checked(given)
        assert (settings.live, settings.base_url, settings.accounting_key) == (True, "http://env.test", "qhyg")
        assert isinstance(settings.api_key, Secret) and settings.api_key == Secret("k-env-3Rt")
    assert checked(_by_run(["--base-url", "http://flag.test"])).base_url == "http://flag.test"  # the flag wins


def test_the_plugin_names_its_own_flags_in_its_help() -> None:
    parser = _PytestParser()
    add_pytest_options(parser, OPTIONS.values())  # type: ignore[arg-type]
    shown = parser.parser.format_help()
    assert "--sfc-merchant-driver manual: how long" in shown
    assert "(env SFC_BASE_URL)" in shown and "(env SFC_BROWSER)" in shown


def test_run_hands_the_settings_to_the_plugin_object_not_to_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFC_WEBHOOK_SECRET", "whsec_argv4Zp")
    args = cli.build_parser().parse_args(["run", *RUN[:4], "--tags", "OTP-2"])
    shown = " ".join(pytest_arguments(args))
    assert "--sfc-" not in shown and "k-options-7Hq" not in shown and "whsec_" not in shown
    assert shown.endswith("-m OTP-2")
    settings = checked(given_by_args(args, OPTIONS.values()))
    assert settings.webhook_secret == Secret("whsec_argv4Zp")
    assert SuitePlugin(settings).settings is settings


@pytest.mark.parametrize(("given", "says"), [
    ({"sandbox_faults": ("no-such-fault",)}, "sandbox fault 'no-such-fault' is unknown"),
    ({"commerce_key": "LQAI"}, "commerce key 'LQAI' is not a platform key"),
    ({"target": "live"}, "a live run needs a base URL"),
    ({"merchant_driver": "manual"}, "--merchant-driver manual is for a live target"),
    ({"timeout": float("nan")}, "--timeout nan must be more than 0 seconds"),
])
def test_checked_settings_refuse_in_one_line(given: dict[str, Any], says: str) -> None:
    with pytest.raises(UsageError, match=says) as refused:
        checked(given)
    assert "\n" not in str(refused.value)


def test_the_readme_names_every_environment_variable() -> None:
    if not README.is_file():
        pytest.skip("no checkout beside the installed package")
    readme = README.read_text(encoding="utf-8")
    assert [o.env for o in OPTIONS.values() if o.env and o.env not in readme] == []
