"""Before any rule runs: the check lives in core (:mod:`sfc_conformance.preflight`), shared with the commands."""

from __future__ import annotations

from ..preflight import preflight

__all__ = ["preflight"]
