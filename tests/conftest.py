"""Shared fixtures: an in-loop emulator on a controllable clock, and clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from sage_dmo import SageDMOClient
from sage_dmo.emulator import Emulator, ManualClock

StartEmulator = Callable[..., Awaitable[Emulator]]

SITES_QUERY = "{ xtremSystem { site { query(first: 5) { totalCount } } } }"


@pytest.fixture
def clock() -> ManualClock:
    """One clock for the emulator and the client, moved by hand."""
    return ManualClock()


@pytest.fixture
async def start_emulator(clock: ManualClock) -> AsyncIterator[StartEmulator]:
    """Start emulators in this test's event loop; all stop when the test ends."""
    started: list[Emulator] = []

    async def start(**overrides: Any) -> Emulator:
        overrides.setdefault("rows", 40)
        overrides.setdefault("clock", clock.now)
        emulator = Emulator(**overrides)
        await emulator.start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        await emulator.stop()


@pytest.fixture
async def emulator(start_emulator: StartEmulator) -> Emulator:
    """An emulator with small data on the shared manual clock."""
    return await start_emulator()


@pytest.fixture
def make_client(emulator: Emulator, clock: ManualClock) -> Callable[..., SageDMOClient]:
    """Build clients for ``emulator`` on the shared manual clock."""

    def make(**options: Any) -> SageDMOClient:
        options.setdefault("clock", clock.monotonic)
        return SageDMOClient(emulator.settings(), **options)

    return make
