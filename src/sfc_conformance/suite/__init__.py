"""The conformance suite's machinery: settings, targets in a run, observations, drivers, verdict.

Step definitions (``steps/``) stay thin and read like the Gherkin they serve;
what they need beyond a call and an assertion lives here.
"""
