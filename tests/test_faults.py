"""Typed errors, safe retries and the token lifecycle under injected faults."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
from gql import Client, gql
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportProtocolError,
    TransportQueryError,
    TransportServerError,
)

from sage_dmo import (
    ConnectionFailedError,
    GraphQLResponseError,
    MutationOutcomeUnknownError,
    ProtocolError,
    RequestTimeoutError,
    SageDMOClient,
    SageDMOTransport,
    ServerError,
)
from sage_dmo._retry import RetryPolicy
from sage_dmo.emulator import Emulator, ManualClock
from sage_dmo.emulator._faults import Fault

from .conftest import SITES_QUERY, StartEmulator

MakeClient = Callable[..., SageDMOClient]

FAST_RETRY = RetryPolicy(max_attempts=4, initial_delay=0.001, max_delay=0.01)

CREATE_CATEGORY = """
mutation CreateCategory($data: ItemCategory_Input!) {
  xtremMasterData { itemCategory { create(data: $data) { _id id } } }
}
"""


def _client(
    emulator: Emulator, clock: ManualClock, retry: RetryPolicy = FAST_RETRY
) -> SageDMOClient:
    return SageDMOClient(emulator.settings(), clock=clock.monotonic, retry=retry)


@pytest.mark.parametrize(
    ("fault", "expected", "status", "words"),
    [
        ("html_502", ServerError, 502, "502 Bad Gateway"),
        ("empty_body", ProtocolError, None, "empty body"),
        ("truncated_json", ProtocolError, None, "truncated"),
        ("null_json", ProtocolError, None, "null"),
        ("wrong_content_type", ProtocolError, None, "text/html"),
    ],
)
async def test_bad_answers_raise_typed_errors(
    emulator: Emulator,
    clock: ManualClock,
    fault: str,
    expected: type[Exception],
    status: int | None,
    words: str,
) -> None:
    """Each malformed response raises its typed error with a short safe excerpt."""
    emulator.faults.queue(fault, times=10)
    async with _client(emulator, clock, retry=RetryPolicy.disabled()) as client:
        with pytest.raises(expected) as caught:
            await client.execute(SITES_QUERY)
    message = str(caught.value)
    assert words in message
    assert emulator.graphql_url in message
    assert len(message) < 500
    if status is not None:
        assert isinstance(caught.value, ServerError)
        assert caught.value.code == status


async def test_errors_are_gql_transport_errors(
    emulator: Emulator, clock: ManualClock
) -> None:
    """The typed errors are also the gql errors that gql's Client users catch."""
    assert issubclass(ServerError, TransportServerError)
    assert issubclass(ProtocolError, TransportProtocolError)
    assert issubclass(ConnectionFailedError, TransportConnectionFailed)
    assert issubclass(GraphQLResponseError, TransportQueryError)
    transport = SageDMOTransport(
        emulator.settings(), clock=clock.monotonic, retry=False
    )
    emulator.faults.queue("html_502")
    async with Client(transport=transport) as session:
        with pytest.raises(TransportServerError) as caught:
            await session.execute(gql(SITES_QUERY))
    assert caught.value.code == 502


@pytest.mark.parametrize("fault", ["html_502", "unavailable", "rate_limit", "reset"])
async def test_query_retried_after_transient_fault(
    emulator: Emulator, clock: ManualClock, fault: str
) -> None:
    """A query that meets a 502, 503, 429 or a reset succeeds on a retry."""
    emulator.faults.queue(fault, times=2)
    async with _client(emulator, clock) as client:
        data = await client.execute(SITES_QUERY)
        retries = client.transport.retries
    assert data["xtremSystem"]["site"]["query"]["totalCount"] > 0
    assert retries == 2


async def test_retry_logged_with_attempt_and_reason(
    emulator: Emulator, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Each retry logs a WARNING naming the attempt and the status."""
    caplog.set_level(logging.WARNING, logger="sage_dmo.retry")
    emulator.faults.queue("html_502")
    async with _client(emulator, clock) as client:
        await client.execute(SITES_QUERY)
    messages = [record.getMessage() for record in caplog.records]
    assert any("attempt 1 of 4" in text and "HTTP 502" in text for text in messages)


async def test_retry_after_is_honoured(emulator: Emulator, clock: ManualClock) -> None:
    """A 429 waits for Retry-After before the next attempt."""
    emulator.faults.queue(Fault("rate_limit", retry_after=0.3))
    async with _client(emulator, clock) as client:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await client.execute(SITES_QUERY)
        waited = loop.time() - started
    assert waited >= 0.3


async def test_retries_stop_after_max_attempts(
    emulator: Emulator, clock: ManualClock
) -> None:
    """A query that keeps failing is sent max_attempts times, then raises."""
    emulator.faults.queue("html_502", times=10)
    async with _client(emulator, clock) as client:
        with pytest.raises(ServerError):
            await client.execute(SITES_QUERY)
    assert emulator.counters.graphql_requests[502] == 4


async def test_mutation_never_retried_after_lost_reply(
    emulator: Emulator, clock: ManualClock
) -> None:
    """A mutation whose reply is lost raises MutationOutcomeUnknownError, sent once."""
    emulator.faults.queue("reset_after_execute")
    async with _client(emulator, clock) as client:
        with pytest.raises(MutationOutcomeUnknownError) as caught:
            await client.execute(
                CREATE_CATEGORY, {"data": {"id": "LOST-1", "name": "Lost reply"}}
            )
    executed = [
        record
        for record in emulator.ledger
        if record.variables["data"]["id"] == "LOST-1"
    ]
    assert len(executed) == 1
    assert "check the data before sending it again" in str(caught.value)


async def test_mutation_not_retried_after_502(
    emulator: Emulator, clock: ManualClock
) -> None:
    """A mutation that meets a gateway 502 is not sent again."""
    emulator.faults.queue("html_502", times=3)
    async with _client(emulator, clock) as client:
        with pytest.raises(ServerError):
            await client.execute(
                CREATE_CATEGORY, {"data": {"id": "GW-1", "name": "Gateway"}}
            )
    assert emulator.counters.graphql_requests[502] == 1
    assert emulator.ledger == []


async def test_mutation_resent_once_after_401(
    emulator: Emulator, clock: ManualClock
) -> None:
    """After an early revocation a mutation is resent once and runs once."""
    async with _client(emulator, clock) as client:
        emulator.faults.queue("revoke_access")
        data = await client.execute(
            CREATE_CATEGORY, {"data": {"id": "AUTH-1", "name": "After 401"}}
        )
    assert data["xtremMasterData"]["itemCategory"]["create"]["id"] == "AUTH-1"
    assert emulator.counters.graphql_requests[401] == 1
    assert len(emulator.ledger) == 1


async def test_graphql_errors_not_retried(
    emulator: Emulator, clock: ManualClock
) -> None:
    """A GraphQL error is returned at once, keeping SDMO's code and diagnoses."""
    async with _client(emulator, clock) as client:
        with pytest.raises(GraphQLResponseError) as caught:
            await client.execute(
                """mutation { xtremSales { salesOrder { create(data: {
                    soldToCustomer: "#NO-SUCH-CUSTOMER", site: 1
                }) { _id } } } }"""
            )
    assert caught.value.codes == ["data-input-error"]
    assert caught.value.errors
    diagnoses = caught.value.errors[0]["extensions"]["diagnoses"]
    assert diagnoses[0]["severity"] == 3
    assert emulator.counters.graphql_requests[200] == 1


async def test_lost_renewal_answer_acquires_fresh(
    emulator: Emulator, clock: ManualClock
) -> None:
    """A renewal whose response is lost leads to a fresh acquisition, no reuse."""
    async with _client(emulator, clock) as client:
        emulator.faults.queue("drop_renewal", target="renew")
        clock.advance(880)
        await client.execute(SITES_QUERY)
        stats = client.token_stats
    assert emulator.counters.dropped_renewal_answers == 1
    assert emulator.counters.acquisitions == 2
    assert emulator.counters.spent_refresh_token_reuses == 0
    assert stats.failed_renewals == 1


async def test_early_revocation_shared_by_callers(
    emulator: Emulator, clock: ManualClock
) -> None:
    """After a revocation, 50 concurrent callers share one renewal."""
    async with _client(emulator, clock) as client:
        await client.execute(SITES_QUERY)
        emulator.revoke_access_tokens()
        await asyncio.gather(*(client.execute(SITES_QUERY) for _ in range(50)))
    assert emulator.counters.renewals == 1
    assert emulator.counters.spent_refresh_token_reuses == 0


@pytest.mark.parametrize("skew_days", [-3, 3])
async def test_server_clock_skew_has_no_effect(
    start_emulator: StartEmulator, skew_days: int
) -> None:
    """A server clock days ahead or behind changes neither expiry nor renewals."""
    from datetime import timedelta

    client_clock = ManualClock()
    server_clock = ManualClock(client_clock.now() + timedelta(days=skew_days))
    emulator = await start_emulator(clock=server_clock.now)
    async with SageDMOClient(
        emulator.settings(), clock=client_clock.monotonic
    ) as client:
        current = client.transport.token_manager.current
        assert current is not None
        lifetime = current.access_expires_at - current.received_at
        # Renewal is due 60 s before expiry: at 1000 s and again at 2000 s.
        for _ in range(4):
            client_clock.advance(500)
            server_clock.advance(500)
            await client.execute(SITES_QUERY)
    assert 890 <= lifetime <= 900
    assert emulator.counters.renewals == 2
    assert emulator.counters.graphql_requests[401] == 0


async def test_request_timeout_is_typed(
    start_emulator: StartEmulator, clock: ManualClock
) -> None:
    """A query slower than the request timeout raises RequestTimeoutError."""
    emulator = await start_emulator()
    emulator.faults.queue(Fault("delay", delay=1.0), times=5)
    client = SageDMOClient(
        emulator.settings(), clock=clock.monotonic, timeout=0.2, retry=False
    )
    async with client:
        with pytest.raises(RequestTimeoutError) as caught:
            await client.execute(SITES_QUERY)
    assert isinstance(caught.value, TimeoutError)
    assert "timeout" in str(caught.value)
