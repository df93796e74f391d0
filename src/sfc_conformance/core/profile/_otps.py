"""OTP-6's judgement: whether a series of one-time passwords is predictable.

A counter is predictable whether or not it wraps: OTPs of ``d`` digits that
step by the same amount modulo ``10**d`` form a progression too (profile v3,
OTP-6), as ``999998, 999999, 000000, 000001`` does.
"""

from __future__ import annotations

from collections.abc import Sequence


def progression(otps: Sequence[str]) -> str | None:
    """How the OTPs step by one amount every time, modulo ``10**digits`` ("step by 7 every time (modulo
    1000000)"); None when they do not, or are too few to tell (fewer than three)."""
    if len(otps) < 3 or not all(otp.isdigit() for otp in otps):
        return None
    modulus = 10 ** max(len(otp) for otp in otps)
    values = [int(otp) for otp in otps]
    steps = {(later - earlier) % modulus for earlier, later in zip(values, values[1:], strict=False)}
    if len(steps) != 1:
        return None
    step = steps.pop()
    shown = step if step <= modulus // 2 else step - modulus  # a counter going down steps by a negative amount
    return f"step by {shown} every time (modulo {modulus})"
