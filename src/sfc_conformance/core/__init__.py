"""The core every other layer builds on: clock, secrets, errors, the one HTTP client, the API,
the contract, the rules, targets and the readiness logic.  It imports no other layer."""
