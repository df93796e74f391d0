"""The conformance suite's machinery: settings, the run's parts, drivers, the verdict.

Step definitions (``steps/``) stay thin and read like the Gherkin they serve;
each asks, as fixtures, for the parts of the run it uses (:mod:`.plugin` lists
them); what they need beyond a call and an assertion lives here.
"""
