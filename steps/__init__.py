"""Step definitions of the conformance suite, one module per part of the flow."""
