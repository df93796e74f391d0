"""The embedded sandbox: a stateful, Codat-like Sync for Commerce target.

``app.Sandbox`` assembles it; ``serve`` serves it.  Importing this package
imports nothing heavy, so the command line can read the fault list cheaply.
"""
