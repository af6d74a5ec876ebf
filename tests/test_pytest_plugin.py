"""The pytest fixtures that sage-dmo registers for users' own tests."""

from __future__ import annotations

import pytest

from sage_dmo import SageDMOClient, Settings
from sage_dmo.emulator import Emulator

from .conftest import SITES_QUERY


async def test_settings_fixture_reaches_emulator(
    sage_dmo_settings: Settings, sage_dmo_emulator: Emulator
) -> None:
    """The fixtures serve a working tenant on a loopback port."""
    assert sage_dmo_settings.token_url.startswith("http://127.0.0.1:")
    async with SageDMOClient(sage_dmo_settings) as client:
        data = await client.execute(SITES_QUERY)
    assert data["xtremSystem"]["site"]["query"]["totalCount"] > 0
    assert sage_dmo_emulator.counters.acquisitions == 1


@pytest.mark.sage_dmo_emulator(access_token_lifetime=120, rows=10)
def test_marker_configures_emulator(sage_dmo_emulator: Emulator) -> None:
    """Options from the sage_dmo_emulator mark reach the emulator's config."""
    assert sage_dmo_emulator.config.access_token_lifetime == 120
    assert sage_dmo_emulator.config.rows == 10
