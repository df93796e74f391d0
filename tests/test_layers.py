"""The package's layers hold, and no module or package imports itself round a loop.

The layers are the contract in ``pyproject.toml`` ([tool.importlinter]): core, then
the engines (sandbox, fuzzing, merchant; the suite; consumer and audit), then the
report, then the commands, which nothing imports.  Imports made only for type
checking count too: a loop a type checker sees is a loop a reader has to follow.
"""

from __future__ import annotations

import graphlib
import subprocess
import sys
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


def test_every_layer_imports_only_the_layers_below_it() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")  # import-linter's own command
    done = subprocess.run([str(lint_imports), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_nothing_imports_the_commands(graph: grimp.ImportGraph) -> None:
    commands = f"{PACKAGE}.commands"
    outside = {importer for module in graph.find_children(commands) | {commands}
               for importer in graph.find_modules_that_directly_import(module)
               if importer != commands and not importer.startswith(f"{commands}.")}
    assert outside <= {f"{PACKAGE}.__main__"}, f"modules outside the commands import them: {sorted(outside)}"
