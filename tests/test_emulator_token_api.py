"""The emulated token API, spoken to over raw HTTP as any SDMO client would."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest

from sage_dmo.emulator import Emulator, ManualClock


async def _acquire(session: aiohttp.ClientSession, emulator: Emulator) -> Any:
    body = {
        "clientId": emulator.config.client_id,
        "clientSecret": emulator.config.client_secret,
        "tenantId": emulator.config.tenant_id,
    }
    async with session.post(emulator.token_url, json=body) as response:
        assert response.status == 200
        return await response.json()


async def test_token_response_has_documented_shape(
    emulator: Emulator, clock: ManualClock
) -> None:
    """The response carries both tokens, both URL casings, expiries and tenantId."""
    async with aiohttp.ClientSession() as session:
        tokens = await _acquire(session, emulator)
    assert isinstance(tokens["accessToken"], str)
    assert isinstance(tokens["refreshToken"], str)
    assert tokens["tenantId"] == emulator.config.tenant_id
    assert tokens["urls"]["graphQl"] == emulator.graphql_url
    assert tokens["urls"]["graphQL"] == emulator.graphql_url
    assert tokens["urls"]["refreshToken"].endswith("/v1/token/renew")
    assert tokens["urls"]["invalidateToken"].endswith("/v1/token/invalidate")
    expiry = datetime.fromisoformat(
        tokens["accessTokenExpiration"].replace("Z", "+00:00")
    )
    assert expiry - clock.now() == timedelta(seconds=900)
    assert tokens["accessTokenExpiration"].endswith("Z")
    refresh_expiry = datetime.fromisoformat(
        tokens["refreshTokenExpiration"].replace("Z", "+00:00")
    )
    assert refresh_expiry - clock.now() == timedelta(seconds=3600)


async def test_spent_refresh_token_rejected(emulator: Emulator) -> None:
    """A refresh token works once; a second use gets 401 and is counted."""
    async with aiohttp.ClientSession() as session:
        tokens = await _acquire(session, emulator)
        headers = {"Authorization": f"Bearer {tokens['refreshToken']}"}
        renew_url = tokens["urls"]["refreshToken"]
        async with session.post(renew_url, headers=headers) as first:
            assert first.status == 200
            renewed = await first.json()
        async with session.post(renew_url, headers=headers) as second:
            assert second.status == 401
    assert renewed["refreshToken"] != tokens["refreshToken"]
    assert emulator.counters.renewals == 1
    assert emulator.counters.spent_refresh_token_reuses == 1


async def test_expired_refresh_token_rejected(
    emulator: Emulator, clock: ManualClock
) -> None:
    """A refresh token past its hour gets 401 and is not a reuse."""
    async with aiohttp.ClientSession() as session:
        tokens = await _acquire(session, emulator)
        clock.advance(3600)
        headers = {"Authorization": f"Bearer {tokens['refreshToken']}"}
        async with session.post(tokens["urls"]["refreshToken"], headers=headers) as r:
            assert r.status == 401
    assert emulator.counters.spent_refresh_token_reuses == 0
    assert emulator.counters.rejected_renewals == 1


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_invalidate_is_idempotent(emulator: Emulator, method: str) -> None:
    """Invalidation responses 204, also for tokens that are already invalid."""
    async with aiohttp.ClientSession() as session:
        tokens = await _acquire(session, emulator)
        header = {
            "x-tokens": f"accessToken={tokens['accessToken']};"
            f"refreshToken={tokens['refreshToken']}"
        }
        url = tokens["urls"]["invalidateToken"]
        for _ in range(2):
            async with session.request(method, url, headers=header) as response:
                assert response.status == 204
        bearer = {"Authorization": f"Bearer {tokens['accessToken']}"}
        query = {"query": "{ __typename }"}
        async with session.post(emulator.graphql_url, json=query, headers=bearer) as r:
            assert r.status == 401
            body = await r.json()
    assert body["$diagnoses"][0]["$severity"] == "error"
    assert "invalidated" in body["$diagnoses"][0]["$message"]


async def test_missing_bearer_gets_401_diagnoses(emulator: Emulator) -> None:
    """A GraphQL request without a bearer gets 401 with a $diagnoses body."""
    async with aiohttp.ClientSession() as session:
        query = {"query": "{ __typename }"}
        async with session.post(emulator.graphql_url, json=query) as response:
            assert response.status == 401
            body = await response.json()
    assert "$diagnoses" in body
    assert emulator.counters.graphql_requests[401] == 1


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"grant_type": "password"}, 400),
        (
            {
                "grant_type": "client_credentials",
                "client_id": "emulator-client",
                "client_secret": "nope",
                "scope": "tenantid:emulator-tenant",
            },
            401,
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_id": "emulator-client",
                "client_secret": "emulator-secret",
                "scope": "tenantid:other",
            },
            403,
        ),
    ],
)
async def test_oauth2_errors_have_status_and_message(
    emulator: Emulator, form: dict[str, str], status: int
) -> None:
    """Malformed, unauthenticated and forbidden requests get 400, 401 and 403."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(emulator.token_url, data=form) as response,
    ):
        assert response.status == status
        body = await response.json()
    assert isinstance(body["message"], str)


async def test_malformed_json_body_gets_400(emulator: Emulator) -> None:
    """A json-style request with missing fields gets 400 with a message."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(emulator.token_url, json={"clientId": "x"}) as response,
    ):
        assert response.status == 400
        body = await response.json()
    assert "required" in body["message"]
