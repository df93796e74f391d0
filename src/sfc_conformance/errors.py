"""What can go wrong talking to a target, as one-line messages.

    TargetError                 the target could not be used at all (exit code 2)
    ├── TargetUnreachable       no connection: wrong URL, nothing listening, DNS
    ├── TargetTimedOut          connected, but no answer in time
    ├── KeyRefused              the API key was refused (401/403)
    └── NotJson                 an API answer that is not JSON
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


class KeyRefused(TargetError):
    pass


class NotJson(TargetError):
    pass
