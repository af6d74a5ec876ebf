"""The token lifecycle end to end: client, transport and emulator over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from sage_dmo import AuthenticationError, SageDMOClient, Secret, Settings
from sage_dmo.emulator import Emulator, ManualClock

from .conftest import SITES_QUERY, StartEmulator

MakeClient = Callable[..., SageDMOClient]


async def test_json_style_acquires_and_queries(make_client: MakeClient) -> None:
    """A json-style token request authenticates and the query returns data."""
    async with make_client() as client:
        data = await client.execute(SITES_QUERY)
    assert data["xtremSystem"]["site"]["query"]["totalCount"] > 0


@pytest.mark.parametrize("oauth_aliases", [False, True])
async def test_oauth2_style_acquires_and_queries(
    start_emulator: StartEmulator, clock: ManualClock, oauth_aliases: bool
) -> None:
    """An oauth2 form request works, with camelCase or OAuth response keys."""
    emulator = await start_emulator(oauth_aliases=oauth_aliases)
    settings = emulator.settings(token_style="oauth2")
    async with SageDMOClient(settings, clock=clock.monotonic) as client:
        data = await client.execute(SITES_QUERY)
    assert data["xtremSystem"]["site"]["query"]["totalCount"] > 0
    assert emulator.counters.acquisitions == 1


@pytest.mark.parametrize("key", ["graphQl", "graphQL"])
async def test_follows_either_url_casing(
    start_emulator: StartEmulator, clock: ManualClock, key: str
) -> None:
    """The tenant URL is read from urls.graphQl or urls.graphQL alone."""
    emulator = await start_emulator(graphql_url_keys=(key,))
    async with SageDMOClient(emulator.settings(), clock=clock.monotonic) as client:
        assert client.graphql_url == emulator.graphql_url
        await client.execute(SITES_QUERY)
    assert emulator.counters.graphql_requests[200] == 1


async def test_expiry_under_load_renews_once(
    emulator: Emulator, make_client: MakeClient, clock: ManualClock
) -> None:
    """200 concurrent queries past the renewal point share one renewal."""
    async with make_client() as client:
        await client.execute(SITES_QUERY)
        clock.advance(880)
        results = await asyncio.gather(
            *(client.execute(SITES_QUERY) for _ in range(200)),
            return_exceptions=True,
        )
        stats = client.token_stats
    errors = [result for result in results if isinstance(result, BaseException)]
    assert errors == []
    assert emulator.counters.renewals == 1
    assert stats.renewals == 1
    assert emulator.counters.acquisitions == 1
    assert emulator.counters.spent_refresh_token_reuses == 0
    assert emulator.counters.graphql_requests[401] == 0


async def test_server_expiry_renews_once(
    start_emulator: StartEmulator,
) -> None:
    """When only the server sees expiry, 200 callers get 401 and share one renewal."""
    server_clock = ManualClock()
    client_clock = ManualClock()
    emulator = await start_emulator(clock=server_clock.now)
    settings = emulator.settings()
    async with SageDMOClient(settings, clock=client_clock.monotonic) as client:
        await client.execute(SITES_QUERY)
        server_clock.advance(901)
        results = await asyncio.gather(
            *(client.execute(SITES_QUERY) for _ in range(200)),
            return_exceptions=True,
        )
    errors = [result for result in results if isinstance(result, BaseException)]
    assert errors == []
    assert emulator.counters.renewals == 1
    assert emulator.counters.spent_refresh_token_reuses == 0
    assert emulator.counters.graphql_requests[200] == 201


async def test_failed_renewal_acquires_fresh_token(
    start_emulator: StartEmulator,
) -> None:
    """A rejected renewal leads to exactly one acquisition with the credentials."""
    server_clock = ManualClock()
    client_clock = ManualClock()
    emulator = await start_emulator(clock=server_clock.now)
    async with SageDMOClient(
        emulator.settings(), clock=client_clock.monotonic
    ) as client:
        # The server's refresh token has expired, the client's clock says not.
        server_clock.advance(3700)
        client_clock.advance(880)
        await client.execute(SITES_QUERY)
        stats = client.token_stats
    assert emulator.counters.rejected_renewals == 1
    assert emulator.counters.renewals == 0
    assert emulator.counters.acquisitions == 2
    assert stats.failed_renewals == 1


async def test_expired_refresh_token_skips_renewal(
    emulator: Emulator, make_client: MakeClient, clock: ManualClock
) -> None:
    """An expired refresh token leads straight to acquisition, no renewal attempt."""
    async with make_client() as client:
        clock.advance(3700)
        await client.execute(SITES_QUERY)
    assert emulator.counters.acquisitions == 2
    assert emulator.counters.renewals == 0
    assert emulator.counters.rejected_renewals == 0


async def test_unauthorized_resends_exactly_once(
    emulator: Emulator, make_client: MakeClient
) -> None:
    """After an early revocation the request gets one 401, one renewal, one resend."""
    async with make_client() as client:
        await client.execute(SITES_QUERY)
        assert emulator.revoke_access_tokens() == 1
        await client.execute(SITES_QUERY)
    assert emulator.counters.graphql_requests[401] == 1
    assert emulator.counters.graphql_requests[200] == 2
    assert emulator.counters.renewals == 1


async def test_close_invalidates_both_tokens(
    emulator: Emulator, make_client: MakeClient
) -> None:
    """Closing the client invalidates the pair, and the server then rejects both."""
    async with make_client() as client:
        await client.execute(SITES_QUERY)
        current = client.transport.token_manager.current
        assert current is not None
        assert current.refresh_token is not None
        access = current.access_token.reveal()
        refresh = current.refresh_token.reveal()
    assert emulator.counters.invalidations == 1
    assert emulator.tokens.check_access_token(access) is not None
    assert not emulator.tokens.is_valid_refresh_token(refresh)


async def test_renewal_rotates_refresh_token(
    emulator: Emulator, make_client: MakeClient, clock: ManualClock
) -> None:
    """Each renewal replaces the refresh token; three in a row never reuse one."""
    async with make_client() as client:
        seen = set()
        for _ in range(3):
            current = client.transport.token_manager.current
            assert current is not None
            assert current.refresh_token is not None
            seen.add(current.refresh_token.reveal())
            clock.advance(880)
            await client.execute(SITES_QUERY)
    assert len(seen) == 3
    assert emulator.counters.renewals == 3
    assert emulator.counters.spent_refresh_token_reuses == 0


async def test_cancelled_caller_keeps_manager_usable(
    emulator: Emulator, make_client: MakeClient, clock: ManualClock
) -> None:
    """Cancelling a caller during a renewal neither breaks nor repeats the renewal."""
    async with make_client() as client:
        clock.advance(880)
        manager = client.transport.token_manager
        task = asyncio.create_task(client.execute(SITES_QUERY))
        for _ in range(100):
            if manager._pending is not None:
                break
            await asyncio.sleep(0)
        assert manager._pending is not None, "the renewal never started"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        data = await client.execute(SITES_QUERY)
    assert data["xtremSystem"]["site"]["query"]["totalCount"] > 0
    assert emulator.counters.renewals == 1
    assert emulator.counters.spent_refresh_token_reuses == 0


async def test_bad_secret_raises_authentication_error(emulator: Emulator) -> None:
    """Wrong credentials give AuthenticationError naming the client, not the secret."""
    settings = Settings(
        client_id=emulator.config.client_id,
        client_secret=Secret("wrong-secret-value"),
        tenant_id=emulator.config.tenant_id,
        token_url=emulator.token_url,
    )
    with pytest.raises(AuthenticationError) as caught:
        async with SageDMOClient(settings):
            pass
    assert caught.value.status == 401
    assert emulator.config.client_id in str(caught.value)
    assert "wrong-secret-value" not in str(caught.value)


async def test_unknown_tenant_raises_authentication_error(emulator: Emulator) -> None:
    """A tenant the application may not access gives a 403 AuthenticationError."""
    settings = Settings(
        client_id=emulator.config.client_id,
        client_secret=Secret(emulator.config.client_secret),
        tenant_id="someone-else",
        token_url=emulator.token_url,
    )
    with pytest.raises(AuthenticationError) as caught:
        async with SageDMOClient(settings):
            pass
    assert caught.value.status == 403
    assert "SAGE_DMO_TENANT_ID" in str(caught.value)
