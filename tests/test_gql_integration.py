"""SageDMOTransport under gql's own Client: plain documents, DSL and batches."""

from __future__ import annotations

from gql import Client, GraphQLRequest, gql
from gql.dsl import DSLQuery, DSLSchema, dsl_gql

from sage_dmo import SageDMOTransport
from sage_dmo.emulator import Emulator, ManualClock

from .conftest import SITES_QUERY


async def test_gql_client_executes_document(
    emulator: Emulator, clock: ManualClock
) -> None:
    """gql's Client runs a document through the transport and gets data."""
    transport = SageDMOTransport(emulator.settings(), clock=clock.monotonic)
    async with Client(transport=transport) as session:
        result = await session.execute(gql(SITES_QUERY))
    assert result["xtremSystem"]["site"]["query"]["totalCount"] > 0
    assert emulator.counters.invalidations == 1


async def test_gql_dsl_query_with_fetched_schema(
    emulator: Emulator, clock: ManualClock
) -> None:
    """A DSL query built from the introspected schema runs through the transport."""
    transport = SageDMOTransport(emulator.settings(), clock=clock.monotonic)
    client = Client(transport=transport, fetch_schema_from_transport=True)
    async with client as session:
        assert client.schema is not None
        ds = DSLSchema(client.schema)
        query = dsl_gql(
            DSLQuery(
                ds.Query.xtremSystem.select(
                    ds.XtremSystem.site.select(
                        ds.Site_Operations.query.select(ds.Site_Connection.totalCount)
                    )
                )
            )
        )
        result = await session.execute(query)
    assert result["xtremSystem"]["site"]["query"]["totalCount"] > 0


async def test_gql_batch_sends_one_request(
    emulator: Emulator, clock: ManualClock
) -> None:
    """A gql batch of three operations travels as one HTTP request."""
    transport = SageDMOTransport(emulator.settings(), clock=clock.monotonic)
    async with Client(transport=transport) as session:
        requests = [GraphQLRequest(gql(SITES_QUERY)) for _ in range(3)]
        results = await session.execute_batch(requests)
    assert len(results) == 3
    assert emulator.counters.graphql_requests[200] == 1


async def test_transport_resends_after_revocation(
    emulator: Emulator, clock: ManualClock
) -> None:
    """Under gql's Client too, a 401 leads to one renewal and one resend."""
    transport = SageDMOTransport(emulator.settings(), clock=clock.monotonic)
    async with Client(transport=transport) as session:
        emulator.revoke_access_tokens()
        await session.execute(gql(SITES_QUERY))
    assert emulator.counters.graphql_requests[401] == 1
    assert emulator.counters.renewals == 1
