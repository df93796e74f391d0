"""sfc-conformance: contract and conformance suite for Codat's Sync configuration flow.

Public surface:

* :mod:`sfc_conformance.sandbox` – the embedded, Codat-like sandbox (a Starlette app).
* :mod:`sfc_conformance.core.http` – HTTP plumbing, with the one client the suite speaks through
  (:class:`~sfc_conformance.core.http.ApiClient`).
* :mod:`sfc_conformance.core.profile` – the profile's rules, our OpenAPI contract and response
  validation (:class:`~sfc_conformance.core.profile.Contract`), the verdict.
* :mod:`sfc_conformance.verdicts` – from rule-tagged scenarios to a verdict
  (:class:`~sfc_conformance.verdicts.VerdictRecorder`).
* :mod:`sfc_conformance.commands.cli` – the ``sfc-conformance`` command.
"""

__version__ = "0.1.0"
