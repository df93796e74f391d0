"""The project's own tests (a package, so that mypy and pytest tell tests/conftest.py from the root conftest.py)."""
