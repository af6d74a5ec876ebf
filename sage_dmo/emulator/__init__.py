"""A local SDMO tenant: token API and GraphQL endpoint over seeded SQLite data.

Run it with ``sage-dmo emulator``, in-process with ``async with Emulator()``, in
a background thread with ``EmulatorThread``, or in pytest through the
``sage_dmo_emulator`` fixture that this package registers.
"""

from __future__ import annotations

from ._app import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TENANT_ID,
    Emulator,
    EmulatorConfig,
    EmulatorThread,
)
from ._clock import ManualClock
from ._token_api import EmulatorCounters

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_TENANT_ID",
    "Emulator",
    "EmulatorConfig",
    "EmulatorCounters",
    "EmulatorThread",
    "ManualClock",
]
