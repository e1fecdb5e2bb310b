"""User modules to import before a run (custom litellm providers), in this process and in workers."""

from __future__ import annotations

from simulator.core.errors import fail


def import_plugins() -> None:
    """Import modules named in EMPATHY_SIM_IMPORT (comma-separated), e.g. to register custom
    litellm providers; inherited by sweep jobs in other processes."""
    import importlib
    import os

    for name in filter(None, (m.strip() for m in os.environ.get("EMPATHY_SIM_IMPORT", "").split(","))):
        try:
            importlib.import_module(name)
        except ImportError as e:
            fail(f"EMPATHY_SIM_IMPORT: cannot import {name!r}: {e}")
