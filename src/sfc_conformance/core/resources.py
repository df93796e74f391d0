"""Where the suite's files are: inside the installed package, or at the top of a checkout.

A wheel carries ``features/``, ``steps/`` and ``contracts/`` inside the package;
a checkout (or an editable install) keeps them at the repository's top level.
"""

from __future__ import annotations

from pathlib import Path

# This file lives in sfc_conformance/core/: the package is one folder up, the checkout three.
_PACKAGE = Path(__file__).resolve().parents[1]


def resource_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the suite's {name}/ folder is missing from {_PACKAGE} and its checkout")


def contract_path() -> Path:
    return resource_dir("contracts") / "sync-flow.openapi.yaml"
