"""The embedded sandbox: a stateful, Codat-like Sync for Commerce target.

``app.Sandbox`` assembles it; ``serve`` serves it.  Importing this package
imports nothing heavy, so the command line can read the fault list cheaply.
"""

# How the merchant's side is built: server-rendered pages (:mod:`.pages`), or a
# browser app (:mod:`.flow_app`) whose document always loads and whose own
# requests meet the OTP's 401.
FLOW_STYLES = ("pages", "app")
