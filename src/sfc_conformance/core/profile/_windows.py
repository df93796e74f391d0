"""The time windows of the profile, in one place: the OTP's 30 s and the live allowances around it.

The sandbox issues OTPs that live ``OTP_LIFETIME``; the suite judges any target by the same window.
On a live target the suite cannot see when the OTP was issued, only when the
start call was sent and when its answer came back, so OTP-1 and OTP-2 allow
network slack without leaving a blind band (profile, OTP-2):

* a link opened at most ``LIVE_VALID_WITHIN`` s after the start call was *sent* must open;
* a link opened at least ``LIVE_EXPIRED_AFTER`` s after its answer was *received* must be refused;
* OTP-1's late open must reach the target inside the ``LATE_OPEN_BAND`` the profile names
  (20–28 s after the start call was sent).  It is aimed late in the band
  (:func:`late_open_due`), so that an OTP that dies at any time before it is caught, and
  judged only when the OTP did reach the target inside the band: its first request
  carrying the OTP left no earlier than 20 s, and the last one's answer began no later
  than 28 s after the start call was sent.  An open that misses is tried once more with a
  new flow URL, then reported as not judged, with the figures (profile, "Verdicts that
  do not bend").
"""

from __future__ import annotations

from datetime import timedelta

OTP_WINDOW = 30.0
OTP_LIFETIME = timedelta(seconds=OTP_WINDOW)
LIVE_VALID_WITHIN = 28.0
LIVE_EXPIRED_AFTER = 31.0
LATE_OPEN_BAND = (20.0, LIVE_VALID_WITHIN)
# Seconds after the start call was sent, and after its answer came: the latest aim that leaves the open
# itself (a GET, or a browser's request) room inside the band.
LATE_OPEN_AT = 27.2
LATE_OPEN_LATEST = 27.6
LATE_OPEN_AFTER_ANSWER = 27.1


# OTP-2's expired open: aimed just past the live allowance, and judged only when the OTP reached the target
# within EXPIRED_OPEN_BAND s after the start call's answer, so that an OTP that lives 33 s or more is caught
# (a refusal at 45 s would prove nothing about one that lives 40 s).  One that opens is a failure whenever it came.
EXPIRED_OPEN_AT = 31.2
EXPIRED_OPEN_BAND = (LIVE_EXPIRED_AFTER, 33.0)
# A time-critical open is never early; this is the clock's own slack, not the machine's.
ON_TIME_SLACK = 0.05


def late_open_due(sent_seconds: float, received_seconds: float) -> float:
    """When OTP-1's late open should reach the target (seconds on the same scale as the two given).

    An OTP is issued between the start call's sending and its answer, so one that reaches the target
    ``LATE_OPEN_AFTER_ANSWER`` s after the answer is at least that old; a slow start call answer pushes
    the aim later, never past ``LATE_OPEN_LATEST`` s after the sending.
    """
    return max(sent_seconds + LATE_OPEN_AT,
               min(received_seconds + LATE_OPEN_AFTER_ANSWER, sent_seconds + LATE_OPEN_LATEST))
