"""Repository root: every pytest run here (the suite in steps/, the project's tests in tests/)
loads the conformance plugin: target selection, the fixtures steps ask for, the verdict."""

pytest_plugins = ["sfc_conformance.suite.plugin", "sfc_conformance.report.plugin"]
