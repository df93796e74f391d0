"""The installed package carries the suite it runs: features, steps, contract, pytest settings."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

import sfc_conformance
from sfc_conformance.core.resources import contract_path, resource_dir

PACKAGE = Path(sfc_conformance.__file__).resolve().parent
INSTALLED = PACKAGE.is_relative_to(Path(sysconfig.get_paths()["purelib"]).resolve())


@pytest.mark.parametrize("name", ["features", "steps", "contracts"])
def test_the_suite_resources_are_found(name: str) -> None:
    folder = resource_dir(name)
    assert any(folder.iterdir())
    if INSTALLED:  # a wheel install must not depend on a checkout next to it
        assert folder.parent == PACKAGE


def test_the_packaged_suite_is_complete() -> None:
    if not INSTALLED:
        pytest.skip("running from a checkout (editable install); tox tests the built wheel")
    features = {p.relative_to(PACKAGE / "features") for p in (PACKAGE / "features").rglob("*.feature")}
    assert Path("consumer/partner_webhook_endpoint.feature") in features  # `sfc-conformance consumer`'s
    repository = Path(__file__).resolve().parents[1] / "features"
    if repository.is_dir():
        assert features == {p.relative_to(repository) for p in repository.rglob("*.feature")}
    assert (PACKAGE / "steps" / "test_conformance.py").is_file()
    assert (PACKAGE / "suite" / "pytest.ini").is_file()
    assert (PACKAGE / "sandbox" / "flow_app.js").is_file()  # the app-style flow's script
    assert contract_path().is_file()
