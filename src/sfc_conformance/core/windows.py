"""The time windows of the profile, in one place: the OTP's 30 s and the live allowances around it.

The sandbox issues OTPs that live ``OTP_LIFETIME``; the suite judges any target by the same window.
On a live target the suite cannot see when the OTP was issued, only when the
start call was sent and when its answer came back, so OTP-1 and OTP-2 allow
network slack without leaving a blind band (profile, OTP-2):

* a link opened at most ``LIVE_VALID_WITHIN`` s after the start call was *sent* must open;
* a link opened at least ``LIVE_EXPIRED_AFTER`` s after its answer was *received* must be refused;
* OTP-1's late open happens ``LATE_OPEN_AT`` s after the start call was sent, inside the
  ``LATE_OPEN_BAND`` the profile names, so an OTP that dies early is caught.
"""

from __future__ import annotations

from datetime import timedelta

OTP_WINDOW = 30.0
OTP_LIFETIME = timedelta(seconds=OTP_WINDOW)
LIVE_VALID_WITHIN = 28.0
LIVE_EXPIRED_AFTER = 31.0
LATE_OPEN_BAND = (20.0, LIVE_VALID_WITHIN)
LATE_OPEN_AT = 24.0  # the middle of the band: a few seconds of a slow thread either way still land in it
