"""Token stores: the file store's safety, and a pair shared by two managers."""

from __future__ import annotations

import stat
from pathlib import Path

from sage_dmo import Secret
from sage_dmo._token_store import FileTokenStore, StoredTokens
from sage_dmo._tokens import TokenManager
from sage_dmo.emulator import Emulator, ManualClock


def _manager(
    emulator: Emulator, clock: ManualClock, store: FileTokenStore
) -> TokenManager:
    return TokenManager(
        emulator.settings(),
        clock=clock.monotonic,
        wall_clock=lambda: clock.now().timestamp(),
        store=store,
        invalidate_on_close=False,
    )


def _pair(access: str) -> StoredTokens:
    return StoredTokens(
        access_token=Secret(access),
        refresh_token=Secret("refresh-" + access),
        access_expires_at=2_000_000_000.0,
        refresh_expires_at=2_000_003_600.0,
        graphql_url="https://tenant.example/api",
        refresh_url=None,
        invalidate_url=None,
        tenant_id="t",
    )


async def test_file_store_is_owner_only(tmp_path: Path) -> None:
    """The file store writes a file that only its owner can read."""
    store = FileTokenStore(tmp_path / "tokens.json")
    await store.save(_pair("a1"))
    mode = stat.S_IMODE((tmp_path / "tokens.json").stat().st_mode)
    assert mode == 0o600


async def test_file_store_round_trips_and_replaces(tmp_path: Path) -> None:
    """A saved pair loads back equal, and a second save replaces it whole."""
    store = FileTokenStore(tmp_path / "tokens.json")
    await store.save(_pair("a1"))
    await store.save(_pair("a2"))
    loaded = await store.load()
    assert loaded is not None
    assert loaded.access_token.reveal() == "a2"
    assert loaded.refresh_token == Secret("refresh-a2")
    leftovers = [path.name for path in tmp_path.iterdir()]
    assert sorted(leftovers) == ["tokens.json"]


async def test_damaged_store_file_is_ignored(tmp_path: Path) -> None:
    """A file that is not a stored pair loads as nothing instead of failing."""
    path = tmp_path / "tokens.json"
    path.write_text("{not json", encoding="utf-8")
    assert await FileTokenStore(path).load() is None


async def test_second_manager_reuses_stored_pair(
    emulator: Emulator, clock: ManualClock, tmp_path: Path
) -> None:
    """A second process finds the stored pair and makes no token request."""
    store = FileTokenStore(tmp_path / "tokens.json")
    async with _manager(emulator, clock, store) as first:
        one = await first.token()
        async with _manager(emulator, clock, FileTokenStore(store.path)) as second:
            two = await second.token()
    assert one.access_token == two.access_token
    assert emulator.counters.acquisitions == 1


async def test_shared_pair_renewed_once(
    emulator: Emulator, clock: ManualClock, tmp_path: Path
) -> None:
    """When the pair is due, one manager renews and the other adopts the result."""
    path = tmp_path / "tokens.json"
    async with _manager(emulator, clock, FileTokenStore(path)) as first:
        await first.token()
        async with _manager(emulator, clock, FileTokenStore(path)) as second:
            await second.token()
            clock.advance(880)
            renewed = await first.token()
            adopted = await second.token()
    assert renewed.access_token == adopted.access_token
    assert emulator.counters.renewals == 1
    assert emulator.counters.spent_refresh_token_reuses == 0
    assert emulator.counters.acquisitions == 1
