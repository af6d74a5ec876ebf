"""pytest fixtures that serve the SDMO emulator on a free loopback port.

Registered through the ``pytest11`` entry point, so installing sage-dmo is
enough: a test asks for ``sage_dmo_emulator`` (an :class:`Emulator` running in
a background thread) or ``sage_dmo_settings`` (client settings for it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .._settings import Settings
from ._app import Emulator, EmulatorConfig, EmulatorThread


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sage_dmo_emulator(**options): EmulatorConfig fields for the "
        "sage_dmo_emulator fixture, such as access_token_lifetime=5",
    )


@pytest.fixture
def sage_dmo_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """An SDMO emulator on 127.0.0.1, started for this test and stopped after it.

    Options come from a ``@pytest.mark.sage_dmo_emulator(...)`` mark, for example
    ``@pytest.mark.sage_dmo_emulator(rows=50, access_token_lifetime=5)``.
    """
    marker = request.node.get_closest_marker("sage_dmo_emulator")
    options = dict(marker.kwargs) if marker is not None else {}
    with EmulatorThread(EmulatorConfig(), **options) as emulator:
        yield emulator


@pytest.fixture
def sage_dmo_settings(sage_dmo_emulator: Emulator) -> Settings:
    """Client settings that authenticate against ``sage_dmo_emulator``."""
    return sage_dmo_emulator.settings()
