"""sfc-conformance: contract and conformance suite for Codat's Sync configuration flow.

Public surface:

* :mod:`sfc_conformance.sandbox` – the embedded, Codat-like sandbox (a Starlette app).
* :mod:`sfc_conformance.core.client` – the one HTTP client the suite speaks through.
* :mod:`sfc_conformance.core.contract` – our OpenAPI contract and response validation.
* :mod:`sfc_conformance.commands.cli` – the ``sfc-conformance`` command.
"""

__version__ = "0.1.0"
