"""The package's layers hold, and no module or package imports itself round a loop.

The layers are contracts in ``pyproject.toml`` ([tool.importlinter]): core, then the
engines side by side (sandbox, fuzzing, merchant, audit, verdicts), then the runs side
by side (suite, consumer, report), then the commands, which nothing imports.  Inside
core: profile, then account, then http, then the base modules (clock, errors, ...).
A private module (``core.http._client``) is imported only from inside its package
(``core.http``); everyone else uses the names the package's ``__init__`` exports
(``from sfc_conformance.core.http import ApiClient``).  Tests may reach inside.
Imports made only for type checking count too: a loop a type checker sees is a loop
a reader has to follow.
"""

from __future__ import annotations

import graphlib
import importlib
import os
import subprocess
import sys
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Set
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "sfc_conformance"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, cache_dir=None)


def first_cycle(imports: Mapping[str, Set[str]]) -> list[str]:
    """One loop in ``imports`` (importer -> what it imports), as the modules round it; [] if there is none."""
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return []


def package_of(module: str) -> str:
    """``sfc_conformance.suite.world`` -> ``sfc_conformance.suite``; a top-level module is its own."""
    return ".".join(module.split(".")[:2])


def test_the_cycle_check_finds_a_loop_and_only_a_loop() -> None:
    assert first_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) in (["a", "c", "b", "a"], ["b", "a", "c", "b"],
                                                                 ["c", "b", "a", "c"])
    assert first_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_module_imports_itself_round_a_loop(graph: grimp.ImportGraph) -> None:
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    assert first_cycle(imports) == []


def test_no_package_imports_itself_round_a_loop(graph: grimp.ImportGraph) -> None:
    imports: dict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if package_of(module) != package_of(imported):
                imports[package_of(module)].add(package_of(imported))
    assert first_cycle(imports) == []


def lint_imports(config: Path, cwd: Path | None = None,
                 env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).with_name("lint-imports")  # import-linter's own command
    return subprocess.run([str(command), "--config", str(config), "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_every_layer_imports_only_the_layers_below_it() -> None:
    done = lint_imports(ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


PLANTED = {  # a tiny package shaped like ours: core.http keeps _client private and exports ApiClient
    "planted/__init__.py": "",
    "planted/core/__init__.py": "",
    "planted/core/http/__init__.py": "from planted.core.http._client import ApiClient\n",
    "planted/core/http/_client.py": "class ApiClient:\n    pass\n",
    "planted/core/http/_pacing.py": "from planted.core.http._client import ApiClient\n",  # a sibling: allowed
    "planted/suite/__init__.py": "",
    "planted/suite/good.py": "from planted.core.http import ApiClient\n",
}


@pytest.mark.parametrize("reaching_inside", [False, True])
def test_the_private_module_contract_catches_an_import_from_outside(tmp_path: Path, reaching_inside: bool) -> None:
    """Our own private-modules contract, run on a planted package: quiet while everyone outside uses the
    package's names, broken (naming the import) once a module outside imports ``_client`` itself."""
    contracts = [contract for contract in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
                 ["contracts"] if contract["type"] == "private_modules"]
    assert contracts, "pyproject.toml has no private_modules contract"
    files = dict(PLANTED)
    if reaching_inside:
        files["planted/suite/bad.py"] = "from planted.core.http._client import ApiClient\n"
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    config = ['[tool.importlinter]', 'root_package = "planted"']
    for contract in contracts:
        config += ["", "[[tool.importlinter.contracts]]"]
        config += [f"{key} = {toml_value(value).replace(PACKAGE, 'planted')}" for key, value in contract.items()]
    (tmp_path / "planted.toml").write_text("\n".join(config) + "\n")
    done = lint_imports(tmp_path / "planted.toml", cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    said = done.stdout + done.stderr
    if reaching_inside:
        assert done.returncode == 1, said[-3000:]
        assert "planted.suite.bad -> planted.core.http._client" in said, said[-3000:]
        assert "planted.core.http._pacing" not in said, said[-3000:]
    else:
        assert done.returncode == 0, said[-3000:]


def test_nothing_imports_the_commands(graph: grimp.ImportGraph) -> None:
    commands = f"{PACKAGE}.commands"
    outside = {importer for module in graph.find_children(commands) | {commands}
               for importer in graph.find_modules_that_directly_import(module)
               if importer != commands and not importer.startswith(f"{commands}.")}
    assert outside <= {f"{PACKAGE}.__main__"}, f"modules outside the commands import them: {sorted(outside)}"


@pytest.mark.parametrize("package", ["http", "account", "profile"])
def test_every_name_a_core_package_exports_is_there(package: str) -> None:
    """Core's packages load their modules with the first name used: every name in ``__all__`` must resolve."""
    module = importlib.import_module(f"{PACKAGE}.core.{package}")
    missing = [name for name in module.__all__ if getattr(module, name, None) is None]
    assert missing == [], f"{module.__name__} exports names it does not have: {missing}"
