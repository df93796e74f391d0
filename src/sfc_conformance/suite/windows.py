"""The time windows a run judges by: they live in :mod:`sfc_conformance.windows`, shared with the sandbox."""

from __future__ import annotations

from ..windows import LATE_OPEN_AT, LATE_OPEN_BAND, LIVE_EXPIRED_AFTER, LIVE_VALID_WITHIN, OTP_WINDOW

__all__ = ["LATE_OPEN_AT", "LATE_OPEN_BAND", "LIVE_EXPIRED_AFTER", "LIVE_VALID_WITHIN", "OTP_WINDOW"]
