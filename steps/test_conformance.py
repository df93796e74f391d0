"""Every scenario of the top-level features, bound to the steps in this folder.

The features in subfolders belong to other commands, with steps of their own:
``features/consumer/`` is run by ``sfc-conformance consumer`` (:mod:`sfc_conformance.consumer.scenarios`).
"""

from pathlib import Path

from pytest_bdd import scenarios

scenarios(*sorted(str(path) for path in (Path(__file__).resolve().parent.parent / "features").glob("*.feature")))
