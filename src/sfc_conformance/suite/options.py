"""How a table of options becomes a command line, pytest options, and the values a person gave.

A table is a frozen dataclass whose fields carry their option (:func:`option`):
:class:`~sfc_conformance.suite.settings.Settings` is ``sfc-conformance run``'s.
From its :func:`options_of`

* :func:`add_arguments` builds a command's argparse options (``--base-url``),
* :func:`add_pytest_options` the pytest plugin's, the same options with ``sfc-``
  after the dashes (``--sfc-base-url``), for plain ``pytest steps/``,
* :func:`given_by_args` and :func:`given_to_pytest` read back what was given, by field;
  the table's own module checks it.

An option with an environment variable takes its default from it:
:func:`from_environment` is the one place those variables are read.  A secret
option is a :class:`~sfc_conformance.core.secrets.Secret` from the moment it is
read, from the command line or from the environment.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfc_conformance.core.secrets import Secret

if TYPE_CHECKING:
    import pytest

_OPTION = "sfc-option"  # the key of a field's metadata that holds its option
_SAME = object()  # "not given" is the field's own default
PYTEST_GROUP = ("sfc", "Sync for Commerce conformance")


@dataclass(frozen=True)
class Option:
    flag: str  # on the command line; the pytest plugin's is this one with "sfc-" after the dashes
    help: str
    parse: Callable[[str], Any] = str  # a value as typed (or as the environment holds it) -> the setting
    default: Any = None  # what is given when the option is not (and its variable is unset)
    env: str | None = None  # the environment variable that stands in for the option
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    many: bool = False  # repeatable: a tuple of the values, in the order given
    switch: bool = False  # on when present; takes no value
    secret: bool = False  # a Secret from the moment it is read: never shown, masked wherever it travels
    command_line: bool = True  # False: the pytest plugin's only (``--sfc-target``)
    field: str = ""  # the table's field it fills (set by :func:`options_of`)

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def pytest_flag(self) -> str:
        return f"--sfc-{self.flag.lstrip('-')}"

    @property
    def pytest_dest(self) -> str:
        return f"sfc_{self.dest}"

    @property
    def read(self) -> Callable[[str], Any]:
        """How a value as typed is read: argparse names it in its errors ("invalid float value")."""
        return Secret if self.secret else self.parse


def option(flag: str, *, help: str, default: Any = None, given: Any = _SAME, **how: Any) -> Any:
    """A field of an options table: its default, and the :class:`Option` that sets it.

    ``given`` is what the option is when nobody gave it, if that is not the field's
    default: ``None`` where "not asked" and the default mean different things.
    """
    unasked = default if given is _SAME else given
    return dataclasses.field(default=default,
                             metadata={_OPTION: Option(flag, help, default=unasked, **how)})


def options_of(table: type) -> dict[str, Option]:
    """The options of a table, by the field each fills, in the table's order."""
    return {f.name: dataclasses.replace(f.metadata[_OPTION], field=f.name)
            for f in dataclasses.fields(table) if _OPTION in f.metadata}


def from_environment(option: Option, environ: Mapping[str, str] | None = None) -> Any:
    """The value the option's environment variable gives, read: None if it has none, or it is unset or empty."""
    environ = os.environ if environ is None else environ
    text = environ.get(option.env) if option.env else None
    return option.read(text) if text else None


def named(option: Option, value: object) -> str:
    """How a person named ``value``: the environment variable when it holds that value, else the flag."""
    return option.env if option.env and value is not None and from_environment(option) == value else option.flag


def _help(option: Option) -> str:
    return f"{option.help} (env {option.env})" if option.env else option.help


def _argparse(option: Option, help_text: str) -> dict[str, Any]:
    """The keywords of argparse's ``add_argument`` (and of pytest's ``addoption``, which passes them on)."""
    if option.switch:
        return {"action": "store_true", "default": False, "help": help_text}
    from_env = from_environment(option)
    how: dict[str, Any] = {"type": option.read, "help": help_text,
                           "default": option.default if from_env is None else from_env}
    if option.many:
        how.update(action="append", default=list(how["default"] or ()))
    if option.choices is not None:
        how["choices"] = option.choices
    if option.metavar is not None:
        how["metavar"] = option.metavar
    return how


def add(parser: argparse.ArgumentParser, option: Option, **changes: Any) -> None:
    """One option on a command's parser; ``changes`` fit it to the command (its help, flag or default)."""
    option = dataclasses.replace(option, **changes)
    parser.add_argument(option.flag, **_argparse(option, _help(option)))


def add_arguments(parser: argparse.ArgumentParser, options: Iterable[Option]) -> None:
    for each in options:
        if each.command_line:
            add(parser, each)


def add_pytest_options(parser: pytest.Parser, options: Iterable[Option]) -> None:
    options = list(options)
    flags = {each.flag: each.pytest_flag for each in options}

    def for_pytest(text: str) -> str:  # the help names the plugin's own flags
        return re.sub(r"--[a-z][a-z-]*", lambda found: flags.get(found[0], found[0]), text)

    group = parser.getgroup(*PYTEST_GROUP)
    for each in options:
        group.addoption(each.pytest_flag, dest=each.pytest_dest, **_argparse(each, for_pytest(_help(each))))


def _as_given(option: Option, value: Any) -> Any:
    return tuple(value or ()) if option.many else value


def given_by_args(args: argparse.Namespace, options: Iterable[Option]) -> dict[str, Any]:
    """What the command line (and the environment) gave, by field."""
    return {each.field: _as_given(each, getattr(args, each.dest)) for each in options if each.command_line}


def given_to_pytest(config: pytest.Config, options: Iterable[Option]) -> dict[str, Any]:
    """What pytest's ``--sfc-*`` options (and the environment) gave, by field."""
    return {each.field: _as_given(each, config.getoption(each.pytest_dest)) for each in options}
