"""The embedded sandbox: a stateful, Codat-like Sync for Commerce target."""

from .app import DEFAULT_API_KEY, Sandbox
from .faults import FAULTS

__all__ = ["DEFAULT_API_KEY", "FAULTS", "Sandbox"]
