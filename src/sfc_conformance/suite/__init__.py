"""The conformance suite's machinery: settings, the run's parts, drivers.

Step definitions (``steps/``) stay thin and read like the Gherkin they serve;
each asks, as fixtures, for the parts of the run it uses (:mod:`.plugin` lists
them); what they need beyond a call and an assertion lives here.
The verdict recorder the plugin builds on is :mod:`sfc_conformance.verdicts`.
"""
