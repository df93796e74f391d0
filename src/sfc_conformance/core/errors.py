"""What can go wrong talking to a target, as one-line messages.

    TargetError                 the target could not be used (exit code 2 before any rule ran;
    │                           afterwards the scenario that met it fails with the message)
    ├── TargetUnreachable       no connection: wrong URL, nothing listening, DNS, TLS
    ├── TargetTimedOut          no connection, or no answer, in time
    │   └── AnswerTimedOut      connected, but no answer in time (a slow target, not a missing one)
    ├── KeyRefused              the API key was refused (401/403)
    ├── NotJson                 an API answer that is not JSON (HTML, or JSON cut short); a web page
    │                           where a webhook endpoint should answer
    ├── AnswerCutShort          the connection broke in the middle of an answer, or it was not HTTP
    ├── AnswerTooLarge          an answer larger than the client reads
    ├── Redirected              an API call answered with a redirect (or a loop of them)
    └── RateLimited             429 to every try, after the retries
    UsageError                  bad options or environment (exit code 2)
"""

from __future__ import annotations


class SfcError(Exception):
    """Base: ``str(error)`` is one line meant for a person."""


class UsageError(SfcError):
    pass


class TargetError(SfcError):
    pass


class TargetUnreachable(TargetError):
    pass


class TargetTimedOut(TargetError):
    pass


class AnswerTimedOut(TargetTimedOut):
    pass


class KeyRefused(TargetError):
    pass


class NotJson(TargetError):
    pass


class AnswerCutShort(TargetError):
    pass


class AnswerTooLarge(TargetError):
    pass


class Redirected(TargetError):
    pass


class RateLimited(TargetError):
    pass
