"""The core every other layer builds on.  It imports no other layer.

    profile/      the profile's data and the judgements that live with its rules: rules, windows,
                  the contract, the verdict, readiness (READY-1), connection_deleted (DEL-1), otps (OTP-6)
    account/      operations on a target's account: the API, targets, run identity, deletion and
                  leftovers, the webhook receiver and signing
    http/         HTTP plumbing: the one client, TLS, the ASGI bridge, the background server,
                  pacing, listing, the preflight
    clock, errors, secrets, evidence, resources, fault_switches
                  the base every subpackage may import

In that order: profile may import account, account may import http, and all of
them the base (the contract in ``pyproject.toml``).  Each subpackage keeps its
modules private (``_client.py``) and names its public surface in ``__init__``.
"""
