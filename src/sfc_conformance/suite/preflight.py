"""Before any rule runs: the check lives in core (:mod:`sfc_conformance.core.preflight`), shared with the commands."""

from __future__ import annotations

from sfc_conformance.core.preflight import preflight

__all__ = ["preflight"]
