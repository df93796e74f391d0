"""The PWH judgements: from the replies a partner's endpoint gave to what each rule makes of them.

Each check returns a :class:`Judgement`: pass, FAIL with what the suite saw,
or n/a with the reason.  Without the signing secret the suite cannot sign as
Codat does, so an endpoint that refuses its deliveries with 400, 401 or 403 is
most likely verifying signatures, as it should (Standard Webhooks' and Svix's
own examples answer a failed verification with 400; others use 401 or 403):
the checks that need a delivery accepted are then n/a ("give --secret"),
never FAIL.  No answer, a 5xx or any other status still FAILs them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sfc_conformance.consumer.endpoint import ANSWER_WITHIN, Reply

PASS, FAIL, NA = "pass", "FAIL", "n/a"
# How an endpoint refuses a signature it cannot verify.
SIGNATURE_REFUSALS = frozenset({400, 401, 403})
NEEDS_SECRET = ("without --secret the suite cannot sign as Codat does, so refusing its deliveries is right; "
                "give --secret (or SFC_WEBHOOK_SECRET) to judge")


@dataclass(frozen=True)
class Judgement:
    status: str
    text: str = ""  # FAIL: what the suite saw; n/a: why


def refused_for_its_signature(reply: Reply, has_secret: bool) -> bool:
    """Without the secret: did the endpoint refuse the delivery the way a signature check does?"""
    return not has_secret and reply.status in SIGNATURE_REFUSALS


def accepts_our_signatures(first: Reply, has_secret: bool, rule: str) -> Judgement:
    """Before sending what only an accepted delivery can show: n/a when, without the secret, the
    endpoint refused the first delivery for its signature (its other deliveries would fare the same)."""
    if refused_for_its_signature(first, has_secret):
        return Judgement(NA, f"the endpoint answered {first.status} to the first delivery: {NEEDS_SECRET} {rule}")
    return Judgement(PASS)


def retry_possible(first: Reply, has_secret: bool) -> Judgement:
    """PWH-3 needs a delivery the endpoint acknowledged: only then is a second attempt a retry."""
    judged = accepts_our_signatures(first, has_secret, "PWH-3")
    if judged.status == PASS and not first.acknowledged:
        return Judgement(NA, f"the first delivery was not acknowledged ({first.describe()}; see PWH-1), so a "
                             "retry cannot be told from a first attempt")
    return judged


def _hinted(text: str, reply: Reply) -> str:
    """A failure's text, and what the delivery tried when it says (a delivery's hint)."""
    return f"{text} ({reply.delivery.hint})" if reply.delivery.hint else text


def acknowledged(reply: Reply, has_secret: bool, rule: str) -> Judgement:
    """PWH-1, PWH-4: a correctly signed delivery is answered 2xx within 15 s."""
    if refused_for_its_signature(reply, has_secret):
        return Judgement(NA, f"the endpoint answered {reply.status} to {reply.delivery.what}: {NEEDS_SECRET} {rule}")
    if reply.acknowledged and reply.seconds <= ANSWER_WITHIN:
        return Judgement(PASS)
    return Judgement(FAIL, f"{reply.delivery.what}: {_not_acknowledged(reply, has_secret)}")


def _not_acknowledged(reply: Reply, has_secret: bool) -> str:
    if reply.acknowledged:
        return f"answered {reply.status} after {reply.seconds:.1f} s, later than the {ANSWER_WITHIN:g} s Codat allows"
    seen = reply.describe()
    if reply.status is None:
        return seen
    if reply.status in (404, 405):
        return f"{seen}: is this the URL of the endpoint, and does it take POST?"
    if reply.delivery.hint:
        return _hinted(f"{seen}, not 2xx", reply)
    if reply.status in (401, 403) and has_secret:
        return (f"{seen}: refused, though signed with the given secret; is --secret the endpoint's signing "
                "secret, and does it verify the body exactly as received?")
    return f"{seen}, not 2xx"


def refused(reply: Reply) -> Judgement:
    """PWH-2: a delivery that is not correctly signed is refused with a 4xx: never 2xx, never 5xx."""
    if reply.status is not None and 400 <= reply.status < 500:
        return Judgement(PASS)
    if reply.acknowledged:
        return Judgement(FAIL, _hinted(f"{reply.delivery.what} was accepted: {reply.describe()}; an endpoint that "
                                       "takes it would act on a forged or replayed event", reply))
    if reply.status is not None and reply.status >= 500:
        return Judgement(FAIL, _hinted(f"{reply.delivery.what}: {reply.describe()}; refuse it with a 4xx: a 5xx "
                                       "tells the sender to try again", reply))
    return Judgement(FAIL, _hinted(f"{reply.delivery.what}: {reply.describe()}, not a 4xx refusal", reply))


def retry_acknowledged(first: Reply, retry: Reply, has_secret: bool) -> Judgement:
    """PWH-3: after the endpoint acknowledged a delivery, the same delivery again is acknowledged too."""
    judged = acknowledged(retry, has_secret, "PWH-3")
    if judged.status == FAIL:
        return Judgement(FAIL, f"{judged.text}; the first attempt was answered {first.status}: a retry is "
                               "acknowledged, not an error")
    return judged


def burst_acknowledged(replies: list[Reply], has_secret: bool) -> Judgement:
    """PWH-5: every one of a burst of deliveries is answered 2xx within 15 s."""
    if replies and all(refused_for_its_signature(r, has_secret) for r in replies):
        statuses = ", ".join(sorted({str(r.status) for r in replies}))
        return Judgement(NA, f"the endpoint answered {statuses} to the burst: {NEEDS_SECRET} PWH-5")
    bad = [r for r in replies if acknowledged(r, has_secret, "PWH-5").status == FAIL]
    if not bad:
        return Judgement(PASS)
    kinds = Counter(str(r.status) if r.status is not None else "no answer" for r in bad)
    counted = ", ".join(f"{kind} ×{count}" for kind, count in kinds.most_common())
    worst = bad[0]
    return Judgement(FAIL, f"{len(bad)} of {len(replies)} deliveries sent at once were not acknowledged within "
                           f"{ANSWER_WITHIN:g} s ({counted}); the first: {_not_acknowledged(worst, has_secret)}")


def slowest(replies: list[Reply]) -> str:
    """A note for the verdict table: how long the slowest answer took."""
    answered = [r for r in replies if r.status is not None]
    if not answered:
        return ""
    return f"slowest of {len(replies)}: {max(r.seconds for r in answered):.2f} s"
